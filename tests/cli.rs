//! The `twinscape` command as a user runs it: headless runs that write the
//! snapshot contract, the embedded broker with the simulated plant, and clear
//! errors for bad scenes and bad flags.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::*;

/// Lets the last messages land, then stops a headless run with Ctrl-C (it
/// writes its snapshot on the way out), waits for it and checks that it
/// exited as interrupted programs do, with status 130.
fn interrupt(child: &mut std::process::Child) {
    thread::sleep(Duration::from_millis(1000));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "could not send SIGINT");
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "Ctrl-C exits with 130, got {status}"
    );
}

/// The port in "embedded MQTT broker listening on mqtt://127.0.0.1:PORT".
fn embedded_port(line: &str) -> u16 {
    line.trim()
        .strip_prefix("embedded MQTT broker listening on mqtt://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("expected the embedded broker's address first, got {line:?}"))
}

/// A headless run with its embedded broker and plant, stopped by `interrupt`;
/// returns it, its stdout after the first line, and the broker's port.
fn headless_with_embedded_broker(
    snapshot: &std::path::Path,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
    u16,
) {
    use std::io::BufRead;
    let mut child = twinscape()
        .args([
            "headless",
            "--port",
            &free_port().to_string(),
            "--for",
            "60",
            "--snapshot",
        ])
        .arg(snapshot)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let port = embedded_port(&first);
    (child, stdout, port)
}

#[test]
fn headless_against_a_broker_writes_the_snapshot_contract() {
    let broker = Mosquitto::start();
    let out = tmp("external.json");
    let mut child = twinscape()
        .args([
            "headless",
            "--broker",
            &format!("mqtt://127.0.0.1:{}", broker.port),
            "--for",
            "60",
            "--snapshot",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let publisher = Publisher::connect(broker.port);
    for _ in 0..25 {
        publisher.publish("sensor/temperature", "55.5");
        publisher.publish("factory/ghost/vibration", "1");
        thread::sleep(Duration::from_millis(100));
    }
    interrupt(&mut child);
    let snap = read_snapshot(&out);
    assert_eq!(snap["scene"], "Factory — line 1");
    let twins = snap["twins"].as_array().unwrap();
    assert!(twins.len() >= 10);
    for twin in twins {
        for key in ["id", "name", "sensors"] {
            assert!(twin.get(key).is_some(), "twin lacks {key}: {twin}");
        }
        for s in twin["sensors"].as_array().unwrap() {
            for key in ["name", "topic", "unit", "value", "updated_ms"] {
                assert!(s.get(key).is_some(), "sensor lacks {key}: {s}");
            }
        }
    }
    let temp = sensor_json(twin_json(&snap, "cnc-1"), "temperature");
    assert_eq!(temp["value"], 55.5);
    assert_eq!(temp["topic"], "sensor/temperature");
    let press = twin_json(&snap, "press-1");
    assert!(
        press["sensors"][0]["value"].is_null(),
        "nothing was published for press-1: {press}"
    );
    let ingest = &snap["ingest"];
    for key in ["received", "applied", "rejected", "dropped"] {
        assert!(ingest[key].is_u64(), "ingest.{key} is a count: {ingest}");
    }
    assert!(ingest["applied"].as_u64().unwrap() >= 1);
    assert!(
        ingest["rejected"].as_u64().unwrap() >= 1,
        "the ghost twin's messages are rejected: {ingest}"
    );
}

#[test]
fn with_no_broker_the_embedded_one_and_the_plant_feed_every_bound_sensor() {
    let out = tmp("embedded.json");
    let port = free_port();
    let output = twinscape()
        .args([
            "headless",
            "--port",
            &port.to_string(),
            "--sim-rate",
            "20",
            "--for",
            "4",
            "--snapshot",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The port asked for, or the next free one if something took it meanwhile.
    let used = embedded_port(stdout.lines().next().unwrap_or(""));
    assert!((port..port + 50).contains(&used), "{stdout}");
    let snap = read_snapshot(&out);
    let fed = assert_every_sensor_fed(&snap);
    assert!(fed >= 30, "{fed} sensors");
    assert_eq!(
        snap["ingest"]["rejected"], 0,
        "the plant only sends what the twin understands: {}",
        snap["ingest"]
    );
    assert_eq!(snap["ingest"]["dropped"], 0);
}

#[test]
fn a_broken_scene_is_refused_with_its_position() {
    let bad = tmp("broken.scene.ron");
    std::fs::write(
        &bad,
        "(\n  name: \"x\",\n  twins: [\n    (id: \"a\", name: \"A\" kind: \"k\"),\n  ],\n)\n",
    )
    .unwrap();
    let output = twinscape()
        .args(["headless", "--for", "1", "--scene"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("error: {}:4:25: ", bad.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn scene_check_passes_the_shipped_scenes_and_names_each_problem() {
    let shipped = factory_scene();
    let output = twinscape()
        .args(["scene", "check"])
        .arg(&shipped)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(": ok (") && stdout.contains("twins"),
        "{stdout}"
    );

    // A syntax error, a validation error (a duplicate twin id, found by the
    // loader's own checks) and a good file: two problems, each with where.
    let text = std::fs::read_to_string(&shipped).unwrap();
    let syntax = tmp("check-syntax.scene.ron");
    std::fs::write(
        &syntax,
        "(\n  name: \"x\",\n  twins: [\n    (id: \"a\", name: \"A\" kind: \"k\"),\n  ],\n)\n",
    )
    .unwrap();
    let duplicate = tmp("check-duplicate.scene.ron");
    let twice = text.replacen("id: \"cnc-2\"", "id: \"cnc-1\"", 1);
    assert_ne!(twice, text, "the factory has a twin cnc-2");
    std::fs::write(&duplicate, twice).unwrap();
    // A model the scene names that is not there: the check loads models too.
    let no_model = tmp("check-model.scene.ron");
    let missing = text.replacen("models/press_temperature.onnx", "models/missing.onnx", 1);
    assert_ne!(missing, text, "the factory names an ONNX model");
    std::fs::write(&no_model, missing).unwrap();
    let output = twinscape()
        .args(["scene", "check"])
        .args([&syntax, &shipped, &duplicate, &no_model])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[2].starts_with(&format!("{}:", no_model.display())),
        "{stderr}"
    );
    assert!(lines[2].contains("missing.onnx"), "{stderr}");
    assert!(
        lines[0].starts_with(&format!("{}:4:25: ", syntax.display())),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("{}:", duplicate.display())),
        "{stderr}"
    );
    assert!(lines[1].contains("cnc-1"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the good file is ok: {stdout}"
    );
}

#[test]
fn bad_flags_are_explained() {
    let output = twinscape()
        .args(["headless", "--broker", "ws://x:1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("scheme \"ws\" is not supported"),
        "{stderr}"
    );

    let output = twinscape()
        .args(["headless", "--for", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a positive number of seconds"));

    let output = twinscape()
        .args(["headless", "--scene", "/nonexistent/x.scene.ron"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read scene /nonexistent/x.scene.ron")
    );

    // Delivery flags: only with --broker, QoS 0 or 1, a client id of some length.
    for (args, says) in [
        (
            &["headless", "--qos", "1", "--for", "1"][..],
            "--qos and --client-id are for a broker given with --broker",
        ),
        (
            &["serve", "--broker", "mqtt://127.0.0.1:1", "--qos", "1"][..],
            "the page `serve` serves subscribes by itself",
        ),
        (
            &["headless", "--broker", "mqtt://127.0.0.1:1", "--qos", "2"][..],
            "2 is not in 0..=1",
        ),
        (
            &[
                "headless",
                "--broker",
                "mqtt://127.0.0.1:1",
                "--client-id",
                "",
            ][..],
            "--client-id \"\": 1 to 256 characters",
        ),
    ] {
        let output = twinscape().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    // The embedded broker on an address other machines reach takes a login:
    // without one, serve does not start (nothing listens, nothing is served).
    let output = twinscape()
        .args(["serve", "--listen", "0.0.0.0", "--http", "0", "--for", "1"])
        .env_remove("TWINSCAPE_MQTT_USERNAME")
        .env_remove("TWINSCAPE_MQTT_PASSWORD")
        .env_remove("TWINSCAPE_MQTT_PASSWORD_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--listen 0.0.0.0 puts the embedded broker where other machines reach it")
            && stderr.contains("TWINSCAPE_MQTT_USERNAME"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("open http://"),
        "it served anyway"
    );
    let output = twinscape()
        .args(["serve", "--listen", "my-laptop"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid IP address syntax"), "{stderr}");

    // Saving edits through a server other machines reach (it has no login):
    // refused before anything starts, even with the broker's login given.
    let output = twinscape()
        .args([
            "serve",
            "--listen",
            "0.0.0.0",
            "--allow-edit",
            "--http",
            "0",
            "--for",
            "1",
        ])
        .env("TWINSCAPE_MQTT_USERNAME", "operator")
        .env("TWINSCAPE_MQTT_PASSWORD", "s3cret")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--allow-edit with --listen 0.0.0.0: anyone who reaches that address could overwrite the scene"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("open http://"),
        "it served anyway"
    );
}

#[test]
fn a_tutorial_publisher_drives_cnc_1_even_with_the_plant_running() {
    let out = tmp("tutorial.json");
    let (mut child, stdout, port) = headless_with_embedded_broker(&out);
    // Let the plant connect and publish a while first.
    thread::sleep(Duration::from_millis(1500));
    let publisher = Publisher::connect(port);
    for _ in 0..5 {
        // QoS 0, as a tutorial publisher sends.
        publisher.publish_qos0("sensor/temperature", "77.7");
        thread::sleep(Duration::from_millis(200));
    }
    interrupt(&mut child);
    drop(stdout);
    let snap = read_snapshot(&out);
    let cnc1 = twin_json(&snap, "cnc-1");
    let temp = sensor_json(cnc1, "temperature");
    assert_eq!(
        temp["value"], 77.7,
        "the plant leaves the topic to the outside publisher"
    );
    assert_eq!(
        cnc1["health"], "warning",
        "77.7 °C is past the warn limit of 75"
    );
    let spindle = sensor_json(cnc1, "spindle_speed");
    assert!(
        spindle["value"].is_number(),
        "the plant still feeds the other sensors"
    );
}

#[test]
fn a_reader_that_goes_away_does_not_stop_the_twin() {
    // As in `twinscape headless … | head -1`: stdout closes after one line.
    let out = tmp("closed-stdout.json");
    let (mut child, stdout, _) = headless_with_embedded_broker(&out);
    drop(stdout);
    interrupt(&mut child);
    assert!(read_snapshot(&out)["twins"].as_array().unwrap().len() >= 10);
}

//! The simulated plant as a user meets it: it publishes every bound sensor
//! at the rate asked for, against the embedded broker or one of your own
//! (`--simulate`), its seed chooses its randomness, and it leaves a topic
//! (plain or JSON) to anyone else who publishes there for 30 s.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A headless run of `secs` against the embedded broker and plant.
fn embedded_run(name: &str, extra: &[&str], secs: &str) -> serde_json::Value {
    let out = tmp(&format!("{name}.json"));
    succeed(
        twinscape()
            .args([
                "headless",
                "--port",
                &free_port().to_string(),
                "--for",
                secs,
            ])
            .args(extra)
            .arg("--snapshot")
            .arg(&out),
    );
    read_snapshot(&out)
}

fn samples(snap: &serde_json::Value, twin: &str, sensor: &str) -> f64 {
    sensor_json(twin_json(snap, twin), sensor)["samples"]
        .as_f64()
        .unwrap()
}

#[test]
fn the_sim_rate_sets_how_many_readings_each_sensor_gets() {
    // 6 s runs at 4 and 16 readings a second. The twin connects within the
    // first second or two, so each sensor gets about rate × (4 to 6 s).
    let slow = embedded_run("rate-4", &["--sim-rate", "4"], "6");
    let fast = embedded_run("rate-16", &["--sim-rate", "16"], "6");
    for (twin, sensor) in [
        ("cnc-2", "temperature"),
        ("cnc-2", "spindle_speed"),
        ("conv-1", "belt_speed"),
    ] {
        let (s, f) = (samples(&slow, twin, sensor), samples(&fast, twin, sensor));
        // One reading at the start of each period: at most rate × 6 + 1.
        assert!(
            (4.0 * 3.5..=4.0 * 6.0 + 1.0).contains(&s),
            "{twin}/{sensor}: {s} samples at 4 Hz"
        );
        assert!(
            (16.0 * 3.5..=16.0 * 6.0 + 1.0).contains(&f),
            "{twin}/{sensor}: {f} samples at 16 Hz"
        );
        assert!(
            (2.8..=5.2).contains(&(f / s)),
            "{twin}/{sensor}: {f} / {s} is not about 4"
        );
    }
}

#[test]
fn the_seed_chooses_the_plants_randomness() {
    let value = |snap: &serde_json::Value| {
        sensor_json(twin_json(snap, "cnc-2"), "temperature")["stats"]["mean"]
            .as_f64()
            .unwrap()
    };
    let a = embedded_run("seed-1", &["--seed", "1"], "3");
    let b = embedded_run("seed-2", &["--seed", "2"], "3");
    assert_ne!(value(&a), value(&b), "different seeds, different noise");
    // The same seed, the same plant: `simulate` (the plant straight into a
    // recording, no clock) writes the same bytes twice, another seed not.
    let recording = |name: &str, seed: &str| {
        let out = tmp(name);
        succeed(
            twinscape()
                .args([
                    "simulate",
                    "--for",
                    "30",
                    "--sim-rate",
                    "2",
                    "--seed",
                    seed,
                    "--out",
                ])
                .arg(&out),
        );
        std::fs::read(&out).unwrap()
    };
    let (one, again, other) = (
        recording("seed-7a.csv", "7"),
        recording("seed-7b.csv", "7"),
        recording("seed-8.csv", "8"),
    );
    assert!(one.len() > 1_000, "{} bytes", one.len());
    assert_eq!(one, again, "seed 7 twice");
    assert_ne!(one, other, "seeds 7 and 8");
}

#[test]
fn simulate_runs_the_plant_against_your_own_broker() {
    let broker = Mosquitto::start();
    let out = tmp("simulate.json");
    succeed(
        twinscape()
            .args([
                "headless",
                "--simulate",
                "--sim-rate",
                "10",
                "--for",
                "4",
                "--broker",
            ])
            .arg(format!("mqtt://127.0.0.1:{}", broker.port))
            .arg("--snapshot")
            .arg(&out),
    );
    let snap = read_snapshot(&out);
    assert_every_sensor_fed(&snap);
    assert_eq!(snap["ingest"]["rejected"], 0, "{}", snap["ingest"]);
}

#[test]
fn the_plant_leaves_a_plain_or_json_topic_to_another_publisher_for_30_s() {
    let broker = Mosquitto::start();
    let scene = twinscape::scene::format::parse(
        &std::fs::read_to_string(factory_scene()).unwrap(),
        "factory.scene.ron",
    )
    .unwrap();
    let mut twin = Twin::start(factory_scene(), broker.url());
    let _plant = twinscape::plant::spawn(&scene, &broker.url(), 1, 20.0);
    twin.until("the plant feeds cnc-2", Duration::from_secs(20), |s| {
        value_of(s, "cnc-2", "power").is_some()
    });
    let publisher = Publisher::connect(broker.port);
    // Someone else publishes on a plain topic and on a JSON topic. A reading
    // the plant had already sent when it noticed may still land after the
    // first message, so they publish twice, a second apart; the 30 s count
    // from their last message.
    let json = r#"{"power":{"kw":3.25},"spindle":{"rpm":1234}}"#;
    publisher.publish("sensor/temperature", "77.7");
    publisher.publish("factory/cnc-2/telemetry", json);
    twin.run_for(Duration::from_secs(1));
    publisher.publish("sensor/temperature", "77.7");
    publisher.publish("factory/cnc-2/telemetry", json);
    let sent = Instant::now();
    twin.until("the outside values arrive", Duration::from_secs(10), |s| {
        value_of(s, "cnc-1", "temperature") == Some(77.7)
            && value_of(s, "cnc-2", "power") == Some(3.25)
    });
    // For the next 25 s the plant (at 20 readings a second) stays away.
    while sent.elapsed() < Duration::from_secs(25) {
        let s = twin.run_for(Duration::from_millis(500));
        assert_eq!(
            value_of(&s, "cnc-1", "temperature"),
            Some(77.7),
            "plain topic overwritten"
        );
        assert_eq!(
            value_of(&s, "cnc-2", "power"),
            Some(3.25),
            "JSON topic overwritten"
        );
        assert_eq!(value_of(&s, "cnc-2", "spindle_speed"), Some(1234.0));
    }
    // Then it takes both topics back.
    twin.until("the plant publishes again", Duration::from_secs(15), |s| {
        value_of(s, "cnc-1", "temperature") != Some(77.7)
            && value_of(s, "cnc-2", "power") != Some(3.25)
    });
    assert!(
        sent.elapsed() >= Duration::from_secs(30),
        "taken back after {:?}",
        sent.elapsed()
    );
}

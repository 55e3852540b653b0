//! Your own broker with a password file: the twin logs in with the
//! credentials from its environment and ingests; a wrong password is
//! refused and says so in the link state and the last error.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::*;

/// A mosquitto that allows only `viewer` / `secret` (from a password file
/// made by `mosquitto_passwd`).
fn broker_with_password() -> Mosquitto {
    let file = tmp(&format!("passwd-{}", free_port()));
    let made = Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&file)
        .args(["viewer", "secret"])
        .status()
        .expect("mosquitto_passwd (Debian package mosquitto)");
    assert!(made.success());
    Mosquitto::start_with(&format!(
        "allow_anonymous false\npassword_file {}",
        file.display()
    ))
}

/// Where the twin finds its password.
enum Secret<'a> {
    Env(&'a str),
    /// In a file, with a line end after it (as `echo` writes one).
    File(&'a str),
}

/// A headless twin against `port` with these credentials, fed by `feed`
/// while it runs, stopped with Ctrl-C; its snapshot.
fn run_with(port: u16, password: Secret, name: &str, feed: impl FnOnce()) -> serde_json::Value {
    let out = tmp(&format!("{name}.json"));
    let mut twin = twinscape();
    match password {
        Secret::Env(p) => twin.env("TWINSCAPE_MQTT_PASSWORD", p),
        Secret::File(p) => {
            let file = tmp(&format!("{name}.secret"));
            std::fs::write(&file, format!("{p}\n")).unwrap();
            twin.env("TWINSCAPE_MQTT_PASSWORD_FILE", file)
        }
    };
    let mut child = twin
        .args(["headless", "--for", "30", "--broker"])
        .arg(format!("mqtt://viewer@127.0.0.1:{port}"))
        .arg("--snapshot")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(1500));
    feed();
    thread::sleep(Duration::from_millis(1000));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    read_snapshot(&out)
}

#[test]
fn credentials_from_the_environment_log_in_and_a_wrong_password_is_refused() {
    let broker = broker_with_password();
    // The test publisher logs in too: this broker refuses anonymous clients.
    let publisher = Publisher::connect_as(broker.port, Some(("viewer", "secret")));
    let snap = run_with(broker.port, Secret::Env("secret"), "auth-good", || {
        for _ in 0..10 {
            publisher.publish("sensor/temperature", "61.5");
            thread::sleep(Duration::from_millis(100));
        }
    });
    assert_eq!(snap["ingest"]["link"], "connected", "{}", snap["ingest"]);
    assert_eq!(
        sensor_json(twin_json(&snap, "cnc-1"), "temperature")["value"],
        61.5
    );

    let snap = run_with(broker.port, Secret::Env("wrong"), "auth-bad", || {
        publisher.publish("sensor/temperature", "62.5");
    });
    let ingest = &snap["ingest"];
    assert_ne!(ingest["link"], "connected", "{ingest}");
    let error = ingest["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        error.contains("not authorized") || error.contains("bad user") || error.contains("refused"),
        "the last error says the broker refused the login: {ingest}"
    );
    assert!(
        sensor_json(twin_json(&snap, "cnc-1"), "temperature")["value"].is_null(),
        "nothing arrives without a login"
    );
}

#[test]
fn a_password_file_logs_in_and_a_password_on_the_command_line_is_refused() {
    let broker = broker_with_password();
    let publisher = Publisher::connect_as(broker.port, Some(("viewer", "secret")));
    let snap = run_with(broker.port, Secret::File("secret"), "auth-file", || {
        for _ in 0..10 {
            publisher.publish("sensor/temperature", "63.5");
            thread::sleep(Duration::from_millis(100));
        }
    });
    assert_eq!(snap["ingest"]["link"], "connected", "{}", snap["ingest"]);
    assert_eq!(
        sensor_json(twin_json(&snap, "cnc-1"), "temperature")["value"],
        63.5
    );
    // On the command line: refused before anything starts, and not echoed.
    let out = twinscape()
        .args(["headless", "--for", "5", "--broker"])
        .arg(format!("mqtt://viewer:secret@127.0.0.1:{}", broker.port))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TWINSCAPE_MQTT_PASSWORD_FILE") && !err.contains("secret"),
        "{err}"
    );
    // A file that is not there, or both ways at once: said, exit 2.
    let out = twinscape()
        .args(["headless", "--for", "5", "--broker"])
        .arg(format!("mqtt://viewer@127.0.0.1:{}", broker.port))
        .env("TWINSCAPE_MQTT_PASSWORD_FILE", "/nonexistent/secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TWINSCAPE_MQTT_PASSWORD_FILE /nonexistent/secret: No such file"),
        "{err}"
    );
    let out = twinscape()
        .args(["headless", "--for", "5", "--broker"])
        .arg(format!("mqtt://viewer@127.0.0.1:{}", broker.port))
        .env("TWINSCAPE_MQTT_PASSWORD_FILE", "/nonexistent/secret")
        .env("TWINSCAPE_MQTT_PASSWORD", "secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use one"));
}

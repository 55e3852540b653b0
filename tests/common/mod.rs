//! Shared test helpers: a real mosquitto broker on a free port, a real MQTT
//! publisher, and the headless twin driven frame by frame.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use twinscape::app::{Options, headless_app};
use twinscape::snapshot::{self, Snapshot};
use twinscape::telemetry::{BrokerUrl, Delivery, TelemetrySource};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A mosquitto process on 127.0.0.1; killed on drop.
pub struct Mosquitto {
    pub port: u16,
    child: Child,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Mosquitto {
        Self::launch(port, &["-p", &port.to_string()])
    }

    /// A mosquitto on a free port of 127.0.0.1 with these configuration
    /// lines (mosquitto.conf syntax) after its listener.
    pub fn start_with(config: &str) -> Mosquitto {
        let port = free_port();
        let path = tmp(&format!("mosquitto-{port}.conf"));
        std::fs::write(&path, format!("listener {port} 127.0.0.1\n{config}\n")).unwrap();
        Self::launch(port, &["-c", &path.to_string_lossy()])
    }

    fn launch(port: u16, args: &[&str]) -> Mosquitto {
        let bin = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "mosquitto"]
            .into_iter()
            .find(|b| !b.starts_with('/') || std::path::Path::new(b).exists())
            .unwrap();
        let child = Command::new(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start mosquitto ({bin}): {e}; install it with `apt-get install mosquitto`"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on port {port} within 10 s"
            );
            thread::sleep(Duration::from_millis(20));
        }
        Mosquitto { port, child }
    }

    pub fn url(&self) -> BrokerUrl {
        BrokerUrl::local(self.port)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real MQTT client that publishes at QoS 1 and waits for each PUBACK, so
/// a published message has reached the broker when `publish` returns.
pub struct Publisher {
    client: Client,
    acks: mpsc::Receiver<()>,
}

impl Publisher {
    pub fn connect(port: u16) -> Publisher {
        Self::connect_as(port, None)
    }

    /// A publisher that logs in with (username, password).
    pub fn connect_as(port: u16, login: Option<(&str, &str)>) -> Publisher {
        let mut opts = MqttOptions::new(format!("test-pub-{}", free_port()), "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(5));
        if let Some((user, pass)) = login {
            opts.set_credentials(user, pass);
        }
        let (client, mut connection) = Client::new(opts, 64);
        let (tx, acks) = mpsc::channel();
        thread::spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        if tx.send(()).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => thread::sleep(Duration::from_millis(100)),
                }
            }
        });
        Publisher { client, acks }
    }

    /// Publishes at QoS 0 (paho's and mosquitto_pub's default), without waiting.
    pub fn publish_qos0(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtMostOnce, false, payload.as_bytes().to_vec())
            .unwrap();
    }

    pub fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .unwrap();
        self.acks
            .recv_timeout(Duration::from_secs(10))
            .expect("the broker acknowledged the publish");
    }
}

/// A fresh mosquitto, the headless factory twin connected to it, and a publisher.
pub fn live_factory() -> (Mosquitto, Twin, Publisher) {
    let broker = Mosquitto::start();
    let twin = Twin::start(factory_scene(), broker.url());
    let publisher = Publisher::connect(broker.port);
    (broker, twin, publisher)
}

pub fn factory_scene() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenes/factory.scene.ron"
    ))
}

/// The headless twin, updated by hand.
pub struct Twin {
    pub app: App,
}

impl Twin {
    pub fn start(scene: PathBuf, broker: BrokerUrl) -> Twin {
        Self::start_with(scene, broker, Delivery::AtMostOnce)
    }

    /// The twin with this delivery promise.
    pub fn start_with(scene: PathBuf, broker: BrokerUrl, delivery: Delivery) -> Twin {
        let opts = Options {
            scene,
            source: TelemetrySource::Mqtt(broker),
            snapshot: None,
            run_for: None,
            unpaced: false,
        };
        let mut app = headless_app(&opts);
        app.insert_resource(delivery);
        app.finish();
        app.cleanup();
        let mut twin = Twin { app };
        twin.until(
            "the scene is spawned and the twin connected",
            Duration::from_secs(30),
            |s| s.scene.is_some() && s.ingest.link == "connected",
        );
        twin
    }

    pub fn snapshot(&mut self) -> Snapshot {
        snapshot::take(self.app.world_mut())
    }

    /// Runs frames until `done` holds for the snapshot, or fails the test with `what`.
    pub fn until(
        &mut self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&Snapshot) -> bool,
    ) -> Snapshot {
        let deadline = Instant::now() + limit;
        loop {
            self.app.update();
            let snap = self.snapshot();
            if done(&snap) {
                return snap;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; last snapshot:\n{}",
                pretty(&snap)
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Publishes until the sensor shows `value` (the twin may not have
    /// subscribed yet when the first copy goes out).
    pub fn publish_until_seen(
        &mut self,
        publisher: &Publisher,
        topic: &str,
        payload: &str,
        twin: &str,
        sensor: &str,
        value: f64,
    ) -> Snapshot {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            publisher.publish(topic, payload);
            for _ in 0..20 {
                self.app.update();
                thread::sleep(Duration::from_millis(5));
                let snap = self.snapshot();
                if value_of(&snap, twin, sensor) == Some(value) {
                    return snap;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{twin}/{sensor} never showed {value} after publishing {payload:?} on {topic}"
            );
        }
    }

    /// Runs frames for a while, for checks that something did not happen.
    pub fn run_for(&mut self, time: Duration) -> Snapshot {
        let deadline = Instant::now() + time;
        while Instant::now() < deadline {
            self.app.update();
            thread::sleep(Duration::from_millis(5));
        }
        self.snapshot()
    }
}

pub fn pretty(s: &Snapshot) -> String {
    serde_json::to_string_pretty(s).unwrap()
}

pub fn sensor<'a>(s: &'a Snapshot, twin: &str, sensor: &str) -> &'a snapshot::SensorState {
    let t = s
        .twins
        .iter()
        .find(|t| t.id == twin)
        .unwrap_or_else(|| panic!("no twin {twin}"));
    t.sensors
        .iter()
        .find(|x| x.name == sensor)
        .unwrap_or_else(|| panic!("no sensor {twin}/{sensor}"))
}

pub fn value_of(s: &Snapshot, twin: &str, name: &str) -> Option<f64> {
    sensor(s, twin, name).value
}

pub fn health_of<'a>(s: &'a Snapshot, twin: &str) -> &'a str {
    s.twins.iter().find(|t| t.id == twin).unwrap().health
}

// The `twinscape` binary, for tests that run it as a user would.

pub fn twinscape() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_twinscape"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

pub fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

pub fn read_snapshot(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn twin_json<'a>(snap: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    let twins = snap["twins"].as_array().expect("twins is a list");
    twins
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no twin {id}"))
}

pub fn sensor_json<'a>(twin: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let sensors = twin["sensors"].as_array().expect("sensors is a list");
    sensors
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no sensor {name} in {}", twin["id"]))
}

/// Asserts every sensor of the snapshot has a value (naming the first that
/// has none) and returns how many sensors there are.
pub fn assert_every_sensor_fed(snap: &serde_json::Value) -> usize {
    let mut fed = 0;
    for twin in snap["twins"].as_array().expect("twins is a list") {
        for s in twin["sensors"].as_array().expect("sensors is a list") {
            assert!(
                s["value"].is_number(),
                "every sensor is fed, but {}/{} has no value",
                twin["id"],
                s["name"]
            );
            fed += 1;
        }
    }
    fed
}

/// Runs a command to the end and fails the test, with its stderr, if it failed.
pub fn succeed(cmd: &mut Command) -> std::process::Output {
    let output = cmd.output().expect("running the command");
    assert!(
        output.status.success(),
        "{:?} failed ({}): {}",
        cmd.get_args().collect::<Vec<_>>(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Replays `csv` (time,topic,value) through `scene` at `speed` (`10`, `max`)
/// and returns the snapshot.
pub fn replay_through(scene: &str, csv: &str, name: &str, speed: &str) -> serde_json::Value {
    let (scene_path, csv_path, out) = (
        tmp(&format!("{name}.scene.ron")),
        tmp(&format!("{name}.csv")),
        tmp(&format!("{name}.json")),
    );
    std::fs::write(&scene_path, scene).unwrap();
    std::fs::write(&csv_path, csv).unwrap();
    succeed(
        twinscape()
            .args(["headless", "--speed", speed, "--scene"])
            .arg(&scene_path)
            .arg("--replay")
            .arg(&csv_path)
            .arg("--snapshot")
            .arg(&out),
    );
    read_snapshot(&out)
}

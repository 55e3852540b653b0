//! Lossless ingest (`--qos 1`, the default with `--broker`) against a real
//! mosquitto with persistence on: a publisher sends numbered messages at a
//! steady rate (each until the broker acknowledges it) while (a) the twin is
//! killed and restarted, (b) the broker gets SIGTERM and restarts on the same
//! port, (c) the broker gets SIGKILL. The twin's `--record` files say which
//! numbers it applied: (a) and (b) lose none; (c) loses what the broker had
//! not saved, measured and printed, and what is sent afterwards arrives.
//! Each message carries its number as its own time (`ts`), so a redelivered
//! one is applied once.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use common::{Mosquitto, Publisher, Twin, free_port, tmp, twinscape};
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};
use twinscape::telemetry::{Delivery, Ingest};

/// Numbered messages per scenario, and how many a second.
const MESSAGES: u64 = 1500;
const RATE_HZ: f64 = 150.0;
/// The number after which each scenario strikes.
const STRIKE_AT: u64 = 500;
/// How long the twin is away (killed) or stopped before the strike.
const AWAY: Duration = Duration::from_secs(2);

const SCENE: &str = r#"(
    name: "lossless",
    twins: [
        (id: "counter", name: "Counter", kind: "meter", sensors: [
            (name: "seq", unit: "", range: (0, 1000000),
             binding: (topic: "test/seq", decode: Json("n"), stamp: Some("ts"))),
        ]),
    ],
)"#;

/// mosquitto with persistence in `dir`, on `port`; killed on drop.
struct Broker {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Broker {
    fn start(port: u16, dir: &Path) -> Broker {
        std::fs::create_dir_all(dir).unwrap();
        // mosquitto started as root runs as the user "mosquitto".
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n\
                 persistence_location {}/\nmax_queued_messages 100000\n",
                dir.display()
            ),
        )
        .unwrap();
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("mosquitto.log")).unwrap())
            .spawn()
            .expect("mosquitto (apt-get install mosquitto)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not listen");
            thread::sleep(Duration::from_millis(20));
        }
        Broker {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// Sends `signal` and waits for the broker to end.
    fn stop(mut self, signal: &str) {
        signal_to(self.child.id(), signal);
        let _ = self.child.wait();
    }

    fn restart(self, signal: &str) -> Broker {
        let (port, dir) = (self.port, self.dir.clone());
        self.stop(signal);
        thread::sleep(Duration::from_millis(300));
        Broker::start(port, &dir)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal_to(pid: u32, signal: &str) {
    // The shell's own `kill`: no procps needed.
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{signal} {pid}"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// The headless twin on the broker, recording what it applies to `record`.
struct TwinProc(Child);

impl TwinProc {
    fn start(scene: &Path, port: u16, record: &Path, client_id: &str) -> TwinProc {
        Self::start_logged(
            scene,
            port,
            record,
            &record.with_extension("log"),
            client_id,
        )
    }

    fn start_logged(
        scene: &Path,
        port: u16,
        record: &Path,
        log: &Path,
        client_id: &str,
    ) -> TwinProc {
        let child = twinscape()
            .arg("headless")
            .arg("--scene")
            .arg(scene)
            .args(["--broker", &format!("mqtt://127.0.0.1:{port}")])
            .arg("--record")
            .arg(record)
            .args(["--client-id", client_id])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        TwinProc(child)
    }
}

impl Drop for TwinProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The numbers recorded in `files` (the value column), with how many rows.
fn recorded(files: &[PathBuf]) -> (BTreeSet<u64>, usize) {
    let mut seen = BTreeSet::new();
    let mut rows = 0;
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines().skip(1) {
            if let Some(v) = line.rsplit(',').next().and_then(|v| v.parse::<f64>().ok()) {
                seen.insert(v as u64);
                rows += 1;
            }
        }
    }
    (seen, rows)
}

/// Waits until `files` hold every number in `wanted`, or `timeout`;
/// returns what is still missing.
fn wait_for(files: &[PathBuf], wanted: &[u64], timeout: Duration) -> Vec<u64> {
    let start = Instant::now();
    loop {
        let (seen, _) = recorded(files);
        let missing: Vec<u64> = wanted
            .iter()
            .copied()
            .filter(|n| !seen.contains(n))
            .collect();
        if missing.is_empty() || start.elapsed() > timeout {
            return missing;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Publishes 1..=MESSAGES on `test/seq` at RATE_HZ, each at QoS 1 until the
/// broker acknowledges it (through broker restarts); `sent` is the last
/// acknowledged number.
struct Stream {
    sent: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Stream {
    fn start(port: u16) -> Stream {
        let mut opts = MqttOptions::new(format!("lossless-pub-{port}"), "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(5));
        let (client, mut connection) = Client::new(opts, 64);
        let (tx, events) = mpsc::channel();
        thread::spawn(move || {
            for event in connection.iter() {
                let sent = match event {
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) => tx.send((false, pkid)),
                    Ok(Event::Incoming(Packet::PubAck(ack))) => tx.send((true, ack.pkid)),
                    Ok(_) => Ok(()),
                    Err(_) => {
                        thread::sleep(Duration::from_millis(50));
                        Ok(())
                    }
                };
                if sent.is_err() {
                    return;
                }
            }
        });
        let (sent, done) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (sent2, done2) = (sent.clone(), done.clone());
        let handle = thread::spawn(move || {
            let start = Instant::now();
            for n in 1..=MESSAGES {
                let due = start + Duration::from_secs_f64(n as f64 / RATE_HZ);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    thread::sleep(wait);
                }
                while !publish_acked(&client, &events, n) {}
                sent2.store(n, Ordering::SeqCst);
            }
            done2.store(true, Ordering::SeqCst);
        });
        Stream {
            sent,
            done,
            handle: Some(handle),
        }
    }

    fn wait_sent(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.sent.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "the publisher is stuck");
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn finish(mut self) {
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
        assert!(self.done.load(Ordering::SeqCst));
    }
}

/// One publish at QoS 1: true once the broker acknowledged this one.
fn publish_acked(client: &Client, events: &mpsc::Receiver<(bool, u16)>, n: u64) -> bool {
    while events.try_recv().is_ok() {}
    if client
        .publish("test/seq", QoS::AtLeastOnce, false, payload(n))
        .is_err()
    {
        thread::sleep(Duration::from_millis(50));
        return false;
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut pkid = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok((false, id)) => pkid = Some(id),
            Ok((true, id)) if Some(id) == pkid => return true,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    false
}

struct Setup {
    scene: PathBuf,
    dir: PathBuf,
    port: u16,
    client_id: String,
}

fn setup(name: &str) -> Setup {
    let dir = tmp(&format!("lossless-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scene = dir.join("lossless.scene.ron");
    std::fs::write(&scene, SCENE).unwrap();
    Setup {
        scene,
        dir,
        port: free_port(),
        client_id: format!("lossless-{name}-{}", std::process::id()),
    }
}

/// Starts the twin and waits until its subscription is in place (a number
/// 0 published until it is recorded), so the broker keeps its session.
fn twin_ready(s: &Setup, broker: &Broker, record: &Path) -> TwinProc {
    let twin = TwinProc::start(&s.scene, broker.port, record, &s.client_id);
    let mut opts = MqttOptions::new(format!("hello-{}", s.port), "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    let (client, mut connection) = Client::new(opts, 16);
    thread::spawn(move || for _ in connection.iter() {});
    let start = Instant::now();
    while recorded(&[record.to_path_buf()]).0.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the twin never applied a message; see {}",
            record.with_extension("log").display()
        );
        let _ = client.publish("test/seq", QoS::AtLeastOnce, false, payload(0));
        thread::sleep(Duration::from_millis(200));
    }
    twin
}

/// Message `n`: the number, stamped `n` seconds after the epoch.
fn payload(n: u64) -> String {
    format!(r#"{{"n": {n}, "ts": {n}}}"#)
}

/// Sorted numbers as runs: "3, 5–9".
fn ranges(numbers: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = vec![];
    for &n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let runs: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect();
    runs.join(", ")
}

fn all() -> Vec<u64> {
    (1..=MESSAGES).collect()
}

fn report(what: &str, files: &[PathBuf], missing: &[u64]) {
    let (seen, rows) = recorded(files);
    println!(
        "{what}: {MESSAGES} sent at {RATE_HZ} msg/s, {} applied, {} lost, {} applied twice",
        seen.range(1..=MESSAGES).count(),
        missing.len(),
        rows.saturating_sub(seen.len()),
    );
}

#[test]
fn a_twin_killed_and_restarted_loses_nothing() {
    let s = setup("twin");
    let broker = Broker::start(s.port, &s.dir.join("broker"));
    let files = [s.dir.join("first.csv"), s.dir.join("second.csv")];
    let twin = twin_ready(&s, &broker, &files[0]);
    let stream = Stream::start(broker.port);
    stream.wait_sent(STRIKE_AT);
    signal_to(twin.0.id(), "KILL");
    drop(twin);
    thread::sleep(AWAY);
    let _twin = TwinProc::start(&s.scene, broker.port, &files[1], &s.client_id);
    stream.finish();
    let missing = wait_for(&files, &all(), Duration::from_secs(30));
    report("twin SIGKILL + restart", &files, &missing);
    assert!(missing.is_empty(), "lost {}", ranges(&missing));
    // The restarted twin got what was sent while it was away.
    let (second, _) = recorded(&files[1..]);
    assert!(
        second.range(STRIKE_AT + 1..=MESSAGES).count() as f64
            >= (MESSAGES - STRIKE_AT) as f64 * 0.5,
        "the second twin applied only {} numbers",
        second.len()
    );
}

/// What a broker strike left.
struct Strike {
    missing: Vec<u64>,
    /// From the broker's return to the first number sent after the strike
    /// in the twin's record.
    reconnect_s: f64,
    /// That number.
    first_new: u64,
    record: PathBuf,
}

/// The twin is stopped (SIGSTOP) so the broker holds messages for it, then
/// the broker is stopped with `signal` and restarted, then the twin goes on.
fn broker_strike(name: &str, signal: &str) -> Strike {
    let s = setup(name);
    let broker = Broker::start(s.port, &s.dir.join("broker"));
    let record = s.dir.join("twin.csv");
    let twin = twin_ready(&s, &broker, &record);
    let stream = Stream::start(broker.port);
    stream.wait_sent(STRIKE_AT);
    signal_to(twin.0.id(), "STOP");
    thread::sleep(AWAY);
    let held = stream.sent.load(Ordering::SeqCst);
    let broker = broker.restart(signal);
    let back = Instant::now();
    signal_to(twin.0.id(), "CONT");
    let files = [record.clone()];
    let (before, _) = recorded(&files);
    let last_before = before.last().copied().unwrap_or(0);
    let (reconnect_s, first_new) = loop {
        let (seen, _) = recorded(&files);
        if let Some(&n) = seen.range(held + 1..).next() {
            break (back.elapsed().as_secs_f64(), n);
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "nothing sent after the broker's return arrived"
        );
        thread::sleep(Duration::from_millis(20));
    };
    stream.finish();
    let missing = wait_for(&files, &all(), Duration::from_secs(30));
    println!(
        "broker SIG{signal}: the twin had applied up to {last_before} when stopped, {held} \
         were sent; {first_new} arrived {reconnect_s:.2} s after the broker was back"
    );
    drop(broker);
    Strike {
        missing,
        reconnect_s,
        first_new,
        record,
    }
}

#[test]
fn a_broker_stopped_with_sigterm_and_restarted_loses_nothing() {
    let strike = broker_strike("term", "TERM");
    report(
        "broker SIGTERM + restart",
        std::slice::from_ref(&strike.record),
        &strike.missing,
    );
    assert!(
        strike.missing.is_empty(),
        "lost {}",
        ranges(&strike.missing)
    );
    // The twin's in-flight window comes again after the restart; stamped,
    // each is applied once.
    let (seen, rows) = recorded(&[strike.record]);
    assert_eq!(rows, seen.len(), "a redelivered reading was applied twice");
    assert!(
        strike.reconnect_s <= 3.0,
        "{:.2} s to reconnect",
        strike.reconnect_s
    );
}

#[test]
fn a_broker_killed_loses_only_what_it_held_and_the_rest_arrives() {
    let strike = broker_strike("kill", "KILL");
    report(
        "broker SIGKILL + restart (measured, not zero)",
        &[strike.record],
        &strike.missing,
    );
    // What the broker held unsaved is gone (and, with its sessions, what
    // was sent before the twin subscribed again); from the first number
    // that reached the twin after the restart on, nothing is lost.
    println!(
        "broker SIGKILL: lost {} numbers: {}",
        strike.missing.len(),
        ranges(&strike.missing)
    );
    assert!(
        strike.missing.iter().all(|&n| n < strike.first_new),
        "lost numbers after {} reached the twin: {}",
        strike.first_new,
        ranges(&strike.missing)
    );
    assert!(
        strike.reconnect_s <= 3.0,
        "{:.2} s to reconnect",
        strike.reconnect_s
    );
}

/// The order that makes the promise: a message is acknowledged only once
/// its samples are applied. A twin that received ten numbers but ran no
/// frame leaves them unacknowledged, so the next twin on the session gets
/// them again; once that one applied them, a third gets nothing.
#[test]
fn a_message_is_acknowledged_only_once_applied() {
    let broker = Mosquitto::start();
    let s = setup("order");
    let lossless = Delivery::Lossless {
        client_id: s.client_id.clone(),
    };
    let start = || Twin::start_with(s.scene.clone(), broker.url(), lossless.clone());
    let first = start();
    let publisher = Publisher::connect(broker.port);
    for n in 1..=10 {
        publisher.publish("test/seq", &payload(n));
    }
    let counters = first.app.world().resource::<Ingest>().counters.clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while counters.get(&counters.received) < 10 {
        assert!(
            Instant::now() < deadline,
            "the first twin received {counters:?}"
        );
        thread::sleep(Duration::from_millis(10));
    }
    drop(first);

    let mut second = start();
    let snap = second.until("the ten come again", Duration::from_secs(20), |s| {
        s.ingest.applied >= 10
    });
    assert_eq!(snap.ingest.applied, 10);
    assert_eq!(common::value_of(&snap, "counter", "seq"), Some(10.0));
    second.run_for(Duration::from_millis(300));
    drop(second);

    let mut third = start();
    let snap = third.run_for(Duration::from_secs(2));
    assert_eq!(snap.ingest.applied, 0, "acknowledged messages came again");
}

/// A stamped reading is applied once: the same stamp again is a repeat
/// (counted); an older stamp not seen yet (a reading that arrives late)
/// and a later one apply.
#[test]
fn a_repeated_stamp_is_applied_once() {
    let broker = Mosquitto::start();
    let s = setup("stamp");
    let mut twin = Twin::start(s.scene.clone(), broker.url());
    let publisher = Publisher::connect(broker.port);
    // Subscribed once a first reading (stamped 1 s) shows; its copies repeat.
    let before =
        twin.publish_until_seen(&publisher, "test/seq", &payload(1), "counter", "seq", 1.0);
    let (applied, repeated) = (before.ingest.applied, before.ingest.repeated);
    for (n, ts) in [(2, 100), (3, 100), (4, 99), (5, 101)] {
        publisher.publish("test/seq", &format!(r#"{{"n": {n}, "ts": {ts}}}"#));
    }
    let snap = twin.until("four readings in", Duration::from_secs(20), |s| {
        s.ingest.applied + s.ingest.repeated >= applied + repeated + 4
    });
    assert_eq!(
        (
            snap.ingest.applied - applied,
            snap.ingest.repeated - repeated
        ),
        (3, 1)
    );
    assert_eq!(common::value_of(&snap, "counter", "seq"), Some(5.0));
}

/// A twin whose recording cannot be written (`/dev/full`) holds its
/// acknowledgements: what it applied but could not record stays with the
/// broker, and the next twin on the session gets it.
#[test]
fn a_recording_that_cannot_be_written_holds_the_acknowledgements() {
    let s = setup("full");
    let broker = Broker::start(s.port, &s.dir.join("broker"));
    let log = s.dir.join("full.log");
    let full = TwinProc::start_logged(
        &s.scene,
        broker.port,
        Path::new("/dev/full"),
        &log,
        &s.client_id,
    );
    // Long enough to subscribe (a persistent session from then on).
    thread::sleep(Duration::from_secs(3));
    let publisher = Publisher::connect(broker.port);
    for n in 1..=5 {
        publisher.publish("test/seq", &payload(n));
    }
    thread::sleep(Duration::from_secs(2));
    drop(full);
    let record = s.dir.join("after.csv");
    let _next = TwinProc::start(&s.scene, broker.port, &record, &s.client_id);
    let missing = wait_for(&[record], &[1, 2, 3, 4, 5], Duration::from_secs(20));
    assert!(
        missing.is_empty(),
        "acknowledged by the twin that could not record them: {}",
        ranges(&missing)
    );
}

//! Publish → applied latency, and memory, of the headless twin fed at a
//! steady rate from mosquitto on loopback.
//!
//! A publisher sends `LATENCY_RATE` messages a second (default 50,000)
//! spread over `LATENCY_SENSORS` topics (default 1,000, one sensor each,
//! plain numbers) for `LATENCY_SECS` seconds (default 60; 1800 for the
//! 30-minute soak); each payload is the time it was sent (µs since the Unix
//! epoch). The twin runs its frames at 60 Hz, as the headless runner
//! does; after each frame, every sample it applied is timed: the frame's
//! end minus the payload. One round at QoS 0, one lossless (QoS 1, each
//! message acknowledged after the frame that applied it), each after the
//! same load into a bare subscriber that only times arrivals (what the
//! broker and clients cost on this machine, without the twin).
//! `LATENCY_QOS=0` or `1` runs only that round.
//!
//! Run: `cargo bench --bench latency` (needs mosquitto);
//! the soak: `LATENCY_SECS=1800 LATENCY_QOS=1 cargo bench --bench latency`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rumqttc::{Client, MqttOptions, QoS};
use twinscape::app::{Options, headless_app};
use twinscape::telemetry::{AppliedSamples, BrokerUrl, Delivery, Ingest, TelemetrySource};

#[path = "support/mosquitto.rs"]
mod support;
use support::mosquitto;

/// The twin's frame period, as the headless runner paces it.
const FRAME: Duration = Duration::from_micros(16_667);
/// The publisher sends a batch every this often.
const BATCH_EVERY: Duration = Duration::from_millis(1);
/// Histogram buckets: 0.1 ms each, up to 10 s.
const BUCKET_US: u64 = 100;
const BUCKETS: usize = 100_000;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

/// Resident memory of this process (the twin is in it), MB.
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `sensors` twins with one sensor each, fed from `lat/{twin}`.
fn scene(sensors: u64) -> std::path::PathBuf {
    let mut text = String::from("(name: \"latency bench\", twins: [\n");
    for t in 0..sensors {
        text.push_str(&format!(
            "(id: \"s{t}\", name: \"S{t}\", kind: \"k\", sensors: [(name: \"v\", unit: \"us\", range: (0, 1))]),\n"
        ));
    }
    text.push_str("], templates: [(topic: \"lat/{twin}\", sensor: \"v\")])\n");
    let dir = std::env::temp_dir().join(format!("twinscape-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latency.scene.ron");
    std::fs::write(&path, text).unwrap();
    path
}

/// Publishes `rate` messages a second round the sensors until `stop`.
fn publisher(
    port: u16,
    rate: u64,
    sensors: u64,
    qos: QoS,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<u64> {
    let mut opts = MqttOptions::new(format!("latency-pub-{}", now_us()), "127.0.0.1", port);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    opts.set_inflight(u16::MAX);
    let (client, mut conn) = Client::new(opts, 65_536);
    thread::spawn(move || {
        for e in conn.iter() {
            if e.is_err() {
                thread::sleep(Duration::from_millis(100));
            }
        }
    });
    let topics: Vec<String> = (0..sensors).map(|t| format!("lat/s{t}")).collect();
    thread::spawn(move || {
        let start = Instant::now();
        let mut sent = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
            while sent < due {
                let topic = topics[(sent % sensors) as usize].clone();
                if client
                    .publish(topic, qos, false, now_us().to_string())
                    .is_err()
                {
                    return sent;
                }
                sent += 1;
            }
            thread::sleep(BATCH_EVERY);
        }
        sent
    })
}

struct Round {
    latencies: Vec<u64>,
    frames_ms: Vec<f64>,
    sent: u64,
    applied: u64,
    dropped: u64,
    rss: Vec<(u64, f64)>,
}

fn percentile(hist: &[u64], count: u64, p: f64) -> f64 {
    let want = ((count as f64) * p).ceil() as u64;
    let mut seen = 0;
    for (i, n) in hist.iter().enumerate() {
        seen += n;
        if seen >= want.max(1) {
            return (i as u64 * BUCKET_US + BUCKET_US / 2) as f64 / 1000.0;
        }
    }
    f64::INFINITY
}

fn round(port: u16, delivery: Delivery, qos: QoS, rate: u64, sensors: u64, secs: u64) -> Round {
    let opts = Options {
        scene: scene(sensors),
        source: TelemetrySource::Mqtt(BrokerUrl::local(port)),
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = headless_app(&opts);
    app.insert_resource(delivery);
    app.init_resource::<AppliedSamples>();
    app.finish();
    app.cleanup();
    let counters = app.world().resource::<Ingest>().counters.clone();
    while counters.get(&counters.connects) == 0 {
        app.update();
        thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..60 {
        app.update();
        thread::sleep(Duration::from_millis(5));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let publishing = publisher(port, rate, sensors, qos, stop.clone());
    let mut hist = vec![0u64; BUCKETS];
    let (mut frames_ms, mut rss) = (vec![], vec![]);
    let start = Instant::now();
    let mut next_rss = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        let next = Instant::now() + FRAME;
        let t = Instant::now();
        app.update();
        frames_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let done = now_us();
        for s in app.world_mut().resource_mut::<AppliedSamples>().0.drain(..) {
            let us = done.saturating_sub(s.value as u64);
            hist[((us / BUCKET_US) as usize).min(BUCKETS - 1)] += 1;
        }
        if start.elapsed().as_secs() >= next_rss {
            rss.push((next_rss, rss_mb()));
            next_rss += (secs / 10).max(1);
        }
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    stop.store(true, Ordering::Relaxed);
    let sent = publishing.join().unwrap();
    // What was sent before the stop arrives in the next frames.
    let settle = Instant::now();
    while counters.get(&counters.applied) < sent && settle.elapsed() < Duration::from_secs(10) {
        app.update();
        app.world_mut().resource_mut::<AppliedSamples>().0.clear();
        thread::sleep(FRAME);
    }
    rss.push((secs, rss_mb()));
    Round {
        latencies: hist,
        frames_ms,
        sent,
        applied: counters.get(&counters.applied),
        dropped: counters.get(&counters.dropped),
        rss,
    }
}

/// The same load into a subscriber that only times each message as it
/// arrives: what the broker and the clients cost here, without the twin.
fn bare_round(port: u16, qos: QoS, rate: u64, sensors: u64, secs: u64) -> (Vec<u64>, u64, u64) {
    let mut opts = MqttOptions::new(format!("latency-bare-{}", now_us()), "127.0.0.1", port);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut conn) = Client::new(opts, 64);
    client.subscribe("lat/#", qos).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = thread::spawn(move || {
        let mut hist = vec![0u64; BUCKETS];
        let mut got = 0u64;
        for event in conn.iter() {
            match event {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    let sent: u64 = std::str::from_utf8(&p.payload).unwrap().parse().unwrap();
                    let us = now_us().saturating_sub(sent);
                    hist[((us / BUCKET_US) as usize).min(BUCKETS - 1)] += 1;
                    got += 1;
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_))) => {
                    let _ = tx.send(());
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        (hist, got)
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("subscribed");
    let stop = Arc::new(AtomicBool::new(false));
    let publishing = publisher(port, rate, sensors, qos, stop.clone());
    thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let sent = publishing.join().unwrap();
    thread::sleep(Duration::from_secs(2));
    let _ = client.disconnect();
    let (hist, got) = reader.join().unwrap();
    (hist, sent, got)
}

fn report_bare(name: &str, (hist, sent, got): &(Vec<u64>, u64, u64)) {
    let n: u64 = hist.iter().sum();
    println!(
        "{name}, bare subscriber: sent {sent}, received {got}; publish → received p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(hist, n, 0.50),
        percentile(hist, n, 0.90),
        percentile(hist, n, 0.99),
        percentile(hist, n, 1.0),
    );
}

fn report(name: &str, r: &Round, rate: u64, secs: u64) {
    let n: u64 = r.latencies.iter().sum();
    let mut frames = r.frames_ms.clone();
    frames.sort_by(f64::total_cmp);
    let frame_p = |p: f64| frames[((frames.len() as f64 - 1.0) * p) as usize];
    println!(
        "{name}: {rate} msg/s for {secs} s: sent {}, applied {} ({} timed), dropped {}",
        r.sent, r.applied, n, r.dropped
    );
    println!(
        "  publish → applied: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (frame period {:.1} ms)",
        percentile(&r.latencies, n, 0.50),
        percentile(&r.latencies, n, 0.90),
        percentile(&r.latencies, n, 0.99),
        percentile(&r.latencies, n, 1.0),
        FRAME.as_secs_f64() * 1e3
    );
    println!(
        "  frame work: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} frames",
        frame_p(0.5),
        frame_p(0.99),
        frame_p(1.0),
        frames.len()
    );
    let rss: Vec<String> = r
        .rss
        .iter()
        .map(|(s, mb)| format!("{s} s {mb:.1} MB"))
        .collect();
    println!("  resident memory: {}", rss.join(", "));
}

fn main() {
    let rate = setting("LATENCY_RATE", 50_000);
    let sensors = setting("LATENCY_SENSORS", 1_000);
    let secs = setting("LATENCY_SECS", 60);
    let broker = mosquitto("max_queued_messages 0\n");
    // Side by side: the bare subscriber's round (a short one when the
    // twin's is a soak), then the twin's, at each QoS.
    let bare_secs = secs.min(60);
    let qos = std::env::var("LATENCY_QOS").unwrap_or_default();
    if qos != "1" {
        report_bare(
            "QoS 0",
            &bare_round(broker.1, QoS::AtMostOnce, rate, sensors, bare_secs),
        );
        let r = round(
            broker.1,
            Delivery::AtMostOnce,
            QoS::AtMostOnce,
            rate,
            sensors,
            secs,
        );
        report("QoS 0, the twin", &r, rate, secs);
    }
    if qos == "0" {
        return;
    }
    report_bare(
        "QoS 1",
        &bare_round(broker.1, QoS::AtLeastOnce, rate, sensors, bare_secs),
    );
    let lossless = Delivery::Lossless {
        client_id: format!("latency-bench-{}", std::process::id()),
    };
    let r = round(broker.1, lossless, QoS::AtLeastOnce, rate, sensors, secs);
    report("lossless (QoS 1), the twin", &r, rate, secs);
}

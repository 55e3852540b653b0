//! Ingest throughput, measured side by side in one run.
//!
//! 1. Network: mosquitto on loopback, one publisher sending the factory's own
//!    topics and payloads at QoS 0 as fast as it can. In alternating rounds
//!    the same load goes to (a) a bare rumqttc subscriber that only counts,
//!    and (b) the headless twin, timed until every sample is applied in the
//!    ECS. The ratio (b)/(a) says whether the broker or the twin is the limit.
//! 2. Memory: decode, route and apply samples fed from memory on one thread,
//!    with no network, for plain-number and JSON payloads.
//! 3. Lossless: the same at QoS 1 (publisher, subscriber and twin), the twin
//!    acknowledging each message only after the frame that applied it.
//!
//! Run: `cargo bench --bench ingest` (needs mosquitto on the PATH or in /usr/sbin).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

#[path = "support/mosquitto.rs"]
mod support;
use support::mosquitto;
use twinscape::app::{Options, headless_app, stepped_headless_app};
use twinscape::plant::{Plant, encode, outlets};
use twinscape::scene::format::{self, SceneDef};
use twinscape::telemetry::payload::decode_message;
use twinscape::telemetry::{BrokerUrl, Delivery, Ingest, Router, SampleChannel, TelemetrySource};

const SCENE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/factory.scene.ron");

fn scene() -> SceneDef {
    format::parse(&std::fs::read_to_string(SCENE).unwrap(), SCENE).unwrap()
}

/// `n` messages of the factory's own topics and payloads, from the plant model.
fn messages(scene: &SceneDef, n: usize, json: Option<bool>) -> Vec<(String, Vec<u8>)> {
    let outs: Vec<_> = outlets(scene)
        .into_iter()
        .filter(|o| json.is_none_or(|j| j == matches!(o.fields[0].1, format::Decode::Json(_))))
        .collect();
    let mut plant = Plant::new(scene, 3);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        plant.step(0.2);
        for o in &outs {
            if out.len() < n {
                out.push((o.topic.clone(), encode(o, plant.readings()).into_bytes()));
            }
        }
    }
    out
}

fn publish_all(port: u16, msgs: Arc<Vec<(String, Vec<u8>)>>, qos: QoS) -> thread::JoinHandle<()> {
    let mut opts = MqttOptions::new(
        format!("bench-pub-{}", Instant::now().elapsed().as_nanos()),
        "127.0.0.1",
        port,
    );
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut conn) = Client::new(opts, 4096);
    thread::spawn(move || {
        for e in conn.iter() {
            if e.is_err() {
                break;
            }
        }
    });
    thread::spawn(move || {
        for (topic, payload) in msgs.iter() {
            client
                .publish(topic.clone(), qos, false, payload.clone())
                .unwrap();
        }
        // Let the event loop flush before the client goes.
        thread::sleep(Duration::from_millis(500));
        let _ = client.disconnect();
    })
}

/// Messages per second into a subscriber that only counts.
fn bare_round(port: u16, msgs: &Arc<Vec<(String, Vec<u8>)>>, qos: QoS) -> (f64, u64) {
    let mut opts = MqttOptions::new("bench-bare", "127.0.0.1", port);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut conn) = Client::new(opts, 64);
    client.subscribe("#", qos).unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c2 = count.clone();
    thread::spawn(move || {
        for e in conn.iter() {
            match e {
                Ok(Event::Incoming(Packet::Publish(_))) => {
                    c2.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => c2.store(0, Ordering::Relaxed),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    thread::sleep(Duration::from_millis(300));
    let n = msgs.len() as u64;
    let start = Instant::now();
    let publisher = publish_all(port, msgs.clone(), qos);
    let deadline = start + Duration::from_secs(60);
    while count.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        thread::sleep(Duration::from_micros(200));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let got = count.load(Ordering::Relaxed);
    let _ = client.disconnect();
    publisher.join().unwrap();
    (got as f64 / elapsed, got)
}

/// Messages per second through the headless twin, until applied in the ECS.
fn twin_round(
    port: u16,
    msgs: &Arc<Vec<(String, Vec<u8>)>>,
    samples_per_round: u64,
    delivery: Delivery,
) -> (f64, u64) {
    let qos = match delivery {
        Delivery::AtMostOnce => QoS::AtMostOnce,
        Delivery::Lossless { .. } => QoS::AtLeastOnce,
    };
    let opts = Options {
        scene: SCENE.into(),
        source: TelemetrySource::Mqtt(BrokerUrl::local(port)),
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    // The delivery promise goes in before the first frame: the ingest
    // thread starts, with it, when the scene spawns.
    let mut app = headless_app(&opts);
    app.insert_resource(delivery);
    app.finish();
    app.cleanup();
    let counters = |app: &bevy::app::App| app.world().resource::<Ingest>().counters.clone();
    while counters(&app).get(&counters(&app).connects) == 0 {
        app.update();
        thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..60 {
        app.update();
        thread::sleep(Duration::from_millis(5));
    }
    let c = counters(&app);
    let start = Instant::now();
    let publisher = publish_all(port, msgs.clone(), qos);
    let deadline = start + Duration::from_secs(60);
    // Frames at 60 Hz, as the headless runner paces them: the main thread
    // does not spin and steal a core from the broker on this 2-core box.
    let frame = Duration::from_secs_f64(1.0 / 60.0);
    while c.get(&c.applied) < samples_per_round && Instant::now() < deadline {
        let next = Instant::now() + frame;
        app.update();
        if c.get(&c.applied) < samples_per_round {
            thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    publisher.join().unwrap();
    let received = c.get(&c.received);
    assert_eq!(c.get(&c.rejected), 0, "{:?}", c.last_reject());
    assert_eq!(c.get(&c.dropped), 0, "samples dropped by a full channel");
    (received as f64 / elapsed, received)
}

fn memory(scene: &SceneDef, msgs: &[(String, Vec<u8>)]) -> (f64, f64, u64) {
    let router = Router::from_scene(scene);
    // Decode and route only.
    let mut sink = 0u64;
    let t = Instant::now();
    for (topic, payload) in msgs {
        sink += decode_message(&router, topic, payload, 1, |s| {
            std::hint::black_box(s);
        })
        .0 as u64;
    }
    let decode_rate = sink as f64 / t.elapsed().as_secs_f64();

    // The whole path: decode, route, channel, apply in the ECS (frames of 10,000 messages).
    let opts = Options {
        scene: SCENE.into(),
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = stepped_headless_app(&opts).expect("the factory scene loads");
    let tx = app.world().resource::<SampleChannel>().tx.clone();
    let t = Instant::now();
    let mut samples = 0u64;
    for chunk in msgs.chunks(10_000) {
        for (topic, payload) in chunk {
            samples +=
                decode_message(&router, topic, payload, 1, |s| tx.try_send(s).unwrap()).0 as u64;
        }
        app.update();
    }
    let full_rate = samples as f64 / t.elapsed().as_secs_f64();
    let c = app.world().resource::<Ingest>().counters.clone();
    assert_eq!(c.get(&c.applied), samples);
    (decode_rate, full_rate, samples)
}

fn main() {
    let scene = scene();
    println!(
        "# twinscape ingest benchmark ({} cores)",
        thread::available_parallelism().map_or(1, |n| n.get())
    );

    println!("\n## from memory, one thread (decode + route + apply)");
    for (label, json) in [
        ("plain numbers", Some(false)),
        ("JSON (field paths)", Some(true)),
        ("factory mix", None),
    ] {
        let msgs = messages(&scene, 1_000_000, json);
        let (decode, full, samples) = memory(&scene, &msgs);
        println!(
            "{label:>20}: {samples} samples, decode+route {:.2} M samples/s, with apply in ECS {:.2} M samples/s",
            decode / 1e6,
            full / 1e6
        );
    }

    println!("\n## from mosquitto on loopback, QoS 0, factory mix");
    let n = 300_000;
    let msgs = Arc::new(messages(&scene, n, None));
    let router = Router::from_scene(&scene);
    let samples: u64 = msgs
        .iter()
        .map(|(t, p)| decode_message(&router, t, p, 1, |_| {}).0 as u64)
        .sum();
    let broker = mosquitto("");
    let (mut bare, mut twin) = (vec![], vec![]);
    for round in 1..=5 {
        let (b, bn) = bare_round(broker.1, &msgs, QoS::AtMostOnce);
        let (t, tn) = twin_round(broker.1, &msgs, samples, Delivery::AtMostOnce);
        println!(
            "round {round}: bare subscriber {b:>9.0} msg/s ({bn}/{n}), twin applied {t:>9.0} msg/s ({tn}/{n})  ratio {:.2}",
            t / b
        );
        bare.push(b);
        twin.push(t);
    }
    let mut ratios: Vec<f64> = twin.iter().zip(&bare).map(|(t, b)| t / b).collect();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median of {} rounds: bare {:.0} msg/s, twin {:.0} msg/s, twin/bare per round {:.2}",
        ratios.len(),
        median(&mut bare),
        median(&mut twin),
        median(&mut ratios)
    );
    lossless(&scene);
}

/// QoS 1 end to end: a publisher at QoS 1, and in turn a bare QoS 1
/// subscriber (rumqttc acknowledges on receipt) and the lossless twin
/// (acknowledges after the frame that applied the message), on a mosquitto
/// with its defaults but an unlimited queue (its default, 1,000, drops what
/// a slow subscriber has not taken). The broker's in-flight window bounds
/// what the twin gets per frame (it acknowledges once a frame).
fn lossless(scene: &SceneDef) {
    println!(
        "\n## lossless (QoS 1, acknowledged after applying), mosquitto's defaults, unlimited queue"
    );
    let n = 30_000;
    let msgs = Arc::new(messages(scene, n, None));
    let router = Router::from_scene(scene);
    let samples: u64 = msgs
        .iter()
        .map(|(t, p)| decode_message(&router, t, p, 1, |_| {}).0 as u64)
        .sum();
    let broker = mosquitto("max_queued_messages 0\n");
    for round in 1..=3 {
        let (b, bn) = bare_round(broker.1, &msgs, QoS::AtLeastOnce);
        let delivery = Delivery::Lossless {
            client_id: format!("bench-lossless-{round}"),
        };
        let (t, tn) = twin_round(broker.1, &msgs, samples, delivery);
        println!(
            "round {round}: bare QoS 1 subscriber {b:>9.0} msg/s ({bn}/{n}), lossless twin applied {t:>9.0} msg/s ({tn}/{n})  ratio {:.2}",
            t / b
        );
    }
}

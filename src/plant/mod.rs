//! The stand-in plant: a simulator that publishes realistic readings for every
//! bound sensor of a scene, over real MQTT.
//!
//! It knows the twin only as a scene description and talks to it only through
//! the broker, as a real plant would, so it could run in another process.
//! Machines run duty cycles (busy, then idle), readings carry noise and lag,
//! one machine wears and drifts towards its alarm limit until it fails and is
//! repaired, and any machine can have a short fault. A topic that someone
//! else publishes to (a tutorial publisher on `sensor/temperature`, or a
//! device sending JSON to `factory/cnc-2/telemetry`) is left to them for
//! 30 seconds after their last message.

mod city;
#[cfg(test)]
mod countdown_tests;
mod offline;
mod signal;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, Packet, QoS};
use serde_json::{Map, Value};

use crate::scene::format::{Decode, SceneDef};
use crate::telemetry::BrokerUrl;
use crate::telemetry::mqtt::options;
pub use offline::write_recording;
pub use signal::{Plant, Rng};

/// How long a topic is left to an outside publisher after its last message.
const YIELD_FOR: Duration = Duration::from_secs(30);

/// Payloads the plant remembers per topic to recognise its own messages
/// when the broker sends them back.
const RECENT_PAYLOADS: usize = 32;

/// One topic the plant publishes and the sensors it carries.
#[derive(Debug, Clone)]
pub struct Outlet {
    pub topic: String,
    /// (sensor number in scene order, how the twin decodes it)
    pub fields: Vec<(usize, Decode)>,
}

/// The concrete topics for every bound sensor of `scene`. A wildcard binding
/// gets the twin id for `+` and the sensor name for `#`.
pub fn outlets(scene: &SceneDef) -> Vec<Outlet> {
    let mut by_topic: Vec<Outlet> = Vec::new();
    for (i, (twin, sensor)) in scene.sensors().enumerate() {
        let Some((filter, decode)) = scene.binding_of(twin, sensor) else {
            continue;
        };
        let topic: String = filter
            .split('/')
            .map(|l| match l {
                "+" => twin.id.as_str(),
                "#" => sensor.name.as_str(),
                other => other,
            })
            .collect::<Vec<_>>()
            .join("/");
        match by_topic
            .iter_mut()
            .find(|o| o.topic == topic && matches!(decode, Decode::Json(_)))
        {
            Some(outlet)
                if outlet
                    .fields
                    .iter()
                    .all(|(_, d)| matches!(d, Decode::Json(_))) =>
            {
                outlet.fields.push((i, decode))
            }
            _ => by_topic.push(Outlet {
                topic,
                fields: vec![(i, decode)],
            }),
        }
    }
    by_topic
}

/// Encodes the readings of one outlet as its sensors' decoders expect.
pub fn encode(outlet: &Outlet, values: &[f64]) -> String {
    match &outlet.fields[..] {
        [(i, Decode::Number)] => format!("{:.3}", values[*i]),
        fields => {
            let mut doc = Value::Object(Map::new());
            for (i, decode) in fields {
                if let Decode::Json(path) = decode {
                    let mut node = &mut doc;
                    for key in path.split('.') {
                        if !node.is_object() {
                            *node = Value::Object(Map::new());
                        }
                        node = node
                            .as_object_mut()
                            .expect("made an object above")
                            .entry(key)
                            .or_insert(Value::Null);
                    }
                    *node = serde_json::json!((values[*i] * 1000.0).round() / 1000.0);
                }
            }
            doc.to_string()
        }
    }
}

/// Owns the plant's threads; dropping it stops them.
pub struct PlantHandle {
    stop: Arc<AtomicBool>,
}

impl Drop for PlantHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Yielded {
    recent: HashMap<String, VecDeque<String>>,
    until: HashMap<String, Instant>,
}

/// The filters the scene's subscribers use (the twin, the page and the
/// plant alike).
fn subscriptions(scene: &SceneDef) -> Vec<String> {
    crate::telemetry::topic::Router::from_scene(scene).subscriptions()
}

/// The embedded broker's log size for each filter of `scene` (see
/// [`crate::telemetry::broker::log_sizes`]), from the topics the plant
/// publishes.
pub fn broker_logs(scene: &SceneDef) -> HashMap<String, usize> {
    let topics: Vec<String> = outlets(scene).into_iter().map(|o| o.topic).collect();
    crate::telemetry::broker::log_sizes(&subscriptions(scene), &topics)
}

/// Starts the plant: it connects to `broker` and publishes every outlet
/// `rate_hz` times a second.
pub fn spawn(scene: &SceneDef, broker: &BrokerUrl, seed: u64, rate_hz: f64) -> PlantHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let outlets = outlets(scene);
    // The plant (and its process model) lives on its own thread.
    let scene = scene.clone();
    let (client, mut connection) = Client::new(
        options(broker, &format!("twinscape-plant-{}", std::process::id())),
        1024,
    );
    let yielded = Arc::new(Mutex::new(Yielded::default()));
    // Every topic it publishes, to notice someone else publishing there;
    // it subscribes with the twin's own filters, which the broker sizes.
    let watched: HashSet<String> = outlets.iter().map(|o| o.topic.clone()).collect();
    let filters = subscriptions(&scene);

    let (stop_rx, watch, sub_client) = (stop.clone(), yielded.clone(), client.clone());
    let _ = thread::Builder::new()
        .name("plant-mqtt".into())
        .spawn(move || {
            for event in connection.iter() {
                if stop_rx.load(Ordering::Relaxed) {
                    let _ = sub_client.try_disconnect();
                    break;
                }
                match event {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        for filter in &filters {
                            let _ = sub_client.try_subscribe(filter.clone(), QoS::AtMostOnce);
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) if watched.contains(&p.topic) => {
                        let payload = String::from_utf8_lossy(&p.payload);
                        let mut y = watch.lock().unwrap_or_else(|e| e.into_inner());
                        let ours = y
                            .recent
                            .get(&p.topic)
                            .is_some_and(|r| r.iter().any(|s| *s == payload));
                        if !ours {
                            y.until.insert(p.topic.clone(), Instant::now() + YIELD_FOR);
                        }
                    }
                    Ok(_) => {}
                    Err(_) => thread::sleep(Duration::from_millis(500)),
                }
            }
        });

    let stop_tick = stop.clone();
    let _ = thread::Builder::new().name("plant".into()).spawn(move || {
        let mut plant = Plant::new(&scene, seed);
        let period = Duration::from_secs_f64(1.0 / rate_hz.max(0.1));
        let mut next = Instant::now();
        while !stop_tick.load(Ordering::Relaxed) {
            plant.step(period.as_secs_f64());
            let values = plant.readings();
            for outlet in &outlets {
                let payload = encode(outlet, values);
                {
                    let mut y = yielded.lock().unwrap_or_else(|e| e.into_inner());
                    if y.until
                        .get(&outlet.topic)
                        .is_some_and(|t| *t > Instant::now())
                    {
                        continue;
                    }
                    let recent = y.recent.entry(outlet.topic.clone()).or_default();
                    recent.push_back(payload.clone());
                    if recent.len() > RECENT_PAYLOADS {
                        recent.pop_front();
                    }
                }
                if client
                    .publish(outlet.topic.clone(), QoS::AtMostOnce, false, payload)
                    .is_err()
                {
                    return;
                }
            }
            next += period;
            let now = Instant::now();
            if next > now {
                thread::sleep(next - now);
            } else {
                next = now;
            }
        }
    });
    PlantHandle { stop }
}

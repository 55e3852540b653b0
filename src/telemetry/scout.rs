//! The topic scout: a second, read-only MQTT connection that subscribes to
//! every topic (`#`, at most once) while the editor is open, and keeps what
//! the broker carries in `Carried` for the topic browser. It is apart from
//! ingest, so the twin's own subscriptions, deliveries and counters are not
//! touched; it ends when dropped. A broker that refuses `#` (an ACL) shows
//! as the scout's error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, Packet, QoS, SubscribeReasonCode};

use super::BrokerUrl;
use super::carried::Carried;
use super::mqtt::options;

/// How long the scout waits before it connects again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// The scout's shared view: what was carried, and its last error.
#[derive(Default)]
pub struct ScoutView {
    pub carried: Carried,
    pub error: Option<String>,
    /// When the scout started: `Carried`'s clock counts from here.
    pub started: Option<Instant>,
}

pub struct TopicScout {
    pub view: Arc<Mutex<ScoutView>>,
    stop: Arc<AtomicBool>,
    client: Client,
}

impl TopicScout {
    pub fn spawn(broker: &BrokerUrl) -> TopicScout {
        let id = format!("twinscape-scout-{}", std::process::id());
        let (client, mut connection) = Client::new(options(broker, &id), 64);
        let started = Instant::now();
        let view = Arc::new(Mutex::new(ScoutView {
            started: Some(started),
            ..ScoutView::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (v, halt, c) = (view.clone(), stop.clone(), client.clone());
        thread::Builder::new()
            .name("topic-scout".into())
            .spawn(move || {
                for event in connection.iter() {
                    if halt.load(Ordering::Relaxed) {
                        break;
                    }
                    let now = started.elapsed().as_secs_f64();
                    match event {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            let _ = c.try_subscribe("#", QoS::AtMostOnce);
                            v.lock().unwrap().error = None;
                        }
                        Ok(Event::Incoming(Packet::SubAck(ack)))
                            if ack.return_codes.contains(&SubscribeReasonCode::Failure) =>
                        {
                            v.lock().unwrap().error =
                                Some("the broker refused a subscription to every topic (#)".into());
                        }
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            v.lock().unwrap().carried.record(&p.topic, &p.payload, now);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            v.lock().unwrap().error = Some(format!("topic scout: {e}"));
                            thread::sleep(RETRY);
                        }
                    }
                }
            })
            .expect("spawning the topic scout thread");
        TopicScout { view, stop, client }
    }
}

impl Drop for TopicScout {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.client.try_disconnect();
    }
}

//! Telemetry: from MQTT messages to sensor values on the twins.
//!
//! The pure parts (`topic`, `payload`, `delivery`'s policy, `carried`, the
//! browser's MQTT client `ws`) decode, route and keep state; the native
//! edge (`mqtt`, `broker`, `scout`, `tls`) owns sockets and threads, and
//! in the browser `browser` drives `ws` from a WebSocket. This plugin
//! connects them to the ECS: when a scene is spawned it starts the ingest
//! thread for that scene's router, and `apply_samples` drains the bounded
//! channel once per frame into the sensors' `SensorValue`s.

mod apply;
pub mod carried;
pub mod delivery;
pub mod payload;
pub mod topic;
pub mod ws;

#[cfg(not(target_arch = "wasm32"))]
pub mod broker;
#[cfg(target_arch = "wasm32")]
pub(crate) mod browser;
#[cfg(not(target_arch = "wasm32"))]
pub mod mqtt;
#[cfg(not(target_arch = "wasm32"))]
pub mod scout;
#[cfg(not(target_arch = "wasm32"))]
pub mod tls;

use std::str::FromStr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use crossbeam_channel::{Receiver, Sender, TrySendError};

pub use apply::AppliedSamples;
pub(crate) use apply::apply_samples;
pub use delivery::Delivery;
pub use payload::Sample;
pub use topic::Router;

use crate::TwinSet;
use crate::scene::SceneSpawned;

/// Samples waiting between the ingest thread and the next frame: room for a
/// frame in which 100,000 sensors each report (about 12.6 MB with the
/// channel's own slots, allocated once: BENCHMARKS.md, "City at scale").
pub(crate) const CHANNEL_CAPACITY: usize = 1 << 18;

pub(crate) fn plugin(app: &mut App) {
    let (tx, rx) = crossbeam_channel::bounded(CHANNEL_CAPACITY);
    app.insert_resource(SampleChannel { tx, rx })
        .init_resource::<Ingest>()
        .init_resource::<TwinClock>()
        .init_resource::<delivery::PendingAcks>()
        .add_systems(
            Update,
            (tick_clock, start_ingest, apply_samples)
                .chain()
                .in_set(TwinSet::Ingest),
        )
        .add_systems(Last, delivery::acknowledge.in_set(delivery::Acknowledge));
}

/// The twin's "now", in seconds since the Unix epoch: the wall clock for
/// live data, the file's time during a replay. Alarms, data quality and the
/// panels judge time by it, so a replay ages data as it was recorded.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub(crate) struct TwinClock {
    pub now_s: f64,
    /// Set while a replay drives the clock.
    pub replaying: bool,
}

fn tick_clock(mut clock: ResMut<TwinClock>) {
    if !clock.replaying {
        clock.now_s = now_s();
    }
}

/// Where live data comes from.
#[derive(Resource, Clone, Debug)]
pub enum TelemetrySource {
    /// An MQTT broker over TCP.
    Mqtt(BrokerUrl),
    /// An MQTT broker over WebSocket (`ws://host:port/path`): the browser's
    /// way in.
    WebSocket(String),
    /// Nothing outside the app: samples come only through `SampleChannel`
    /// (replays, tests, benchmarks).
    Channel,
}

/// The bounded channel that carries decoded samples into the ECS.
#[derive(Resource, Clone)]
pub struct SampleChannel {
    pub tx: Sender<Sample>,
    pub rx: Receiver<Sample>,
}

/// The state of the ingest: its counters and, natively, its thread.
#[derive(Resource, Default)]
pub struct Ingest {
    pub counters: Arc<IngestCounters>,
    #[cfg(not(target_arch = "wasm32"))]
    thread: Option<mqtt::IngestThread>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum LinkState {
    Idle = 0,
    Connecting = 1,
    Connected = 2,
    Reconnecting = 3,
    Stopped = 4,
}

/// Counters shared with the ingest thread. `received` counts messages,
/// `applied` samples written to twins, `rejected` messages (or the parts of
/// one) that could not be decoded or bound, `dropped` samples lost to a full
/// channel, `repeated` stamped samples not applied because their sensor
/// applied one with the same stamp lately (redeliveries).
#[derive(Default, Debug)]
pub struct IngestCounters {
    pub received: AtomicU64,
    pub applied: AtomicU64,
    pub rejected: AtomicU64,
    pub dropped: AtomicU64,
    pub repeated: AtomicU64,
    pub connects: AtomicU64,
    link: AtomicU8,
    last_reject: Mutex<Option<String>>,
    last_error: Mutex<Option<String>>,
}

impl IngestCounters {
    pub(crate) fn reject(&self, reason: String) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_reject.lock() {
            *last = Some(reason);
        }
    }
    pub(crate) fn set_error(&self, error: String) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error);
        }
    }
    pub(crate) fn set_link(&self, state: LinkState) {
        self.link.store(state as u8, Ordering::Relaxed);
    }
    pub(crate) fn link(&self) -> LinkState {
        match self.link.load(Ordering::Relaxed) {
            1 => LinkState::Connecting,
            2 => LinkState::Connected,
            3 => LinkState::Reconnecting,
            4 => LinkState::Stopped,
            _ => LinkState::Idle,
        }
    }
    pub fn last_reject(&self) -> Option<String> {
        self.last_reject.lock().ok().and_then(|l| l.clone())
    }
    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|l| l.clone())
    }
    pub fn get(&self, counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// An MQTT broker address: `mqtt://[user@]host[:port]`, `host[:port]`, or
/// `mqtts://[user@]host[:port]` for TLS (port 8883 unless given).
/// A password is never taken from the command line (the process list and
/// shell history show it): it comes from `TWINSCAPE_MQTT_PASSWORD` or the
/// file `TWINSCAPE_MQTT_PASSWORD_FILE` names (the CLI sets it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `mqtts://`: TLS to the broker.
    pub tls: bool,
    /// Its client configuration (the CA, and the twin's own certificate for
    /// mutual TLS), which the CLI reads from `--ca`, `--cert`, `--key`.
    #[cfg(not(target_arch = "wasm32"))]
    pub tls_config: Option<tls::TlsConfig>,
}

/// The port of MQTT over TLS when the URL gives none.
const MQTTS_PORT: u16 = 8883;
/// The port of plain MQTT when the URL gives none.
const MQTT_PORT: u16 = 1883;

impl BrokerUrl {
    pub fn local(port: u16) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            tls: false,
            #[cfg(not(target_arch = "wasm32"))]
            tls_config: None,
        }
    }
}

impl std::fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        match &self.username {
            Some(user) => write!(f, "{scheme}://{user}@{}:{}", self.host, self.port),
            None => write!(f, "{scheme}://{}:{}", self.host, self.port),
        }
    }
}

impl FromStr for BrokerUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (tls, rest) = match s.split_once("://") {
            Some(("mqtt" | "tcp", rest)) => (false, rest),
            Some(("mqtts" | "ssl", rest)) => (true, rest),
            Some((scheme, _)) => {
                return Err(format!(
                    "broker URL \"{s}\": scheme \"{scheme}\" is not supported \
                     (use mqtt://host:port, or mqtts://host:port for TLS)"
                ));
            }
            None => (false, s),
        };
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((auth, hp)) => (Some(auth), hp),
            None => (None, rest),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => {
                let port = p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
                    format!("broker URL \"{s}\": port \"{p}\" is not a number from 1 to 65535")
                })?;
                (h, port)
            }
            None => (hostport, if tls { MQTTS_PORT } else { MQTT_PORT }),
        };
        if host.is_empty() || host.contains(['/', ' ']) {
            return Err(format!("broker URL \"{s}\": expected mqtt://host:port"));
        }
        if auth.is_some_and(|a| a.contains(':')) {
            return Err(format!(
                "broker URL \"{}\": a password on the command line shows in the process \
                 list and the shell's history; give it in TWINSCAPE_MQTT_PASSWORD or in a \
                 file named by TWINSCAPE_MQTT_PASSWORD_FILE",
                s.replace(auth.unwrap_or_default(), "USER:…")
            ));
        }
        let username = auth.map(str::to_string);
        Ok(BrokerUrl {
            host: host.to_string(),
            port,
            username,
            tls,
            ..BrokerUrl::local(port)
        })
    }
}

/// One MQTT message into samples on the channel, counted the same way by
/// every ingest (the native thread, the browser's socket): `received`;
/// `dropped` for each sample `send` refused as `Full`; `rejected`, with the
/// reason, for what could not be decoded or bound. False once `send` says
/// `Disconnected` (the app has gone, or the ingest stops).
pub(crate) fn ingest_message(
    router: &Router,
    topic: &str,
    payload: &[u8],
    counters: &IngestCounters,
    mut send: impl FnMut(Sample) -> Result<(), TrySendError<Sample>>,
) -> bool {
    counters.received.fetch_add(1, Ordering::Relaxed);
    let mut open = true;
    let (_, err) = payload::decode_message(router, topic, payload, now_ms(), |s| {
        if !open {
            return;
        }
        match send(s) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => open = false,
        }
    });
    if let Some(reject) = err {
        counters.reject(reject.to_string());
    }
    open
}

/// Milliseconds since the Unix epoch (works in the browser too).
pub fn now_ms() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Seconds since the Unix epoch, the time base of analytics and alarms.
pub fn now_s() -> f64 {
    now_ms() as f64 / 1000.0
}

// In the browser the ingest has no thread to replace, so `ingest` is not mutated there.
#[cfg_attr(target_arch = "wasm32", allow(unused_mut))]
fn start_ingest(
    mut spawned: MessageReader<SceneSpawned>,
    source: Option<Res<TelemetrySource>>,
    delivery: Option<Res<Delivery>>,
    mut ingest: ResMut<Ingest>,
    channel: Res<SampleChannel>,
) {
    let Some(event) = spawned.read().last() else {
        return;
    };
    let Some(source) = source else { return };
    match &*source {
        #[cfg(not(target_arch = "wasm32"))]
        TelemetrySource::Mqtt(broker) => {
            let router = Arc::new(Router::from_scene(&event.scene));
            let delivery = delivery.map(|d| d.clone()).unwrap_or_default();
            info!(
                "subscribing to {} topic filter(s) on {broker} ({})",
                router.filters().len(),
                match &delivery {
                    Delivery::AtMostOnce => "QoS 0".to_string(),
                    Delivery::Lossless { client_id } =>
                        format!("QoS 1, lossless, session \"{client_id}\""),
                }
            );
            ingest.thread = None;
            ingest.counters.set_link(LinkState::Connecting);
            ingest.thread = Some(mqtt::spawn(
                broker,
                &delivery,
                router,
                channel.tx.clone(),
                ingest.counters.clone(),
            ));
        }
        #[cfg(target_arch = "wasm32")]
        TelemetrySource::Mqtt(broker) => {
            let _ = (event, &channel);
            ingest.counters.set_error(format!(
                "MQTT over TCP ({broker}) is not available in the browser"
            ));
        }
        #[cfg(target_arch = "wasm32")]
        TelemetrySource::WebSocket(url) => {
            let _ = delivery;
            let router = Arc::new(Router::from_scene(&event.scene));
            info!(
                "subscribing to {} topic filter(s) on {url}",
                router.filters().len()
            );
            browser::start(url, router, channel.tx.clone(), ingest.counters.clone());
        }
        #[cfg(not(target_arch = "wasm32"))]
        TelemetrySource::WebSocket(url) => {
            ingest.counters.set_link(LinkState::Stopped);
            ingest.counters.set_error(format!(
                "MQTT over WebSocket ({url}) is the browser's way in; natively use mqtt://"
            ));
        }
        TelemetrySource::Channel => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_parse() {
        assert_eq!(
            "mqtt://example.org:1884".parse(),
            Ok(BrokerUrl {
                port: 1884,
                ..BrokerUrl::local(0).with_host("example.org")
            })
        );
        assert_eq!(
            "localhost".parse(),
            Ok(BrokerUrl {
                port: 1883,
                ..BrokerUrl::local(0).with_host("localhost")
            })
        );
        let with_user: BrokerUrl = "mqtt://ann@10.0.0.5:1883/".parse().unwrap();
        assert_eq!(
            (with_user.username.as_deref(), with_user.password.as_deref()),
            (Some("ann"), None)
        );
        assert_eq!(with_user.to_string(), "mqtt://ann@10.0.0.5:1883");
        let refused = "mqtt://ann:s3cret@10.0.0.5:1883/"
            .parse::<BrokerUrl>()
            .unwrap_err();
        assert!(
            refused.contains("TWINSCAPE_MQTT_PASSWORD_FILE") && !refused.contains("s3cret"),
            "a password in the URL is refused, and not repeated: {refused}"
        );
        assert!(
            "mqtt://host:99999"
                .parse::<BrokerUrl>()
                .unwrap_err()
                .contains("port \"99999\"")
        );
        assert!(
            "ws://host:80"
                .parse::<BrokerUrl>()
                .unwrap_err()
                .contains("scheme \"ws\"")
        );
        assert!("mqtt://:1883".parse::<BrokerUrl>().is_err());
    }

    impl BrokerUrl {
        fn with_host(mut self, host: &str) -> Self {
            self.host = host.into();
            self
        }
    }
}

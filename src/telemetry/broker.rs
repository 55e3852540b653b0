//! The embedded MQTT broker (rumqttd) that `twinscape` starts when no
//! `--broker` is given, so a fresh clone shows live data with one command.
//! It listens on TCP (the twin, the simulated plant) and on WebSocket (the
//! browser build, which cannot open TCP sockets).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::thread;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// Bytes of messages the embedded broker keeps per topic in one segment of
/// its in-memory log (rumqttd's minimum is 1 KiB).
///
/// rumqttd keeps every topic's messages in a commit log so that a slow
/// subscriber can catch up; it frees the oldest segment only when the log
/// holds `LOG_SEGMENTS` full ones. A broker inside a twin serves one
/// subscriber on the same machine and only needs what is in flight: 16 KiB
/// is several hundred readings of one sensor (a minute or more at the
/// plant's rates), and memory stays flat at about
/// `topics × LOG_SEGMENT_BYTES × (LOG_SEGMENTS + 1)` (≈ 4 MB for the
/// factory's ~80 topics), where 16 MiB × 10 grew by 7–22 MB a minute.
const LOG_SEGMENT_BYTES: usize = 16 << 10;

/// Full segments kept per topic besides the one being written.
const LOG_SEGMENTS: usize = 2;

/// The first port from `preferred` upward (at most 50 tries), other than
/// those `taken`, that 127.0.0.1 can listen on.
pub(crate) fn free_port(preferred: u16, taken: &[u16]) -> Option<u16> {
    (preferred..preferred.saturating_add(50))
        .filter(|p| !taken.contains(p))
        .find(|&p| TcpListener::bind(("127.0.0.1", p)).is_ok())
}

/// The ports the embedded broker listens on, both on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listeners {
    /// MQTT over TCP: the twin, the simulated plant, mosquitto_pub.
    pub tcp: u16,
    /// MQTT over WebSocket (subprotocol `mqtt`, binary frames): the browser.
    pub ws: u16,
}

impl Listeners {
    /// The address a browser opens. rumqttd answers on any path; `/mqtt`
    /// is the one MQTT-over-WebSocket clients use by convention.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/mqtt", self.ws)
    }
}

/// Starts rumqttd with a TCP listener at `tcp_preferred` (or the next free
/// port) and a WebSocket listener at `ws_preferred` (or the next free port
/// that is not the TCP one), and returns both ports. The broker runs on its
/// own threads for the life of the process.
pub fn start(tcp_preferred: u16, ws_preferred: u16) -> Result<Listeners, String> {
    let no_port = |from: u16| format!("no free port from {from} to {}", from.saturating_add(49));
    let tcp = free_port(tcp_preferred, &[]).ok_or_else(|| no_port(tcp_preferred))?;
    let ws = free_port(ws_preferred, &[tcp]).ok_or_else(|| no_port(ws_preferred))?;
    let server = |name: &str, port: u16| ServerSettings {
        name: name.into(),
        listen: ([127, 0, 0, 1], port).into(),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 1_000,
            max_outgoing_packet_count: 1_000,
            max_segment_size: LOG_SEGMENT_BYTES,
            max_segment_count: LOG_SEGMENTS,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(HashMap::from([(
            "1".to_string(),
            server("v4-embedded", tcp),
        )])),
        v5: None,
        // rumqttd speaks MQTT 3.1.1 on its WebSocket listeners.
        ws: Some(HashMap::from([(
            "1".to_string(),
            server("ws-embedded", ws),
        )])),
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    };
    thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = Broker::new(config).start() {
                bevy::log::error!("embedded MQTT broker stopped: {e}");
            }
        })
        .map_err(|e| format!("could not start the broker thread: {e}"))?;
    // Wait until both accept connections, so clients connect on the first try.
    for port in [tcp, ws] {
        let listen: SocketAddr = ([127, 0, 0, 1], port).into();
        if !accepts_within(listen, 200) {
            return Err(format!(
                "the embedded broker did not start listening on {listen}"
            ));
        }
    }
    Ok(Listeners { tcp, ws })
}

/// Whether `addr` accepts a connection within `tries` tries 10 ms apart.
fn accepts_within(addr: SocketAddr, tries: u32) -> bool {
    for _ in 0..tries {
        if std::net::TcpStream::connect(addr).is_ok() {
            return true;
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

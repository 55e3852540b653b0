//! The embedded MQTT broker (rumqttd) that `twinscape` starts when no
//! `--broker` is given, so a fresh clone shows live data with one command.

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

/// The first port from `preferred` upward (at most 50 tries) that 127.0.0.1
/// can listen on.
pub(crate) fn free_port(preferred: u16) -> Option<u16> {
    (preferred..preferred.saturating_add(50)).find(|&p| TcpListener::bind(("127.0.0.1", p)).is_ok())
}

/// Starts rumqttd on 127.0.0.1 at `preferred` or the next free port and
/// returns the port. The broker runs on its own threads for the life of the
/// process.
pub fn start(preferred: u16) -> Result<u16, String> {
    let port = free_port(preferred)
        .ok_or_else(|| format!("no free port from {preferred} to {}", preferred + 49))?;
    let listen: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = ServerSettings {
        name: "v4-embedded".into(),
        listen,
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
        v4: Some(HashMap::from([("1".to_string(), server)])),
        v5: None,
        ws: None,
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
    // Wait until it accepts connections, so clients connect on the first try.
    for _ in 0..200 {
        if std::net::TcpStream::connect(listen).is_ok() {
            return Ok(port);
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(format!(
        "the embedded broker did not start listening on {listen}"
    ))
}

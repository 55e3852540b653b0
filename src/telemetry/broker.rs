//! The embedded MQTT broker (rumqttd) that `twinscape` starts when no
//! `--broker` is given, so a fresh clone shows live data with one command.
//! It listens on TCP (the twin, the simulated plant) and on WebSocket (the
//! browser build, which cannot open TCP sockets).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::thread;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, SegmentConfig, ServerSettings};

use crate::topic_filter::covers;

/// Bytes of messages the embedded broker keeps in one segment of a
/// filter's in-memory log when it knows nothing about the filter (rumqttd's
/// minimum is 1 KiB).
///
/// rumqttd keeps the messages of each subscription filter in a commit log
/// so that a slow subscriber can catch up; it frees the oldest segment only
/// when the log holds `LOG_SEGMENTS` full ones, and a subscriber that falls
/// further behind than the log reaches silently skips to its head (lost
/// readings, even at QoS 1). A broker inside a twin serves subscribers on
/// the same machine and only needs what is in flight, so each filter's log
/// is sized by the topics it carries: `SEGMENT_BYTES_PER_TOPIC` for each
/// topic the simulated plant publishes under it (see [`log_sizes`]).
/// 16 MiB × 10 segments for every filter grew by 7–22 MB a minute.
const LOG_SEGMENT_BYTES: usize = 16 << 10;

/// Bytes of one topic's messages in one segment of a filter's log: about
/// 40 readings of ~100 bytes, so a filter's log (at least `LOG_SEGMENTS`
/// segments) holds 16 s of every topic under it at the default 5 Hz, and
/// 80 s at 1 Hz: a page that renders a frame a second (software WebGL)
/// reads far behind the plant without losing anything. The city's
/// `city/building/+` carries 444 topics: 1.8 MB segments, where one
/// 16 KiB segment held a third of a second.
const SEGMENT_BYTES_PER_TOPIC: usize = 4 << 10;

/// The largest segment of one filter's log (a `#` over a 100,000-twin city).
const MAX_SEGMENT_BYTES: usize = 64 << 20;

/// Full segments kept per filter besides the one being written.
const LOG_SEGMENTS: usize = 2;

/// The log segment size (bytes) of each filter that carries enough of the
/// plant's `topics` to need more than `LOG_SEGMENT_BYTES`:
/// `SEGMENT_BYTES_PER_TOPIC` per topic it matches, at most
/// `MAX_SEGMENT_BYTES`. `filters` are
/// those the scene's subscribers use (the twin, the page and the plant
/// subscribe with the same minimal set; the topic browser with `#`);
/// any other filter gets `LOG_SEGMENT_BYTES`.
pub fn log_sizes(filters: &[String], topics: &[String]) -> HashMap<String, usize> {
    filters
        .iter()
        .filter_map(|filter| {
            let carried = topics.iter().filter(|t| covers(filter, t)).count();
            let bytes = carried.saturating_mul(SEGMENT_BYTES_PER_TOPIC);
            (bytes > LOG_SEGMENT_BYTES).then(|| (filter.clone(), bytes.min(MAX_SEGMENT_BYTES)))
        })
        .collect()
}

/// The first port from `preferred` upward (at most 50 tries), other than
/// those `taken`, that `addr` can listen on.
fn free_port(addr: IpAddr, preferred: u16, taken: &[u16]) -> Option<u16> {
    (preferred..preferred.saturating_add(50))
        .filter(|p| !taken.contains(p))
        .find(|&p| TcpListener::bind((addr, p)).is_ok())
}

/// The address a client on this machine reaches a listener on `addr` at:
/// 127.0.0.1 for "every address" (0.0.0.0, ::), else `addr` itself.
pub fn reachable(addr: IpAddr) -> IpAddr {
    if addr.is_unspecified() {
        Ipv4Addr::LOCALHOST.into()
    } else {
        addr
    }
}

/// Where and how the embedded broker listens.
#[derive(Debug, Clone)]
pub struct Listen {
    /// The address of both listeners: 127.0.0.1 unless `serve --listen`.
    pub addr: IpAddr,
    /// The ports to try first (the next free ones otherwise).
    pub tcp: u16,
    pub ws: u16,
    /// The log size of the filters it names (see [`log_sizes`]).
    pub logs: HashMap<String, usize>,
    /// The one user name and password it accepts; `None`: anyone
    /// (on 127.0.0.1 only, where nothing else on the network reaches it).
    pub login: Option<(String, String)>,
}

impl Listen {
    /// On 127.0.0.1, no login, default logs.
    pub fn local(tcp: u16, ws: u16) -> Listen {
        Listen {
            addr: Ipv4Addr::LOCALHOST.into(),
            tcp,
            ws,
            logs: HashMap::new(),
            login: None,
        }
    }
}

/// The ports the embedded broker listens on, and the address its clients
/// on this machine reach it at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listeners {
    /// 127.0.0.1 when it listens there or on every address, else the one
    /// address it listens on.
    pub host: IpAddr,
    /// MQTT over TCP: the twin, the simulated plant, mosquitto_pub.
    pub tcp: u16,
    /// MQTT over WebSocket (subprotocol `mqtt`, binary frames): the browser.
    pub ws: u16,
}

impl Listeners {
    /// The address a browser opens. rumqttd answers on any path; `/mqtt`
    /// is the one MQTT-over-WebSocket clients use by convention.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/mqtt", SocketAddr::new(self.host, self.ws))
    }
}

/// Starts rumqttd with a TCP listener at `listen.tcp` (or the next free
/// port) and a WebSocket listener at `listen.ws` (or the next free port
/// that is not the TCP one), both on `listen.addr`, and returns both ports.
/// The broker runs on its own threads for the life of the process.
pub fn start(listen: &Listen) -> Result<Listeners, String> {
    let no_port = |from: u16| {
        format!(
            "no free port on {} from {from} to {}",
            listen.addr,
            from.saturating_add(49)
        )
    };
    let tcp = free_port(listen.addr, listen.tcp, &[]).ok_or_else(|| no_port(listen.tcp))?;
    let ws = free_port(listen.addr, listen.ws, &[tcp]).ok_or_else(|| no_port(listen.ws))?;
    let auth = listen
        .login
        .as_ref()
        .map(|(user, password)| HashMap::from([(user.clone(), password.clone())]));
    let server = |name: &str, port: u16| ServerSettings {
        name: name.into(),
        listen: SocketAddr::new(listen.addr, port),
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 500,
            auth: auth.clone(),
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
            custom_segment: Some(
                listen
                    .logs
                    .iter()
                    .map(|(filter, &bytes)| {
                        let segment = SegmentConfig {
                            max_segment_size: bytes,
                            max_segment_count: LOG_SEGMENTS,
                        };
                        (filter.clone(), segment)
                    })
                    .collect(),
            ),
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
    let host = reachable(listen.addr);
    // Wait until both accept connections, so clients connect on the first try.
    for port in [tcp, ws] {
        let at = SocketAddr::new(host, port);
        if !accepts_within(at, 200) {
            return Err(format!(
                "the embedded broker did not start listening on {at}"
            ));
        }
    }
    Ok(Listeners { host, tcp, ws })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}/t{i}")).collect()
    }

    #[test]
    fn a_filter_log_holds_four_kib_of_each_topic_it_carries() {
        let mut all = topics("city/building", 444);
        all.extend(topics("city/air", 3));
        all.push("factory/cnc-1/temperature".into());
        let filters: Vec<String> = ["city/building/+", "city/air/+", "factory/cnc-1/temperature"]
            .map(String::from)
            .to_vec();
        let logs = log_sizes(&filters, &all);
        // 444 × 4,096 bytes; 3 × 4 KiB and 1 × 4 KiB are below the default
        // 16 KiB segment, which they keep.
        assert_eq!(
            logs,
            HashMap::from([("city/building/+".to_string(), 1_818_624)])
        );
        // `#` over 20,000 topics: 80 MB capped at 64 MiB.
        let many = topics("a", 20_000);
        assert_eq!(log_sizes(&["#".into()], &many)["#"], 64 << 20);
    }
}

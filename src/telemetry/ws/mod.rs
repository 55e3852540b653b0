//! MQTT for the browser: a small MQTT 3.1.1 client as pure state, for a
//! transport the driver owns (a `web_sys::WebSocket` in the browser, a
//! blocking WebSocket in tests).
//!
//! Design: like rumqttc's `MqttState` against its `EventLoop`, the `Client`
//! never touches a socket or a clock. The driver tells it what happened
//! (`connected`, `received` with any chunk of bytes, `tick`, `closed`), each
//! with the time in milliseconds, and takes what it has to send
//! (`poll_send`, one packet per call, one WebSocket binary frame each) and
//! what it has to report (`poll_event`). Time only moves when the driver
//! says so, so keepalive, timeouts and backoff are tested with made-up
//! times, and in the browser a timer that keeps running in a hidden tab
//! (not a frame system) calls `tick`. Packets are encoded and decoded by
//! `mqttbytes`, which builds for wasm32; the client subscribes at QoS 0 with
//! a clean session, so after every connect it subscribes afresh.

mod client;
mod frames;
mod timing;

// Checks what the client writes with rumqttc's codec, a native dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use client::Client;

use super::topic::Router;
use crate::topic_filter::validate_filter;
use frames::MAX_STRING_BYTES;

/// Seconds of silence after which the client pings (MQTT's keepalive). The
/// broker drops a client it has not heard from for 1.5 times this.
pub(crate) const KEEP_ALIVE_S: u16 = 30;

/// Milliseconds a PINGREQ may go unanswered before the link counts as dead.
pub(crate) const PINGRESP_TIMEOUT_MS: u64 = 10_000;

/// Milliseconds the broker has to answer CONNECT.
pub(crate) const CONNACK_TIMEOUT_MS: u64 = 10_000;

/// What the client connects and subscribes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The client id (1 to 65,535 bytes of UTF-8; brokers may want fewer).
    pub client_id: String,
    /// The filters to subscribe to, each at QoS 0.
    pub filters: Vec<String>,
    /// User name and password, if the broker wants them.
    pub login: Option<(String, String)>,
    pub keep_alive_s: u16,
    pub pingresp_timeout_ms: u64,
    pub connack_timeout_ms: u64,
}

impl Settings {
    /// Settings with the default timings.
    pub fn new(client_id: impl Into<String>, filters: Vec<String>) -> Settings {
        Settings {
            client_id: client_id.into(),
            filters,
            login: None,
            keep_alive_s: KEEP_ALIVE_S,
            pingresp_timeout_ms: PINGRESP_TIMEOUT_MS,
            connack_timeout_ms: CONNACK_TIMEOUT_MS,
        }
    }

    /// Settings that subscribe to what the scene's router needs, leaving out
    /// filters that another one covers (a broker may deliver a message once
    /// per matching subscription; rumqttd does).
    pub fn for_router(client_id: impl Into<String>, router: &Router) -> Settings {
        Settings::new(client_id, router.subscriptions())
    }

    /// Checks what `mqttbytes` would otherwise write wrongly or a broker refuse.
    fn check(&self) -> Result<(), ClientError> {
        let too_long = |s: &str| s.len() > MAX_STRING_BYTES;
        if self.client_id.is_empty() || too_long(&self.client_id) {
            return Err(ClientError::BadClientId {
                bytes: self.client_id.len(),
            });
        }
        for filter in &self.filters {
            let why = if too_long(filter) {
                Some("is longer than 65,535 bytes".to_string())
            } else {
                validate_filter(filter).err().map(|e| e.to_string())
            };
            if let Some(why) = why {
                return Err(ClientError::BadFilter {
                    filter: filter.chars().take(80).collect(),
                    why,
                });
            }
        }
        if let Some((user, password)) = &self.login {
            // MQTT 3.1.1 §3.1.2.9: no password without a user name.
            if user.is_empty() || too_long(user) || too_long(password) {
                return Err(ClientError::BadLogin);
            }
        }
        if self.keep_alive_s == 0 {
            return Err(ClientError::NoKeepAlive);
        }
        Ok(())
    }
}

/// What the client reports to its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The broker accepted the connection.
    Connected,
    /// The broker answered the subscription: which filters it granted and
    /// which it refused (return code 0x80).
    Subscribed {
        granted: Vec<String>,
        refused: Vec<String>,
    },
    /// A message on a subscribed topic.
    Message { topic: String, payload: Vec<u8> },
    /// The link is down. If the transport is still open the driver closes
    /// it; the next connection attempt is due at `retry_at_ms`.
    Disconnected { why: ClientError, retry_at_ms: u64 },
}

/// Why the client could not start, or why its link went down. The text says
/// what happened in the user's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("the MQTT client id must be 1 to 65,535 bytes, not {bytes}")]
    BadClientId { bytes: usize },
    #[error("topic filter \"{filter}\" {why}")]
    BadFilter { filter: String, why: String },
    #[error("an MQTT login needs a user name, and each part at most 65,535 bytes")]
    BadLogin,
    #[error("the MQTT keepalive must be at least 1 s (brokers such as rumqttd refuse 0)")]
    NoKeepAlive,
    #[error("the broker refused the connection: {why} (CONNACK return code {code})")]
    Refused { code: u8, why: &'static str },
    #[error("the broker did not answer CONNECT within {waited_ms} ms")]
    NoConnAck { waited_ms: u64 },
    #[error("the broker did not answer a ping within {waited_ms} ms: the link is dead")]
    NoPingResp { waited_ms: u64 },
    #[error("the broker sent a packet of {bytes} bytes, more than the {max} allowed")]
    TooLarge { bytes: usize, max: usize },
    #[error("the broker sent a malformed packet ({why})")]
    Malformed { why: String },
    #[error("the broker sent {packet} {context}")]
    Unexpected {
        packet: &'static str,
        context: &'static str,
    },
    #[error("could not encode an MQTT packet ({why})")]
    Encode { why: String },
    #[error("the connection could not be opened")]
    NotOpened,
    /// With `login`: brokers such as rumqttd close the connection on a
    /// wrong user name or password instead of answering CONNACK code 4.
    #[error("the connection closed before the broker accepted it{}", if *login { " (a wrong user name or password?)" } else { "" })]
    ClosedWhileConnecting { login: bool },
    #[error("the connection closed")]
    Closed,
}

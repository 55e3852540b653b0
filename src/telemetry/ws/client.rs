//! The client's state machine: down (waiting to reconnect), connecting
//! (CONNECT sent, waiting for CONNACK) and up (subscribed or subscribing,
//! receiving, pinging).

use std::collections::VecDeque;

use mqttbytes::QoS;
use mqttbytes::v4::{self, ConnectReturnCode, Packet, SubscribeReasonCode};

use super::frames::{Inbox, Outgoing, encode, name};
use super::timing::{Backoff, Due, Keepalive};
use super::{ClientError, Event, Settings};

/// The packet id of the one SUBSCRIBE sent per connection.
const SUBSCRIBE_PKID: u16 = 1;

#[derive(Debug, Clone, Copy)]
enum Link {
    /// No usable transport; the next attempt is due at `retry_at_ms`.
    /// `closing`: the client gave up on a transport that is still open,
    /// so the `closed` that follows is not a failed attempt.
    Down { retry_at_ms: u64, closing: bool },
    /// CONNECT sent at `since_ms`, waiting for CONNACK.
    Connecting { since_ms: u64, keepalive: Keepalive },
    /// Accepted. `suback_due`: the SUBSCRIBE is not answered yet.
    Up {
        keepalive: Keepalive,
        suback_due: bool,
    },
}

/// A pure MQTT 3.1.1 client: see the module's design note.
///
/// The driver calls `connected`, `received`, `tick` and `closed` for the
/// one transport it has open (never for one it already dropped), opens a
/// new one when none is open and `reconnect_at` has come, and after each
/// call sends every `poll_send` packet and handles every `poll_event`.
#[derive(Debug)]
pub struct Client {
    settings: Settings,
    connect: v4::Connect,
    subscribe: Option<v4::Subscribe>,
    link: Link,
    inbox: Inbox,
    backoff: Backoff,
    outbox: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
}

impl Client {
    /// A client with no transport yet, due to connect at `now_ms`.
    pub fn new(settings: Settings, now_ms: u64) -> Result<Client, ClientError> {
        settings.check()?;
        let mut connect = v4::Connect::new(settings.client_id.clone());
        connect.keep_alive = settings.keep_alive_s;
        connect.clean_session = true;
        if let Some((user, password)) = &settings.login {
            connect.set_login(user.as_str(), password.as_str());
        }
        let subscribe = (!settings.filters.is_empty()).then(|| v4::Subscribe {
            pkid: SUBSCRIBE_PKID,
            filters: settings
                .filters
                .iter()
                .map(|f| v4::SubscribeFilter::new(f.clone(), QoS::AtMostOnce))
                .collect(),
        });
        Ok(Client {
            settings,
            connect,
            subscribe,
            link: Link::Down {
                retry_at_ms: now_ms,
                closing: false,
            },
            inbox: Inbox::default(),
            backoff: Backoff::default(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    /// When to open a transport, while the link is down.
    pub fn reconnect_at(&self) -> Option<u64> {
        match self.link {
            Link::Down { retry_at_ms, .. } => Some(retry_at_ms),
            _ => None,
        }
    }

    /// Whether the broker has accepted the connection.
    pub fn is_connected(&self) -> bool {
        matches!(self.link, Link::Up { .. })
    }

    /// The transport opened: the client sends CONNECT.
    pub fn connected(&mut self, now_ms: u64) {
        self.inbox.clear();
        self.outbox.clear();
        let interval_ms = u64::from(self.settings.keep_alive_s) * 1_000;
        let keepalive = Keepalive::new(interval_ms, self.settings.pingresp_timeout_ms, now_ms);
        self.link = Link::Connecting {
            since_ms: now_ms,
            keepalive,
        };
        if let Err(e) = encode(Outgoing::Connect(&self.connect)).map(|b| self.send(b, now_ms)) {
            self.fail(e, now_ms);
        }
    }

    /// Bytes from the transport: any part of a packet, or several packets.
    pub fn received(&mut self, bytes: &[u8], now_ms: u64) {
        if matches!(self.link, Link::Down { .. }) {
            return;
        }
        self.inbox.push(bytes);
        loop {
            let step = match self.inbox.next() {
                Ok(Some(packet)) => self.handle(packet, now_ms),
                Ok(None) => return,
                Err(e) => Err(e),
            };
            if let Err(e) = step {
                self.fail(e, now_ms);
                return;
            }
        }
    }

    /// Time passed: pings, and gives up on a broker that stopped answering.
    pub fn tick(&mut self, now_ms: u64) {
        let outcome = match &mut self.link {
            Link::Down { .. } => Ok(()),
            Link::Connecting { since_ms, .. } => {
                let waited_ms = now_ms.saturating_sub(*since_ms);
                if waited_ms >= self.settings.connack_timeout_ms {
                    Err(ClientError::NoConnAck { waited_ms })
                } else {
                    Ok(())
                }
            }
            Link::Up { keepalive, .. } => match keepalive.due(now_ms) {
                Due::Nothing => Ok(()),
                Due::Dead { waited_ms } => Err(ClientError::NoPingResp { waited_ms }),
                Due::Ping => {
                    keepalive.pinged(now_ms);
                    encode(Outgoing::PingReq).map(|b| self.outbox.push_back(b))
                }
            },
        };
        if let Err(e) = outcome {
            self.fail(e, now_ms);
        }
    }

    /// The transport closed, or could not be opened.
    pub fn closed(&mut self, now_ms: u64) {
        let why = match self.link {
            Link::Down {
                retry_at_ms,
                closing: true,
            } => {
                self.link = Link::Down {
                    retry_at_ms,
                    closing: false,
                };
                return;
            }
            Link::Down { closing: false, .. } => ClientError::NotOpened,
            Link::Connecting { .. } => ClientError::ClosedWhileConnecting {
                login: self.settings.login.is_some(),
            },
            Link::Up { .. } => ClientError::Closed,
        };
        self.down(why, now_ms, false);
    }

    /// The next packet to send, as one WebSocket binary frame.
    pub fn poll_send(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    /// The next thing to report.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn send(&mut self, bytes: Vec<u8>, now_ms: u64) {
        match &mut self.link {
            Link::Connecting { keepalive, .. } | Link::Up { keepalive, .. } => {
                keepalive.sent(now_ms)
            }
            Link::Down { .. } => return,
        }
        self.outbox.push_back(bytes);
    }

    /// The client gives up on the transport: the driver closes it, and the
    /// next attempt waits out the backoff.
    fn fail(&mut self, why: ClientError, now_ms: u64) {
        self.down(why, now_ms, true);
    }

    /// Takes the link down and reports why; `closing` while the transport
    /// is still open.
    fn down(&mut self, why: ClientError, now_ms: u64, closing: bool) {
        let retry_at_ms = now_ms.saturating_add(self.backoff.next_wait_ms());
        self.link = Link::Down {
            retry_at_ms,
            closing,
        };
        self.inbox.clear();
        self.outbox.clear();
        self.events
            .push_back(Event::Disconnected { why, retry_at_ms });
    }

    fn handle(&mut self, packet: Packet, now_ms: u64) -> Result<(), ClientError> {
        if let Link::Connecting { keepalive, .. } = self.link {
            let Packet::ConnAck(ack) = packet else {
                return Err(ClientError::Unexpected {
                    packet: name(&packet),
                    context: "before CONNACK",
                });
            };
            return self.accepted(ack.code, keepalive, now_ms);
        }
        let Link::Up {
            keepalive,
            suback_due,
        } = &mut self.link
        else {
            return Ok(());
        };
        match packet {
            Packet::Publish(p) => {
                let ack = match p.qos {
                    QoS::AtMostOnce => None,
                    QoS::AtLeastOnce => Some(p.pkid),
                    QoS::ExactlyOnce => {
                        return Err(ClientError::Unexpected {
                            packet: "PUBLISH at QoS 2",
                            context: "though every subscription asked for QoS 0",
                        });
                    }
                };
                self.events.push_back(Event::Message {
                    topic: p.topic,
                    payload: Vec::from(p.payload),
                });
                if let Some(pkid) = ack {
                    self.send(encode(Outgoing::PubAck(pkid))?, now_ms);
                }
                Ok(())
            }
            Packet::SubAck(ack) if *suback_due && ack.pkid == SUBSCRIBE_PKID => {
                *suback_due = false;
                self.subscribed(&ack.return_codes)
            }
            Packet::PingResp => {
                keepalive.answered();
                Ok(())
            }
            other => Err(ClientError::Unexpected {
                packet: name(&other),
                context: "that this client never asked for",
            }),
        }
    }

    fn accepted(
        &mut self,
        code: ConnectReturnCode,
        keepalive: Keepalive,
        now_ms: u64,
    ) -> Result<(), ClientError> {
        let why = match code {
            ConnectReturnCode::Success => None,
            ConnectReturnCode::RefusedProtocolVersion => {
                Some("it does not speak MQTT 3.1.1 (protocol level 4)")
            }
            ConnectReturnCode::BadClientId => Some("it does not accept the client id"),
            ConnectReturnCode::ServiceUnavailable => Some("the MQTT service is unavailable"),
            ConnectReturnCode::BadUserNamePassword => Some("bad user name or password"),
            ConnectReturnCode::NotAuthorized => Some("this client is not authorised"),
        };
        if let Some(why) = why {
            return Err(ClientError::Refused {
                code: code as u8,
                why,
            });
        }
        self.link = Link::Up {
            keepalive,
            suback_due: self.subscribe.is_some(),
        };
        self.backoff.reset();
        self.events.push_back(Event::Connected);
        if let Some(subscribe) = &self.subscribe {
            let bytes = encode(Outgoing::Subscribe(subscribe))?;
            self.send(bytes, now_ms);
        }
        Ok(())
    }

    fn subscribed(&mut self, codes: &[SubscribeReasonCode]) -> Result<(), ClientError> {
        if codes.len() != self.settings.filters.len() {
            return Err(ClientError::Unexpected {
                packet: "SUBACK",
                context: "with a return code count unlike the SUBSCRIBE's filter count",
            });
        }
        let (mut granted, mut refused) = (vec![], vec![]);
        for (filter, code) in self.settings.filters.iter().zip(codes) {
            match code {
                SubscribeReasonCode::Success(_) => granted.push(filter.clone()),
                SubscribeReasonCode::Failure => refused.push(filter.clone()),
            }
        }
        self.events
            .push_back(Event::Subscribed { granted, refused });
        Ok(())
    }
}

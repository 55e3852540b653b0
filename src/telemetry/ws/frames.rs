//! Bytes ↔ MQTT 3.1.1 packets through `mqttbytes`. A WebSocket frame may
//! hold part of a packet or several (MQTT 3.1.1 §6.0), so `Inbox` keeps
//! what has come in until a whole packet is there.

use bytes::BytesMut;
use mqttbytes::v4::{self, Packet};

use super::ClientError;

/// The largest packet either side sends: the native client's and the
/// embedded broker's limit too.
pub(crate) const MAX_PACKET_BYTES: usize = 1 << 20;

/// The longest string an MQTT packet can carry (a two-byte length, §1.5.3).
/// `mqttbytes` truncates the length of a longer one without a word, so the
/// client checks its strings before it writes them.
pub(crate) const MAX_STRING_BYTES: usize = u16::MAX as usize;

/// Received bytes not yet decoded into a packet.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    buf: BytesMut,
}

impl Inbox {
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole packet, `Ok(None)` while only part of one is here.
    pub(crate) fn next(&mut self) -> Result<Option<Packet>, ClientError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        // The limit is on the remaining length, the part after the fixed header.
        match v4::read(&mut self.buf, MAX_PACKET_BYTES) {
            Ok(packet) => Ok(Some(packet)),
            Err(mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
            Err(mqttbytes::Error::PayloadSizeLimitExceeded(bytes)) => Err(ClientError::TooLarge {
                bytes,
                max: MAX_PACKET_BYTES,
            }),
            Err(e) => Err(ClientError::Malformed {
                why: format!("{e:?}"),
            }),
        }
    }

    /// Forgets everything, for a fresh connection.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
    }
}

/// A packet the client sends.
pub(crate) enum Outgoing<'a> {
    Connect(&'a v4::Connect),
    Subscribe(&'a v4::Subscribe),
    PubAck(u16),
    PingReq,
}

/// The bytes of one packet.
pub(crate) fn encode(packet: Outgoing) -> Result<Vec<u8>, ClientError> {
    let mut buf = BytesMut::new();
    match packet {
        Outgoing::Connect(c) => c.write(&mut buf),
        Outgoing::Subscribe(s) => s.write(&mut buf),
        Outgoing::PubAck(pkid) => v4::PubAck::new(pkid).write(&mut buf),
        Outgoing::PingReq => v4::PingReq.write(&mut buf),
    }
    .map_err(|e| ClientError::Encode {
        why: format!("{e:?}"),
    })?;
    Ok(buf.to_vec())
}

/// The packet's name as the MQTT specification writes it.
pub(crate) fn name(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(topic: &str, payload: &str) -> Vec<u8> {
        let mut buf = BytesMut::new();
        v4::Publish::new(topic, mqttbytes::QoS::AtMostOnce, payload)
            .write(&mut buf)
            .unwrap();
        buf.to_vec()
    }

    fn drain(inbox: &mut Inbox) -> Vec<Packet> {
        std::iter::from_fn(|| inbox.next().unwrap()).collect()
    }

    #[test]
    fn a_packet_split_anywhere_comes_out_whole_once() {
        let bytes = publish("factory/press-1/telemetry", "{\"temperature\": 61.5}");
        for cut in 0..=bytes.len() {
            let mut inbox = Inbox::default();
            inbox.push(&bytes[..cut]);
            let first = drain(&mut inbox);
            inbox.push(&bytes[cut..]);
            let second = drain(&mut inbox);
            assert_eq!(first.len() + second.len(), 1, "cut at byte {cut}");
            assert_eq!(first.len(), usize::from(cut == bytes.len()), "cut {cut}");
        }
    }

    #[test]
    fn a_long_remaining_length_split_inside_it_waits_for_the_rest() {
        // 200 bytes of payload: the remaining length takes two bytes.
        let bytes = publish("t", &"x".repeat(200));
        assert_eq!(bytes[1] & 0x80, 0x80, "a two-byte remaining length");
        let mut inbox = Inbox::default();
        inbox.push(&bytes[..2]);
        assert_eq!(inbox.next().unwrap(), None);
        inbox.push(&bytes[2..]);
        assert!(matches!(inbox.next().unwrap(), Some(Packet::Publish(_))));
    }

    #[test]
    fn a_packet_past_the_limit_is_refused_before_it_arrives() {
        // A header that announces 2 MiB, and nothing after it.
        let mut inbox = Inbox::default();
        inbox.push(&[0x30, 0x80, 0x80, 0x80, 0x01]);
        assert_eq!(
            inbox.next(),
            Err(ClientError::TooLarge {
                bytes: 2 << 20,
                max: MAX_PACKET_BYTES
            })
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let mut inbox = Inbox::default();
        inbox.push(&[0xF0, 0x00]);
        assert!(matches!(inbox.next(), Err(ClientError::Malformed { .. })));
    }
}

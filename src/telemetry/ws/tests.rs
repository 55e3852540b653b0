//! The client against a broker played by hand: the broker's packets are
//! written byte by byte from MQTT 3.1.1 (not by the codec under test), and
//! every packet the client writes is read back with rumqttc's own codec.

use bytes::BytesMut;
use rumqttc::mqttbytes::v4 as reference;

use super::timing::{RECONNECT_FIRST_MS, RECONNECT_MAX_MS};
use super::*;

const FILTERS: [&str; 3] = ["factory/+/telemetry", "sensor/temperature", "plant/#"];

fn settings() -> Settings {
    Settings::new("twin-test", FILTERS.map(String::from).to_vec())
}

fn client() -> Client {
    Client::new(settings(), 0).unwrap()
}

// The broker's side, from the specification's byte layouts.

fn connack(code: u8) -> Vec<u8> {
    vec![0x20, 0x02, 0x00, code]
}

fn suback(pkid: u16, codes: &[u8]) -> Vec<u8> {
    let mut b = vec![0x90, 2 + codes.len() as u8];
    b.extend(pkid.to_be_bytes());
    b.extend(codes);
    b
}

/// A PUBLISH at QoS 0 or 1 (`pkid` only for QoS 1), short enough for a
/// one-byte remaining length.
fn publish(topic: &str, payload: &str, qos1_pkid: Option<u16>) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend(topic.as_bytes());
    if let Some(pkid) = qos1_pkid {
        body.extend(pkid.to_be_bytes());
    }
    body.extend(payload.as_bytes());
    assert!(body.len() < 128);
    let flags = if qos1_pkid.is_some() { 0x02 } else { 0x00 };
    let mut b = vec![0x30 | flags, body.len() as u8];
    b.extend(body);
    b
}

const PINGRESP: [u8; 2] = [0xD0, 0x00];

fn events(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// Every packet the client has to send, read back with rumqttc's codec; a
/// packet must fill its frame exactly.
fn sent(c: &mut Client) -> Vec<reference::Packet> {
    std::iter::from_fn(|| c.poll_send())
        .map(|frame| {
            let mut buf = BytesMut::from(&frame[..]);
            let packet = reference::Packet::read(&mut buf, 1 << 20)
                .unwrap_or_else(|e| panic!("rumqttc cannot read {frame:?}: {e:?}"));
            assert!(buf.is_empty(), "{} bytes after {packet:?}", buf.len());
            packet
        })
        .collect()
}

/// A client the broker has accepted at `at_ms`, its SUBSCRIBE sent and
/// answered with every filter granted.
fn up_at(at_ms: u64) -> Client {
    let mut c = client();
    c.connected(at_ms);
    c.received(&connack(0), at_ms);
    c.received(&suback(1, &[0, 0, 0]), at_ms);
    sent(&mut c);
    events(&mut c);
    c
}

#[test]
fn it_connects_then_subscribes_to_every_filter_at_qos_0() {
    let mut c = Client::new(
        Settings {
            login: Some(("ann".into(), "s3cret".into())),
            ..settings()
        },
        7,
    )
    .unwrap();
    assert_eq!(
        c.reconnect_at(),
        Some(7),
        "the first attempt is due at once"
    );
    assert!(
        sent(&mut c).is_empty(),
        "nothing before the transport opens"
    );
    c.connected(10);
    let connect = match &sent(&mut c)[..] {
        [reference::Packet::Connect(connect)] => connect.clone(),
        other => panic!("expected one CONNECT, got {other:?}"),
    };
    assert_eq!(connect.protocol, rumqttc::mqttbytes::Protocol::V4);
    assert_eq!(connect.client_id, "twin-test");
    assert_eq!(connect.keep_alive, KEEP_ALIVE_S);
    assert!(connect.clean_session);
    assert_eq!(connect.last_will, None);
    assert_eq!(connect.login, Some(reference::Login::new("ann", "s3cret")));
    assert!(events(&mut c).is_empty(), "not connected before CONNACK");
    assert!(!c.is_connected());

    c.received(&connack(0), 20);
    assert_eq!(events(&mut c), [Event::Connected]);
    assert!(c.is_connected());
    let want = reference::Subscribe::new_many(
        FILTERS.map(|f| reference::SubscribeFilter::new(f.into(), rumqttc::QoS::AtMostOnce)),
    );
    assert_eq!(
        sent(&mut c),
        [reference::Packet::Subscribe(reference::Subscribe {
            pkid: 1,
            ..want
        })]
    );
}

#[test]
fn a_suback_reports_the_refused_filters_by_name() {
    let mut c = client();
    c.connected(0);
    c.received(&connack(0), 0);
    events(&mut c);
    c.received(&suback(1, &[0x00, 0x80, 0x01]), 0);
    assert_eq!(
        events(&mut c),
        [Event::Subscribed {
            granted: vec![FILTERS[0].into(), FILTERS[2].into()],
            refused: vec![FILTERS[1].into()],
        }]
    );
    assert!(c.is_connected(), "a refused filter does not end the link");
}

#[test]
fn a_suback_that_does_not_fit_the_subscribe_ends_the_link() {
    for (bytes, what) in [
        (suback(1, &[0, 0]), "two codes for three filters"),
        (suback(2, &[0, 0, 0]), "another packet id"),
    ] {
        let mut c = client();
        c.connected(0);
        c.received(&connack(0), 0);
        events(&mut c);
        c.received(&bytes, 0);
        assert!(
            matches!(
                events(&mut c)[..],
                [Event::Disconnected {
                    why: ClientError::Unexpected { .. },
                    ..
                }]
            ),
            "{what}"
        );
    }
}

#[test]
fn a_refused_connack_says_why_in_words() {
    let words = [
        (1, "it does not speak MQTT 3.1.1 (protocol level 4)"),
        (2, "it does not accept the client id"),
        (3, "the MQTT service is unavailable"),
        (4, "bad user name or password"),
        (5, "this client is not authorised"),
    ];
    for (code, why) in words {
        let mut c = client();
        c.connected(1_000);
        c.received(&connack(code), 1_100);
        let ev = events(&mut c);
        let [
            Event::Disconnected {
                why: err,
                retry_at_ms,
            },
        ] = &ev[..]
        else {
            panic!("code {code}: {ev:?}")
        };
        assert_eq!(
            err.to_string(),
            format!("the broker refused the connection: {why} (CONNACK return code {code})")
        );
        assert_eq!(*retry_at_ms, 1_100 + RECONNECT_FIRST_MS);
        assert!(sent(&mut c).is_empty(), "no SUBSCRIBE after a refusal");
        // The driver closes the transport; that close is no second failure.
        c.closed(1_200);
        assert!(events(&mut c).is_empty());
        assert_eq!(c.reconnect_at(), Some(1_100 + RECONNECT_FIRST_MS));
    }
}

/// What the broker says in one session: accepted, subscribed, three
/// messages (one at QoS 1) and a PINGRESP.
fn one_session() -> Vec<u8> {
    [
        connack(0),
        suback(1, &[0, 0, 0]),
        publish("sensor/temperature", "61.5", None),
        publish("factory/press-1/telemetry", "{\"pressure\": 2.5}", Some(7)),
        PINGRESP.to_vec(),
        publish("plant/line/state", "1", None),
    ]
    .concat()
}

/// The events and packets of `one_session` fed in the given chunks.
fn feed(chunks: &[&[u8]]) -> (Vec<Event>, Vec<reference::Packet>) {
    let mut c = client();
    c.connected(0);
    sent(&mut c);
    for chunk in chunks {
        c.received(chunk, 0);
    }
    (events(&mut c), sent(&mut c))
}

#[test]
fn any_split_or_merge_of_the_bytes_gives_the_same_events() {
    let bytes = one_session();
    let whole = feed(&[&bytes]);
    let message = |topic: &str, payload: &str| Event::Message {
        topic: topic.into(),
        payload: payload.as_bytes().to_vec(),
    };
    assert_eq!(
        whole.0,
        [
            Event::Connected,
            Event::Subscribed {
                granted: FILTERS.map(String::from).to_vec(),
                refused: vec![]
            },
            message("sensor/temperature", "61.5"),
            message("factory/press-1/telemetry", "{\"pressure\": 2.5}"),
            message("plant/line/state", "1"),
        ]
    );
    assert_eq!(
        whole.1[1],
        reference::Packet::PubAck(reference::PubAck::new(7)),
        "a QoS 1 message is acknowledged with its packet id"
    );
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(feed(&bytewise), whole, "one byte at a time");
    for size in [2, 3, 5, 7, 11, 64] {
        let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
        assert_eq!(feed(&chunks), whole, "chunks of {size} bytes");
    }
    for cut in 0..bytes.len() {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(feed(&[a, b]), whole, "split at byte {cut}");
    }
}

#[test]
fn it_pings_after_a_keepalive_of_silence_and_gives_up_on_an_unanswered_ping() {
    let mut c = Client::new(
        Settings {
            keep_alive_s: 2,
            pingresp_timeout_ms: 500,
            ..settings()
        },
        0,
    )
    .unwrap();
    c.connected(0);
    c.received(&connack(0), 100);
    c.received(&suback(1, &[0, 0, 0]), 150);
    events(&mut c);
    sent(&mut c); // CONNECT at 0, SUBSCRIBE at 100
    c.tick(2_099);
    assert!(sent(&mut c).is_empty(), "the SUBSCRIBE at 100 ms counts");
    c.tick(2_100);
    assert_eq!(sent(&mut c), [reference::Packet::PingReq]);
    c.tick(2_599);
    assert!(sent(&mut c).is_empty(), "one ping at a time");
    c.received(&PINGRESP, 2_600);

    // A PUBACK is something sent too: it puts the next ping off.
    c.received(&publish("plant/x", "1", Some(9)), 3_000);
    assert_eq!(
        sent(&mut c),
        [reference::Packet::PubAck(reference::PubAck::new(9))]
    );
    c.tick(4_999);
    assert!(sent(&mut c).is_empty());
    c.tick(5_000);
    assert_eq!(sent(&mut c), [reference::Packet::PingReq]);
    events(&mut c);
    c.tick(5_499);
    assert!(events(&mut c).is_empty());
    c.tick(5_500);
    assert_eq!(
        events(&mut c),
        [Event::Disconnected {
            why: ClientError::NoPingResp { waited_ms: 500 },
            retry_at_ms: 5_500 + RECONNECT_FIRST_MS,
        }]
    );
    assert!(!c.is_connected());
    c.tick(9_000);
    assert!(sent(&mut c).is_empty(), "no pings while down");
}

#[test]
fn a_broker_that_never_answers_connect_is_given_up_on() {
    let mut c = client();
    c.connected(0);
    c.tick(CONNACK_TIMEOUT_MS - 1);
    assert!(events(&mut c).is_empty());
    c.tick(CONNACK_TIMEOUT_MS);
    assert!(matches!(
        events(&mut c)[..],
        [Event::Disconnected {
            why: ClientError::NoConnAck { .. },
            ..
        }]
    ));
}

#[test]
fn reconnects_back_off_exponentially_to_the_cap_and_reset_once_accepted() {
    let mut c = client();
    let mut now = 0;
    let mut waits = vec![];
    for attempt in 0..7 {
        assert!(c.reconnect_at().unwrap() <= now);
        if attempt % 2 == 0 {
            c.closed(now); // could not open the transport
        } else {
            c.connected(now);
            c.closed(now + 5); // opened, closed before CONNACK
            now += 5;
        }
        let ev = events(&mut c);
        let [Event::Disconnected { retry_at_ms, .. }] = ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(c.reconnect_at(), Some(retry_at_ms));
        waits.push(retry_at_ms - now);
        now = retry_at_ms;
    }
    assert_eq!(
        waits,
        [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000],
        "first {RECONNECT_FIRST_MS} ms, doubling, at most {RECONNECT_MAX_MS} ms"
    );

    c.connected(now);
    c.received(&connack(0), now);
    c.closed(now + 60_000);
    let ev = events(&mut c);
    assert!(
        matches!(
            ev.last(),
            Some(Event::Disconnected { why: ClientError::Closed, retry_at_ms })
                if *retry_at_ms == now + 60_000 + RECONNECT_FIRST_MS
        ),
        "an accepted connection starts the backoff over: {ev:?}"
    );
}

#[test]
fn a_new_connection_starts_clean_and_subscribes_again() {
    let mut c = up_at(0);
    // Half a packet, then the link drops.
    c.received(&publish("plant/x", "1", None)[..4], 10);
    c.closed(20);
    events(&mut c);
    c.connected(600);
    assert!(matches!(sent(&mut c)[..], [reference::Packet::Connect(_)]));
    c.received(&connack(0), 610);
    assert_eq!(
        events(&mut c),
        [Event::Connected],
        "no leftover half packet"
    );
    assert!(matches!(
        sent(&mut c)[..],
        [reference::Packet::Subscribe(_)]
    ));
}

#[test]
fn what_a_subscriber_never_expects_ends_the_link() {
    let qos2 = [0x34, 0x06, 0x00, 0x01, b'a', 0x00, 0x01, b'1'];
    let cases: [(&[u8], &str); 3] = [
        (&qos2, "PUBLISH at QoS 2"),
        (&[0x40, 0x02, 0x00, 0x01], "PUBACK"),
        (&[0xE0, 0x00], "DISCONNECT"),
    ];
    for (bytes, packet) in cases {
        let mut c = up_at(0);
        c.received(bytes, 10);
        let ev = events(&mut c);
        assert!(
            matches!(&ev[..], [Event::Disconnected { why: ClientError::Unexpected { packet: p, .. }, .. }] if *p == packet),
            "{packet}: {ev:?}"
        );
        c.received(&publish("plant/x", "1", None), 20);
        assert!(
            events(&mut c).is_empty(),
            "bytes after giving up are ignored"
        );
    }
    let mut c = client();
    c.connected(0);
    c.received(&publish("plant/x", "1", None), 5);
    assert!(matches!(
        events(&mut c)[..],
        [Event::Disconnected {
            why: ClientError::Unexpected {
                packet: "PUBLISH",
                context: "before CONNACK"
            },
            ..
        }]
    ));
}

#[test]
fn settings_that_would_make_bad_packets_are_refused() {
    let bad = |s: Settings| Client::new(s, 0).unwrap_err();
    assert_eq!(
        bad(Settings::new("", vec![])),
        ClientError::BadClientId { bytes: 0 }
    );
    assert_eq!(
        bad(Settings::new("x".repeat(70_000), vec![])),
        ClientError::BadClientId { bytes: 70_000 }
    );
    assert!(matches!(
        bad(Settings::new("id", vec!["a/#/b".into()])),
        ClientError::BadFilter { .. }
    ));
    assert!(matches!(
        bad(Settings::new("id", vec!["a".repeat(70_000)])),
        ClientError::BadFilter { .. }
    ));
    assert_eq!(
        bad(Settings {
            login: Some((String::new(), "pw".into())),
            ..settings()
        }),
        ClientError::BadLogin
    );
    assert_eq!(
        bad(Settings {
            keep_alive_s: 0,
            ..settings()
        }),
        ClientError::NoKeepAlive
    );
    // With nothing to subscribe to, no SUBSCRIBE (MQTT forbids an empty one).
    let mut c = Client::new(Settings::new("id", vec![]), 0).unwrap();
    c.connected(0);
    c.received(&connack(0), 0);
    assert!(matches!(sent(&mut c)[..], [reference::Packet::Connect(_)]));
    assert_eq!(events(&mut c), [Event::Connected]);
}

#[test]
fn the_scene_router_gives_the_minimal_filters() {
    let scene = crate::scene::format::parse(
        include_str!("../../../scenes/factory.scene.ron"),
        "factory.scene.ron",
    )
    .unwrap();
    let router = Router::from_scene(&scene);
    let s = Settings::for_router("id", &router);
    assert_eq!(s.filters, crate::topic_filter::minimal(router.filters()));
    assert!(!s.filters.is_empty());
    assert!(Client::new(s, 0).is_ok());
}

#[test]
fn a_close_before_connack_with_a_login_says_the_login_may_be_wrong() {
    // rumqttd drops a connection whose login it refuses, without CONNACK.
    for (login, said) in [
        (None, "the connection closed before the broker accepted it"),
        (
            Some(("operator".to_string(), "wrong".to_string())),
            "the connection closed before the broker accepted it (a wrong user name or password?)",
        ),
    ] {
        let mut s = settings();
        s.login = login;
        let mut c = Client::new(s, 0).unwrap();
        c.connected(0);
        c.closed(5);
        let ev = events(&mut c);
        let [Event::Disconnected { why, .. }] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(why.to_string(), said);
    }
}

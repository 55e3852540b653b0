//! Inputs from outside, hardened by property tests: whatever bytes arrive on
//! a topic, whatever text is in a scene file or a recording, the twin says
//! what is wrong and where, and never panics. Each property runs on a few
//! hundred generated cases (proptest), biased towards near-misses of real
//! input: the factory's own topics and payloads, the factory scene and a
//! recording with bytes cut, doubled or replaced; and the browser's MQTT
//! client fed any bytes as the broker's.

use proptest::prelude::*;

use crate::recording::rows;
use crate::scene::format::parse;
use crate::telemetry::Router;
use crate::telemetry::payload::decode_message;
use crate::telemetry::ws::{Client, Event, Settings};
use crate::topic_filter::validate_filter;

const FACTORY: &str = include_str!("../scenes/factory.scene.ron");

/// `text` with the bytes `start..start + len` replaced by `with`, cut at
/// character boundaries.
fn edit(text: &str, start: usize, len: usize, with: &str) -> String {
    let mut a = start.min(text.len());
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (a + len).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    format!("{}{with}{}", &text[..a], &text[b..])
}

fn factory_topics() -> Vec<String> {
    let scene = parse(FACTORY, "factory").unwrap();
    scene
        .sensors()
        .filter_map(|(t, s)| scene.topic_of(t, s))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_payload_on_any_topic_decodes_or_is_rejected_never_panics(
        pick in 0usize..64,
        random_topic in "[a-z0-9/+#-]{0,40}",
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        json_like in r#"\{("[a-z_.]{1,12}": ?(-?[0-9.eE+-]{1,12}|"[a-z]*"|null|true|\[\]|\{\}),? ?){0,4}\}"#,
    ) {
        let scene = parse(FACTORY, "factory").unwrap();
        let router = Router::from_scene(&scene);
        let topics = factory_topics();
        let topic = topics.get(pick).cloned().unwrap_or(random_topic);
        for body in [&payload[..], json_like.as_bytes()] {
            let mut values = Vec::new();
            let (emitted, _why) = decode_message(&router, &topic, body, 1, |s| values.push(s.value));
            prop_assert_eq!(emitted, values.len());
            prop_assert!(values.iter().all(|v| v.is_finite()), "{:?}", values);
        }
    }

    #[test]
    fn a_damaged_scene_file_is_an_error_with_a_place_in_it_never_a_panic(
        start in 0usize..FACTORY.len(),
        len in 0usize..40,
        with in "[ (),:\"a-z0-9.\\[\\]-]{0,6}",
    ) {
        let text = edit(FACTORY, start, len, &with);
        if let Err(e) = parse(&text, "damaged.scene.ron") {
            let lines = text.lines().count().max(1);
            prop_assert!(e.pos.line >= 1 && e.pos.line <= lines + 1, "{} ({} lines)", e, lines);
            prop_assert!(e.to_string().starts_with("damaged.scene.ron:"), "{}", e);
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn any_text_as_a_scene_is_refused_without_a_panic(text in "\\PC{0,300}") {
        let _ = parse(&text, "x.scene.ron");
    }

    #[test]
    fn a_damaged_recording_is_an_error_at_its_line_never_a_panic(
        start in 0usize..600,
        len in 0usize..20,
        with in "[,\"\\n0-9a-z:.TZ+-]{0,8}",
    ) {
        let mut csv = String::from("timestamp,twin,sensor,topic,value\n");
        for i in 0..20 {
            csv.push_str(&format!("2026-01-01T00:00:{i:02}.000Z,cnc-1,temperature,sensor/temperature,{}\n", 40 + i));
        }
        let text = edit(&csv, start, len, &with);
        match rows::parse(&text, "damaged.csv") {
            Ok(rows) => prop_assert!(rows.len() <= 21),
            Err(e) => prop_assert!(e.to_string().starts_with("damaged.csv"), "{}", e),
        }
    }

    #[test]
    fn any_topic_filter_is_checked_without_a_panic(filter in "[a-z/+#\\u{0}-]{0,20}") {
        let _ = validate_filter(&filter);
    }

    /// The browser's MQTT client given any bytes from the broker, in any
    /// chunks, before and after a real CONNACK and SUBACK: no panic, and a
    /// link it drops says why in words.
    #[test]
    fn the_browser_client_takes_any_bytes_from_the_broker_without_a_panic(
        accepted in any::<bool>(),
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
        publish_like in proptest::collection::vec(any::<u8>(), 0..30),
    ) {
        let mut c = Client::new(Settings::new("prop", vec!["a/#".into()]), 0).unwrap();
        c.connected(1);
        let mut now = 2;
        if accepted {
            c.received(&[0x20, 0x02, 0x00, 0x00], now);
            c.received(&[0x90, 0x03, 0x00, 0x01, 0x00], now);
        }
        // A PUBLISH header with a length that may not match its body.
        let mut publish = vec![0x30, publish_like.len() as u8];
        publish.extend(&publish_like);
        for chunk in chunks.iter().chain([&publish]) {
            now += 10;
            c.received(chunk, now);
            c.tick(now);
            while c.poll_send().is_some() {}
        }
        while let Some(event) = c.poll_event() {
            if let Event::Disconnected { why, .. } = event {
                prop_assert!(!why.to_string().is_empty());
            }
        }
    }
}

//! The live path end to end: a real mosquitto, a real MQTT publisher, and the
//! headless twin. Values follow what is published, in every decoding the
//! factory scene uses; bad payloads are counted as rejected with a reason and
//! the twin keeps going.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn published_values_reach_the_twins_and_bad_ones_are_rejected() {
    let (_broker, mut twin, publisher) = live_factory();

    // Before any data every value is null.
    let snap = twin.snapshot();
    assert_eq!(value_of(&snap, "cnc-1", "temperature"), None);
    assert_eq!(health_of(&snap, "cnc-1"), "no data");

    // A plain number on the tutorial topic.
    let snap = twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "42.5",
        "cnc-1",
        "temperature",
        42.5,
    );
    let temp = sensor(&snap, "cnc-1", "temperature");
    assert_eq!(temp.topic.as_deref(), Some("sensor/temperature"));
    assert_eq!(temp.unit, "°C");
    assert!(
        temp.updated_ms.is_some_and(|t| t > 1_700_000_000_000),
        "updated_ms is wall-clock time: {:?}",
        temp.updated_ms
    );
    assert_eq!(health_of(&snap, "cnc-1"), "normal");

    // JSON with field paths, two sensors from one message through templates.
    twin.publish_until_seen(
        &publisher,
        "factory/cnc-2/telemetry",
        r#"{"power":{"kw":12.5},"spindle":{"rpm":8000}}"#,
        "cnc-2",
        "spindle_speed",
        8000.0,
    );
    let snap = twin.snapshot();
    assert_eq!(value_of(&snap, "cnc-2", "power"), Some(12.5));
    // A per-twin template topic.
    twin.publish_until_seen(
        &publisher,
        "factory/press-1/vibration",
        "3.25",
        "press-1",
        "vibration",
        3.25,
    );

    // Thresholds: 90 °C is past the alarm limit of 85.
    let snap = twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "90",
        "cnc-1",
        "temperature",
        90.0,
    );
    assert_eq!(health_of(&snap, "cnc-1"), "alarm");
    assert_eq!(sensor(&snap, "cnc-1", "temperature").health, "alarm");

    // Bad payloads: counted, explained, and nothing else changes.
    let before = twin.snapshot().ingest;
    publisher.publish("sensor/temperature", "hot");
    let snap = twin.until("the bad number is rejected", Duration::from_secs(10), |s| {
        s.ingest.rejected > before.rejected
    });
    assert_eq!(
        value_of(&snap, "cnc-1", "temperature"),
        Some(90.0),
        "a rejected payload leaves the value alone"
    );
    assert_eq!(
        snap.ingest.last_reject.as_deref(),
        Some("topic \"sensor/temperature\": payload \"hot\" is not a number")
    );

    publisher.publish("factory/cnc-2/telemetry", "{not json");
    let snap = twin.until("the bad JSON is rejected", Duration::from_secs(10), |s| {
        s.ingest.rejected > before.rejected + 1
    });
    assert!(
        snap.ingest
            .last_reject
            .as_deref()
            .unwrap()
            .contains("payload is not valid JSON"),
        "{:?}",
        snap.ingest.last_reject
    );

    publisher.publish("factory/ghost/vibration", "1.0");
    let snap = twin.until(
        "the unknown twin is rejected",
        Duration::from_secs(10),
        |s| s.ingest.rejected > before.rejected + 2,
    );
    assert_eq!(
        snap.ingest.last_reject.as_deref(),
        Some("topic \"factory/ghost/vibration\": twin \"ghost\" has no sensor \"vibration\"")
    );

    // Still alive and still applying.
    let snap = twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "21.0",
        "cnc-1",
        "temperature",
        21.0,
    );
    assert_eq!(snap.ingest.dropped, 0);
    assert!(snap.ingest.applied >= 6, "applied {}", snap.ingest.applied);
    assert!(snap.ingest.received >= snap.ingest.rejected + 5);
}

#[test]
fn a_burst_is_applied_in_full_without_drops() {
    let (_broker, mut twin, publisher) = live_factory();
    twin.publish_until_seen(
        &publisher,
        "factory/press-2/vibration",
        "0.5",
        "press-2",
        "vibration",
        0.5,
    );
    let base = twin.snapshot().ingest;
    for i in 0..2000 {
        publisher.publish(
            "factory/press-2/vibration",
            &format!("{}", 1.0 + (i % 100) as f64 / 100.0),
        );
    }
    publisher.publish("factory/press-2/vibration", "4.75");
    let snap = twin.until(
        "all 2001 messages are applied",
        Duration::from_secs(30),
        |s| s.ingest.applied >= base.applied + 2001,
    );
    assert_eq!(snap.ingest.applied, base.applied + 2001);
    assert_eq!(snap.ingest.received, base.received + 2001);
    assert_eq!(snap.ingest.dropped, 0);
    assert_eq!(
        value_of(&snap, "press-2", "vibration"),
        Some(4.75),
        "the last value wins"
    );
    assert_eq!(sensor(&snap, "press-2", "vibration").samples, 2002);
    // The analytics window (600 samples) holds the last 599 of the burst and 4.75.
    let vib = sensor(&snap, "press-2", "vibration");
    let stats = vib.stats.expect("stats once data arrived");
    assert_eq!((stats.count, stats.min, stats.max), (600, 1.0, 4.75));
    assert!(
        (stats.mean - 900.75 / 600.0).abs() < 1e-9,
        "mean {}",
        stats.mean
    );
    assert!(
        vib.anomaly > 5.0,
        "4.75 after a burst between 1 and 2 is an outlier: z = {}",
        vib.anomaly
    );
}

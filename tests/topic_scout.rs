//! The editor's topic scout against a real mosquitto: what a publisher
//! sends on topics the scene knows nothing of shows up in the scout's list
//! with its last payload and count, and offers its numbers to bind; after
//! the scout is dropped it no longer receives.

mod common;

use std::time::{Duration, Instant};

use common::*;
use twinscape::telemetry::carried::numbers;
use twinscape::telemetry::scout::TopicScout;

/// How long the scout may take to see what was published.
const WAIT: Duration = Duration::from_secs(10);

#[test]
fn the_scout_lists_what_the_broker_carries() {
    let broker = Mosquitto::start();
    let scout = TopicScout::spawn(&broker.url());
    let publisher = Publisher::connect(broker.port);
    let view = scout.view.clone();
    // Published until the scout has seen a first message (its
    // subscription may come after the first publishes).
    let started = Instant::now();
    while !view
        .lock()
        .unwrap()
        .carried
        .topics
        .contains_key("lab/ready")
    {
        assert!(started.elapsed() < WAIT, "the scout saw nothing");
        publisher.publish("lab/ready", "1");
        std::thread::sleep(Duration::from_millis(50));
    }
    for v in ["20.5", "21.0", "21.5"] {
        publisher.publish("lab/oven/temp", v);
    }
    publisher.publish(
        "lab/press/telemetry",
        r#"{"power":{"kw":12.5},"state":"run"}"#,
    );
    let started = Instant::now();
    loop {
        {
            let v = view.lock().unwrap();
            let t = &v.carried.topics;
            if t.get("lab/oven/temp").is_some_and(|s| s.messages == 3)
                && t.contains_key("lab/press/telemetry")
            {
                assert_eq!(t["lab/oven/temp"].last, b"21.5");
                let offered = numbers(&t["lab/press/telemetry"].last);
                assert_eq!(offered, [(Some("power.kw".to_string()), 12.5)]);
                assert_eq!(v.error, None);
                break;
            }
        }
        assert!(
            started.elapsed() < WAIT,
            "the scout did not see every publish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Dropped, it disconnects: later messages are not counted.
    drop(scout);
    std::thread::sleep(Duration::from_millis(300));
    publisher.publish("lab/oven/temp", "30.0");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        view.lock().unwrap().carried.topics["lab/oven/temp"].messages,
        3
    );
}

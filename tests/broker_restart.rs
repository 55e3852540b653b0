//! The broker goes away and comes back: the twin reconnects, subscribes
//! again, and values flow as before.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn the_twin_survives_a_broker_restart() {
    let port = free_port();
    let broker = Mosquitto::start_on(port);
    let mut twin = Twin::start(factory_scene(), broker.url());
    let publisher = Publisher::connect(port);
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "30.5",
        "cnc-1",
        "temperature",
        30.5,
    );
    assert_eq!(twin.snapshot().ingest.connects, 1);
    drop(publisher);

    drop(broker);
    let snap = twin.until(
        "the twin notices the broker is gone",
        Duration::from_secs(20),
        |s| s.ingest.link == "reconnecting",
    );
    assert!(
        snap.ingest.last_error.is_some(),
        "the reason is kept for the panel"
    );
    twin.run_for(Duration::from_secs(1));

    let broker = Mosquitto::start_on(port);
    twin.until("the twin reconnects", Duration::from_secs(20), |s| {
        s.ingest.link == "connected" && s.ingest.connects >= 2
    });
    let publisher = Publisher::connect(broker.port);
    // Only a fresh subscription (the session is clean) lets this through.
    let snap = twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "33.25",
        "cnc-1",
        "temperature",
        33.25,
    );
    assert_eq!(snap.ingest.dropped, 0);
}

//! Published data crosses a limit and the alarm appears, is acknowledged,
//! survives a value in the hysteresis band, and clears.

mod common;

use std::thread;
use std::time::Duration;

use common::*;
use twinscape::alarms::{Alarms, Level, Rule, State};
use twinscape::snapshot::{AlarmState, Snapshot};

fn alarm(s: &Snapshot, rule: Rule) -> Option<&AlarmState> {
    s.alarms
        .iter()
        .find(|a| a.twin == "cnc-1" && a.sensor == "temperature" && a.rule == rule)
}

#[test]
fn an_alarm_is_raised_acknowledged_and_cleared() {
    let (_broker, mut twin, publisher) = live_factory();
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "50",
        "cnc-1",
        "temperature",
        50.0,
    );
    assert!(twin.snapshot().alarms.is_empty(), "no alarm at 50 °C");

    // 90 °C is past the alarm limit (85); it must hold 2 s before the alarm is raised.
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "90",
        "cnc-1",
        "temperature",
        90.0,
    );
    let raised_after = std::time::Instant::now();
    let snap = twin.until(
        "the high-high alarm is raised",
        Duration::from_secs(15),
        |s| alarm(s, Rule::HighHigh).is_some(),
    );
    assert!(
        raised_after.elapsed() >= Duration::from_millis(1500),
        "raised before the minimum duration"
    );
    let hh = alarm(&snap, Rule::HighHigh).unwrap();
    assert_eq!(
        (hh.level, hh.state, hh.value),
        (Level::Alarm, State::Active, 90.0)
    );
    let high = alarm(&snap, Rule::High).expect("the warn limit (75) is crossed too");
    assert_eq!(high.level, Level::Warn);
    assert_eq!(
        snap.alarms[0].id.max(snap.alarms[1].id),
        snap.alarms[0].id,
        "newest first"
    );

    // Acknowledge it as the panel's button does.
    let now = twinscape::telemetry::now_s();
    assert!(
        twin.app
            .world_mut()
            .resource_mut::<Alarms>()
            .book
            .acknowledge(hh.id, now)
    );
    let snap = twin.run_for(Duration::from_millis(100));
    let hh = alarm(&snap, Rule::HighHigh).unwrap();
    assert_eq!(hh.state, State::Acknowledged);
    assert!(hh.acknowledged_ms.is_some() && hh.cleared_ms.is_none());

    // 84.7 is within the hysteresis band (2.5 below 85: 5% of the 20–70 range): still not cleared.
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "84.7",
        "cnc-1",
        "temperature",
        84.7,
    );
    thread::sleep(Duration::from_millis(300));
    let snap = twin.run_for(Duration::from_millis(300));
    assert_eq!(
        alarm(&snap, Rule::HighHigh).unwrap().state,
        State::Acknowledged
    );
    assert_eq!(
        snap.alarms
            .iter()
            .filter(|a| a.rule == Rule::HighHigh)
            .count(),
        1,
        "one alarm, not one per dither"
    );

    // Back to normal: both clear, with their times.
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "60",
        "cnc-1",
        "temperature",
        60.0,
    );
    let snap = twin.until("the alarms clear", Duration::from_secs(5), |s| {
        [Rule::HighHigh, Rule::High]
            .iter()
            .all(|r| alarm(s, *r).is_some_and(|a| a.state == State::Cleared))
    });
    let hh = alarm(&snap, Rule::HighHigh).unwrap();
    assert!(hh.cleared_ms.unwrap() >= hh.acknowledged_ms.unwrap());
    assert!(hh.acknowledged_ms.unwrap() >= hh.raised_ms);
}

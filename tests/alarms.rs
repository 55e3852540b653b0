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

#[test]
fn rate_of_change_and_forecast_alarms_follow_a_holt_predictor_chosen_in_the_scene() {
    // CNC mill 1's temperature with Holt(alpha 1, beta 1): the level is the
    // last value and the trend the last step per second, so the rate and
    // the time to the alarm limit (85 °C) can be worked out by hand. Its
    // countdown confidence is 0.5, so the expected curve itself decides
    // (with the default 0.9, Holt(1, 1) — a random walk with drift to ETS —
    // is far too unsure 30 s ahead to warn at all).
    let scene = std::fs::read_to_string(factory_scene()).unwrap().replacen(
        "binding: (topic: \"sensor/temperature\"), show: [Color, Label]),",
        "binding: (topic: \"sensor/temperature\"), show: [Color, Label],\n \
         predictor: Holt(alpha: 1.0, beta: 1.0), countdown: (confidence: 0.5),\n \
         alarms: (max_rate: Some(0.5), forecast_horizon_s: Some(30.0))),",
        1,
    );
    // 40 °C until t = 10, then 1 °C/s (41 °C at t = 11) up to 60 °C at
    // t = 30, then flat.
    let t0 = 1_700_000_000u64;
    let mut csv = String::from("time,topic,value\n");
    for t in 0..=40u64 {
        let v = 40.0 + (t.saturating_sub(10).min(20)) as f64;
        csv.push_str(&format!("{},sensor/temperature,{v}\n", t0 + t));
    }
    let snap = replay_through(&scene, &csv, "rate-forecast", "10");
    let alarms: Vec<&serde_json::Value> = snap["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["twin"] == "cnc-1" && a["sensor"] == "temperature")
        .collect();
    let find = |rule: &str| {
        let found: Vec<_> = alarms.iter().filter(|a| a["rule"] == rule).collect();
        assert_eq!(found.len(), 1, "one {rule} alarm: {alarms:?}");
        found[0]
    };
    let secs =
        |a: &serde_json::Value, key: &str| (a[key].as_u64().unwrap() - t0 * 1000) as f64 / 1000.0;
    // The rate (1 °C/s) passes 0.5 °C/s from t = 11; after the 2 s minimum
    // duration the warning is raised at t = 13 (at 42–43 °C), and it clears
    // when the ramp stops at t = 31.
    let rate = find("rate_of_change");
    assert_eq!(
        (rate["level"].as_str(), rate["state"].as_str()),
        (Some("warn"), Some("cleared"))
    );
    assert!((12.8..=13.4).contains(&secs(rate, "raised_ms")), "{rate}");
    assert!(
        (42.0..=43.0).contains(&rate["value"].as_f64().unwrap()),
        "{rate}"
    );
    assert!((30.8..=31.4).contains(&secs(rate, "cleared_ms")), "{rate}");
    // At 1 °C/s the alarm limit is 30 s away once the value reaches 55 °C
    // (t = 25): raised 2 s later at 57 °C, cleared when the trend goes flat.
    let forecast = find("forecast");
    assert!(
        (26.8..=27.4).contains(&secs(forecast, "raised_ms")),
        "{forecast}"
    );
    assert!(
        (56.0..=57.0).contains(&forecast["value"].as_f64().unwrap()),
        "{forecast}"
    );
    assert!(
        (30.8..=31.4).contains(&secs(forecast, "cleared_ms")),
        "{forecast}"
    );
    // 60 °C never reaches the warn limit (75).
    assert!(alarms.iter().all(|a| a["rule"] != "high"), "{alarms:?}");
    let temp = sensor_json(twin_json(&snap, "cnc-1"), "temperature");
    assert_eq!(temp["forecast"]["predictor"], "holt", "{temp}");
}

#[test]
fn a_reading_outside_the_physical_range_is_flagged() {
    // The factory's CNC mill 1 thermometer reads -40 to 400 °C (`physical`).
    let scene = std::fs::read_to_string(factory_scene()).unwrap();
    assert!(scene.contains("physical: Some((-40.0, 400.0))"));
    let quality = |values: &[f64], name: &str| {
        let mut csv = String::from("time,topic,value\n");
        for (i, v) in values.iter().enumerate() {
            csv.push_str(&format!("{},sensor/temperature,{v}\n", 1_700_000_000 + i));
        }
        let snap = replay_through(&scene, &csv, name, "10");
        sensor_json(twin_json(&snap, "cnc-1"), "temperature")["quality"].clone()
    };
    assert_eq!(
        quality(&[50.0, 60.0, 399.0], "physical-in")["out_of_range"],
        false
    );
    assert_eq!(
        quality(&[50.0, 60.0, 850.0], "physical-out")["out_of_range"],
        true
    );
    assert_eq!(
        quality(&[50.0, -41.0], "physical-low")["out_of_range"],
        true
    );
}

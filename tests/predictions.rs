//! Countdowns people can trust, through the real app: a recorded warm-up
//! that levels out below its alarm limit gets no countdown and no early
//! warning; a ramp towards the limit gets both, with its range.

mod common;

use common::*;

/// CNC mill 1's temperature (alarm 85 °C) with early warnings 10 minutes ahead.
fn scene() -> String {
    std::fs::read_to_string(factory_scene()).unwrap().replacen(
        "binding: (topic: \"sensor/temperature\"), show: [Color, Label]),",
        "binding: (topic: \"sensor/temperature\"), show: [Color, Label],\n \
         alarms: (forecast_horizon_s: Some(600.0))),",
        1,
    )
}

/// 300 readings a second apart of `signal(t)`, with a ±0.2 °C wobble.
fn csv(signal: impl Fn(f64) -> f64) -> String {
    let t0 = 1_700_000_000u64;
    let mut csv = String::from("time,topic,value\n");
    for i in 0..300u64 {
        let wobble = if i % 2 == 0 { 0.2 } else { -0.2 };
        let v = signal(i as f64) + wobble;
        csv.push_str(&format!("{},sensor/temperature,{v}\n", t0 + i));
    }
    csv
}

fn forecast_alarms(snap: &serde_json::Value) -> usize {
    snap["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["twin"] == "cnc-1" && a["rule"] == "forecast")
        .count()
}

#[test]
fn a_warm_up_levelling_out_below_the_limit_neither_counts_down_nor_warns() {
    // From 20 °C towards 65 °C with a 60 s time constant: it reaches 64.7 °C
    // by the end, rising 0.05 °C/s there; a straight line would reach 85 °C
    // within seven minutes.
    let warm = |t: f64| 20.0 + 45.0 * (1.0 - (-t / 60.0).exp());
    let snap = replay_through(&scene(), &csv(warm), "warm-up", "max");
    let temp = sensor_json(twin_json(&snap, "cnc-1"), "temperature");
    assert_eq!(temp["forecast"]["predictor"], "auto", "{temp}");
    assert_eq!(temp["forecast"]["model"], "first-order", "{temp}");
    assert!(temp["time_to_alarm_s"].is_null(), "{temp}");
    assert!(temp["time_to_alarm_low_s"].is_null(), "{temp}");
    // A minute on the curve is at warm(359) = 64.89 °C.
    let ahead = temp["forecast"]["value"].as_f64().unwrap();
    assert!(
        (ahead - warm(359.0)).abs() < 0.3,
        "{ahead} vs {}",
        warm(359.0)
    );
    assert_eq!(forecast_alarms(&snap), 0, "{}", snap["alarms"]);
}

#[test]
fn a_ramp_towards_the_limit_counts_down_with_its_range_and_warns_early() {
    // 40 °C rising 0.1 °C/s: 69.9 °C at the last reading (t = 299 s), the
    // 85 °C limit 151 s later.
    let ramp = |t: f64| 40.0 + 0.1 * t;
    let snap = replay_through(&scene(), &csv(ramp), "ramp", "max");
    let temp = sensor_json(twin_json(&snap, "cnc-1"), "temperature");
    assert_eq!(temp["forecast"]["model"], "linear", "{temp}");
    let eta = |key: &str| {
        temp[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing: {temp}"))
    };
    let (expected, low, high) = (
        eta("time_to_alarm_s"),
        eta("time_to_alarm_low_s"),
        eta("time_to_alarm_high_s"),
    );
    assert!((expected - 151.0).abs() < 15.1, "{expected}");
    assert!(
        low <= expected && expected <= high,
        "{low} {expected} {high}"
    );
    assert!(high - low < 30.0, "a clean ramp is sure: {low}..{high}");
    assert_eq!(forecast_alarms(&snap), 1, "{}", snap["alarms"]);
}

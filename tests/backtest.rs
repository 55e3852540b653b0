//! `twinscape backtest` on recordings built so the answers are known, and
//! `twinscape simulate` writing one of the plant.

mod common;

use std::fmt::Write;

use common::*;

const T0: u64 = 1_700_000_000;

/// CNC mill 1, one reading a second for 2,400 s:
/// - temperature (alarm 85 °C, min duration 2 s): 40 °C rising 0.05 °C/s
///   with a ±0.2 °C wobble; it reaches 85 °C at t = 900 s, so the alarm is
///   raised at 902 s; then it drops to 50 °C and stays there.
/// - vibration (alarm 7 mm/s): 2 rising 0.01 per second to 6.5 at t = 450 s,
///   then flat at 6.5: heading for 7 (at t = 500 s), it never gets there.
fn recording() -> String {
    let mut csv = String::from("time,twin,sensor,value\n");
    for t in 0..2400u64 {
        let wobble = if t % 2 == 0 { 0.2 } else { -0.2 };
        let ft = t as f64;
        let temp = if t <= 905 { 40.0 + 0.05 * ft } else { 50.0 } + wobble;
        let vib = 2.0 + 0.01 * ft.min(450.0) + wobble / 10.0;
        writeln!(csv, "{},cnc-1,temperature,{temp}", T0 + t).unwrap();
        writeln!(csv, "{},cnc-1,vibration,{vib}", T0 + t).unwrap();
    }
    csv
}

fn model<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == name)
        .unwrap_or_else(|| panic!("no model {name}: {report}"))
}

fn sensor<'a>(model: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    model["per_sensor"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["twin"] == "cnc-1" && s["sensor"] == name)
        .unwrap_or_else(|| panic!("no cnc-1/{name}: {model}"))
}

#[test]
fn a_ramp_is_predicted_with_the_lead_its_window_allows_and_a_plateau_is_a_false_prediction() {
    let (csv, json) = (tmp("known.csv"), tmp("known.json"));
    std::fs::write(&csv, recording()).unwrap();
    let out = succeed(
        twinscape()
            .args(["backtest", "--models", "linear,auto", "--replay"])
            .arg(&csv)
            .arg("--json")
            .arg(&json),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("lead median") && stdout.contains("linear"),
        "{stdout}"
    );
    let report = read_snapshot(&json);
    assert_eq!(report["hours"].as_f64().unwrap(), 2399.0 / 3600.0);
    for name in ["linear", "auto"] {
        let m = model(&report, name);
        let temp = sensor(m, "temperature");
        assert_eq!(temp["alarms"], 1, "{name}: {temp}");
        assert_eq!(temp["missed"], 0, "{name}: {temp}");
        // A model reaches three window spans ahead; the 600-sample window
        // spans t seconds until t = 599, so the 85 °C crossing at 900 s is
        // first in reach at t = 225 s (900 - t = 3t); the countdown must have
        // held ten seconds and is asked every 5 s: it starts at 235–245 s,
        // 657–667 s before the alarm at 902 s.
        let lead = temp["lead_times_s"][0].as_f64().unwrap();
        assert!((655.0..=670.0).contains(&lead), "{name}: lead {lead}");
        // Every countdown of a clean ramp is close to the truth.
        let errors: Vec<f64> = temp["countdown_errors_s"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_f64().unwrap())
            .collect();
        assert!(errors.len() > 100, "{name}: {}", errors.len());
        assert!(errors.iter().all(|e| *e < 15.0), "{name}: {errors:?}");
        assert_eq!(temp["false_predictions"], 0, "{name}: {temp}");
    }
    // The vibration heads for 7 and levels out at 6.5: the line counts
    // down and nothing comes.
    let vib = sensor(model(&report, "linear"), "vibration");
    assert_eq!(vib["alarms"], 0, "{vib}");
    assert_eq!(vib["false_predictions"], 1, "{vib}");
    let linear = model(&report, "linear");
    assert_eq!(linear["false_predictions"], 1);
    let per_hour = linear["false_per_sensor_hour"].as_f64().unwrap();
    assert!(
        (per_hour - 1.0 / (2.0 * 2399.0 / 3600.0)).abs() < 1e-9,
        "{per_hour}"
    );
}

#[test]
fn a_simulated_day_fragment_is_written_and_scored() {
    let csv = tmp("sim.csv");
    let out = succeed(
        twinscape()
            .args(["simulate", "--for", "60", "--sim-rate", "2", "--out"])
            .arg(&csv),
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("wrote"),
        "{out:?}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "timestamp,twin,sensor,topic,value");
    assert!(
        lines[1].starts_with("2026-01-01T00:00:00.500Z,"),
        "{}",
        lines[1]
    );
    // 120 steps of every published sensor of the factory.
    let first_step = lines[1..]
        .iter()
        .take_while(|l| l.starts_with("2026-01-01T00:00:00.500Z"))
        .count();
    assert_eq!(lines.len() - 1, 120 * first_step);
    let out = succeed(twinscape().args(["backtest", "--replay"]).arg(&csv));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for model in ["auto", "linear", "holt", "first-order"] {
        assert!(stdout.contains(model), "{stdout}");
    }
}

#[test]
fn a_backtest_without_a_recording_or_with_an_unknown_model_says_so() {
    let out = twinscape().arg("backtest").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("backtest needs a recording: --replay FILE.csv")
    );
    let csv = tmp("tiny.csv");
    std::fs::write(&csv, recording()).unwrap();
    let out = twinscape()
        .args(["backtest", "--models", "linear,prophet", "--replay"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown model \"prophet\""), "{err}");
    // Rows for a twin the scene does not have: nothing to score, said where.
    let other = tmp("other.csv");
    std::fs::write(&other, "time,twin,sensor,value\n1,nope,temperature,3\n").unwrap();
    let out = twinscape()
        .args(["backtest", "--replay"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no row feeds a sensor with an alarm limit") && err.contains("other.csv:2"),
        "{err}"
    );
}

#[test]
fn the_viewer_refuses_scores_that_are_not_a_backtest_before_starting_anything() {
    let bad = tmp("not-scores.json");
    std::fs::write(&bad, "{\"hours\": 1}").unwrap();
    let out = twinscape()
        .args(["view", "--scores"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not-scores.json: not a backtest report: missing field `models`"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing started: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

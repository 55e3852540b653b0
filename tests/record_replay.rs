//! `--record` and `--replay` as a user runs them: a live run over MQTT
//! recorded and replayed gives the same analytics; a CSV of sensor data is
//! described, its trend fitted and its alarm predicted in one command, the
//! same way every time; broken files are refused with their line.

mod common;

use std::fmt::Write as _;

use common::*;

/// Runs `twinscape headless --replay FILE --speed max --snapshot OUT` and
/// returns the snapshot and stdout.
fn replay(file: &std::path::Path, out: &std::path::Path) -> (serde_json::Value, String) {
    let output = succeed(
        twinscape()
            .args(["headless", "--speed", "max", "--replay"])
            .arg(file)
            .arg("--snapshot")
            .arg(out),
    );
    (
        read_snapshot(out),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_recorded_live_run_replays_to_the_same_numbers() {
    let rec = tmp("live.csv");
    let live = tmp("live-run.json");
    // The embedded broker and the simulated plant, over real MQTT.
    succeed(
        twinscape()
            .args([
                "headless",
                "--port",
                &free_port().to_string(),
                "--sim-rate",
                "20",
                "--for",
                "4",
                "--record",
            ])
            .arg(&rec)
            .arg("--snapshot")
            .arg(&live),
    );
    let live = read_snapshot(&live);
    let text = std::fs::read_to_string(&rec).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,twin,sensor,topic,value"));
    let rows = lines.count() as u64;
    assert_eq!(
        rows,
        live["ingest"]["applied"].as_u64().unwrap(),
        "one row per applied sample"
    );
    assert!(rows > 1000, "4 s of every sensor at 20 Hz: {rows} rows");

    let (replayed, stdout) = replay(&rec, &tmp("replayed.json"));
    assert!(
        stdout.contains(&format!("replaying {rows} rows")),
        "{stdout}"
    );
    assert_eq!(replayed["ingest"]["applied"].as_u64(), Some(rows));
    assert_eq!(replayed["ingest"]["rejected"], 0);
    let mut compared = 0;
    for twin in live["twins"].as_array().unwrap() {
        let again = twin_json(&replayed, twin["id"].as_str().unwrap());
        for s in twin["sensors"].as_array().unwrap() {
            let r = sensor_json(again, s["name"].as_str().unwrap());
            for key in [
                "value",
                "updated_ms",
                "samples",
                "stats",
                "forecast",
                "anomaly",
            ] {
                assert_eq!(s[key], r[key], "{}/{} {key}", twin["id"], s["name"]);
            }
            compared += 1;
        }
    }
    assert!(compared >= 30);
}

/// The tutorial: a CSV of readings (time, topic, value, as a pandas user
/// would have it) read, described, a trend fitted and the alarm predicted.
#[test]
fn a_csv_of_sensor_data_is_described_and_its_trend_fitted_in_one_command() {
    // cnc-1's temperature (topic sensor/temperature, alarm at 85 °C): 300
    // readings a second apart rising 0.05 °C/s with a ±0.4 °C wobble, plus one
    // row whose value is not a number.
    let t0 = 1_764_150_000.0;
    let values: Vec<f64> = (0..300)
        .map(|i| 40.0 + 0.05 * i as f64 + if i % 2 == 0 { 0.4 } else { -0.4 })
        .collect();
    let mut csv = String::from("time,topic,value\n");
    for (i, v) in values.iter().enumerate() {
        writeln!(csv, "{},sensor/temperature,{v}", t0 + i as f64).unwrap();
        if i == 100 {
            writeln!(csv, "{},sensor/temperature,n/a", t0 + i as f64).unwrap();
        }
    }
    let file = tmp("tutorial.csv");
    std::fs::write(&file, csv).unwrap();
    let (snap, _) = replay(&file, &tmp("tutorial-1.json"));

    // Worked out independently: two-pass mean and sample std, sorted-rank
    // quantiles, least squares with times relative to the first.
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (n - 1.0);
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    };
    let mean_t = (n - 1.0) / 2.0;
    let sxy: f64 = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 - mean_t) * (v - mean))
        .sum();
    let sxx: f64 = (0..300).map(|i| (i as f64 - mean_t).powi(2)).sum();
    let slope = sxy / sxx;
    let fitted_last = mean + slope * (299.0 - mean_t);
    let time_to_alarm = (85.0 - fitted_last) / slope;

    let s = sensor_json(twin_json(&snap, "cnc-1"), "temperature");
    let close = |got: &serde_json::Value, want: f64, what: &str| {
        let got = got
            .as_f64()
            .unwrap_or_else(|| panic!("{what} missing: {s}"));
        assert!(
            (got - want).abs() < 1e-9 * want.abs().max(1.0),
            "{what}: {got} vs {want}"
        );
    };
    let stats = &s["stats"];
    assert_eq!(stats["count"], 300);
    close(&stats["mean"], mean, "mean");
    close(&stats["std"], std, "std");
    close(&stats["min"], sorted[0], "min");
    close(&stats["q25"], q(0.25), "25%");
    close(&stats["q50"], q(0.5), "50%");
    close(&stats["q75"], q(0.75), "75%");
    close(&stats["max"], sorted[299], "max");
    close(&s["forecast"]["slope"], slope, "slope");
    close(&s["time_to_alarm_s"], time_to_alarm, "time to alarm");
    assert!((slope - 0.05).abs() < 0.001, "{slope}");
    close(&s["value"], values[299], "last value");
    assert_eq!(s["updated_ms"], (t0 + 299.0) as u64 * 1000);

    let ingest = &snap["ingest"];
    assert_eq!(ingest["applied"], 300);
    assert_eq!(ingest["rejected"], 1);
    let why = ingest["last_reject"].as_str().unwrap();
    assert!(
        why.contains("tutorial.csv:103:") && why.contains("n/a"),
        "the bad row is named by file and line: {why}"
    );
    // The file's clock, not the wall clock: fresh data, not stale.
    assert_eq!(s["quality"]["stale"], false);

    // And the same again, byte for byte.
    replay(&file, &tmp("tutorial-2.json"));
    assert_eq!(
        std::fs::read(tmp("tutorial-1.json")).unwrap(),
        std::fs::read(tmp("tutorial-2.json")).unwrap()
    );
}

/// What pandas writes for a time-zone-aware index (`df.to_csv()`): a space
/// for the `T` and an offset. Naive times beside them count as UTC.
#[test]
fn a_csv_with_time_zone_offsets_replays_at_its_instants() {
    // 2024-03-01 08:00:00+02:00 is 2024-03-01T06:00:00Z, 1709272800 s
    // (`date -u -d '2024-03-01 08:00:00+02:00' +%s`).
    let t0_ms = 1_709_272_800_000u64;
    let mut csv = String::from("time,topic,value\n");
    for i in 0..10 {
        writeln!(
            csv,
            "2024-03-01 08:00:{i:02}+02:00,sensor/temperature,{}",
            40 + i
        )
        .unwrap();
    }
    // Ten seconds later in UTC, naive: the newest reading.
    writeln!(csv, "2024-03-01 06:00:10,sensor/temperature,99").unwrap();
    let file = tmp("pandas-tz.csv");
    std::fs::write(&file, csv).unwrap();
    let (snap, stdout) = replay(&file, &tmp("pandas-tz.json"));
    assert!(
        stdout.contains("(2024-03-01T06:00:00.000Z to 2024-03-01T06:00:10.000Z)"),
        "{stdout}"
    );
    assert_eq!(snap["ingest"]["applied"], 11);
    assert_eq!(snap["ingest"]["rejected"], 0);
    let s = sensor_json(twin_json(&snap, "cnc-1"), "temperature");
    assert_eq!(s["updated_ms"], t0_ms + 10_000);
    assert_eq!(s["value"], 99.0);
}

#[test]
fn a_replay_raises_the_alarms_the_data_calls_for() {
    // press-1's temperature (warn 72, alarm 80 °C, 2 s minimum) held at 90 °C
    // for 10 s, then back to 50 °C: one alarm, raised and cleared at the
    // file's times.
    let t0 = 1_764_150_000_000u64;
    let mut csv = String::from("timestamp,twin,sensor,topic,value\n");
    for i in 0..40u64 {
        let v = if (10..20).contains(&i) { 90.0 } else { 50.0 };
        let ts = twinscape::recording::format_time(t0 + i * 1000);
        writeln!(
            csv,
            "{ts},press-1,temperature,factory/press-1/temperature,{v}"
        )
        .unwrap();
    }
    let file = tmp("press.csv");
    std::fs::write(&file, csv).unwrap();
    let (snap, _) = replay(&file, &tmp("press.json"));
    let alarms: Vec<_> = snap["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["twin"] == "press-1" && a["level"] == "alarm")
        .collect();
    assert_eq!(alarms.len(), 1, "{}", snap["alarms"]);
    let a = alarms[0];
    assert_eq!(a["value"], 90.0);
    assert_eq!(a["state"], "cleared");
    let raised = a["raised_ms"].as_u64().unwrap();
    let cleared = a["cleared_ms"].as_u64().unwrap();
    // Over the limit from t0+10 s; raised after the 2 s minimum (frames are
    // 1 s of file time at max speed); cleared when 50 °C arrives at t0+20 s.
    assert!(
        (t0 + 12_000..=t0 + 13_000).contains(&raised),
        "raised at +{} ms",
        raised - t0
    );
    assert!(
        (t0 + 20_000..=t0 + 21_000).contains(&cleared),
        "cleared at +{} ms",
        cleared - t0
    );
}

#[test]
fn broken_recordings_and_flags_are_refused_with_where() {
    let file = tmp("broken.csv");
    std::fs::write(
        &file,
        "timestamp,twin,sensor,topic,value\n2026-11-26T10:00:00Z,press-1,temperature,t,50\n2026-11-26T25:00:00Z,press-1,temperature,t,51\n",
    )
    .unwrap();
    let out = twinscape()
        .args(["headless", "--replay"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.csv:3:1: timestamp \"2026-11-26T25:00:00Z\""),
        "{err}"
    );

    let missing = twinscape()
        .args(["headless", "--replay", "no/such/file.csv"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot read recording no/such/file.csv")
    );

    for (args, says) in [
        (
            vec!["headless", "--replay", "x.csv", "--speed", "0"],
            "is not a speed",
        ),
        (
            vec!["headless", "--replay", "x.csv", "--broker", "mqtt://h:1"],
            "cannot be used with",
        ),
        (vec!["headless", "--speed", "2"], "--replay"),
    ] {
        let out = twinscape().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }

    let dir = tmp("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    let out = twinscape()
        .args([
            "headless",
            "--for",
            "1",
            "--port",
            &free_port().to_string(),
            "--record",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot create recording"));
}

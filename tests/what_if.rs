//! What-if runs start from the twin's live state, as it arrives over MQTT,
//! and move results the expected way; `--what-if` puts them in the snapshot.

mod common;

use common::*;
use twinscape::sim::line::{Scenario, WhatIf};
use twinscape::whatif;

fn run(twin: &mut Twin, scenario: &str) -> WhatIf {
    whatif::run(twin.app.world_mut(), &scenario.parse::<Scenario>().unwrap()).unwrap()
}

#[test]
fn a_machine_reported_down_over_mqtt_is_down_in_the_what_if() {
    let (_broker, mut twin, publisher) = live_factory();
    // cnc-1 says it is down (state 3), the others that they are working.
    for m in [
        "cnc-2", "cnc-3", "press-1", "press-2", "robot-1", "robot-2", "pack-1",
    ] {
        twin.publish_until_seen(
            &publisher,
            &format!("factory/{m}/state"),
            "1",
            m,
            "state",
            1.0,
        );
    }
    twin.publish_until_seen(
        &publisher,
        "factory/cnc-1/state",
        "3",
        "cnc-1",
        "state",
        3.0,
    );
    // The buffers report their levels too.
    for (twin_id, sensor, level) in [
        ("conv-1", "queue", 7.0),
        ("conv-2", "queue", 0.0),
        ("pack-1", "infeed_queue", 4.0),
    ] {
        twin.publish_until_seen(
            &publisher,
            &format!("factory/{twin_id}/{sensor}"),
            &level.to_string(),
            twin_id,
            sensor,
            level,
        );
    }
    let (_, start) = whatif::live_start(twin.app.world_mut()).expect("the factory has a line");
    assert_eq!(start.buffers, [Some(7), Some(0), Some(4), None]);
    assert_eq!(start.down.len(), 1, "{:?}", start.down);
    let (machine, left) = &start.down[0];
    assert_eq!(machine, "cnc-1");
    // The milling repair takes 420 s; it went down a moment ago.
    assert!(*left > 400.0 && *left <= 420.0, "{left} s of repair left");
    let down = run(&mut twin, "baseline");

    twin.publish_until_seen(
        &publisher,
        "factory/cnc-1/state",
        "1",
        "cnc-1",
        "state",
        1.0,
    );
    let (_, start) = whatif::live_start(twin.app.world_mut()).unwrap();
    assert!(start.down.is_empty());
    let up = run(&mut twin, "baseline");
    // Same random numbers; the only difference is cnc-1's repair at the start.
    let milling = |w: &WhatIf| w.baseline.stations[0].down_min;
    assert!(
        milling(&down) > milling(&up) + 5.0,
        "milling down {:.1} min with cnc-1 down now vs {:.1} min",
        milling(&down),
        milling(&up)
    );
    assert!(down.baseline.shipped <= up.baseline.shipped);
}

#[test]
fn headless_what_ifs_land_in_the_snapshot_and_point_the_right_way() {
    let out = tmp("what-if.json");
    succeed(
        twinscape()
            .args([
                "headless",
                "--port",
                &free_port().to_string(),
                "--for",
                "4",
                "--what-if",
                "fail:cnc-1",
                "--what-if",
                "crews:2",
                "--what-if",
                "slower:milling:1.5",
                "--snapshot",
            ])
            .arg(&out),
    );
    let snap = read_snapshot(&out);
    let list = snap["what_if"].as_array().expect("what_if is a list");
    assert_eq!(list.len(), 3, "{}", snap["what_if_errors"]);
    let shipped = |w: &serde_json::Value, k: &str| w[k]["shipped"].as_f64().unwrap();
    let by = |name: &str| list.iter().find(|w| w["scenario"] == name).unwrap();
    let fail = by("fail:cnc-1");
    assert_eq!(fail["horizon_h"], 8.0);
    assert_eq!(fail["runs"], 20);
    // The mills are the bottleneck: losing one for a repair costs parts.
    assert!(
        shipped(fail, "result") < shipped(fail, "baseline"),
        "{fail}"
    );
    // One more crew, same random numbers: a breakdown never waits longer
    // for a repair, and over 20 runs of 8 h some breakdowns overlap, so the
    // line is down strictly less and ships no fewer parts. (A scenario that
    // did nothing would tie.)
    let crews = by("crews:2");
    let down = |w: &serde_json::Value, k: &str| {
        w[k]["stations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["down_min"].as_f64().unwrap())
            .sum::<f64>()
    };
    assert!(
        down(crews, "result") < down(crews, "baseline") - 1.0,
        "{crews}"
    );
    assert!(
        shipped(crews, "result") >= shipped(crews, "baseline"),
        "{crews}"
    );
    // cnc-1 fails now: its 420 s repair adds about 7 min to milling's downtime.
    let milling_down =
        |w: &serde_json::Value, k: &str| w[k]["stations"][0]["down_min"].as_f64().unwrap();
    assert!(
        milling_down(fail, "result") > milling_down(fail, "baseline") + 5.0,
        "{fail}"
    );
    let slow = by("slower:milling:1.5");
    assert!(
        shipped(slow, "result") < shipped(slow, "baseline") * 0.8,
        "{slow}"
    );
    // The numbers agree with their definitions (docs/simulation.md): over
    // 8 h = 28,800 s, per_hour = shipped / 8, a station's availability =
    // 1 - down / (28,800 s x its machines), the line's OEE = shipped x the
    // bottleneck's ideal time per part / 28,800 s: pressing's 34 s / 2
    // machines, or milling's 48 s x 1.5 / 3 when it is 1.5 times slower.
    let machines = [
        ("milling", 3.0),
        ("pressing", 2.0),
        ("handling", 2.0),
        ("packing", 1.0),
    ];
    for w in list {
        for k in ["baseline", "result"] {
            let r = &w[k];
            let bottleneck = if k == "result" && w["scenario"] == "slower:milling:1.5" {
                24.0
            } else {
                17.0
            };
            let shipped = r["shipped"].as_f64().unwrap();
            assert!(shipped > 100.0, "{r}");
            assert!(
                (r["per_hour"].as_f64().unwrap() - shipped / 8.0).abs() < 1e-6,
                "{r}"
            );
            assert!(
                (r["oee"].as_f64().unwrap() - shipped * bottleneck / 28_800.0).abs() < 1e-6,
                "{r}"
            );
            let stations = r["stations"].as_array().unwrap();
            assert_eq!(stations.len(), 4);
            for (s, (name, n)) in stations.iter().zip(machines) {
                assert_eq!(s["name"], name);
                let down = s["down_min"].as_f64().unwrap();
                let availability = s["availability"].as_f64().unwrap();
                assert!((0.0..=480.0 * n).contains(&down), "{s}");
                assert!(
                    (availability - (1.0 - down * 60.0 / (28_800.0 * n))).abs() < 1e-9,
                    "{s}"
                );
                for key in ["starved", "blocked", "oee"] {
                    assert!(
                        (0.0..=1.0).contains(&s[key].as_f64().unwrap()),
                        "{key}: {s}"
                    );
                }
                assert!(s["failures"].as_f64().unwrap() >= 0.0, "{s}");
            }
        }
    }
}

#[test]
fn a_machine_past_warn_and_trending_to_its_alarm_is_expected_to_fail() {
    let (_broker, mut twin, publisher) = live_factory();
    // CNC mill 1's temperature: warn 75 °C, alarm 85 °C. Rising past warn…
    for v in ["76", "78", "80"] {
        twin.publish_until_seen(
            &publisher,
            "sensor/temperature",
            v,
            "cnc-1",
            "temperature",
            v.parse().unwrap(),
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let (_, start) = whatif::live_start(twin.app.world_mut()).unwrap();
    let failing: Vec<_> = start
        .failing_in
        .iter()
        .filter(|(m, _)| m == "cnc-1")
        .collect();
    assert_eq!(failing.len(), 1, "{:?}", start.failing_in);
    // 5 °C to go at a few °C a second: it gets there within seconds.
    let eta = failing[0].1;
    assert!(eta > 0.0 && eta < 30.0, "{eta} s");
    // …and back below warn: no longer expected to fail, whatever the trend.
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "74",
        "cnc-1",
        "temperature",
        74.0,
    );
    let (_, start) = whatif::live_start(twin.app.world_mut()).unwrap();
    assert!(
        start.failing_in.iter().all(|(m, _)| m != "cnc-1"),
        "{:?}",
        start.failing_in
    );
}

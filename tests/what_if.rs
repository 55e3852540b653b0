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
    let crews = by("crews:2");
    assert!(
        shipped(crews, "result") >= shipped(crews, "baseline"),
        "{crews}"
    );
    let slow = by("slower:milling:1.5");
    assert!(
        shipped(slow, "result") < shipped(slow, "baseline") * 0.8,
        "{slow}"
    );
    for w in list {
        let stations = w["result"]["stations"].as_array().unwrap();
        assert_eq!(stations.len(), 4);
        for s in stations {
            for key in ["name", "down_min", "availability", "oee", "queue_before"] {
                assert!(s.get(key).is_some(), "station lacks {key}: {s}");
            }
        }
    }
}

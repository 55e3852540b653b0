//! Editing the scene file while the twin runs: a broken save is reported with
//! its position and the last good scene stays; a good save replaces it.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn a_broken_save_keeps_the_last_good_scene_and_a_good_one_replaces_it() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("line.scene.ron");
    let good = std::fs::read_to_string(factory_scene()).unwrap();
    std::fs::write(&path, &good).unwrap();

    let broker = Mosquitto::start();
    let mut twin = Twin::start(path.clone(), broker.url());
    let publisher = Publisher::connect(broker.port);
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "40",
        "cnc-1",
        "temperature",
        40.0,
    );
    let before = twin.snapshot();
    assert_eq!(before.scene.as_deref(), Some("Factory — line 1"));

    // A save with a syntax error: the twin keeps running on the last good scene.
    std::fs::write(&path, good.replacen("kind: Factory,", "kind: Factory", 1)).unwrap();
    let snap = twin.until("the broken save is noticed", Duration::from_secs(20), |s| {
        s.scene_error.is_some()
    });
    let error = snap.scene_error.clone().unwrap();
    // Just the file, the position and what was wrong: no asset source
    // prefix, no loader wrapper, no backtrace.
    assert!(
        error.starts_with("line.scene.ron:6:5: expected"),
        "the error has the file and position first: {error}"
    );
    assert!(
        !error.contains('\n') && !error.contains("scene://") && !error.contains("asset loader"),
        "the error is one plain line: {error:?}"
    );
    assert_eq!(snap.scene, before.scene);
    assert_eq!(snap.twins.len(), before.twins.len());
    assert_eq!(
        value_of(&snap, "cnc-1", "temperature"),
        Some(40.0),
        "values are kept"
    );
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "41",
        "cnc-1",
        "temperature",
        41.0,
    );

    // CNC mill 1 over its alarm limit (85 °C): an alarm is raised…
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "90",
        "cnc-1",
        "temperature",
        90.0,
    );
    let cnc_alarms = |s: &twinscape::snapshot::Snapshot| -> Vec<(u64, String)> {
        s.alarms
            .iter()
            .filter(|a| a.twin == "cnc-1" && a.sensor == "temperature")
            .map(|a| (a.id, format!("{:?}/{:?}", a.rule, a.state)))
            .collect()
    };
    let snap = twin.until("the alarm is raised", Duration::from_secs(20), |s| {
        cnc_alarms(s).iter().any(|(_, r)| r == "HighHigh/Active")
    });
    let raised = cnc_alarms(&snap);

    // A good save: renamed, one machine fewer, and data flows to the new twins.
    let edited = good.replacen(
        "name: \"Factory — line 1\"",
        "name: \"Factory — line 1 (edited)\"",
        1,
    );
    let start = edited
        .find("        (\n            id: \"comp-1\"")
        .expect("the compressor entry");
    let end = start + edited[start..].find("\n        ),\n").unwrap() + "\n        ),\n".len();
    std::fs::write(&path, format!("{}{}", &edited[..start], &edited[end..])).unwrap();
    let snap = twin.until(
        "the edited scene is spawned",
        Duration::from_secs(20),
        |s| s.scene.as_deref() == Some("Factory — line 1 (edited)"),
    );
    assert_eq!(snap.scene_error, None);
    assert_eq!(snap.twins.len(), before.twins.len() - 1);
    assert!(snap.twins.iter().all(|t| t.id != "comp-1"));
    // …which the reload keeps, open, and does not raise a second time.
    assert_eq!(
        cnc_alarms(&snap),
        raised,
        "the alarm book survives the reload"
    );
    twin.publish_until_seen(
        &publisher,
        "sensor/temperature",
        "42",
        "cnc-1",
        "temperature",
        42.0,
    );
    // Back to normal: the alarm raised before the reload clears.
    let snap = twin.until("the alarm clears", Duration::from_secs(20), |s| {
        cnc_alarms(s).iter().any(|(_, r)| r == "HighHigh/Cleared")
    });
    assert_eq!(
        cnc_alarms(&snap).len(),
        raised.len(),
        "{:?}",
        cnc_alarms(&snap)
    );
}

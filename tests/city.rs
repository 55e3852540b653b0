//! The shipped city (scenes/city.scene.ron over assets/city/helsinki.city.json)
//! as a user runs it: every building and street is a twin fed by the
//! simulated plant over MQTT (JSON payloads, FIWARE-style field names, through
//! the embedded broker), as are its twenty air-quality stations and four car
//! parks, and of 1,197 twins (two of them districts) only the one building whose consumption drifts
//! raises an alarm. The counts (444 buildings, 727 streets)
//! are the importer's, checked against pyosmium in tests/city_import.rs.

mod common;

use common::*;

const CITY: &str = "scenes/city.scene.ron";

fn kinds(snap: &serde_json::Value) -> (usize, usize) {
    let twins = snap["twins"].as_array().unwrap();
    let count = |k: &str| twins.iter().filter(|t| t["kind"] == k).count();
    (count("building"), count("street"))
}

#[test]
fn every_building_and_street_is_fed_live_over_mqtt() {
    let out = tmp("city-live.json");
    succeed(
        twinscape()
            .args(["headless", "--scene", CITY, "--for", "15"])
            .args(["--port", &free_port().to_string()])
            .args(["--ws-port", &free_port().to_string()])
            .arg("--snapshot")
            .arg(&out),
    );
    let snap = read_snapshot(&out);
    assert_eq!(kinds(&snap), (444, 727));
    // Three sensors a building, a street and an air-quality station (20),
    // two a car park (4), each with a value.
    // And the two districts' three figures each.
    assert_eq!(assert_every_sensor_fed(&snap), 1191 * 3 + 4 * 2 + 2 * 3);
    // One JSON message per twin carries its two or three values.
    let ingest = &snap["ingest"];
    let (received, applied) = (
        ingest["received"].as_u64().unwrap(),
        ingest["applied"].as_u64().unwrap(),
    );
    assert!(
        (2 * received..=3 * received).contains(&applied) && applied > 2 * received + received / 2,
        "{ingest}"
    );
    assert_eq!(ingest["rejected"], 0, "{ingest}");
    // A street's FIWARE fields land on its sensors, within their ranges.
    let street = snap["twins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "street")
        .unwrap();
    let speed = sensor_json(street, "speed")["value"].as_f64().unwrap();
    assert!((0.0..=200.0).contains(&speed), "{speed}");
    assert_eq!(
        sensor_json(street, "speed")["topic"],
        format!("city/street/{}", street["id"].as_str().unwrap())
    );
    // A car park never has more free spots than it has, in whole spots;
    // an air-quality index is a whole number on the EPA's scale.
    for i in 1..=4 {
        let park = twin_json(&snap, &format!("park-{i}"));
        let free = sensor_json(park, "available")["value"].as_f64().unwrap();
        let total = sensor_json(park, "total")["value"].as_f64().unwrap();
        assert!(
            (200.0..=400.0).contains(&total) && (0.0..=total).contains(&free),
            "{park}"
        );
        assert_eq!((free.fract(), total.fract()), (0.0, 0.0), "{park}");
    }
    let aqi = sensor_json(twin_json(&snap, "aq-1"), "aqi")["value"]
        .as_f64()
        .unwrap();
    assert!(aqi.fract() == 0.0 && (0.0..=500.0).contains(&aqi), "{aqi}");
}

#[test]
fn only_the_drifting_building_raises_an_alarm() {
    // Five minutes of the city at one reading a second, replayed as fast as
    // the twin goes: the wearing building crosses its 560 kW alarm; no other
    // twin of 1,171 raises anything.
    let csv = tmp("city-300s.csv");
    succeed(
        twinscape()
            .args([
                "simulate",
                "--scene",
                CITY,
                "--sim-rate",
                "1",
                "--for",
                "300",
                "--out",
            ])
            .arg(&csv),
    );
    let out = tmp("city-replay.json");
    succeed(
        twinscape()
            .args(["headless", "--scene", CITY, "--speed", "max", "--replay"])
            .arg(&csv)
            .arg("--snapshot")
            .arg(&out),
    );
    let snap = read_snapshot(&out);
    // And the two districts' three figures each.
    assert_eq!(assert_every_sensor_fed(&snap), 1191 * 3 + 4 * 2 + 2 * 3);
    let alarms = snap["alarms"].as_array().unwrap();
    let twins: std::collections::BTreeSet<&str> =
        alarms.iter().map(|a| a["twin"].as_str().unwrap()).collect();
    assert_eq!(twins.len(), 1, "alarms on {twins:?}");
    let twin = twin_json(&snap, twins.first().unwrap());
    assert_eq!(twin["kind"], "building");
    // Newest first: an active high-high alarm on its energy, above 560 kW.
    let last = &alarms[0];
    assert_eq!(
        (&last["sensor"], &last["rule"], &last["state"]),
        (&"energy".into(), &"high_high".into(), &"active".into()),
        "{last}"
    );
    assert!(last["value"].as_f64().unwrap() >= 560.0, "{last}");
}

#[test]
fn a_missing_or_broken_map_is_refused_with_where() {
    let text = std::fs::read_to_string(CITY).unwrap();
    // A map that is not there: `scene check` and the twin itself refuse it.
    let missing = tmp("no-map.scene.ron");
    std::fs::write(
        &missing,
        text.replace("city/helsinki.city.json", "city/nowhere.city.json"),
    )
    .unwrap();
    // A map cut off mid-file (under target/, reached from assets/).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/city-test");
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("assets/city/helsinki.city.json").unwrap();
    std::fs::write(dir.join("cut.city.json"), &good[..good.len() / 2]).unwrap();
    let cut = tmp("cut-map.scene.ron");
    std::fs::write(
        &cut,
        text.replace(
            "city/helsinki.city.json",
            "../target/city-test/cut.city.json",
        ),
    )
    .unwrap();
    let output = twinscape()
        .args(["scene", "check"])
        .args([&missing, &cut])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "{}: city map city/nowhere.city.json: ",
            missing.display()
        )),
        "{stderr}"
    );
    // serde_json's place in the map: line and column of where it ends.
    let prefix = format!(
        "{}: city map ../target/city-test/cut.city.json:",
        cut.display()
    );
    assert!(lines[1].starts_with(&prefix), "{stderr}");
    assert!(lines[1].contains("EOF while parsing"), "{stderr}");
    let output = twinscape()
        .args(["headless", "--for", "1", "--scene"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("city map city/nowhere.city.json"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A small map of three buildings for the district test: centres (10, -5),
/// (50, -5) and (500, -5) in scene metres.
const THREE_BUILDINGS: &str = r#"{"format":"twinscape-city","version":1,"name":"t","source":"t.geojson","attribution":"a","license":"l","projection":"p","origin":{"lon":24.9,"lat":60.1},"bounds":{"min":[0,0],"max":[520,20]},
"buildings":[
 {"id":"b-1","height_m":10.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[0,0],[20,0],[20,10],[0,10]],"triangles":[0,1,2,0,2,3]}]},
 {"id":"b-2","height_m":10.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[40,0],[60,0],[60,10],[40,10]],"triangles":[0,1,2,0,2,3]}]},
 {"id":"b-3","height_m":10.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[490,0],[510,0],[510,10],[490,10]],"triangles":[0,1,2,0,2,3]}]}],
"streets":[]}"#;

#[test]
fn a_scene_district_totals_its_blocks_and_raises_its_own_alarm() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/city-test");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("three.city.json"), THREE_BUILDINGS).unwrap();
    // The district holds b-1 and b-2, not b-3; its total warns at 350 kW and
    // alarms at 400 kW.
    let scene = r#"(name: "districts", kind: City, twins: [],
  templates: [(topic: "city/building/{twin}/energy", sensor: "energy")],
  city: (map: "../target/city-test/three.city.json",
    buildings: [(name: "energy", unit: "kW", range: (0.0, 400.0))],
    districts: [(id: "d-1", name: "One", area: ((0.0, -20.0), (60.0, 10.0)), figures: [
      (of: "building/energy", figure: Total, sensor: (name: "energy_total", unit: "kW", range: (0.0, 500.0), warn: Some(350.0), alarm: Some(400.0))),
      (of: "building/energy", figure: Mean, sensor: (name: "energy_mean", unit: "kW", range: (0.0, 400.0))),
    ])]))"#;
    // 30 s: b-1 at 100 kW for 15 s, then 300 kW; b-2 at 150 kW; b-3, outside,
    // at 1,000 kW throughout. Total 250 kW (no alarm), then 450 kW.
    let t0 = 1_700_000_000u64;
    let mut csv = String::from("time,topic,value\n");
    for t in 0..30 {
        let b1 = if t < 15 { 100 } else { 300 };
        for (b, v) in [("b-1", b1), ("b-2", 150), ("b-3", 1000)] {
            csv.push_str(&format!("{},city/building/{b}/energy,{v}\n", t0 + t));
        }
    }
    let snap = replay_through(scene, &csv, "district", "10");
    let d = twin_json(&snap, "d-1");
    assert_eq!(d["kind"], "district");
    assert_eq!(sensor_json(d, "energy_total")["value"], 450.0, "{d}");
    assert_eq!(sensor_json(d, "energy_mean")["value"], 225.0, "{d}");
    // Figures are worked out, not received: the ingest counts the file's rows.
    assert_eq!(snap["ingest"]["applied"], 90, "{}", snap["ingest"]);
    let alarms = snap["alarms"].as_array().unwrap();
    assert!(!alarms.is_empty(), "the district's total raised no alarm");
    for a in alarms {
        assert_eq!(
            (&a["twin"], &a["sensor"]),
            (&"d-1".into(), &"energy_total".into()),
            "{a}"
        );
        assert_eq!(a["value"], 450.0, "{a}");
        assert!(a["raised_ms"].as_u64().unwrap() >= (t0 + 15) * 1000, "{a}");
        assert_eq!(a["state"], "active", "{a}");
    }
    let rules: Vec<&str> = alarms.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert!(
        rules.contains(&"high") && rules.contains(&"high_high"),
        "{rules:?}"
    );
}

/// Every twin and sensor of the city is spawned into the table it stays in,
/// sized for exactly its rows: no table is left with room and no rows (a
/// component added after the spawn moves every row to another table and
/// leaves the first one's room behind: about a kilobyte a sensor).
#[test]
fn the_citys_twins_leave_no_empty_table_behind() {
    use twinscape::app::{Options, stepped_headless_app};
    use twinscape::telemetry::TelemetrySource;
    let opts = Options {
        scene: CITY.into(),
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = stepped_headless_app(&opts).expect("the city loads");
    for _ in 0..3 {
        app.update();
    }
    let world = app.world();
    let mut big = vec![];
    for archetype in world.archetypes().iter() {
        let table = world.storages().tables.get(archetype.table_id()).unwrap();
        let names: Vec<String> = archetype
            .components()
            .iter()
            .filter_map(|c| world.components().get_info(*c))
            .map(|info| info.name().shortname().to_string())
            .collect();
        let what = format!(
            "{} rows, room {}: {}",
            table.entity_count(),
            table.capacity(),
            names.join(" ")
        );
        assert!(
            table.entity_count() > 0 || table.capacity() < 100,
            "a table with room and no rows: {what}"
        );
        if table.entity_count() >= 1_000 {
            big.push((table.entity_count(), table.capacity(), what));
        }
    }
    // The blocks' twins (1,197) and their sensors (3,587), each in one table
    // sized for them.
    big.sort();
    assert_eq!(big.len(), 2, "{big:#?}");
    for (rows, room, what) in &big {
        assert_eq!(*rows as usize, *room, "{what}");
    }
}

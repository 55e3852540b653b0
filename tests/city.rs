//! The shipped city (scenes/city.scene.ron over assets/city/helsinki.city.json)
//! as a user runs it: every building and street is a twin fed by the
//! simulated plant over MQTT (JSON payloads, FIWARE-style field names, through
//! the embedded broker), as are its twenty air-quality stations and four car
//! parks, and of 1,195 twins only the one building whose consumption drifts
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
    assert_eq!(assert_every_sensor_fed(&snap), 1191 * 3 + 4 * 2);
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
    assert_eq!(assert_every_sensor_fed(&snap), 1191 * 3 + 4 * 2);
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

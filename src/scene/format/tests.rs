use super::*;
use crate::scene::validate::locate;
use std::collections::HashSet;

pub(super) fn err(src: &str) -> SceneError {
    parse(src, "bad.scene.ron").expect_err("the scene should be refused")
}

const GOOD: &str = r##"(
    name: "mini",
    prefabs: { "box": [(name: Some("lid"), prim: Cuboid(size: (1.0, 1.0, 1.0)), color: "#aabbcc", tint: true)] },
    twins: [
        (id: "line", name: "Line", kind: "line"),
        (id: "m1", name: "M1", kind: "mill", parent: Some("line"), shape: Prefab("box"),
         transform: (translation: (1.0, 0.0, 2.0), rotation_y_deg: 90.0),
         sensors: [
            (name: "temp", unit: "C", range: (0.0, 100.0), warn: Some(80.0), alarm: Some(90.0),
             binding: (topic: "sensor/temperature"), show: [Color, Label, Lift(part: "lid", axis: Y, distance: 1.0)],
             alarms: (hysteresis: Some(0.25), forecast_horizon_s: Some(120.0))),
            (name: "state", unit: "", range: (0.0, 1.0), binding: (topic: "m1/+/state", decode: Json("on")),
             predictor: Holt(alpha: 0.5, beta: 0.2)),
         ]),
    ],
    templates: [(topic: "plant/{twin}/temp", sensor: "temp")],
)"##;

#[test]
fn a_good_scene_parses_with_everything_in_place() {
    let scene = parse(GOOD, "good.scene.ron").expect("valid scene");
    assert_eq!(scene.name, "mini");
    assert_eq!(scene.kind, SceneKind::Factory);
    assert_eq!(scene.twins.len(), 2);
    let m1 = &scene.twins[1];
    assert_eq!(m1.parent.as_deref(), Some("line"));
    assert_eq!(m1.transform.translation, [1.0, 0.0, 2.0]);
    assert_eq!(scene.parts_of(m1).len(), 1);
    assert_eq!(m1.sensors[0].alarm, Some(90.0));
    let alarms = &m1.sensors[0].alarms;
    assert_eq!(
        (
            alarms.hysteresis,
            alarms.min_duration_s,
            alarms.forecast_horizon_s
        ),
        (Some(0.25), 2.0, Some(120.0))
    );
    assert_eq!(
        m1.sensors[1].alarms.forecast_horizon_s, None,
        "early warnings are chosen per sensor"
    );
    assert_eq!(
        m1.sensors[0].predictor,
        PredictorDef::Auto,
        "the default predictor"
    );
    assert_eq!(
        (
            m1.sensors[0].countdown.confidence,
            m1.sensors[0].countdown.horizon_s
        ),
        (0.9, 1800.0),
        "the default countdown rule"
    );
    assert_eq!(
        m1.sensors[1].predictor,
        PredictorDef::Holt {
            alpha: 0.5,
            beta: 0.2
        }
    );
    assert_eq!(
        m1.sensors[1].binding.as_ref().unwrap().decode,
        Decode::Json("on".into())
    );
    assert_eq!(scene.sensors().count(), 2);
}

#[test]
fn the_shipped_scenes_are_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".scene.ron") {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Err(e) = parse(&text, &path.to_string_lossy()) {
                panic!("{e}");
            }
            seen += 1;
        }
    }
    assert!(seen >= 1, "no scenes found in {dir}");
}

#[test]
fn the_factory_has_ten_machines_of_several_kinds_and_the_tutorial_topic() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenes/factory.scene.ron"
    ))
    .unwrap();
    let scene = parse(&text, "factory.scene.ron").unwrap();
    assert!(scene.twins.len() >= 10, "{} twins", scene.twins.len());
    let kinds: HashSet<&str> = scene.twins.iter().map(|t| t.kind.as_str()).collect();
    assert!(kinds.len() >= 5, "kinds: {kinds:?}");
    let tutorial = scene
        .sensors()
        .filter(|(_, s)| {
            s.binding
                .as_ref()
                .is_some_and(|b| b.topic == "sensor/temperature" && b.decode == Decode::Number)
        })
        .count();
    assert_eq!(
        tutorial, 1,
        "exactly one sensor reads plain numbers on sensor/temperature"
    );
    for name in ["temperature", "vibration", "spindle_speed", "power"] {
        assert!(
            scene.sensors().any(|(_, s)| s.name == name),
            "no {name} sensor"
        );
    }
}

#[test]
fn syntax_errors_point_at_line_and_column() {
    let e =
        err("(\n  name: \"x\",\n  twins: [\n    (id: \"a\" name: \"A\", kind: \"k\"),\n  ],\n)");
    assert_eq!((e.pos.line, e.pos.col), (4, 14), "{e}");
    assert!(e.to_string().starts_with("bad.scene.ron:4:14: "), "{e}");
}

#[test]
fn a_missing_field_is_named() {
    let e = err("(\n  name: \"x\",\n  twins: [\n    (id: \"a\", kind: \"k\"),\n  ],\n)");
    assert!(e.message.contains("missing field `name`"), "{e}");
    assert_eq!(e.pos.line, 4, "{e}");
}

#[test]
fn an_unknown_field_is_named_where_it_is() {
    let e = err(
        "(\n  name: \"x\",\n  twins: [\n    (id: \"a\", name: \"A\", kind: \"k\",\n     colour: \"#fff\"),\n  ],\n)",
    );
    assert_eq!(e.pos.line, 5, "{e}");
    assert!(e.message.contains("colour"), "{e}");
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    let e = err(
        "(\n  name: \"x\",\n  twins: [\n    (id: \"a\", name: \"A\", kind: \"k\",\n     sensors: [(name: \"t\", unit: \"C\", range: \"hot\")]),\n  ],\n)",
    );
    assert_eq!(e.pos.line, 5, "{e}");
    assert!(e.message.to_lowercase().contains("expected"), "{e}");
}

#[test]
fn duplicate_ids_point_at_the_second() {
    let e = err(
        "(name: \"x\", twins: [\n (id: \"a\", name: \"A\", kind: \"k\"),\n (id: \"a\", name: \"B\", kind: \"k\"),\n])",
    );
    assert_eq!((e.pos.line, e.pos.col), (3, 7), "{e}");
    assert_eq!(e.message, "duplicate twin id \"a\"");
}

#[test]
fn unknown_parent_prefab_and_part_are_refused_where_they_are() {
    let e = err(
        "(name: \"x\", twins: [\n (id: \"a\", name: \"A\", kind: \"k\",\n  parent: \"nope\"),\n])",
    );
    assert_eq!(
        (e.pos.line, e.pos.col, e.message.as_str()),
        (3, 3, "twin \"a\" has unknown parent \"nope\"")
    );

    let e = err(
        "(name: \"x\", twins: [\n (id: \"a\", name: \"A\", kind: \"k\", shape: Prefab(\"robot\")),\n])",
    );
    assert_eq!((e.pos.line, e.pos.col), (2, 41), "{e}");
    assert!(e.message.contains("unknown prefab \"robot\""), "{e}");

    let e = err(
        "(name: \"x\", twins: [\n (id: \"a\", name: \"A\", kind: \"k\", sensors: [\n  (name: \"s\", unit: \"\", range: (0, 1),\n   show: [Spin(part: \"rotor\", axis: Y, max_rps: 1)])]),\n])",
    );
    assert_eq!((e.pos.line, e.pos.col), (4, 16), "{e}");
    assert!(e.message.contains("unknown part \"rotor\""), "{e}");
}

#[test]
fn parent_cycles_are_refused() {
    let e = err(
        "(name: \"x\", twins: [\n (id: \"a\", name: \"A\", kind: \"k\", parent: \"b\"),\n (id: \"b\", name: \"B\", kind: \"k\", parent: \"a\"),\n])",
    );
    assert!(e.message.contains("its own ancestor"), "{e}");
}

#[test]
fn bad_ranges_thresholds_topics_and_colours_are_refused() {
    let sensor = |s: &str| {
        format!("(name: \"x\", twins: [(id: \"a\", name: \"A\", kind: \"k\", sensors: [\n{s}])])")
    };
    let e = err(&sensor("(name: \"t\", unit: \"C\", range: (10, 5))"));
    assert!(e.message.contains("low < high"), "{e}");
    assert_eq!(e.pos.line, 2);
    // Equal bounds are no range; a physical range is finite at both ends.
    let e = err(&sensor("(name: \"t\", unit: \"C\", range: (5, 5))"));
    assert!(e.message.contains("range (5, 5) must be finite"), "{e}");
    for physical in ["(5, 5)", "(-inf, 10)", "(0, inf)"] {
        let e = err(&sensor(&format!(
            "(name: \"t\", unit: \"C\", range: (0, 10), physical: Some({physical}))"
        )));
        assert!(
            e.message.contains("physical") && e.message.contains("low < high"),
            "{physical}: {e}"
        );
    }
    let e = err(&sensor(
        "(name: \"t\", unit: \"C\", range: (0, 5), warn: Some(9), alarm: Some(8))",
    ));
    assert!(e.message.contains("warn 9 must be below alarm 8"), "{e}");
    let e = err(&sensor(
        "(name: \"t\", unit: \"C\", range: (0, 5), binding: (topic: \"a/#/b\"))",
    ));
    assert!(
        e.message
            .contains("`#` must be a whole level and the last one"),
        "{e}"
    );
    assert_eq!((e.pos.line, e.pos.col), (2, 56), "{e}");
    let e = err(&sensor(
        "(name: \"t\", unit: \"C\", range: (0, 5), binding: (topic: \"a\", decode: Json(\"a..b\")))",
    ));
    assert!(e.message.contains("empty segment"), "{e}");
    // A stamp is a JSON field: not with a plain number, not an empty path.
    let e = err(&sensor(
        "(name: \"t\", unit: \"C\", range: (0, 5), binding: (topic: \"s/t\", stamp: Some(\"ts\")))",
    ));
    assert!(e.message.contains("a stamp needs a JSON payload"), "{e}");
    assert_eq!((e.pos.line, e.pos.col), (2, 56), "{e}");
    parse(
        &sensor(
            "(name: \"t\", unit: \"C\", range: (0, 5), binding: (topic: \"s/t\", decode: Json(\"v\"), stamp: Some(\"meta.ts\")))",
        ),
        "ok.scene.ron",
    )
    .expect("a JSON payload with a stamp path");
    let e = err(&sensor(
        "(name: \"t\", unit: \"C\", range: (0, 5), binding: (topic: \"a\", decode: Json(\"v\"), stamp: Some(\"t.\")))",
    ));
    assert!(
        e.message.contains("stamp \"t.\" has an empty segment"),
        "{e}"
    );
    let e = err(
        "(name: \"x\", twins: [(id: \"a\", name: \"A\", kind: \"k\", shape: Parts([\n (prim: Sphere(radius: 1), color: \"red\")]))])",
    );
    assert_eq!((e.pos.line, e.pos.col), (2, 35), "{e}");
    assert!(e.message.contains("\"#rrggbb\""), "{e}");
}

#[test]
fn predictors_and_countdown_rules_out_of_bounds_are_refused_at_their_sensor() {
    let sensor = |s: &str| {
        format!(
            "(name: \"x\", twins: [(id: \"a\", name: \"A\", kind: \"k\", sensors: [\n(name: \"t\", unit: \"C\", range: (0, 5), {s})])])"
        )
    };
    for (bad, says) in [
        (
            "countdown: (confidence: 1.0)",
            "countdown confidence 1 must be at least 0.5 and below 1",
        ),
        (
            "countdown: (confidence: 0.3)",
            "countdown confidence 0.3 must be",
        ),
        (
            "countdown: (horizon_s: 0)",
            "countdown horizon_s 0 must be a positive",
        ),
        (
            "predictor: Holt(alpha: 1.5, beta: 0.1)",
            "Holt weights alpha 1.5 and beta 0.1",
        ),
    ] {
        let e = err(&sensor(bad));
        assert!(
            e.message.starts_with("sensor \"a/t\": ") && e.message.contains(says),
            "{bad}: {e}"
        );
        assert_eq!(e.pos.line, 2, "{bad}: {e}");
    }
    let good = parse(
        &sensor("predictor: FirstOrder, countdown: (confidence: 0.95, horizon_s: 600)"),
        "x",
    )
    .unwrap();
    let t = &good.twins[0].sensors[0];
    assert_eq!(t.predictor, PredictorDef::FirstOrder);
    assert_eq!(
        (t.countdown.confidence, t.countdown.horizon_s),
        (0.95, 600.0)
    );
}

#[test]
fn templates_need_one_twin_level_and_a_known_sensor() {
    let base = "(name: \"x\", twins: [(id: \"a\", name: \"A\", kind: \"k\", sensors: [(name: \"t\", unit: \"\", range: (0, 1))])],\n templates: [";
    let e = err(&format!("{base}(topic: \"plant/t\", sensor: \"t\")])"));
    assert!(e.message.contains("exactly one `{twin}` level"), "{e}");
    let e = err(&format!(
        "{base}(topic: \"plant/{{twin}}/t\", sensor: \"humidity\")])"
    ));
    assert!(e.message.contains("no twin has"), "{e}");
    assert_eq!(e.pos.line, 2);
}

#[test]
fn locate_counts_lines_and_columns_from_one() {
    assert_eq!(locate("ab\ncd\"x\"", "\"x\"", 0), Pos { line: 2, col: 3 });
    assert_eq!(locate("x x", "x", 1), Pos { line: 1, col: 3 });
    assert_eq!(locate("x", "y", 0), Pos { line: 1, col: 1 });
}

#[test]
fn flow_buffers_must_name_a_station_with_a_buffer_and_a_next_station() {
    let factory = include_str!("../../../scenes/factory.scene.ron");
    let line_of =
        |text: &str, needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() + 1;
    let good = "(station: \"pressing\", from:";
    assert!(factory.contains(good));
    let unknown = factory.replace(good, "(station: \"polishing\", from:");
    let e = err(&unknown);
    assert!(
        e.message
            .contains("flow buffer 2: \"polishing\" is not a station of the process"),
        "{e}"
    );
    assert_eq!(
        e.pos.line,
        line_of(&unknown, "station: \"polishing\""),
        "{e}"
    );
    // The last station's parts are shipped, not buffered.
    let last = factory.replace(good, "(station: \"packing\", from:");
    let e = err(&last);
    assert!(
        e.message
            .contains("station \"packing\" needs a buffer_sensor and a station after it"),
        "{e}"
    );
    let twice = factory.replace(good, "(station: \"milling\", from:");
    assert!(
        err(&twice)
            .message
            .contains("flow buffer 2: station \"milling\" already has a belt")
    );
    let zero = factory.replace("to: (5.7, 0.98, 0.0)", "to: (0.2, 2.0, 0.0)");
    assert!(err(&zero).message.contains("flow buffer 2: the belt must"));
    // Parts move on a machine's count of parts made: every machine of a
    // buffered station needs one.
    let press = factory.find("id: \"press-2\"").unwrap();
    let made = "(name: \"made\", unit: \"parts\", range: (0.0, 5000.0)),";
    let at = press + factory[press..].find(made).unwrap();
    let uncounted = format!("{}{}", &factory[..at], &factory[at + made.len()..]);
    let e = err(&uncounted);
    assert!(
        e.message.contains(
            "flow buffer 2: machine \"press-2\" of station \"pressing\" has no \"made\" sensor"
        ),
        "{e}"
    );
    let scene = parse(factory, "factory.scene.ron").unwrap();
    let flow = scene.flow.unwrap();
    assert_eq!(flow.buffers.len(), 3);
    assert!(!flow.buffers[0].draw && flow.buffers[2].draw);
    assert_eq!((flow.park_height, flow.made_sensor.as_str()), (1.1, "made"));
}

/// The factory scene with `from` replaced by `to` (which must be there).
pub(super) fn factory_with(from: &str, to: &str) -> String {
    let factory = include_str!("../../../scenes/factory.scene.ron");
    assert!(factory.contains(from), "the factory has {from:?}");
    factory.replacen(from, to, 1)
}

/// The 1-based line of the first `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn duplicate_sensor_names_point_at_the_second() {
    let e = err(
        "(name: \"x\", twins: [\n (id: \"a\", name: \"A\", kind: \"k\", sensors: [\n  (name: \"t\", unit: \"C\", range: (0.0, 1.0)),\n  (name: \"t\", unit: \"C\", range: (0.0, 1.0)),\n ]),\n])",
    );
    assert_eq!((e.pos.line, e.pos.col), (4, 4), "{e}");
    assert_eq!(e.message, "twin \"a\" has two sensors named \"t\"");
}

#[test]
fn twin_ids_that_cannot_be_a_topic_level_are_refused() {
    for id in ["", "a/b", "line+1", "#"] {
        let e = err(&format!(
            "(name: \"x\", twins: [\n (id: \"{id}\", name: \"A\", kind: \"k\"),\n])"
        ));
        assert_eq!(e.pos.line, 2, "{id:?}: {e}");
        assert!(
            e.message
                .contains("must be non-empty and free of '/', '+' and '#'"),
            "{id:?}: {e}"
        );
    }
}

#[test]
fn process_errors_say_what_and_where() {
    let cases = [
        (
            "(name: \"pressing\", machines: [\"press-1\", \"press-2\"]",
            "(name: \"pressing\", machines: [\"press-1\", \"ghost\"]",
            "station \"pressing\" names machine \"ghost\", which is not a twin",
            "name: \"pressing\"",
        ),
        (
            "(name: \"pressing\", machines: [\"press-1\", \"press-2\"]",
            "(name: \"pressing\", machines: [\"press-1\", \"cnc-2\"]",
            "machine \"cnc-2\" is in stations \"milling\" and \"pressing\"",
            "name: \"pressing\"",
        ),
        (
            "(name: \"pressing\", machines: [\"press-1\", \"press-2\"], cycle_s: 34.0",
            "(name: \"pressing\", machines: [\"press-1\", \"press-2\"], cycle_s: 0.0",
            "station \"pressing\": cycle_s and mtbf_s must be positive",
            "name: \"pressing\"",
        ),
        (
            "buffer_sensor: Some((\"conv-2\", \"queue\"))",
            "buffer_sensor: Some((\"conv-9\", \"queue\"))",
            "station \"pressing\": buffer_sensor names twin \"conv-9\" (sensor \"queue\"), which is not in the scene",
            "name: \"pressing\"",
        ),
        (
            "repair_s: 360.0, buffer: 6,",
            "repair_s: 360.0, buffer: 0,",
            "station \"pressing\": buffer must hold at least 1 part",
            "name: \"pressing\"",
        ),
        (
            "crews: 1,",
            "crews: 0,",
            "the process needs at least one repair crew",
            "crews:",
        ),
        (
            "counter: (\"pack-1\", \"shipped\")",
            "counter: (\"pack-1\", \"sent\")",
            "flow counter \"pack-1\"/\"sent\" is not a sensor of the scene",
            "counter:",
        ),
        (
            "belt_width: 0.9,",
            "belt_width: 0.2,",
            "flow: bin_size and part_size must be positive, the belt wider than a part",
            "flow:",
        ),
    ];
    for (from, to, message, at) in cases {
        let text = factory_with(from, to);
        let e = err(&text);
        assert!(e.message.contains(message), "{to}: {e}");
        assert_eq!(e.pos.line, line_of(&text, at), "{to}: {e}");
        assert!(e.to_string().starts_with("bad.scene.ron:"), "{e}");
    }
    let e = err("(name: \"x\", twins: [],\n process: (stations: []))");
    assert_eq!(
        (e.pos.line, e.message.as_str()),
        (2, "the process has no stations")
    );
}

#[test]
fn sensors_get_their_roles_from_the_process_and_the_flow() {
    let scene = parse(
        include_str!("../../../scenes/factory.scene.ron"),
        "factory.scene.ron",
    )
    .unwrap();
    let role = |twin: &str, sensor: &str| {
        let t = scene.twins.iter().find(|t| t.id == twin).unwrap();
        let s = t.sensors.iter().find(|s| s.name == sensor).unwrap();
        scene.role_of(t, s)
    };
    assert_eq!(role("press-2", "state"), Some(SensorRole::MachineState));
    assert_eq!(role("press-2", "made"), Some(SensorRole::Made));
    assert_eq!(role("pack-1", "shipped"), Some(SensorRole::Shipped));
    assert_eq!(role("conv-2", "queue"), Some(SensorRole::BufferLevel));
    assert_eq!(
        role("pack-1", "infeed_queue"),
        Some(SensorRole::BufferLevel)
    );
    assert_eq!(role("press-2", "temperature"), None);
}

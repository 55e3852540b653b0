//! Values out of bounds in the flow, the process and a sensor's ONNX
//! predictor (each refusal here guards a mutant `cargo mutants` found
//! unguarded; see docs/testing.md), and the flow's documented defaults.

use super::tests::{err, factory_with};
use super::*;

#[test]
fn flow_sizes_and_belts_out_of_bounds_are_refused() {
    // The whole flow: a size of nothing, a belt only as wide as a part.
    for (from, to) in [
        ("part_size: 0.3", "part_size: 0.0"),
        ("bin_size: (2.4, 0.6, 2.4)", "bin_size: (2.4, 0.0, 2.4)"),
        ("belt_width: 0.9", "belt_width: 0.3"),
    ] {
        let e = err(&factory_with(from, to));
        assert!(
            e.message
                .starts_with("flow: bin_size and part_size must be positive"),
            "{to}: {e}"
        );
    }
    // A buffer's belt: too narrow alone, or running backwards; standing
    // still is allowed.
    let handling = "speed: Some(0.4))";
    for to in ["speed: Some(0.4), width: Some(0.2))", "speed: Some(-0.4))"] {
        let e = err(&factory_with(handling, to));
        assert!(
            e.message
                .contains("flow buffer 3: the belt must be wider than a part"),
            "{to}: {e}"
        );
    }
    parse(&factory_with(handling, "speed: Some(0.0))"), "f.scene.ron").unwrap();
    // A buffered station needs a buffer sensor even when a station follows
    // it, and a station after it even when it has a buffer sensor.
    let e = err(&factory_with(
        "buffer: 6,\n                buffer_sensor: Some((\"conv-2\", \"queue\"))),",
        "buffer: 6),",
    ));
    assert!(
        e.message
            .contains("station \"pressing\" needs a buffer_sensor and a station after it"),
        "{e}"
    );
    let last = factory_with(
        "(station: \"pressing\", from:",
        "(station: \"packing\", from:",
    )
    .replacen(
        "repair_s: 300.0),",
        "repair_s: 300.0, buffer_sensor: Some((\"pack-1\", \"shipped\"))),",
        1,
    );
    let e = err(&last);
    assert!(
        e.message
            .contains("station \"packing\" needs a buffer_sensor and a station after it"),
        "{e}"
    );
}

#[test]
fn a_negative_cycle_a_later_part_as_parent_and_a_bad_onnx_model_are_refused() {
    for (from, to) in [
        ("cycle_s: 48.0", "cycle_s: -48.0"),
        ("cycle_sd_s: 5.0", "cycle_sd_s: -5.0"),
    ] {
        let e = err(&factory_with(from, to));
        assert!(
            e.message
                .contains("station \"milling\": cycle_s and mtbf_s must be positive"),
            "{to}: {e}"
        );
    }
    // A part's parent must come before it: another earlier part does not do.
    let e = err(
        "(name: \"x\", prefabs: { \"p\": [\n (name: Some(\"a\"), prim: Sphere(radius: 1), color: \"#aabbcc\"),\n (name: Some(\"c\"), parent: Some(\"b\"), prim: Sphere(radius: 1), color: \"#aabbcc\")] },\n twins: [])",
    );
    assert!(
        e.message
            .contains("part parent \"b\" must name an earlier part"),
        "{e}"
    );
    let onnx = |model: &str, last: usize, step: f64| {
        format!(
            "(name: \"x\", twins: [(id: \"a\", name: \"A\", kind: \"k\", sensors: [\n (name: \"t\", unit: \"C\", range: (0, 1), predictor: Onnx(model: \"{model}\", last: {last}, step_s: {step}, horizon_s: 60))])])"
        )
    };
    for (scene, says) in [
        (
            onnx("/tmp/m.onnx", 10, 1.0),
            "must be a .onnx file under assets/",
        ),
        (
            onnx("../m.onnx", 10, 1.0),
            "must be a .onnx file under assets/",
        ),
        (
            onnx("models/m.txt", 10, 1.0),
            "must be a .onnx file under assets/",
        ),
        (onnx("models/m.onnx", 0, 1.0), "last 0 must be from 1 to"),
        (
            onnx("models/m.onnx", 10, -1.0),
            "step_s -1 must be a positive",
        ),
        (
            onnx("models/m.onnx", 10, 0.0),
            "step_s 0 must be a positive",
        ),
    ] {
        let e = err(&scene);
        assert!(e.message.contains(says), "{says}: {e}");
        assert_eq!(e.pos.line, 2, "{e}");
    }
    parse(&onnx("models/m.onnx", 10, 1.0), "m.scene.ron").unwrap();
}

#[test]
fn left_out_values_take_their_documented_defaults() {
    // Each default as docs/scene-format.md gives it.
    let scene = parse(
        r##"(
    name: "d",
    camera: Some((focus: (0, 0, 0), distance: 30)),
    prefabs: { "p": [(prim: Sphere(radius: 1), color: "#aabbcc")] },
    twins: [
        (id: "a", name: "A", kind: "k", transform: (translation: (1, 0, 0)), shape: Prefab("p"),
         sensors: [(name: "shipped", unit: "parts", range: (0, 100))]),
        (id: "b", name: "B", kind: "k", sensors: [(name: "shipped", unit: "parts", range: (0, 100))]),
    ],
    templates: [(topic: "plant/{twin}/shipped", sensor: "shipped")],
    flow: Some((counter: ("a", "shipped"), belt_from: (0, 1, 0), belt_to: (0, 1, 4),
                bin_at: (0, 0, 6), bin_size: (2, 1, 2))),
)"##,
        "d.scene.ron",
    )
    .unwrap();
    let camera = scene.camera.as_ref().unwrap();
    assert_eq!((camera.yaw_deg, camera.pitch_deg), (0.0, 35.0));
    let part = &scene.prefabs["p"][0];
    assert_eq!((part.metallic, part.roughness), (0.0, 0.6));
    assert_eq!(scene.twins[0].transform.scale, 1.0);
    assert_eq!(scene.twins[1].transform.scale, 1.0);
    let flow = scene.flow.as_ref().unwrap();
    assert_eq!(
        (flow.belt_width, flow.belt_speed, flow.part_size),
        (0.9, 0.8, 0.3)
    );
    assert_eq!((flow.bin_holds, flow.park_height), (12, 1.1));
    assert_eq!((flow.made_sensor.as_str(), flow.buffers.len()), ("made", 0));
    // A counter is read and written as (twin, sensor), shown as twin/sensor.
    assert_eq!(flow.counter.to_string(), "a/shipped");
    assert_eq!(
        ron::to_string(&flow.counter).unwrap(),
        "(\"a\",\"shipped\")"
    );
    // Each twin's topic: its template with the twin's id in it.
    let topics: Vec<_> = scene.sensors().map(|(t, s)| scene.topic_of(t, s)).collect();
    assert_eq!(
        topics,
        [
            Some("plant/a/shipped".to_string()),
            Some("plant/b/shipped".to_string())
        ]
    );
}

#[test]
fn a_colour_is_six_hex_digits_after_a_hash() {
    assert_eq!(parse_hex_color("#aabb0c"), Some([0xaa, 0xbb, 0x0c]));
    for bad in ["#abc", "#aabbccdd", "aabbcc", "#ééé", "#gg0000"] {
        assert_eq!(parse_hex_color(bad), None, "{bad}");
    }
}

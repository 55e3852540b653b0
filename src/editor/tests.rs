use super::*;

use crate::editor::shipped_factory as factory;

fn place(s: &str) -> Place {
    s.parse().unwrap()
}

/// The lines of `a` and `b` that differ, as (line number, a's, b's).
fn changed_lines<'t>(a: &'t str, b: &'t str) -> Vec<(usize, &'t str, &'t str)> {
    assert_eq!(a.lines().count(), b.lines().count(), "line count changed");
    a.lines()
        .zip(b.lines())
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| (i + 1, x, y))
        .collect()
}

#[test]
fn a_changed_value_changes_only_its_own_text() {
    let text = factory();
    let moved = set_checked(
        &text,
        "factory.scene.ron",
        &place("cnc-1.transform.translation"),
        "(-14.0, 0.0, -4.8)",
    )
    .unwrap();
    assert_eq!(
        changed_lines(&text, &moved),
        [(
            104,
            "            transform: (translation: (-15.0, 0.0, -4.8)),",
            "            transform: (translation: (-14.0, 0.0, -4.8)),"
        )]
    );
    // Byte for byte the rest: the same length but for the one value.
    assert_eq!(moved.len(), text.len());
    let scene = check(&moved, "factory.scene.ron").unwrap();
    let cnc = scene.twins.iter().find(|t| t.id == "cnc-1").unwrap();
    assert_eq!(cnc.transform.translation, [-14.0, 0.0, -4.8]);

    let lower = set(&text, &place("cnc-1/temperature.warn"), "Some(74.0)").unwrap();
    let diff = changed_lines(&text, &lower);
    assert_eq!(diff.len(), 1);
    assert!(
        diff[0].2.contains("warn: Some(74.0), alarm: Some(85.0)"),
        "{diff:?}"
    );
}

#[test]
fn a_missing_field_is_added_in_the_files_layout() {
    let text = "(\n    name: \"t\", // the name\n    twins: [\n        (\n            id: \"a\",\n            \
                name: \"A\",\n            kind: \"k\",\n        ),\n        (id: \"b\", name: \"B\", kind: \"k\", \
                transform: (translation: (1.0, 0.0, 0.0))),\n    ],\n)\n";
    // Own lines: a new line with the fields' indentation, the comma kept.
    let a = set(text, &place("a.transform.rotation_y_deg"), "90.0").unwrap();
    assert!(
        a.contains(
            "            kind: \"k\",\n            transform: (rotation_y_deg: 90.0),\n        ),"
        ),
        "{a}"
    );
    // Inline: after the last field on its line.
    let b = set(text, &place("b.transform.rotation_y_deg"), "45.0").unwrap();
    assert!(
        b.contains("transform: (translation: (1.0, 0.0, 0.0), rotation_y_deg: 45.0))"),
        "{b}"
    );
    // The comment and everything else as they were.
    for edited in [&a, &b] {
        assert!(edited.contains("name: \"t\", // the name\n"));
        crate::scene::format::parse(edited, "t.scene.ron").unwrap();
    }
}

#[test]
fn an_edit_that_breaks_the_scene_is_refused_with_the_loaders_words() {
    let text = factory();
    let e = set_checked(
        &text,
        "factory.scene.ron",
        &place("cnc-1/temperature.warn"),
        "Some(90.0)",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("warn 90 must be below alarm 85"),
        "{e}"
    );
    let e = set_checked(&text, "factory.scene.ron", &place("cnc-1.id"), "\"cnc-2\"").unwrap_err();
    assert!(e.to_string().contains("cnc-2"), "{e}");
    // A value that is not one RON value is refused before anything else.
    let e = set(&text, &place("cnc-1.transform.translation"), "(1.0, 2.0").unwrap_err();
    assert!(matches!(e, EditError::Value { .. }), "{e}");
    // One that is, but of the wrong shape, by the loader.
    let e = set_checked(
        &text,
        "f.scene.ron",
        &place("cnc-1.transform.translation"),
        "(1.0, 2.0)",
    )
    .unwrap_err();
    assert!(matches!(e, EditError::Invalid(_)), "{e}");
}

#[test]
fn places_that_are_not_there_say_which() {
    let text = factory();
    assert_eq!(
        set(&text, &place("cnc-9.name"), "\"x\"").unwrap_err(),
        EditError::UnknownTwin("cnc-9".into())
    );
    assert_eq!(
        set(&text, &place("cnc-1/heat.warn"), "Some(1.0)").unwrap_err(),
        EditError::UnknownSensor {
            twin: "cnc-1".into(),
            sensor: "heat".into()
        }
    );
    assert_eq!(
        set(&text, &place("cnc-1.name.first"), "\"x\"").unwrap_err(),
        EditError::NotAGroup {
            at: "cnc-1.name.first".into(),
            field: "name".into()
        }
    );
    for bad in [
        "cnc-1",
        "cnc-1.",
        ".name",
        "cnc-1/.warn",
        "cnc-1.a..b",
        "a.b c",
    ] {
        assert!(bad.parse::<Place>().is_err(), "{bad}");
    }
    assert_eq!(
        place("cnc-1/temperature.warn").to_string(),
        "cnc-1/temperature.warn"
    );
}

/// Every shipped scene: one value edited, every other line unchanged, and
/// the result still loads.
#[test]
fn every_shipped_scene_takes_an_edit_and_keeps_every_other_line() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let scene = check(&text, &name).unwrap();
        let Some(first) = scene.twins.first() else {
            continue;
        };
        let edited = set_checked(
            &text,
            &name,
            &place(&format!("{}.name", first.id)),
            "\"Renamed in the editor\"",
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let diff = changed_lines(&text, &edited);
        assert_eq!(diff.len(), 1, "{name}: {diff:?}");
        assert!(
            diff[0].2.contains("\"Renamed in the editor\""),
            "{name}: {diff:?}"
        );
        let again = check(&edited, &name).unwrap();
        assert_eq!(again.twins[0].name, "Renamed in the editor");
    }
}

#[test]
fn a_duplicate_is_a_copy_beside_it_with_a_fresh_id_and_a_delete_takes_its_lines() {
    let text = factory();
    let scene = check(&text, "f.scene.ron").unwrap();
    let new_id = fresh_id(&scene, "cnc-1");
    assert_eq!(new_id, "cnc-1-copy");
    let twice = duplicate_twin(&text, "cnc-1", &new_id, 3.0).unwrap();
    let scene2 = check(&twice, "f.scene.ron").unwrap();
    assert_eq!(scene2.twins.len(), scene.twins.len() + 1);
    let i = scene2.twins.iter().position(|t| t.id == "cnc-1").unwrap();
    let copy = &scene2.twins[i + 1];
    assert_eq!(copy.id, "cnc-1-copy");
    assert_eq!(copy.name, "CNC mill 1 (copy)");
    assert_eq!(copy.transform.translation, [-12.0, 0.0, -4.8]);
    assert_eq!(copy.sensors.len(), scene2.twins[i].sensors.len());
    // Every line of the file is still there, in order, and the copy's
    // lines sit right after the original's.
    let (a, b): (Vec<&str>, Vec<&str>) = (text.lines().collect(), twice.lines().collect());
    let added = b.len() - a.len();
    let first = a.iter().zip(&b).position(|(x, y)| x != y).unwrap();
    assert_eq!(&b[..first], &a[..first]);
    assert_eq!(&b[first + added..], &a[first..]);
    assert!(
        b[first..first + added]
            .iter()
            .any(|l| l.contains("cnc-1-copy"))
    );
    assert_eq!(fresh_id(&scene2, "cnc-1"), "cnc-1-copy-2");

    // Deleting the copy gives the file back byte for byte.
    assert_eq!(delete_twin(&twice, "cnc-1-copy").unwrap(), text);
    // A twin the process model names cannot go: the loader says why.
    let gone = delete_twin(&text, "cnc-1").unwrap();
    let e = check(&gone, "f.scene.ron").unwrap_err();
    assert!(e.contains("cnc-1"), "{e}");
    assert_eq!(
        delete_twin(&text, "nope").unwrap_err(),
        EditError::UnknownTwin("nope".into())
    );
}

#[test]
fn inline_twins_duplicate_and_delete_inline() {
    let text = "(name: \"t\", twins: [(id: \"a\", name: \"A\", kind: \"k\"), (id: \"b\", name: \"B\", kind: \"k\")])\n";
    let twice = duplicate_twin(text, "a", "a2", 1.0).unwrap();
    let scene = crate::scene::format::parse(&twice, "t").unwrap();
    let ids: Vec<&str> = scene.twins.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["a", "a2", "b"]);
    assert_eq!(scene.twins[1].transform.translation, [1.0, 0.0, 0.0]);
    // Escapes and raw strings in a name are read, not copied as text.
    let quoted = text.replace("name: \"A\"", "name: \"Line \\\"A\\\"\"");
    let copied = duplicate_twin(&quoted, "a", "a2", 1.0).unwrap();
    let scene = crate::scene::format::parse(&copied, "t").unwrap();
    assert_eq!(scene.twins[1].name, "Line \"A\" (copy)");
    let without = delete_twin(text, "a").unwrap();
    assert_eq!(
        without,
        "(name: \"t\", twins: [(id: \"b\", name: \"B\", kind: \"k\")])\n"
    );
}

/// The topic twin `twin`'s sensor `sensor` is bound to, if any.
fn bound(scene: &crate::scene::format::SceneDef, twin: &str, sensor: &str) -> Option<String> {
    let t = scene.twins.iter().find(|t| t.id == twin).unwrap();
    let s = t.sensors.iter().find(|s| s.name == sensor).unwrap();
    s.binding.as_ref().map(|b| b.topic.clone())
}

#[test]
fn a_copy_takes_its_own_data_not_the_originals() {
    let text = factory();
    // cnc-2's temperature comes from factory/cnc-2/temperature (read in
    // scenes/factory.scene.ron): its copy's from its own id's topic.
    let copied = duplicate_twin(&text, "cnc-2", "cnc-2-copy", 3.0).unwrap();
    let scene = check(&copied, "f.scene.ron").unwrap();
    assert_eq!(
        bound(&scene, "cnc-2-copy", "temperature").as_deref(),
        Some("factory/cnc-2-copy/temperature")
    );
    assert_eq!(
        bound(&scene, "cnc-2", "temperature").as_deref(),
        Some("factory/cnc-2/temperature")
    );
    // conv-1's belt speed: the topic renamed, its JSON decoding kept.
    let copied = duplicate_twin(&text, "conv-1", "conv-1-copy", 3.0).unwrap();
    assert!(copied.contains(
        r#"binding: (topic: "factory/conv-1-copy/telemetry", decode: Json("belt.m_s"))"#
    ));
    check(&copied, "f.scene.ron").unwrap();
    // cnc-1's temperature comes from sensor/temperature, which does not
    // name it: the copy's sensor is left unbound, its other fields kept.
    let copied = duplicate_twin(&text, "cnc-1", "cnc-1-copy", 3.0).unwrap();
    let scene = check(&copied, "f.scene.ron").unwrap();
    assert_eq!(bound(&scene, "cnc-1-copy", "temperature"), None);
    assert_eq!(
        bound(&scene, "cnc-1", "temperature").as_deref(),
        Some("sensor/temperature")
    );
    assert_eq!(
        copied
            .matches("binding: (topic: \"sensor/temperature\")")
            .count(),
        1
    );
    assert_eq!(
        copied
            .matches("\n                    show: [Color, Label]),")
            .count(),
        1
    );
}

#[test]
fn a_binding_left_out_takes_its_comma_with_it() {
    for (sensor, left) in [
        // In the middle, last, and alone after the name.
        (
            r#"(name: "s", range: (0.0, 1.0), binding: (topic: "x/y"), unit: "u")"#,
            r#"(name: "s", range: (0.0, 1.0), unit: "u")"#,
        ),
        (
            r#"(name: "s", range: (0.0, 1.0), unit: "u", binding: (topic: "x/y"))"#,
            r#"(name: "s", range: (0.0, 1.0), unit: "u")"#,
        ),
        (
            r#"(name: "s", range: (0.0, 1.0), unit: "u", binding: (topic: "x/y"),)"#,
            r#"(name: "s", range: (0.0, 1.0), unit: "u", )"#,
        ),
    ] {
        let text = format!(
            "(name: \"t\", twins: [(id: \"a\", name: \"A\", kind: \"k\", sensors: [{sensor}])])\n"
        );
        let twice = duplicate_twin(&text, "a", "a2", 1.0).unwrap();
        crate::scene::format::parse(&twice, "t").unwrap();
        assert_eq!(twice.matches(left).count(), 1, "{sensor} → {twice}");
        assert_eq!(twice.matches(sensor).count(), 1, "{twice}");
    }
}

#[test]
fn add_copies_the_last_of_its_kind_numbered_after_it() {
    let text = factory();
    let scene = check(&text, "f.scene.ron").unwrap();
    let written = written_ids(&text);
    // The kinds in the order scenes/factory.scene.ron first writes them.
    assert_eq!(
        palette(&scene, &written),
        [
            "conveyor",
            "press",
            "cnc_mill",
            "robot_arm",
            "packer",
            "compressor"
        ]
    );
    let (added, id) = add_twin(&text, &scene, "cnc_mill", [1.5, 0.0, 0.5]).unwrap();
    assert_eq!(id, "cnc-4");
    let scene2 = check(&added, "f.scene.ron").unwrap();
    let ids: Vec<&str> = scene2.twins.iter().map(|t| t.id.as_str()).collect();
    let after = ids.iter().position(|&i| i == "cnc-3").unwrap();
    assert_eq!(ids[after + 1], "cnc-4");
    let new = &scene2.twins[after + 1];
    assert_eq!(new.name, "CNC mill 4");
    assert_eq!(new.kind, "cnc_mill");
    assert_eq!(new.transform.translation, [1.5, 0.0, 0.5]);
    assert_eq!(
        bound(&scene2, "cnc-4", "temperature").as_deref(),
        Some("factory/cnc-4/temperature")
    );
    // One of a kind: "Compressor" (comp-1) gives comp-2, "Compressor 2".
    let (added, id) = add_twin(&text, &scene, "compressor", [0.0; 3]).unwrap();
    assert_eq!(id, "comp-2");
    let scene3 = check(&added, "f.scene.ron").unwrap();
    assert_eq!(
        scene3.twins.iter().find(|t| t.id == "comp-2").unwrap().name,
        "Compressor 2"
    );
    assert_eq!(
        add_twin(&text, &scene, "boiler", [0.0; 3]).unwrap_err(),
        EditError::UnknownKind("boiler".into())
    );
}

#[test]
fn a_rename_follows_every_reference_to_the_id() {
    let text = factory();
    // Where scenes/factory.scene.ron names each id in quotes (read with
    // grep): cnc-1 on 2 lines (its id, milling's machines), conv-1 on 2
    // (its id, milling's buffer_sensor), pack-1 on 4 (its id, the flow's
    // counter, handling's buffer_sensor, packing's machines).
    for (old, new, lines) in [
        ("cnc-1", "mill-1", 2),
        ("conv-1", "belt-in", 2),
        ("pack-1", "wrap-1", 4),
    ] {
        let renamed = rename_twin(&text, old, new).unwrap();
        let scene = check(&renamed, "f.scene.ron").unwrap();
        assert!(scene.twins.iter().any(|t| t.id == new));
        let changed = changed_lines(&text, &renamed);
        assert_eq!(changed.len(), lines, "{old}: {changed:?}");
        for (_, was, now) in &changed {
            assert_eq!(was.replace(&format!("{old:?}"), &format!("{new:?}")), *now);
        }
        assert!(
            !renamed.contains(&format!("{old:?}")),
            "{old} left somewhere"
        );
    }
    // A child twin's parent follows; an id taken is refused by the loader.
    let text = "(name: \"t\", twins: [(id: \"a\", name: \"A\", kind: \"k\"), (id: \"b\", name: \"B\", kind: \"k\", parent: Some(\"a\"))])\n";
    let renamed = rename_twin(text, "a", "z").unwrap();
    let scene = crate::scene::format::parse(&renamed, "t").unwrap();
    assert_eq!(scene.twins[1].parent.as_deref(), Some("z"));
    let clash = rename_twin(&factory(), "cnc-1", "cnc-2").unwrap();
    assert!(check(&clash, "f.scene.ron").unwrap_err().contains("cnc-2"));
    assert_eq!(
        rename_twin(text, "nope", "x").unwrap_err(),
        EditError::UnknownTwin("nope".into())
    );
}

#[test]
fn a_template_goes_after_the_others_and_feeds_every_twin() {
    let text = factory();
    let template = r#"(topic: "lab/{twin}/telemetry", sensor: "power", decode: Json("kw"))"#;
    let edited = add_template(&text, template).unwrap();
    // One line, after the last template, indented as they are.
    let last = r#"        (topic: "factory/{twin}/telemetry", sensor: "wrap_speed", decode: Json("wrapper.rpm")),"#;
    assert_eq!(
        edited.replace(
            &format!("{last}\n        {template},\n"),
            &format!("{last}\n")
        ),
        text
    );
    assert_eq!(crate::editor::fmt::format(&edited).unwrap(), edited);
    let scene = check(&edited, "f.scene.ron").unwrap();
    // cnc-2's power, from the template, on cnc-2's own topic.
    let router = crate::telemetry::Router::from_scene(&scene);
    let power = scene
        .sensors()
        .position(|(t, s)| t.id == "cnc-2" && s.name == "power")
        .unwrap() as u32;
    let mut got = vec![];
    crate::telemetry::payload::decode_message(
        &router,
        "lab/cnc-2/telemetry",
        br#"{"kw": 3.5}"#,
        1,
        |s| got.push((s.sensor, s.value)),
    );
    assert_eq!(got, [(power, 3.5)]);
    // A scene without templates gets the list.
    let bare = "(name: \"x\", twins: [(id: \"a\", name: \"A\", kind: \"k\", sensors: [(name: \"power\", unit: \"\", range: (0, 1))])])\n";
    let edited = add_template(bare, template).unwrap();
    assert_eq!(
        check(&edited, "x.scene.ron").unwrap().templates[0].topic,
        "lab/{twin}/telemetry"
    );
}

/// The browser's checks (the map and models the page loaded) take what the
/// checks from disk take, and refuse a model the page did not load.
#[test]
fn checks_with_what_the_page_loaded_match_the_checks_from_disk() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let city = std::fs::read_to_string(root.join("scenes/city.scene.ron")).unwrap();
    let from_disk = check(&city, "city.scene.ron").unwrap();
    let name = from_disk.city.as_ref().unwrap().map.clone();
    let bytes = std::fs::read(root.join("assets").join(&name)).unwrap();
    let map = crate::city::scene::read_map(&bytes, &name).unwrap();
    let loaded = Sources::Loaded {
        map: Some(std::sync::Arc::new(map)),
        models: Default::default(),
    };
    let in_page = check_with(&city, "city.scene.ron", &loaded).unwrap();
    assert_eq!(in_page.twins.len(), from_disk.twins.len());
    assert!(in_page.twins.len() > 1000, "{}", in_page.twins.len());
    // Without the map the page cannot expand the city.
    let none = Sources::Loaded {
        map: None,
        models: Default::default(),
    };
    let e = check_with(&city, "city.scene.ron", &none).unwrap_err();
    assert!(e.contains("no city map"), "{e}");
    // The factory's ONNX model: refused unless the page loaded it.
    let text = factory();
    let e = check_with(&text, "f.scene.ron", &none).unwrap_err();
    assert!(
        e.contains("ONNX model") && e.contains("not loaded with this page"),
        "{e}"
    );
    let scene = check(&text, "f.scene.ron").unwrap();
    let models =
        crate::scene::models::load_from_disk(&scene, &text, "f.scene.ron", &root.join("assets"))
            .unwrap();
    let with_models = Sources::Loaded { map: None, models };
    assert_eq!(
        check_with(&text, "f.scene.ron", &with_models)
            .unwrap()
            .twins
            .len(),
        scene.twins.len()
    );
    // An edit the loader refuses is refused the same way.
    let bad = set(&text, &place("cnc-1/temperature.warn"), "Some(500.0)").unwrap();
    assert_eq!(
        check_with(&bad, "f.scene.ron", &with_models).unwrap_err(),
        check(&bad, "f.scene.ron").unwrap_err()
    );
}

use super::*;

fn factory() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/factory.scene.ron");
    std::fs::read_to_string(path).unwrap()
}

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

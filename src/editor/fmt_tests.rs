use super::*;

fn shipped() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut scenes: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (path.display().to_string(), text)
        })
        .collect();
    scenes.sort();
    scenes
}

#[test]
fn a_messy_scene_takes_the_canonical_layout() {
    // Written by hand: tabs, spaces around `:` and `,`, blank lines after
    // `(` and before `)`, a missing trailing comma in a group over several
    // lines, an extra one in a group on one line, comments at the start,
    // after values and alone on a line, a string with `//`, `:` and `,`.
    let messy = "\n\n// A scene.\n\n\n(  name :\"a: b, // c\" ,\n\n\n\
                 \ttwins:[  ( id:\"m-1\" ,name: \"M\",kind:\"cnc\", sensors: [ ] , ) ,\n\
                 \n\n\n  // the second\n  (id: \"m-2\", name: \"M2\",   // trailing\n\
                 \t\t\tkind: \"cnc\", sensors: [(name: \"t\", unit: \"C\", range: (0.0,1.0))])   \n\n\n],\n\n)   \n\n";
    let canonical = "// A scene.\n\n(name: \"a: b, // c\",\n\n    \
                     twins: [(id: \"m-1\", name: \"M\", kind: \"cnc\", sensors: []),\n\n        \
                     // the second\n        (id: \"m-2\", name: \"M2\", // trailing\n            \
                     kind: \"cnc\", sensors: [(name: \"t\", unit: \"C\", range: (0.0, 1.0))]),\n    \
                     ],\n)\n";
    assert_eq!(format(messy).unwrap(), canonical);
    assert_eq!(format(canonical).unwrap(), canonical);
    // The same scene before and after.
    let scene = "(name: \"x\" , twins:[ ],)";
    assert_eq!(format(scene).unwrap(), "(name: \"x\", twins: [])\n");
}

#[test]
fn nested_groups_opened_on_one_line_close_on_one_line() {
    let text = "(a: Some((\n  x: 1,\n  y: [\n    2,\n    3\n  ],\n)),\n)";
    let want = "(a: Some((\n    x: 1,\n    y: [\n        2,\n        3,\n    ],\n)),\n)\n";
    assert_eq!(format(text).unwrap(), want);
}

#[test]
fn strings_raw_strings_and_block_comments_are_kept_byte_for_byte() {
    let text = "#![enable(implicit_some)]\n\n\n(s: \"two  spaces ,x\",\n  r: r#\"a\n   b \"#,\n  /* block\n     comment */ c: 'x',\n)";
    let want = "#![enable(implicit_some)]\n(s: \"two  spaces ,x\",\n    r: r#\"a\n   b \"#,\n    /* block\n     comment */ c: 'x',\n)\n";
    assert_eq!(format(text).unwrap(), want);
    assert_eq!(format(want).unwrap(), want);
}

#[test]
fn every_shipped_scene_formats_to_itself_and_reads_the_same() {
    for (file, text) in shipped() {
        let formatted = format_checked(&text, &file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            formatted, text,
            "{file} is not in the canonical layout: scene fmt it"
        );
        // Each line keeps its text; only the white space before it may change.
        let messy: String = text
            .lines()
            .map(|l| format!("\t{}  \n", l.trim_start()))
            .collect();
        assert_eq!(
            format_checked(&messy, &file).unwrap(),
            text,
            "{file} re-indented"
        );
    }
}

#[test]
fn what_the_editor_writes_is_already_canonical() {
    for (file, text) in shipped() {
        let scene = crate::scene::format::parse(&text, &file).unwrap();
        let written = crate::editor::written_ids(&text);
        let first = scene
            .twins
            .iter()
            .find(|t| written.contains(&t.id))
            .unwrap();
        let sensor = &first.sensors[0].name;
        let edits = [
            crate::editor::duplicate_twin(&text, &first.id, "copy-1", 3.0).unwrap(),
            crate::editor::add_twin(&text, &scene, &first.kind, [1.0, 0.0, 2.0])
                .unwrap()
                .0,
            crate::editor::delete_twin(&text, &first.id).unwrap(),
            crate::editor::set(
                &text,
                &format!("{}/{sensor}.warn", first.id).parse().unwrap(),
                "Some(1.5)",
            )
            .unwrap(),
            crate::editor::set(
                &text,
                &format!("{}.name", first.id).parse().unwrap(),
                "\"Renamed\"",
            )
            .unwrap(),
        ];
        for (n, edited) in edits.iter().enumerate() {
            assert_ne!(edited, &text);
            assert_eq!(
                &format(edited).unwrap(),
                edited,
                "{file}: edit {n} is not canonical"
            );
        }
    }
}

#[test]
fn text_that_is_not_a_scene_is_refused_with_where() {
    let e = format_checked("(\n  twins: [1, 2,\n", "x.scene.ron").unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.scene.ron:2:11: expected opening `(` for struct `TwinDef`"
    );
}

#[test]
fn an_unclosed_bracket_says_where() {
    // The loader's parser reads it first (it reports the same place).
    let e = format("(\n  twins: [(id: \"a\",\n").unwrap_err();
    assert_eq!(e.to_string(), "3:1: a bracket that is never closed");
}

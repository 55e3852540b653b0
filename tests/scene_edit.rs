//! `twinscape scene set`: one value changed in its own text, checked as the
//! viewer loads the scene, saved atomically; a bad edit leaves the file as
//! it was; a writer killed at any moment leaves a scene that loads.
//! `twinscape scene fmt`: the canonical layout, twice the same bytes.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{tmp, twinscape};

fn factory_copy(name: &str) -> (PathBuf, String) {
    let text = std::fs::read_to_string(common::factory_scene()).unwrap();
    let path = tmp(name);
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

fn set(file: &Path, place: &str, value: &str) -> std::process::Output {
    twinscape()
        .args(["scene", "set"])
        .arg(file)
        .args([place, value])
        .output()
        .unwrap()
}

fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
    assert_eq!(a.lines().count(), b.lines().count());
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect()
}

#[test]
fn scene_set_changes_one_value_and_keeps_every_other_byte() {
    let (path, before) = factory_copy("edit-one.scene.ron");
    let out = set(&path, "cnc-1/temperature.warn", "Some(74.0)");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}: cnc-1/temperature.warn = Some(74.0)", path.display())
    );
    let after = std::fs::read_to_string(&path).unwrap();
    let diff = changed_lines(&before, &after);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(
        diff[0].0.replace("warn: Some(75.0)", "warn: Some(74.0)"),
        diff[0].1
    );
    // The comments are all still there.
    assert_eq!(before.matches("//").count(), after.matches("//").count());
    let check = twinscape()
        .args(["scene", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{check:?}");
}

#[test]
fn a_bad_edit_is_refused_and_the_file_left_alone() {
    let (path, before) = factory_copy("edit-bad.scene.ron");
    let cases = [
        (
            "cnc-1/temperature.warn",
            "Some(90.0)",
            "warn 90 must be below alarm 85",
        ),
        ("cnc-9.name", "\"x\"", "the scene has no twin \"cnc-9\""),
        (
            "cnc-1/heat.warn",
            "Some(1.0)",
            "twin \"cnc-1\" has no sensor \"heat\"",
        ),
        ("cnc-1", "\"x\"", "expected TWIN.FIELD"),
        (
            "cnc-1.transform.translation",
            "(1.0, 2.0",
            "edit-bad.scene.ron:",
        ),
    ];
    for (place, value, says) in cases {
        let out = set(&path, place, value);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{place}: {stderr}");
        assert!(stderr.contains(says), "{place}: {stderr}");
        assert!(stderr.contains("edit-bad.scene.ron"), "{place}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "{place}");
    }
}

/// The writer is killed with SIGKILL at moments spread over its run: after
/// each kill the file is the old scene or the new one, and loads.
#[test]
fn a_writer_killed_at_any_moment_leaves_a_scene_that_loads() {
    let (path, before) = factory_copy("edit-kill.scene.ron");
    let values = ["(-15.0, 0.0, -4.8)", "(-14.0, 0.0, -4.8)"];
    let (mut old, mut new, mut killed) = (0, 0, 0);
    for round in 0..24u64 {
        let mut child = twinscape()
            .args(["scene", "set"])
            .arg(&path)
            .args(["cnc-1.transform.translation", values[(round % 2) as usize]])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // 0 to 11.5 ms (the writer's whole run here), in a scrambled order.
        std::thread::sleep(Duration::from_micros((round * 37) % 24 * 500));
        if child.try_wait().unwrap().is_none() {
            killed += 1;
            let _ = child.kill();
        }
        let _ = child.wait();
        let text = std::fs::read_to_string(&path).unwrap();
        let diff = changed_lines(&before, &text);
        assert!(diff.len() <= 1, "round {round}: {diff:?}");
        if text == before {
            old += 1;
        } else {
            new += 1;
        }
        twinscape::scene::format::parse(&text, "edit-kill.scene.ron")
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
    println!(
        "24 writers, {killed} killed before they ended: the file was the shipped \
         scene {old} times, the edited one {new}, and always loaded"
    );
}

fn fmt(files: &[&Path], check: bool) -> std::process::Output {
    let mut cmd = twinscape();
    cmd.args(["scene", "fmt"]).args(files);
    if check {
        cmd.arg("--check");
    }
    cmd.output().unwrap()
}

#[test]
fn scene_fmt_gives_the_shipped_layout_back_and_twice_the_same_bytes() {
    // The shipped factory, its indentation and spacing scrambled line by
    // line: fmt gives the shipped file back (its comments and line breaks
    // are the author's, the rest is the canonical layout).
    let (path, shipped) = factory_copy("fmt-messy.scene.ron");
    let messy: String = shipped
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = l.trim_start().replace("(name: ", "( name :");
            format!("{}{l}   \n", "\t".repeat(i % 3))
        })
        .collect();
    std::fs::write(&path, &messy).unwrap();
    let out = fmt(&[&path], true);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("would change (from line 1)"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        messy,
        "--check wrote"
    );
    let out = fmt(&[&path], false);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let once = std::fs::read_to_string(&path).unwrap();
    assert_eq!(once, shipped);
    let out = fmt(&[&path], false);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("unchanged"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), once);
    assert_eq!(fmt(&[&path], true).status.code(), Some(0));
}

#[test]
fn scene_fmt_leaves_a_broken_file_alone_and_formats_the_others() {
    let broken = tmp("fmt-broken.scene.ron");
    let text = "(\n  twins: [(id: \"a\",\n";
    std::fs::write(&broken, text).unwrap();
    let (good, shipped) = factory_copy("fmt-good.scene.ron");
    std::fs::write(&good, shipped.replace("    ", "  ")).unwrap();
    let out = fmt(&[&broken, &good], false);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:2:20: ", broken.display())),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), text);
    assert_eq!(std::fs::read_to_string(&good).unwrap(), shipped);
}

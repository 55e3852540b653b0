//! The editor_view script's later steps: duplicate, add from the palette,
//! bind from the topic list (see `tests/editor_view.rs`).

use std::sync::{Arc, Mutex};

use super::*;

pub(super) fn copy_steps(
    s: &mut Script,
    now: &Now,
    gizmo: &GizmoView,
    commands: &mut Commands,
) -> Result<(), String> {
    let Now { pointer, twins, .. } = *now;
    match s.step {
        Step::Duplicate if click(pointer, "Duplicate") => {
            s.next(Step::Duplicated);
        }
        Step::Duplicated => {
            // The copy stands 3 m along x, drawn, selected in the window.
            let copy = twins.iter().find(|(_, t, _)| &*t.id == "cnc-1-copy");
            if copy.is_some_and(|(_, _, t)| t.translation.x == TYPED_X + 3.0)
                && visible(pointer, "cnc-1-copy")
            {
                screenshot(commands, "duplicate.png");
                s.next(Step::UndoDuplicate);
            }
        }
        Step::UndoDuplicate => {
            let copies = twins
                .iter()
                .filter(|(_, t, _)| &*t.id == "cnc-1-copy")
                .count();
            if s.frames == 1 && !click(pointer, "Undo") {
                s.frames = 0;
            } else if s.frames > 1 && copies == 0 && twins.iter().count() == 11 {
                s.next(Step::Add);
            }
        }
        Step::Add if click(pointer, "+ cnc_mill") => {
            s.next(Step::Added);
        }
        Step::Added => {
            // cnc-4 (after cnc-3) on the floor under the scene's view focus
            // (1.5, 0.5, 0.5 in the file), selected, the gizmo on it.
            let new = twins.iter().find(|(_, t, _)| &*t.id == "cnc-4");
            if let Some((e, _, t)) = new
                && t.translation == Vec3::new(1.5, 0.0, 0.5)
                && gizmo.focused() == Some(e)
                && visible(pointer, "cnc-4")
            {
                s.next(Step::SaveAdded);
            }
        }
        Step::SaveAdded => {
            let Some(on_disk) = save(s, pointer) else {
                return Ok(());
            };
            if !on_disk.contains("\"cnc-4\"") {
                return Ok(());
            }
            // Against the file as saved before: every line still there, in
            // order, and the new lines one block that is cnc-4's.
            let before = shipped().replace("(-15.0, 0.0, -4.8)),", "(-12.0, 0.0, -4.8)),");
            let (a, b): (Vec<&str>, Vec<&str>) =
                (before.lines().collect(), on_disk.lines().collect());
            let first = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len());
            let added = b.len() - a.len();
            let block = &b[first..first + added];
            if b[..first] != a[..first]
                || b[first + added..] != a[first..]
                || !block.iter().any(|l| l.contains("\"CNC mill 4\""))
            {
                return Err(format!(
                    "the saved file is not the old one plus cnc-4: {block:#?}"
                ));
            }
            println!(
                "added cnc-4 from the palette and saved: {added} new lines, every other line kept"
            );
            s.next(Step::PickTopic);
        }
        _ => {}
    }
    Ok(())
}

/// The "Topics" window, fed here as the scout feeds it from a broker (the
/// scout itself: `tests/topic_scout.rs`): pick a topic, "Bind" cnc-4's
/// temperature to its JSON field, "Save": one line changed.
pub(super) fn topic_steps(
    s: &mut Script,
    now: &Now,
    browser: &mut TopicBrowser,
    editor: &Editor,
) -> Result<(), String> {
    let pointer = now.pointer;
    match s.step {
        Step::PickTopic => {
            if s.frames == 1 {
                let mut view = ScoutView::default();
                view.carried.record(LIVE_TOPIC, br#"{"temp": 61.5}"#, 0.0);
                view.carried.record("lab/other", b"on", 0.0);
                browser.view = Some(Arc::new(Mutex::new(view)));
            } else if browser.chosen.as_deref() == Some(LIVE_TOPIC) {
                s.next(Step::Bind);
            } else if s.frames % 20 == 2 {
                // A window's first pass only sizes it: a click then is lost.
                click(pointer, LIVE_TOPIC);
            }
        }
        // The selected twin (cnc-4), its first sensor, the only number.
        Step::Bind => {
            let bound = editor.session.as_ref().and_then(|session| {
                let twin = session.scene().twins.iter().find(|t| t.id == "cnc-4")?;
                let binding = twin.sensors.first()?.binding.as_ref()?;
                Some(binding.topic.clone())
            });
            if bound.as_deref() == Some(LIVE_TOPIC) {
                s.next(Step::SaveBound);
            } else if s.frames % 20 == 2 && visible(pointer, "Bind cnc-4 /") {
                click(pointer, "Bind");
            }
        }
        Step::SaveBound => {
            let Some(on_disk) = save(s, pointer) else {
                return Ok(());
            };
            let want = format!(
                r#"binding: (topic: "{LIVE_TOPIC}", decode: Json("temp")), show: [Color, Label]),"#
            );
            if on_disk.contains(&want) && visible(pointer, "bound") {
                let before =
                    "binding: (topic: \"factory/cnc-4/temperature\"), show: [Color, Label]),";
                if on_disk.contains(before) {
                    return Err(format!(
                        "cnc-4's old binding is still in the file beside {want}"
                    ));
                }
                println!(
                    "bound cnc-4/temperature to {LIVE_TOPIC} field temp from the topic list, saved"
                );
                s.next(Step::Rename);
            }
        }
        Step::Rename => {
            // The Id field (the text field showing cnc-4 beside "Id").
            let mut shared = pointer.0.lock().unwrap();
            if s.frames % 40 == 1
                && shared.pending.is_empty()
                && let Some(field) = shared.find_near("cnc-4", "Id")
            {
                shared.click(field);
                shared.type_text("mill-4");
            }
            drop(shared);
            let renamed = now.twins.iter().any(|(_, t, _)| &*t.id == "mill-4");
            if renamed && visible(pointer, "mill-4") {
                s.next(Step::SaveRenamed);
            }
        }
        Step::SaveRenamed => {
            let Some(on_disk) = save(s, pointer) else {
                return Ok(());
            };
            if on_disk.contains(r#"id: "mill-4", name: "CNC mill 4""#) {
                if on_disk.contains("\"cnc-4\"") {
                    return Err("the file still names cnc-4 after the rename".into());
                }
                println!("renamed cnc-4 to mill-4 in the Id field, saved");
                s.next(Step::OpenFields);
            }
        }
        // A topic naming mill-4 turned into a template for every mill.
        Step::Template => {
            const MILL_TOPIC: &str = "lab/mill-4/telemetry";
            let added = editor.session.as_ref().is_some_and(|session| {
                session.text().contains(
                    r#"(topic: "lab/{twin}/telemetry", sensor: "temperature", decode: Json("temp")),"#,
                )
            });
            if s.frames == 1 {
                if let Some(view) = &browser.view {
                    let mut view = view.lock().unwrap();
                    view.carried.record(MILL_TOPIC, br#"{"temp": 48.0}"#, 1.0);
                }
            } else if added {
                println!("{MILL_TOPIC} made the template lab/{{twin}}/telemetry for temperature");
                s.next(Step::SelectCnc3);
            } else if s.frames % 20 == 2 {
                if browser.chosen.as_deref() != Some(MILL_TOPIC) {
                    click(pointer, MILL_TOPIC);
                } else {
                    click(pointer, "As template");
                }
            }
        }
        // cnc-3 is one of milling's machines: "Delete" is refused, then
        // "Delete, fixing references" takes it out of the station and deletes.
        Step::SelectCnc3 => {
            if visible(pointer, "Twin") && visible(pointer, "cnc-3") {
                s.next(Step::DeleteFixing);
            } else if s.frames % 20 == 2 {
                click(pointer, "CNC mill 3");
            }
        }
        Step::DeleteFixing => {
            let gone = !now.twins.iter().any(|(_, t, _)| &*t.id == "cnc-3");
            let milling = editor
                .session
                .as_ref()
                .is_some_and(|session| session.text().contains(r#"machines: ["cnc-1", "cnc-2"],"#));
            if gone && milling {
                println!("cnc-3: Delete refused, then deleted with milling's machines fixed");
                s.next(Step::Shot);
            } else if s.frames % 20 == 2 && !click(pointer, "Delete, fixing references") {
                click(pointer, "Delete");
            }
        }
        _ => {}
    }
    Ok(())
}

/// Clicks "Save" (in the step's first frame, again until it is on screen)
/// and then gives the file as it is on disk, to wait for.
fn save(s: &mut Script, pointer: &Pointer) -> Option<String> {
    if s.frames == 1 && !click(pointer, "Save") {
        s.frames = 0;
        return None;
    }
    Some(std::fs::read_to_string(folder().join("factory.scene.ron")).unwrap())
}

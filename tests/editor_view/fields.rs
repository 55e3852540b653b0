//! The editor_view script's "Fields" window steps: every field of the selected
//! twin's sensor as RON text; a range typed in is taken, a warn limit above
//! the alarm is refused beside its field, "+ predictor" adds the field.

use super::*;

fn temperature(editor: &Editor) -> Option<twinscape::scene::format::SensorDef> {
    let session = editor.session.as_ref()?;
    let twin = session.scene().twins.iter().find(|t| t.id == "mill-4")?;
    twin.sensors
        .iter()
        .find(|s| s.name == "temperature")
        .cloned()
}

/// Types `text` into the field showing `value` nearest the label `anchor`,
/// every 40 frames until the step moves on.
fn type_into(s: &Script, pointer: &Pointer, value: &str, anchor: &str, text: &str) {
    let mut shared = pointer.0.lock().unwrap();
    if s.frames % 40 == 1
        && shared.pending.is_empty()
        && let Some(field) = shared.find_near(value, anchor)
    {
        shared.click(field);
        shared.type_text(text);
    }
}

pub(super) fn field_steps(
    s: &mut Script,
    now: &Now,
    editor: &Editor,
    commands: &mut Commands,
) -> Result<(), String> {
    let pointer = now.pointer;
    match s.step {
        Step::OpenFields => {
            if visible(pointer, "(20.0, 70.0)") {
                s.next(Step::Range);
            } else if s.frames % 20 == 2 {
                let label = match visible(pointer, "sensor temperature") {
                    true => "sensor temperature",
                    false => "All fields…",
                };
                click(pointer, label);
            }
        }
        Step::Range => {
            type_into(s, pointer, "(20.0, 70.0)", "range", "(20.0, 90.0)");
            if temperature(editor).is_some_and(|t| t.range == (20.0, 90.0)) {
                println!("mill-4/temperature.range typed as RON: (20.0, 90.0)");
                s.next(Step::Refuse);
            }
        }
        Step::Refuse => {
            // Above its alarm (85): the loader refuses it.
            type_into(s, pointer, "Some(75.0)", "warn", "Some(99.0)");
            let refused = editor
                .refused
                .as_ref()
                .is_some_and(|(place, _)| place.to_string() == "mill-4/temperature.warn");
            let shown = pointer.0.lock().unwrap().widgets.iter().any(|(l, _)| {
                l.starts_with("refused: ") && l.contains("warn 99 must be below alarm 85")
            });
            if refused && shown {
                if temperature(editor).and_then(|t| t.warn) != Some(75.0) {
                    return Err("a refused warn limit changed the scene".into());
                }
                println!(
                    "warn Some(99.0) above the alarm: refused beside the field, nothing changed"
                );
                screenshot(commands, "fields-refused.png");
                s.next(Step::AddPredictor);
            }
        }
        Step::AddPredictor => {
            let added = editor
                .session
                .as_ref()
                .is_some_and(|session| session.text().contains("predictor: Auto"));
            if added && editor.refused.is_none() {
                println!("+ predictor added predictor: Auto to mill-4/temperature");
                s.next(Step::Template);
            } else if s.frames % 20 == 2 {
                click(pointer, "+ predictor");
            }
        }
        _ => {}
    }
    Ok(())
}

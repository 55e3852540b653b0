//! The "Edit scene" window (edit mode, `E`): save, undo and redo, the
//! choice when the file changed on disk, and the selected twin: duplicate,
//! delete, its name, place, turn and sensor limits. A value is taken when a drag ends or a
//! field loses focus: one undo entry each, checked by the loader's code;
//! a refusal shows in red and changes nothing.

use std::collections::HashMap;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::editor::Place;
use crate::editor::placing::{SNAP_MOVE_M, SNAP_TURN_DEG, position_text, turn_text};
use crate::editor::plugin::{Editor, Tool};
use crate::scene::format::TwinDef;
use crate::twin::Twin;
use crate::view::camera::OrbitCamera;
use crate::view::selection::Selected;

/// Step of a position drag, in metres per pixel.
const MOVE_SPEED_M: f64 = 0.05;
/// Step of a turn drag, in degrees per pixel.
const TURN_SPEED_DEG: f64 = 1.0;

/// Values being dragged or typed, by field, until they are taken.
#[derive(Default)]
pub(crate) struct Pending {
    numbers: HashMap<String, f64>,
    texts: HashMap<String, String>,
    /// The "Fields" window is open.
    fields_open: bool,
}

pub(super) fn editor_panel(
    mut contexts: EguiContexts,
    mut editor: ResMut<Editor>,
    selected: Res<Selected>,
    twins: Query<&Twin>,
    eye: Query<&OrbitCamera>,
    mut pending: Local<Pending>,
) -> Result {
    if !editor.on {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let twin_id = selected
        .0
        .and_then(|e| twins.get(e).ok())
        .map(|t| t.id.clone());
    let mut fields_of = None;
    egui::Window::new("Edit scene")
        // Under the selected twin's window, above the alarm list.
        .default_pos([906.0, 232.0])
        .default_width(350.0)
        .show(ctx, |ui| {
            file_bar(ui, &mut editor);
            // New twins stand on the floor where the view looks.
            let at = eye.iter().next().map_or([0.0; 3], |o| floor_point(o.focus));
            palette_bar(ui, &mut editor, at);
            ui.separator();
            let def = twin_id.as_deref().and_then(|id| {
                editor
                    .session
                    .as_ref()?
                    .scene()
                    .twins
                    .iter()
                    .find(|t| t.id == id)
                    .cloned()
            });
            let editable = def
                .as_ref()
                .is_some_and(|d| editor.session.as_ref().is_some_and(|s| s.is_written(&d.id)));
            match (def, twin_id) {
                (Some(def), _) if editable => {
                    inspector(ui, &def, &mut editor, &mut pending);
                    fields_of = Some(def.id);
                }
                (_, Some(id)) => {
                    ui.label(format!(
                        "\"{id}\" is not written in the scene file (a city's buildings \
                         and streets come from its map)."
                    ));
                }
                _ => {
                    ui.label("Click a twin to edit it.");
                }
            }
        });
    if let Some(id) = fields_of.filter(|_| pending.fields_open) {
        let mut open = true;
        super::fields::fields_window(ctx, &mut open, &id, &mut editor, &mut pending);
        pending.fields_open = open;
    }
    Ok(())
}

/// The file, whether it has unsaved edits, Save / Undo / Redo, and what the
/// last action said.
fn file_bar(ui: &mut egui::Ui, editor: &mut Editor) {
    let Some(session) = editor.session.as_mut() else {
        if let Some(e) = &editor.error {
            ui.colored_label(egui::Color32::LIGHT_RED, e);
        }
        return;
    };
    let name = session
        .file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let dirty = session.is_dirty();
    let (can_undo, can_redo) = (session.can_undo(), session.can_redo());
    let theirs = editor.theirs_changed();
    ui.horizontal(|ui| {
        ui.strong(name);
        ui.label(if dirty {
            "· unsaved edits"
        } else {
            "· saved"
        });
    });
    ui.horizontal(|ui| {
        if ui.add_enabled(dirty, egui::Button::new("Save")).clicked() {
            editor.save();
        }
        if ui
            .add_enabled(can_undo, egui::Button::new("Undo"))
            .clicked()
        {
            editor.undo();
        }
        if ui
            .add_enabled(can_redo, egui::Button::new("Redo"))
            .clicked()
        {
            editor.redo();
        }
    });
    if theirs {
        ui.colored_label(
            egui::Color32::from_rgb(240, 180, 40),
            "The file changed since it was read.",
        );
        ui.horizontal(|ui| {
            if ui.button("Reload theirs").clicked() {
                editor.reload_theirs();
            }
            if ui.button("Keep mine").clicked() {
                editor.keep_mine();
            }
        });
    }
    if let Some(e) = &editor.error {
        ui.colored_label(egui::Color32::LIGHT_RED, e);
    } else if let Some(note) = &editor.note {
        ui.weak(note);
    }
    ui.weak("E leaves edit mode · Ctrl+S save · Ctrl+Z undo · Ctrl+Shift+Z redo");
}

/// The selected twin's fields.
fn inspector(ui: &mut egui::Ui, def: &TwinDef, editor: &mut Editor, pending: &mut Pending) {
    let id = &def.id;
    ui.horizontal(|ui| {
        ui.label("Twin");
        ui.monospace(id);
        ui.weak(&def.kind);
        if ui.button("Duplicate").clicked() {
            editor.duplicate(id);
        }
        if ui.button("Delete").clicked() {
            editor.delete(id);
        }
        if ui
            .selectable_label(pending.fields_open, "All fields…")
            .clicked()
        {
            pending.fields_open = !pending.fields_open;
        }
    });
    if editor.delete_refused.as_deref() == Some(id.as_str()) {
        offer_fixes(ui, id, editor);
    }
    ui.horizontal(|ui| {
        ui.label("Id");
        if let Some(new) = text_field(ui, &format!("{id}.id"), id, pending) {
            editor.rename(id, new.trim());
        }
    });
    ui.horizontal(|ui| {
        ui.label("Name");
        if let Some(name) = text_field(ui, &format!("{id}.name"), &def.name, pending) {
            editor.set(&Place::at(id, None, &["name"]), &format!("{name:?}"));
        }
    });
    gizmo_bar(ui, editor);
    let t = &def.transform;
    let mut xyz = t.translation.map(f64::from);
    let mut moved = false;
    ui.horizontal(|ui| {
        ui.label("Position");
        for (axis, v) in ["x", "y", "z"].iter().zip(&mut xyz) {
            let key = format!("{id}.translation.{axis}");
            if let Some(new) = number_field(ui, &key, *v, MOVE_SPEED_M, pending) {
                *v = new;
                moved = true;
            }
        }
    });
    if moved {
        editor.set(
            &Place::at(id, None, &["transform", "translation"]),
            &position_text(xyz.map(|v| v as f32)),
        );
    }
    ui.horizontal(|ui| {
        ui.label("Turn °");
        let key = format!("{id}.rotation_y_deg");
        if let Some(deg) = number_field(
            ui,
            &key,
            f64::from(t.rotation_y_deg),
            TURN_SPEED_DEG,
            pending,
        ) {
            editor.set(
                &Place::at(id, None, &["transform", "rotation_y_deg"]),
                &turn_text(deg),
            );
        }
    });
    if def.sensors.is_empty() {
        return;
    }
    ui.separator();
    egui::Grid::new("editor-sensors")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("sensor");
            ui.strong("warn");
            ui.strong("alarm");
            ui.end_row();
            for sensor in def.sensors.iter() {
                ui.label(format!("{} ({})", sensor.name, sensor.unit));
                let step = (sensor.range.1 - sensor.range.0).abs() / 200.0;
                for (field, limit) in [("warn", sensor.warn), ("alarm", sensor.alarm)] {
                    let key = format!("{id}/{}.{field}", sensor.name);
                    match limit {
                        Some(v) => {
                            if let Some(new) = number_field(ui, &key, v, step, pending) {
                                let place = Place::at(id, Some(&sensor.name), &[field]);
                                editor.set(&place, &format!("Some({new:?})"));
                            }
                        }
                        None => {
                            ui.weak("—");
                        }
                    }
                }
                ui.end_row();
            }
        });
}

/// After a refused deletion: what taking the twin out of the stations and
/// its children would change, and the button that does it and deletes.
fn offer_fixes(ui: &mut egui::Ui, id: &str, editor: &mut Editor) {
    let Some(text) = editor.session.as_ref().map(|s| s.text().to_string()) else {
        return;
    };
    let Ok((_, fixes)) = crate::editor::unlink::unlink_twin(&text, id) else {
        return;
    };
    if fixes.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let button = ui.button("Delete, fixing references");
        if button.on_hover_text(fixes.join("\n")).clicked() {
            editor.delete_fixing(id);
        }
        ui.weak(fixes.join("; "));
    });
}

/// "Add": a button per kind of twin the file writes; the new twin (a
/// numbered copy of the last of its kind) stands at `at`, selected.
fn palette_bar(ui: &mut egui::Ui, editor: &mut Editor, at: [f32; 3]) {
    let Some(kinds) = editor.session.as_ref().map(|s| s.palette()) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label("Add");
        for kind in kinds {
            if ui.button(format!("+ {kind}")).clicked() {
                editor.add(&kind, at);
            }
        }
    });
}

/// The point of the floor under `focus`, on the snapping grid.
fn floor_point(focus: Vec3) -> [f32; 3] {
    let snap = |v: f32| (v / SNAP_MOVE_M).round() * SNAP_MOVE_M;
    [snap(focus.x), 0.0, snap(focus.z)]
}

/// What the gizmo on the twin does: move (`G`) or turn (`R`), and snapping.
fn gizmo_bar(ui: &mut egui::Ui, editor: &mut Editor) {
    ui.horizontal(|ui| {
        ui.label("Gizmo");
        for (tool, label) in [(Tool::Move, "Move (G)"), (Tool::Turn, "Turn (R)")] {
            if ui.selectable_label(editor.tool == tool, label).clicked() {
                editor.tool = tool;
            }
        }
        let snap = format!("Snap {SNAP_MOVE_M} m · {SNAP_TURN_DEG}°");
        ui.checkbox(&mut editor.snap, snap);
    });
}

/// A drag value whose new number is returned once its drag ends or its
/// typed text is left; until then it is kept in `pending`.
fn number_field(
    ui: &mut egui::Ui,
    key: &str,
    current: f64,
    speed: f64,
    pending: &mut Pending,
) -> Option<f64> {
    let mut v = pending.numbers.get(key).copied().unwrap_or(current);
    let r = ui.add(egui::DragValue::new(&mut v).speed(speed).max_decimals(3));
    if r.drag_stopped() || r.lost_focus() {
        pending.numbers.remove(key);
        return (v != current).then_some(v);
    }
    if r.dragged() || r.has_focus() {
        pending.numbers.insert(key.to_string(), v);
    } else {
        pending.numbers.remove(key);
    }
    None
}

/// A text field whose text is returned once it loses focus, if changed.
pub(super) fn text_field(
    ui: &mut egui::Ui,
    key: &str,
    current: &str,
    pending: &mut Pending,
) -> Option<String> {
    let text = pending
        .texts
        .entry(key.to_string())
        .or_insert_with(|| current.to_string());
    let r = ui.text_edit_singleline(text);
    if r.lost_focus() {
        let done = pending.texts.remove(key)?;
        return (done != current).then_some(done);
    }
    if !r.has_focus() {
        pending.texts.remove(key);
    }
    None
}

//! The inspector's "Fields" window ("All fields…" in "Edit scene"): every
//! field the selected twin and each of its sensors have written in the
//! scene file, as RON text (`range: (20.0, 70.0)`, `binding: (topic: …)`,
//! `predictor: Holt(alpha: 0.5, beta: 0.1)`, `show: [Color, Label]`), and
//! "+ field" for those they do not have yet. A value is taken when its
//! field is left, checked by the loader's code; a refusal shows in red
//! under that field and changes nothing.

use bevy_egui::egui;

use super::editor::{Pending, text_field};
use crate::editor::Place;
use crate::editor::fields::{self, Field, SENSOR_FIELDS, TWIN_FIELDS};
use crate::editor::plugin::Editor;

/// Widest a value's text box is drawn, in points.
const VALUE_WIDTH_PT: f32 = 250.0;

/// Where the "Fields" window opens, in points: beside the twin list, under
/// the topic list.
const WINDOW_AT_PT: [f32; 2] = [250.0, 150.0];
/// Its first size, in points (it scrolls).
const WINDOW_HEIGHT_PT: f32 = 420.0;
const WINDOW_WIDTH_PT: f32 = 360.0;

/// The "Fields" window of twin `id` while `open`: the twin's fields, then
/// a section per sensor.
pub(super) fn fields_window(
    ctx: &egui::Context,
    open: &mut bool,
    id: &str,
    editor: &mut Editor,
    pending: &mut Pending,
) {
    egui::Window::new(format!("Fields · {id}"))
        .id(egui::Id::new("editor-fields"))
        .open(open)
        .default_pos(WINDOW_AT_PT)
        .default_height(WINDOW_HEIGHT_PT)
        .default_width(WINDOW_WIDTH_PT)
        .vscroll(true)
        .show(ctx, |ui| all_fields(ui, id, editor, pending));
}

fn all_fields(ui: &mut egui::Ui, id: &str, editor: &mut Editor, pending: &mut Pending) {
    let Some(Ok(written)) = editor
        .session
        .as_ref()
        .map(|s| fields::written_twin(s.text(), id))
    else {
        return;
    };
    field_grid(ui, id, None, &written.fields, TWIN_FIELDS, editor, pending);
    for (sensor, fields) in &written.sensors {
        egui::CollapsingHeader::new(format!("sensor {sensor}"))
            .id_salt(("sensor-fields", id, sensor))
            .show(ui, |ui| {
                field_grid(ui, id, Some(sensor), fields, SENSOR_FIELDS, editor, pending);
            });
    }
}

/// One row per written field (name, its text), the refusal under the one
/// refused, and "+ field" for the missing ones.
fn field_grid(
    ui: &mut egui::Ui,
    id: &str,
    sensor: Option<&str>,
    written: &[Field],
    all: &[&str],
    editor: &mut Editor,
    pending: &mut Pending,
) {
    let salt = format!("{id}/{}", sensor.unwrap_or(""));
    egui::Grid::new(("field-grid", &salt))
        .num_columns(2)
        .show(ui, |ui| {
            // A twin's sensors have sections of their own.
            for field in written
                .iter()
                .filter(|f| !(sensor.is_none() && f.key == "sensors"))
            {
                ui.label(&field.key);
                let key = format!("{salt}.{}", field.key);
                let taken = ui
                    .scope(|ui| {
                        ui.set_max_width(VALUE_WIDTH_PT);
                        text_field(ui, &key, &field.text, pending)
                    })
                    .inner;
                ui.end_row();
                let place = Place::at(id, sensor, &[&field.key]);
                if let Some(value) = taken {
                    if sensor.is_none() && field.key == "id" {
                        editor.rename(id, value.trim().trim_matches('"'));
                    } else {
                        editor.set(&place, &value);
                    }
                }
                if let Some((_, why)) = editor.refused.as_ref().filter(|(p, _)| *p == place) {
                    // The loader's words from the line and column on (the file
                    // and the refusal itself are said in "Edit scene").
                    let short = why.rsplit_once(".ron:").map_or(why.as_str(), |(_, r)| r);
                    ui.label("");
                    ui.scope(|ui| {
                        ui.set_max_width(VALUE_WIDTH_PT);
                        let words = egui::RichText::new(format!("refused: {short}"))
                            .color(egui::Color32::LIGHT_RED);
                        ui.add(egui::Label::new(words).wrap());
                    });
                    ui.end_row();
                }
            }
        });
    let missing = fields::missing_fields(all, written);
    if missing.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for key in missing {
            if ui.small_button(format!("+ {key}")).clicked() {
                editor.set(&Place::at(id, sensor, &[key]), fields::starting_text(key));
            }
        }
    });
}

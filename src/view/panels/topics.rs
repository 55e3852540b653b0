//! The "Topics" window (edit mode): every topic the broker has carried
//! since the editor opened, with its message count, rate and last payload,
//! marked "bound" where the scene already binds it. Pick a topic, then the
//! selected twin's sensor and (for JSON) the field: "Bind" writes the
//! sensor's `binding`, one edit as any other; "As template", for a topic
//! with a level that is the twin's id, adds a scene template instead.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::editor::Place;
use crate::editor::browse::TopicBrowser;
use crate::editor::plugin::Editor;
use crate::telemetry::carried::{binding_text, numbers, template_text};
use crate::telemetry::topic::Router;
use crate::twin::Twin;
use crate::view::selection::Selected;

/// Characters of a payload shown in the list.
const PAYLOAD_SHOWN_CHARS: usize = 36;
/// The list's height before it scrolls, points.
const LIST_HEIGHT: f32 = 180.0;

/// The scene's router, rebuilt when the edited scene changes.
#[derive(Default)]
pub(super) struct Bound {
    version: Option<u64>,
    router: Option<Router>,
}

pub(super) fn topics_panel(
    mut contexts: EguiContexts,
    mut editor: ResMut<Editor>,
    mut browser: ResMut<TopicBrowser>,
    selected: Res<Selected>,
    twins: Query<&Twin>,
    mut bound: Local<Bound>,
) -> Result {
    let Some(view) = browser.view.clone().filter(|_| editor.on) else {
        return Ok(());
    };
    if bound.version != Some(editor.version) {
        bound.version = Some(editor.version);
        bound.router = editor
            .session
            .as_ref()
            .map(|s| Router::from_scene(s.scene()));
    }
    let ctx = contexts.ctx_mut()?;
    let view = view.lock().unwrap();
    let now = view.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    egui::Window::new("Topics")
        .default_pos([250.0, 10.0])
        .default_width(520.0)
        .show(ctx, |ui| {
            if let Some(e) = &view.error {
                ui.colored_label(egui::Color32::LIGHT_RED, e);
            }
            let carried = &view.carried;
            ui.weak(format!(
                "{} topics carried since edit mode opened{}",
                carried.topics.len(),
                if carried.not_kept > 0 {
                    format!(
                        " ({} messages on topics past the list's end)",
                        carried.not_kept
                    )
                } else {
                    String::new()
                }
            ));
            egui::ScrollArea::vertical()
                .max_height(LIST_HEIGHT)
                .show(ui, |ui| {
                    egui::Grid::new("topics").striped(true).show(ui, |ui| {
                        for (topic, seen) in &carried.topics {
                            let picked = browser.chosen.as_deref() == Some(topic.as_str());
                            if ui.selectable_label(picked, topic).clicked() {
                                browser.chosen = Some(topic.clone());
                                browser.field = None;
                            }
                            ui.label(format!("{} · {:.1}/s", seen.messages, seen.rate(now)));
                            let text = String::from_utf8_lossy(&seen.last);
                            let shown: String = text.chars().take(PAYLOAD_SHOWN_CHARS).collect();
                            ui.monospace(shown);
                            let is_bound = bound
                                .router
                                .as_ref()
                                .is_some_and(|r| r.route(topic, |_| {}) > 0);
                            ui.weak(if is_bound { "bound" } else { "" });
                            ui.end_row();
                        }
                    });
                });
            let twin = selected
                .0
                .and_then(|e| twins.get(e).ok())
                .map(|t| t.id.clone());
            let payload = browser
                .chosen
                .as_ref()
                .and_then(|t| carried.topics.get(t))
                .map(|s| s.last.clone());
            if let (Some(twin), Some(payload)) = (twin, payload) {
                ui.separator();
                bind_row(ui, &mut editor, &mut browser, &twin, &payload);
            }
        });
    Ok(())
}

/// "Bind SENSOR ← FIELD": the selected twin's sensor, the payload's number
/// to read, and the button that writes the binding.
fn bind_row(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    browser: &mut TopicBrowser,
    twin: &str,
    payload: &[u8],
) {
    let Some(def) = editor
        .session
        .as_ref()
        .and_then(|s| s.scene().twins.iter().find(|t| t.id == twin))
        .cloned()
    else {
        return;
    };
    let offered = numbers(payload);
    if offered.is_empty() {
        ui.weak("This payload holds no number to bind.");
        return;
    }
    let sensors: Vec<String> = def.sensors.iter().map(|s| s.name.clone()).collect();
    let sensor = browser
        .sensor
        .clone()
        .filter(|s| sensors.contains(s))
        .or_else(|| sensors.first().cloned());
    let field = browser
        .field
        .clone()
        .filter(|f| offered.iter().any(|(p, _)| p == f))
        .unwrap_or_else(|| offered[0].0.clone());
    let Some(mut sensor) = sensor else {
        ui.weak(format!("{twin} has no sensors."));
        return;
    };
    let mut field_now = field;
    ui.horizontal(|ui| {
        ui.label(format!("Bind {twin} /"));
        egui::ComboBox::from_id_salt("bind-sensor")
            .selected_text(&sensor)
            .show_ui(ui, |ui| {
                for name in &sensors {
                    ui.selectable_value(&mut sensor, name.clone(), name);
                }
            });
        ui.label("from");
        let shown = |f: &Option<String>| f.clone().unwrap_or_else(|| "the payload".into());
        egui::ComboBox::from_id_salt("bind-field")
            .selected_text(shown(&field_now))
            .show_ui(ui, |ui| {
                for (path, value) in &offered {
                    ui.selectable_value(
                        &mut field_now,
                        path.clone(),
                        format!("{} = {value}", shown(path)),
                    );
                }
            });
        if ui.button("Bind").clicked()
            && let Some(topic) = browser.chosen.clone()
        {
            let place = Place::at(twin, Some(&sensor), &["binding"]);
            editor.set(&place, &binding_text(&topic, field_now.as_deref()));
        }
        // The topic names the twin: a template binds every twin with this
        // sensor to its own topic.
        let template = browser
            .chosen
            .as_deref()
            .and_then(|topic| template_text(topic, twin, &sensor, field_now.as_deref()));
        let button = ui.add_enabled(template.is_some(), egui::Button::new("As template"));
        let button = button.on_hover_text(match &template {
            Some(t) => format!("Add to the scene's templates: {t}"),
            None => "The topic has no level that is this twin's id".to_string(),
        });
        if button.clicked()
            && let Some(template) = template
        {
            editor.add_template(&template);
        }
    });
    browser.sensor = Some(sensor);
    browser.field = Some(field_now);
}

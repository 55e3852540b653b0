//! The twin list (top left: the scene's name, the parts in flow, every twin
//! with its status dot, click to select) and the selected twin's window (top
//! right: each sensor's value, trend per minute and a countdown to its alarm
//! limit; click a sensor to plot it).

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;

use super::{BacktestScores, PlotSensor, dot, format_value, health_color};
use crate::backtest::SensorScore;
use crate::scene::ActiveScene;
use crate::telemetry::TwinClock;
use crate::twin::{Health, History, Sensor, SensorValue, Sensors, Twin};
use crate::view::selection::Selected;

/// Height of the twin list before it scrolls, in points.
const LIST_MAX_HEIGHT: f32 = 420.0;
/// A trend slower than this share of the sensor's range per minute shows as flat.
const FLAT_SHARE_OF_RANGE_PER_MIN: f64 = 0.002;
/// The countdown's amber.
const ETA_COLOUR: egui::Color32 = egui::Color32::from_rgb(240, 150, 30);

/// What the two twin windows read, and the selection and plotted sensor
/// they change.
#[derive(SystemParam)]
pub(super) struct TwinWindows<'w, 's> {
    selected: ResMut<'w, Selected>,
    plot: ResMut<'w, PlotSensor>,
    twins: Query<
        'w,
        's,
        (
            Entity,
            &'static Twin,
            &'static Health,
            Option<&'static Sensors>,
        ),
    >,
    sensors: Query<
        'w,
        's,
        (
            &'static Sensor,
            &'static SensorValue,
            &'static History,
            &'static Health,
        ),
    >,
    scene: Option<Res<'w, ActiveScene>>,
    flow: Res<'w, crate::flow::Flow>,
    clock: Res<'w, TwinClock>,
    scores: Option<Res<'w, BacktestScores>>,
    /// The twins in name order, sorted again only when a twin comes, goes
    /// or is renamed (a city lists 100,000).
    order: Local<'s, Vec<Entity>>,
    renamed: Query<'w, 's, (), Changed<Twin>>,
}

impl TwinWindows<'_, '_> {
    /// The twin list: the scene's name, the parts in flow, and every twin by
    /// name with its status dot; a click selects a twin, or unselects it.
    pub(super) fn list(&mut self, ctx: &egui::Context) {
        if self.order.len() != self.twins.iter().count() || !self.renamed.is_empty() {
            let mut named: Vec<_> = self.twins.iter().map(|(e, t, _, _)| (e, &t.name)).collect();
            named.sort_by(|a, b| a.1.cmp(b.1));
            *self.order = named.into_iter().map(|(e, _)| e).collect();
        }
        let twins = &self.twins;
        let order = &self.order;
        let scene = self.scene.as_deref();
        let title = scene
            .and_then(|s| s.spawned.clone())
            .unwrap_or_else(|| "loading…".into());
        let selected = &mut self.selected;
        let flow = &self.flow;
        egui::Window::new("Twins")
            .title_bar(false)
            .anchor(egui::Align2::LEFT_TOP, [10.0, 10.0])
            .default_width(230.0)
            .resizable(false)
            .show(ctx, |ui| {
                ui.heading(title);
                if let Some(failed) = scene.and_then(|s| s.error.clone()) {
                    ui.colored_label(egui::Color32::LIGHT_RED, failed);
                }
                flow_lines(ui, flow);
                ui.separator();
                // Only the rows in view are laid out: a city lists thousands.
                let row = ui.spacing().interact_size.y;
                egui::ScrollArea::vertical()
                    .max_height(LIST_MAX_HEIGHT)
                    .show_rows(ui, row, order.len(), |ui, rows| {
                        for (entity, twin, health, _) in
                            order[rows].iter().filter_map(|&e| twins.get(e).ok())
                        {
                            ui.horizontal(|ui| {
                                dot(ui, health_color(*health));
                                let picked = selected.0 == Some(entity);
                                if ui.selectable_label(picked, &twin.name).clicked() {
                                    selected.0 = if picked { None } else { Some(entity) };
                                }
                            });
                        }
                    });
            });
    }

    /// The selected twin's window: kind, id and status, then a row per
    /// sensor (status, name, value, trend, countdown); a click on a sensor
    /// plots it.
    pub(super) fn selected(&mut self, ctx: &egui::Context) {
        let Some((_, twin, health, list)) = self.selected.0.and_then(|e| self.twins.get(e).ok())
        else {
            return;
        };
        let (sensors, plot, now) = (&self.sensors, &mut self.plot, self.clock.now_s);
        let scores = self.scores.as_deref();
        egui::Window::new(twin.name.clone())
            .id(egui::Id::new("selected-twin"))
            .anchor(egui::Align2::RIGHT_TOP, [-10.0, 10.0])
            .default_width(300.0)
            .resizable(false)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label(format!("{} · {}", twin.kind, twin.id));
                    ui.label(
                        egui::RichText::new(health.label())
                            .color(health_color(*health))
                            .strong(),
                    );
                });
                ui.separator();
                egui::Grid::new("sensors")
                    .num_columns(5)
                    .striped(true)
                    .show(ui, |ui| {
                        for &entity in list.map(|l| l.entities()).unwrap_or(&[]) {
                            if let Ok(row) = sensors.get(entity) {
                                let score = scores.and_then(|s| s.0.get(&twin.id, &row.0.name));
                                sensor_row(ui, row, entity, plot, (now, score));
                            }
                        }
                    });
            });
    }
}

/// One sensor of the selected twin; clicking its name plots it.
fn sensor_row(
    ui: &mut egui::Ui,
    (sensor, value, history, health): (&Sensor, &SensorValue, &History, &Health),
    entity: Entity,
    plot: &mut ResMut<PlotSensor>,
    (now, score): (f64, Option<&SensorScore>),
) {
    dot(ui, health_color(*health));
    let plotted = plot.0 == Some(entity);
    if ui
        .selectable_label(plotted, &*sensor.name)
        .on_hover_text(format!(
            "{} · click to plot",
            sensor.topic.as_deref().unwrap_or("unbound")
        ))
        .clicked()
    {
        plot.0 = Some(entity);
    }
    let shown = if &*sensor.name == "state" {
        state_word(value.value)
    } else {
        format_value(value.value, &sensor.unit)
    };
    ui.label(egui::RichText::new(shown).monospace().strong());
    trend_cells(ui, sensor, history, (now, score));
    ui.end_row();
}

/// Where the parts are, when the scene has a flow of parts.
fn flow_lines(ui: &mut egui::Ui, flow: &crate::flow::Flow) {
    if flow.def.is_none() {
        return;
    }
    ui.label(
        egui::RichText::new(format!(
            "parts: {} out · {} past the eye · {} in the bin · {} bins full",
            flow.released, flow.counted, flow.in_bin, flow.bins_swapped
        ))
        .small(),
    );
    if !flow.buffers.is_empty() {
        let queued: Vec<String> = flow
            .buffers
            .iter()
            .map(|b| format!("{} {}", b.station, b.on_belt))
            .collect();
        ui.label(
            egui::RichText::new(format!(
                "waiting after {} · {} in machines",
                queued.join(" · "),
                flow.at_machines
            ))
            .small(),
        );
    }
}

/// The trend per minute, and a countdown when the forecast is sure the alarm
/// limit is coming (see `analytics::countdown`).
fn trend_cells(
    ui: &mut egui::Ui,
    sensor: &Sensor,
    history: &History,
    (now, score): (f64, Option<&SensorScore>),
) {
    let Some(curve) = history.curve() else {
        ui.label("");
        ui.label("");
        return;
    };
    let per_min = curve.slope() * 60.0;
    let span = sensor.range.1 - sensor.range.0;
    let arrow = if per_min.abs() < span * FLAT_SHARE_OF_RANGE_PER_MIN {
        "·"
    } else if per_min > 0.0 {
        "↗"
    } else {
        "↘"
    };
    ui.label(egui::RichText::new(format!("{arrow} {per_min:+.2}/min")).small());
    // The countdown, and how this sensor's countdowns fared in a backtest
    // (`--scores`) when one is known: its tooltip says it in full.
    let countdown = sensor.alarm.and_then(|alarm| history.countdown(alarm, now));
    let short = score.and_then(SensorScore::short);
    let cell = match (countdown, short) {
        (Some(c), Some(s)) => {
            egui::RichText::new(format!("alarm in {} · {s}", c.range_label())).color(ETA_COLOUR)
        }
        (Some(c), None) => {
            egui::RichText::new(format!("alarm in {}", c.range_label())).color(ETA_COLOUR)
        }
        (None, Some(s)) => egui::RichText::new(s).weak(),
        (None, None) => egui::RichText::new(""),
    };
    let shown = ui.label(cell.small());
    if let Some(s) = score {
        shown.on_hover_text(s.long());
    }
}

/// A line machine's state sensor in words.
fn state_word(value: Option<f64>) -> String {
    use crate::sim::line::MachineState;
    match value.and_then(MachineState::from_code) {
        Some(MachineState::Starved) => "starved",
        Some(MachineState::Working) => "working",
        Some(MachineState::Blocked) => "blocked",
        Some(MachineState::Down) => "DOWN",
        None => "—",
    }
    .into()
}

//! The egui panels: the twin list, the selected twin's live values, the
//! broker line, and value labels floating over the machines.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::Selected;
use super::shapes::{Bounds, Labelled, status_color};
use crate::alarms::{Alarms, Level, Rule, State};
use crate::scene::ActiveScene;
use crate::telemetry::{Ingest, LinkState, TelemetrySource};
use crate::twin::{Health, History, Sensor, SensorOf, SensorValue, Sensors, Twin};

/// Messages per second, smoothed over about a second.
#[derive(Resource, Default)]
pub struct Rate {
    last_count: u64,
    last_time: f64,
    pub per_second: f64,
}

pub fn measure_rate(time: Res<Time<Real>>, ingest: Res<Ingest>, mut rate: ResMut<Rate>) {
    let now = time.elapsed_secs_f64();
    if now - rate.last_time >= 1.0 {
        let count = ingest.counters.get(&ingest.counters.received);
        rate.per_second = (count - rate.last_count) as f64 / (now - rate.last_time);
        rate.last_count = count;
        rate.last_time = now;
    }
}

fn egui_color(c: Color) -> egui::Color32 {
    let s = c.to_srgba();
    egui::Color32::from_rgb(
        (s.red * 255.0) as u8,
        (s.green * 255.0) as u8,
        (s.blue * 255.0) as u8,
    )
}

fn health_color(h: Health) -> egui::Color32 {
    egui_color(status_color(None, h, 0.0))
}

/// A status dot. (egui's default fonts have no "●".)
fn dot(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 5.0, color);
}

/// The trend per minute, and a countdown when it is heading for the alarm limit.
fn trend_cells(ui: &mut egui::Ui, sensor: &Sensor, history: &History) {
    let Some(projection) = history.projection() else {
        ui.label("");
        ui.label("");
        return;
    };
    let per_min = projection.slope * 60.0;
    let span = sensor.range.1 - sensor.range.0;
    let arrow = if per_min.abs() < span * 0.002 {
        "·"
    } else if per_min > 0.0 {
        "↗"
    } else {
        "↘"
    };
    ui.label(egui::RichText::new(format!("{arrow} {per_min:+.2}/min")).small());
    let eta = sensor
        .alarm
        .and_then(|alarm| projection.time_to(alarm))
        .filter(|s| *s < 24.0 * 3600.0);
    match eta {
        Some(secs) => ui.label(
            egui::RichText::new(format!(
                "alarm in {}:{:02}",
                secs as u64 / 60,
                secs as u64 % 60
            ))
            .small()
            .color(egui::Color32::from_rgb(240, 150, 30)),
        ),
        None => ui.label(""),
    };
}

fn format_value(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "—".into(),
        Some(v) if v.abs() >= 1000.0 => format!("{v:.0} {unit}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.1} {unit}"),
        Some(v) => format!("{v:.2} {unit}"),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn panels(
    mut contexts: EguiContexts,
    mut selected: ResMut<Selected>,
    twins: Query<(Entity, &Twin, &Health, Option<&Sensors>)>,
    sensors: Query<(&Sensor, &SensorValue, &History, &Health)>,
    labelled: Query<(&Sensor, &SensorValue, &SensorOf), With<Labelled>>,
    bounds: Query<(&GlobalTransform, &Bounds)>,
    cameras: Query<(&Camera, &GlobalTransform)>,
    ingest: Res<Ingest>,
    rate: Res<Rate>,
    source: Option<Res<TelemetrySource>>,
    scene: Option<Res<ActiveScene>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut list: Vec<_> = twins.iter().collect();
    list.sort_by(|a, b| a.1.name.cmp(&b.1.name));

    let title = scene
        .as_ref()
        .and_then(|s| s.spawned.clone())
        .unwrap_or_else(|| "loading…".into());
    egui::Window::new("Twins")
        .title_bar(false)
        .anchor(egui::Align2::LEFT_TOP, [10.0, 10.0])
        .default_width(230.0)
        .resizable(false)
        .show(ctx, |ui| {
            ui.heading(title);
            if let Some(failed) = scene.as_ref().and_then(|s| s.error.clone()) {
                ui.colored_label(egui::Color32::LIGHT_RED, failed);
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(420.0)
                .show(ui, |ui| {
                    for (entity, twin, health, _) in &list {
                        ui.horizontal(|ui| {
                            dot(ui, health_color(**health));
                            let picked = selected.0 == Some(*entity);
                            if ui.selectable_label(picked, &twin.name).clicked() {
                                selected.0 = if picked { None } else { Some(*entity) };
                            }
                        });
                    }
                });
        });

    if let Some((_, twin, health, list)) = selected.0.and_then(|e| twins.get(e).ok()) {
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
                        for (sensor, value, history, h) in
                            sensors.iter_many(list.map(|l| l.entities()).unwrap_or(&[]))
                        {
                            dot(ui, health_color(*h));
                            ui.label(&sensor.name).on_hover_text(
                                sensor.topic.clone().unwrap_or_else(|| "unbound".into()),
                            );
                            ui.label(
                                egui::RichText::new(format_value(value.value, &sensor.unit))
                                    .monospace()
                                    .strong(),
                            );
                            trend_cells(ui, sensor, history);
                            ui.end_row();
                        }
                    });
            });
    }

    let c = &ingest.counters;
    let (link_color, state) = match c.link() {
        LinkState::Connected => (egui::Color32::from_rgb(60, 200, 90), "connected"),
        LinkState::Reconnecting => (egui::Color32::from_rgb(240, 150, 30), "reconnecting"),
        LinkState::Connecting => (egui::Color32::from_rgb(240, 200, 30), "connecting"),
        LinkState::Idle | LinkState::Stopped => (egui::Color32::GRAY, "not connected"),
    };
    let broker = match source.as_deref() {
        Some(TelemetrySource::Mqtt(b)) => b.to_string(),
        _ => "no broker".into(),
    };
    egui::Area::new(egui::Id::new("broker-line"))
        .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -10.0])
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    dot(ui, link_color);
                    ui.label(format!("{broker} {state}"));
                    ui.separator();
                    ui.label(format!("{:.0} msg/s", rate.per_second));
                    ui.separator();
                    ui.label(format!(
                        "received {}  applied {}  rejected {}  dropped {}",
                        c.get(&c.received),
                        c.get(&c.applied),
                        c.get(&c.rejected),
                        c.get(&c.dropped)
                    ));
                });
                if let Some(reason) = c.last_reject() {
                    ui.label(
                        egui::RichText::new(format!("last rejected: {reason}"))
                            .small()
                            .color(egui::Color32::LIGHT_RED),
                    );
                }
                if c.link() == LinkState::Reconnecting
                    && let Some(e) = c.last_error()
                {
                    ui.label(
                        egui::RichText::new(e)
                            .small()
                            .color(egui::Color32::from_rgb(240, 150, 30)),
                    );
                }
            });
        });

    let Some((camera, cam_tf)) = cameras.iter().next() else {
        return Ok(());
    };
    let painter = ctx.layer_painter(egui::LayerId::background());
    for (sensor, value, of) in &labelled {
        let Ok((tf, b)) = bounds.get(of.0) else {
            continue;
        };
        let top = tf.transform_point(b.center + Vec3::Y * (b.half.y + 0.4));
        let Ok(p) = camera.world_to_viewport(cam_tf, top) else {
            continue;
        };
        let text = format_value(value.value, &sensor.unit);
        let pos = egui::pos2(p.x, p.y);
        let galley =
            painter.layout_no_wrap(text, egui::FontId::proportional(13.0), egui::Color32::WHITE);
        let rect = egui::Rect::from_center_size(pos, galley.size()).expand2(egui::vec2(5.0, 2.0));
        painter.rect_filled(rect, 4.0, egui::Color32::from_black_alpha(170));
        painter.galley(
            rect.min + egui::vec2(5.0, 2.0),
            galley,
            egui::Color32::WHITE,
        );
    }
    Ok(())
}

/// The alarm list, newest first: click "ack" to acknowledge an active alarm.
pub fn alarm_panel(mut contexts: EguiContexts, mut alarms: ResMut<Alarms>) -> Result {
    let ctx = contexts.ctx_mut()?;
    let open = alarms.book.open().count();
    let now = crate::telemetry::now_s();
    let mut acknowledge = None;
    egui::Window::new(format!("Alarms ({open} open)"))
        .id(egui::Id::new("alarms"))
        .anchor(egui::Align2::RIGHT_BOTTOM, [-10.0, -10.0])
        .default_width(360.0)
        .resizable(false)
        .show(ctx, |ui| {
            if alarms.book.is_empty() {
                ui.label("No alarms.");
            }
            egui::ScrollArea::vertical()
                .max_height(220.0)
                .show(ui, |ui| {
                    egui::Grid::new("alarm-list")
                        .num_columns(4)
                        .striped(true)
                        .show(ui, |ui| {
                            for alarm in alarms.book.newest_first().take(50) {
                                let colour = match (alarm.state, alarm.level) {
                                    (State::Cleared, _) => egui::Color32::GRAY,
                                    (_, Level::Alarm) => health_color(Health::Alarm),
                                    (_, Level::Warn) => health_color(Health::Warn),
                                };
                                dot(ui, colour);
                                let (twin, sensor) = alarms.name_of(alarm.sensor);
                                let rule = match alarm.rule {
                                    Rule::High => "high",
                                    Rule::HighHigh => "high-high",
                                    Rule::RateOfChange => "rate",
                                    Rule::Forecast => "forecast",
                                };
                                ui.label(format!("{twin}/{sensor} {rule} at {:.2}", alarm.value));
                                ui.label(egui::RichText::new(ago(now - alarm.raised_at)).small());
                                match alarm.state {
                                    State::Active => {
                                        if ui.small_button("ack").clicked() {
                                            acknowledge = Some(alarm.id);
                                        }
                                    }
                                    State::Acknowledged => {
                                        ui.label(egui::RichText::new("acked").small());
                                    }
                                    State::Cleared => {
                                        ui.label(
                                            egui::RichText::new("cleared")
                                                .small()
                                                .color(egui::Color32::GRAY),
                                        );
                                    }
                                }
                                ui.end_row();
                            }
                        });
                });
        });
    if let Some(id) = acknowledge {
        alarms.book.acknowledge(id, now);
    }
    Ok(())
}

fn ago(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    if s < 60 {
        format!("{s} s ago")
    } else if s < 3600 {
        format!("{} min ago", s / 60)
    } else {
        format!("{} h ago", s / 3600)
    }
}

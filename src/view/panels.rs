//! The egui panels: the twin list, the selected twin's live values, the
//! broker line, and value labels floating over the machines.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::Selected;
use super::shapes::{Bounds, Labelled, status_color};
use crate::alarms::{Alarms, Level, Rule, State};
use crate::recording::{Replay, Speed, format_time};
use crate::scene::ActiveScene;
use crate::telemetry::TwinClock;
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

fn format_value(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "—".into(),
        // Counts (parts made, parts waiting) read as whole numbers.
        Some(v) if unit == "parts" && v.fract() == 0.0 => format!("{v:.0} {unit}"),
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
    mut plot: ResMut<PlotSensor>,
    replay: Option<Res<Replay>>,
    flow: Res<crate::flow::Flow>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let replaying = replay.is_some();
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
            if flow.def.is_some() {
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
                        for &entity in list.map(|l| l.entities()).unwrap_or(&[]) {
                            let Ok((sensor, value, history, h)) = sensors.get(entity) else {
                                continue;
                            };
                            dot(ui, health_color(*h));
                            let plotted = plot.0 == Some(entity);
                            if ui
                                .selectable_label(plotted, &sensor.name)
                                .on_hover_text(format!(
                                    "{} · click to plot",
                                    sensor.topic.as_deref().unwrap_or("unbound")
                                ))
                                .clicked()
                            {
                                plot.0 = Some(entity);
                            }
                            let shown = if sensor.name == "state" {
                                state_word(value.value)
                            } else {
                                format_value(value.value, &sensor.unit)
                            };
                            ui.label(egui::RichText::new(shown).monospace().strong());
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
    let (broker, state) = match source.as_deref() {
        Some(TelemetrySource::Mqtt(b)) => (b.to_string(), state),
        _ if replaying => ("replay".into(), "from file"),
        _ => ("no broker".into(), state),
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
    // A warning sign over every machine in warning or alarm.
    for (entity, _, health, _) in &list {
        if **health < Health::Warn {
            continue;
        }
        let Ok((tf, b)) = bounds.get(*entity) else {
            continue;
        };
        let top = tf.transform_point(b.center + Vec3::Y * (b.half.y + 1.6));
        let Ok(p) = camera.world_to_viewport(cam_tf, top) else {
            continue;
        };
        warning_sign(&painter, egui::pos2(p.x, p.y), health_color(**health));
    }
    Ok(())
}

/// A filled triangle with an exclamation mark, centred on `at`.
fn warning_sign(painter: &egui::Painter, at: egui::Pos2, colour: egui::Color32) {
    let (w, h) = (22.0, 19.0);
    let points = vec![
        at + egui::vec2(0.0, -h / 2.0),
        at + egui::vec2(w / 2.0, h / 2.0),
        at + egui::vec2(-w / 2.0, h / 2.0),
    ];
    painter.add(egui::Shape::convex_polygon(
        points,
        colour,
        egui::Stroke::new(1.5, egui::Color32::from_black_alpha(200)),
    ));
    painter.text(
        at + egui::vec2(0.0, 2.5),
        egui::Align2::CENTER_CENTER,
        "!",
        egui::FontId::proportional(14.0),
        egui::Color32::BLACK,
    );
}

/// The alarm list, newest first: click "ack" to acknowledge an active alarm.
pub fn alarm_panel(
    mut contexts: EguiContexts,
    mut alarms: ResMut<Alarms>,
    clock: Res<crate::telemetry::TwinClock>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let open = alarms.book.open().count();
    let now = clock.now_s;
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

/// The sensor whose history is plotted (one of the selected twin's).
#[derive(Resource, Default, Debug)]
pub struct PlotSensor(pub Option<Entity>);

/// How far ahead the forecast is drawn: half the window's span, from 30 s to an hour.
fn forecast_horizon(history: &History) -> f64 {
    let span = match (history.series.samples().next(), history.series.last()) {
        (Some((a, _)), Some((b, _))) => b - a,
        _ => 0.0,
    };
    (span * 0.5).clamp(30.0, 3600.0)
}

/// Grid steps for a time axis in seconds: whole seconds, minutes and hours,
/// about six labelled lines across.
fn time_steps(input: egui_plot::GridInput) -> [f64; 3] {
    const NICE: [f64; 14] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ];
    let span = (input.bounds.1 - input.bounds.0).abs();
    let i = NICE
        .iter()
        .position(|&s| span / s <= 8.0)
        .unwrap_or(NICE.len() - 1);
    let big = NICE[i];
    let small = NICE[i.saturating_sub(2)];
    let mid = NICE[i.saturating_sub(1)];
    [small, mid, big]
}

fn clock_label(secs: f64) -> String {
    let s = secs.abs().round() as u64;
    let sign = if secs < -0.5 { "-" } else { "" };
    format!("{sign}{}:{:02}", s / 60, s % 60)
}

/// The selected sensor's history, forecast with its interval band, limits and
/// anomalies, with pandas-style statistics beside it.
pub fn plot_panel(
    mut contexts: EguiContexts,
    selected: Res<Selected>,
    mut plot: ResMut<PlotSensor>,
    twins: Query<(&Twin, Option<&Sensors>)>,
    sensors: Query<(&Sensor, &History, &SensorOf)>,
    clock: Res<TwinClock>,
) -> Result {
    use egui_plot::{FilledArea, HLine, Legend, Line, LineStyle, MarkerShape, Plot, Points};
    let Some(twin_entity) = selected.0 else {
        return Ok(());
    };
    let Ok((twin, list)) = twins.get(twin_entity) else {
        return Ok(());
    };
    // Keep the plotted sensor on the selected twin: by default its first
    // sensor with an alarm limit and data, else the first with data.
    if plot
        .0
        .and_then(|e| sensors.get(e).ok())
        .is_none_or(|(_, _, of)| of.0 != twin_entity)
    {
        let list = list.map(|l| l.entities()).unwrap_or(&[]);
        let first = |ok: &dyn Fn(&Sensor, &History) -> bool| {
            list.iter()
                .copied()
                .find(|&e| sensors.get(e).is_ok_and(|(s, h, _)| ok(s, h)))
        };
        plot.0 = first(&|s, h| s.alarm.is_some() && !h.series.is_empty())
            .or_else(|| first(&|_, h| !h.series.is_empty()))
            .or_else(|| first(&|s, _| s.alarm.is_some()))
            .or_else(|| list.first().copied());
    }
    let Some((sensor, history, _)) = plot.0.and_then(|e| sensors.get(e).ok()) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let now = clock.now_s;
    let series = &history.series;
    let points: Vec<[f64; 2]> = series.samples().map(|(t, v)| [t - now, v]).collect();
    let anomalies: Vec<[f64; 2]> = series
        .anomalies()
        .into_iter()
        .map(|(t, v, _)| [t - now, v])
        .collect();
    let projection = history.projection();
    let horizon = forecast_horizon(history);
    let stats = series.describe();
    let unit = sensor.unit.clone();
    egui::Window::new(format!("{} · {}", twin.name, sensor.name))
        .id(egui::Id::new("sensor-plot"))
        .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -64.0])
        .resizable(false)
        .collapsible(true)
        .show(ctx, |ui| {
            ui.horizontal_top(|ui| {
                let unit_y = unit.clone();
                Plot::new("sensor-history")
                    .width(560.0)
                    .height(230.0)
                    .legend(Legend::default().position(egui_plot::Corner::LeftTop))
                    .x_grid_spacer(egui_plot::uniform_grid_spacer(time_steps))
                    .x_axis_formatter(|mark, _| clock_label(mark.value))
                    .y_axis_formatter(move |mark, _| {
                        let n = format!("{:.4}", mark.value);
                        let n = n.trim_end_matches('0').trim_end_matches('.');
                        format!("{n} {unit_y}")
                    })
                    .label_formatter(|hover| match hover {
                        egui_plot::HoverPosition::NearDataPoint {
                            plot_name,
                            position: p,
                            ..
                        } => Some(format!("{plot_name}\n{} · {:.3}", clock_label(p.x), p.y)),
                        _ => None,
                    })
                    .include_x(0.0)
                    .show(ui, |plot_ui| {
                        if let Some(p) = projection {
                            let ts: Vec<f64> = (0..=20)
                                .map(|i| p.time + horizon * i as f64 / 20.0)
                                .collect();
                            if let Some(widths) = ts
                                .iter()
                                .map(|&t| history.predictor.interval(series, t))
                                .collect::<Option<Vec<f64>>>()
                            {
                                let xs: Vec<f64> = ts.iter().map(|t| t - now).collect();
                                let lo: Vec<f64> =
                                    ts.iter().zip(&widths).map(|(&t, w)| p.at(t) - w).collect();
                                let hi: Vec<f64> =
                                    ts.iter().zip(&widths).map(|(&t, w)| p.at(t) + w).collect();
                                plot_ui.add(
                                    FilledArea::new("95% interval", &xs, &lo, &hi).fill_color(
                                        egui::Color32::from_rgba_unmultiplied(90, 160, 255, 40),
                                    ),
                                );
                            }
                            let end = p.time + horizon;
                            plot_ui.line(
                                Line::new(
                                    format!("forecast ({})", history.predictor.name()),
                                    vec![[p.time - now, p.value], [end - now, p.at(end)]],
                                )
                                .color(egui::Color32::from_rgb(90, 160, 255))
                                .style(LineStyle::dashed_loose())
                                .width(2.0),
                            );
                        }
                        plot_ui.line(
                            Line::new("history", points)
                                .color(egui::Color32::from_rgb(220, 225, 235))
                                .width(1.5),
                        );
                        if let Some(w) = sensor.warn {
                            plot_ui.hline(
                                HLine::new("warn", w)
                                    .color(health_color(Health::Warn))
                                    .style(LineStyle::dashed_dense()),
                            );
                        }
                        if let Some(a) = sensor.alarm {
                            plot_ui.hline(
                                HLine::new("alarm", a)
                                    .color(health_color(Health::Alarm))
                                    .width(1.5),
                            );
                        }
                        if !anomalies.is_empty() {
                            plot_ui.points(
                                Points::new("anomaly (|z| ≥ 3)", anomalies)
                                    .shape(MarkerShape::Circle)
                                    .radius(4.0)
                                    .color(egui::Color32::from_rgb(255, 80, 200)),
                            );
                        }
                    });
                ui.vertical(|ui| {
                    ui.label(egui::RichText::new("describe()").strong());
                    egui::Grid::new("describe").striped(true).show(ui, |ui| {
                        let mut row = |name: &str, value: String| {
                            ui.label(name);
                            ui.label(egui::RichText::new(value).monospace());
                            ui.end_row();
                        };
                        match stats {
                            Some(d) => {
                                row("count", d.count.to_string());
                                for (name, v) in [
                                    ("mean", d.mean),
                                    ("std", d.std),
                                    ("min", d.min),
                                    ("25%", d.q25),
                                    ("50%", d.q50),
                                    ("75%", d.q75),
                                    ("max", d.max),
                                ] {
                                    row(name, format!("{v:.3}"));
                                }
                            }
                            None => row("count", "0".into()),
                        }
                        if let Some(p) = projection {
                            row("trend", format!("{:+.3}/min", p.slope * 60.0));
                            let eta = sensor.alarm.and_then(|a| p.time_to(a));
                            row(
                                "to alarm",
                                eta.map_or("—".into(), |s| clock_label(s - (now - p.time))),
                            );
                        }
                        row("z", format!("{:+.2}", history.anomaly));
                    });
                });
            });
        });
    Ok(())
}

/// Play/pause, speed and progress of a replay.
pub fn replay_panel(mut contexts: EguiContexts, replay: Option<ResMut<Replay>>) -> Result {
    let Some(mut replay) = replay else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    egui::Window::new("Replay")
        .id(egui::Id::new("replay"))
        .title_bar(false)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 10.0])
        .resizable(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let name = std::path::Path::new(&replay.file)
                    .file_name()
                    .map_or(replay.file.clone(), |f| f.to_string_lossy().into_owned());
                ui.label(egui::RichText::new(name).strong());
                if replay.is_done() {
                    if ui.button("Restart").clicked() {
                        replay.restart();
                    }
                } else {
                    let label = if replay.playing { "Pause" } else { "Play" };
                    if ui.button(label).clicked() {
                        replay.playing = !replay.playing;
                    }
                }
                for speed in [
                    Speed::Times(1.0),
                    Speed::Times(10.0),
                    Speed::Times(60.0),
                    Speed::Times(600.0),
                    Speed::Max,
                ] {
                    if ui
                        .selectable_label(replay.speed == speed, speed.to_string())
                        .clicked()
                    {
                        replay.speed = speed;
                    }
                }
            });
            let progress = replay.progress();
            ui.add(
                egui::ProgressBar::new(progress as f32)
                    .desired_width(420.0)
                    .text(format!(
                        "{} · {} / {} rows · {:.0}%",
                        format_time(replay.clock_ms as u64),
                        replay.played(),
                        replay.rows(),
                        progress * 100.0
                    )),
            );
        });
    Ok(())
}

/// "What if…": pick a scenario, run the line model 8 h ahead from the live
/// state against the baseline, and compare.
pub fn what_if_panel(
    mut contexts: EguiContexts,
    model: Res<crate::whatif::LineModel>,
    mut panel: ResMut<crate::whatif::WhatIfPanel>,
) -> Result {
    let Some(def) = &model.0 else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let offered = crate::whatif::offered(def);
    let panel = &mut *panel;
    egui::Window::new("What if…")
        .id(egui::Id::new("what-if"))
        .anchor(egui::Align2::RIGHT_TOP, [-10.0, 190.0])
        .default_width(330.0)
        .resizable(false)
        .default_open(panel.requested.is_some() || panel.last.is_some())
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let current = offered.get(panel.choice).map_or("", |o| o.1.as_str());
                egui::ComboBox::from_id_salt("scenario")
                    .selected_text(current)
                    .width(220.0)
                    .show_ui(ui, |ui| {
                        for (i, (_, label)) in offered.iter().enumerate() {
                            ui.selectable_value(&mut panel.choice, i, label);
                        }
                    });
                if ui.button("Run 8 h").clicked()
                    && let Some((s, _)) = offered.get(panel.choice)
                {
                    panel.requested = Some(s.clone());
                }
            });
            match &panel.last {
                None => {
                    ui.label("From the twin's live state: machines down now, and trends heading for alarm limits.");
                }
                Some(Err(e)) => {
                    ui.colored_label(egui::Color32::LIGHT_RED, e);
                }
                Some(Ok(w)) => what_if_table(ui, w),
            }
        });
    Ok(())
}

fn what_if_table(ui: &mut egui::Ui, w: &crate::sim::line::WhatIf) {
    ui.label(
        egui::RichText::new(format!(
            "{} · {} runs × {} h in {:.0} ms ({:.1} million × real time)",
            w.scenario,
            w.runs,
            w.horizon_h,
            w.elapsed_ms,
            w.times_real_time / 1e6
        ))
        .small(),
    );
    egui::Grid::new("what-if-table")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            ui.label("");
            ui.label(egui::RichText::new("baseline").strong());
            ui.label(egui::RichText::new("scenario").strong());
            ui.label(egui::RichText::new("Δ").strong());
            ui.end_row();
            let mut row = |name: String, a: f64, b: f64, digits: usize, higher_is_better: bool| {
                ui.label(name);
                ui.label(egui::RichText::new(format!("{a:.digits$}")).monospace());
                ui.label(egui::RichText::new(format!("{b:.digits$}")).monospace());
                let d = b - a;
                let good = if higher_is_better { d >= 0.0 } else { d <= 0.0 };
                let same = d.abs() < 0.5 * 10f64.powi(-(digits as i32));
                let d = if same { 0.0 } else { d };
                let colour = if same {
                    egui::Color32::GRAY
                } else if good {
                    egui::Color32::from_rgb(90, 200, 110)
                } else {
                    egui::Color32::from_rgb(240, 110, 90)
                };
                ui.label(
                    egui::RichText::new(format!("{d:+.digits$}"))
                        .monospace()
                        .color(colour),
                );
                ui.end_row();
            };
            let (a, b) = (&w.baseline, &w.result);
            row("parts shipped".into(), a.shipped, b.shipped, 0, true);
            row("parts per hour".into(), a.per_hour, b.per_hour, 1, true);
            row("line OEE %".into(), a.oee * 100.0, b.oee * 100.0, 1, true);
            for (sa, sb) in a.stations.iter().zip(&b.stations) {
                row(
                    format!("{} down, min", sa.name),
                    sa.down_min,
                    sb.down_min,
                    0,
                    false,
                );
                if let (Some(qa), Some(qb)) = (sa.queue_before, sb.queue_before) {
                    row(format!("{} queue", sa.name), qa, qb, 1, false);
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::format_value;

    #[test]
    fn counts_read_as_whole_numbers_and_measurements_keep_their_decimals() {
        assert_eq!(format_value(Some(12.0), "parts"), "12 parts");
        assert_eq!(format_value(Some(2.5), "parts"), "2.50 parts");
        assert_eq!(format_value(Some(12.0), "°C"), "12.00 °C");
        assert_eq!(format_value(Some(1234.4), "rpm"), "1234 rpm");
        assert_eq!(format_value(None, "parts"), "—");
    }
}

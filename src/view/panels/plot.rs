//! The sensor plot (bottom left): one of the selected twin's sensors, its
//! history, forecast with the interval band, limits and anomalies, with
//! pandas-style statistics beside it. Which sensor is plotted follows the
//! selection.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::health_color;
use crate::telemetry::TwinClock;
use crate::twin::{Health, History, Sensor, SensorOf, Sensors, Twin};
use crate::view::selection::Selected;

/// The sensor whose history is plotted (one of the selected twin's).
#[derive(Resource, Default, Debug)]
pub(crate) struct PlotSensor(pub(crate) Option<Entity>);

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
pub(super) fn plot_panel(
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

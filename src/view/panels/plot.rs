//! The sensor plot (bottom left): one of the selected twin's sensors, its
//! history, forecast with the interval band, limits and anomalies (worked out
//! in `plot_series`), with pandas-style statistics beside it. Which sensor is
//! plotted follows the selection.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use egui_plot::{FilledArea, HLine, Legend, Line, LineStyle, MarkerShape, Plot, PlotUi, Points};

use super::health_color;
use super::plot_series::{Limits, PlotSeries};
use crate::analytics::Describe;
use crate::analytics::countdown::Countdown;
use crate::telemetry::TwinClock;
use crate::twin::{Health, History, Sensor, SensorOf, Sensors, Twin};
use crate::view::selection::Selected;

/// Size of the plot, in points.
const PLOT_WIDTH: f32 = 560.0;
const PLOT_HEIGHT: f32 = 230.0;
/// The forecast's blue (its band is the same blue, faint).
const FORECAST_BLUE: egui::Color32 = egui::Color32::from_rgb(90, 160, 255);
const HISTORY_WHITE: egui::Color32 = egui::Color32::from_rgb(220, 225, 235);
const ANOMALY_PINK: egui::Color32 = egui::Color32::from_rgb(255, 80, 200);

/// The sensor whose history is plotted (one of the selected twin's).
#[derive(Resource, Default, Debug)]
pub(crate) struct PlotSensor(pub(crate) Option<Entity>);

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
    let Some(twin_entity) = selected.0 else {
        return Ok(());
    };
    let Ok((twin, list)) = twins.get(twin_entity) else {
        return Ok(());
    };
    follow_selection(&mut plot, twin_entity, list, &sensors);
    let Some((sensor, history, _)) = plot.0.and_then(|e| sensors.get(e).ok()) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let now = clock.now_s;
    let limits = Limits {
        warn: sensor.warn,
        alarm: sensor.alarm,
    };
    let curve = history.curve();
    let shown = PlotSeries::of(&history.series, curve.as_ref(), limits, now);
    let stats = Stats {
        describe: history.series.describe(),
        slope: curve.map(|c| c.slope()),
        countdown: sensor.alarm.and_then(|a| history.countdown(a, now)),
        z: history.anomaly,
    };
    egui::Window::new(format!("{} · {}", twin.name, sensor.name))
        .id(egui::Id::new("sensor-plot"))
        .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -64.0])
        .resizable(false)
        .collapsible(true)
        .show(ctx, |ui| {
            ui.horizontal_top(|ui| {
                sensor_plot(ui, &shown, sensor.unit.to_string());
                ui.vertical(|ui| stats_column(ui, &stats));
            });
        });
    Ok(())
}

/// Keeps the plotted sensor on the selected twin: by default its first
/// sensor with an alarm limit and data, else the first with data.
fn follow_selection(
    plot: &mut ResMut<PlotSensor>,
    twin: Entity,
    list: Option<&Sensors>,
    sensors: &Query<(&Sensor, &History, &SensorOf)>,
) {
    if plot
        .0
        .and_then(|e| sensors.get(e).ok())
        .is_some_and(|(_, _, of)| of.0 == twin)
    {
        return;
    }
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

/// The plot itself, with a clock-like time axis and the unit on the values.
fn sensor_plot(ui: &mut egui::Ui, shown: &PlotSeries, unit: String) {
    Plot::new("sensor-history")
        .width(PLOT_WIDTH)
        .height(PLOT_HEIGHT)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .x_grid_spacer(egui_plot::uniform_grid_spacer(time_steps))
        .x_axis_formatter(|mark, _| clock_label(mark.value))
        .y_axis_formatter(move |mark, _| {
            let n = format!("{:.4}", mark.value);
            let n = n.trim_end_matches('0').trim_end_matches('.');
            format!("{n} {unit}")
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
        .show(ui, |plot_ui| draw_series(plot_ui, shown));
}

/// Draws what `PlotSeries` computed, back to front: band, forecast,
/// history, limits, anomalies (the legend lists them in this order).
fn draw_series(plot_ui: &mut PlotUi, shown: &PlotSeries) {
    if let Some(f) = &shown.forecast {
        let band = &f.band;
        plot_ui.add(
            FilledArea::new("95% interval", &band.x, &band.lo, &band.hi)
                .fill_color(egui::Color32::from_rgba_unmultiplied(90, 160, 255, 40)),
        );
        plot_ui.line(
            Line::new(format!("forecast ({})", f.model), f.line.clone())
                .color(FORECAST_BLUE)
                .style(LineStyle::dashed_loose())
                .width(2.0),
        );
    }
    plot_ui.line(
        Line::new("history", shown.history.clone())
            .color(HISTORY_WHITE)
            .width(1.5),
    );
    if let Some(w) = shown.limits.warn {
        plot_ui.hline(
            HLine::new("warn", w)
                .color(health_color(Health::Warn))
                .style(LineStyle::dashed_dense()),
        );
    }
    if let Some(a) = shown.limits.alarm {
        plot_ui.hline(
            HLine::new("alarm", a)
                .color(health_color(Health::Alarm))
                .width(1.5),
        );
    }
    if !shown.anomalies.is_empty() {
        plot_ui.points(
            Points::new("anomaly (|z| ≥ 3)", shown.anomalies.clone())
                .shape(MarkerShape::Circle)
                .radius(4.0)
                .color(ANOMALY_PINK),
        );
    }
}

/// What the column beside the plot shows.
struct Stats {
    describe: Option<Describe>,
    /// Units per second at the latest sample, by the predictor.
    slope: Option<f64>,
    countdown: Option<Countdown>,
    /// The latest sample's z-score.
    z: f64,
}

/// pandas' `describe()` of the window, the trend, the time to the alarm
/// limit and the latest z-score.
fn stats_column(ui: &mut egui::Ui, stats: &Stats) {
    ui.label(egui::RichText::new("describe()").strong());
    egui::Grid::new("describe").striped(true).show(ui, |ui| {
        let mut row = |name: &str, value: String| {
            ui.label(name);
            ui.label(egui::RichText::new(value).monospace());
            ui.end_row();
        };
        match stats.describe {
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
        if let Some(slope) = stats.slope {
            row("trend", format!("{:+.3}/min", slope * 60.0));
            row(
                "to alarm",
                stats.countdown.map_or("—".into(), |c| c.range_label()),
            );
        }
        row("z", format!("{:+.2}", stats.z));
    });
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

//! The egui panels, composed: the twin list and the selected twin's values,
//! the broker line, value labels and warning signs over the machines, the
//! sensor plot, the alarm list, the replay bar and the "what if…" window, one
//! file each. This file orders them and keeps the small helpers they share
//! (status colours, the status dot, how a value is written).

mod alarms;
mod city;
mod district;
mod editor;
mod fields;
mod fonts;
mod labels;
mod plot;
mod plot_series;
mod replay;
mod status;
#[cfg(not(target_arch = "wasm32"))]
mod topics;
mod twins;
mod whatif;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::shapes::status_color;
use crate::TwinSet;
use crate::twin::Health;

pub(crate) use plot::PlotSensor;

/// `view --scores FILE.json`: a backtest's results, shown beside each
/// sensor's countdown.
#[derive(Resource, Debug, Clone, Default)]
pub struct BacktestScores(pub crate::backtest::Scores);

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<PlotSensor>()
        .init_resource::<status::Rate>()
        .add_systems(Update, status::measure_rate.in_set(TwinSet::Present))
        .add_systems(
            EguiPrimaryContextPass,
            fonts::install.run_if(not(resource_exists::<fonts::FontsReady>)),
        )
        .add_systems(
            EguiPrimaryContextPass,
            (
                panels,
                plot::plot_panel,
                alarms::alarm_panel,
                replay::replay_panel,
                whatif::what_if_panel,
                city::city_panel,
                district::district_panel,
            )
                .run_if(resource_exists::<fonts::FontsReady>),
        );
    #[cfg(not(target_arch = "wasm32"))]
    app.add_systems(
        EguiPrimaryContextPass,
        (editor::editor_panel, topics::topics_panel)
            .chain()
            .run_if(resource_exists::<fonts::FontsReady>),
    );
    // The browser's editor has no topic browser (its MQTT client subscribes
    // to the scene's own topics only).
    #[cfg(target_arch = "wasm32")]
    app.add_systems(
        EguiPrimaryContextPass,
        editor::editor_panel.run_if(resource_exists::<fonts::FontsReady>),
    );
}

/// The twin list, the selected twin, the broker line and the labels over
/// the machines, in this order: a click in the list shows in the selected
/// twin's window the same frame. One system, as it always was: as four, Bevy
/// placed the other panels' systems differently among them, and egui stacks
/// overlapping windows in the order they first appear.
fn panels(
    mut contexts: EguiContexts,
    mut twins: twins::TwinWindows,
    broker: status::BrokerLine,
    labels: labels::MachineLabels,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    twins.list(ctx);
    twins.selected(ctx);
    broker.show(ctx);
    labels.paint(ctx);
    Ok(())
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

fn format_value(value: Option<f64>, unit: &str) -> String {
    let Some(v) = value else {
        return "—".into();
    };
    // Counts (parts made, parts waiting, free spots, an index) read as
    // whole numbers.
    let count = ["parts", "spots", ""].contains(&unit) && v.fract() == 0.0;
    let number = if count || v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if unit.is_empty() {
        number
    } else {
        format!("{number} {unit}")
    }
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
        assert_eq!(format_value(Some(229.0), "spots"), "229 spots");
        // An index has no unit: no trailing space.
        assert_eq!(format_value(Some(64.0), ""), "64");
        assert_eq!(format_value(Some(6.5), ""), "6.50");
    }
}

//! The District window (over a city, once a district is marked with Shift +
//! drag): the blocks in it by kind, how many in warning and in alarm, and
//! each sensor's total, mean and range over the blocks that report.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::format_value;
use crate::view::district::District;

/// The window's width, points: room for every column of a row.
const MIN_WIDTH: f32 = 470.0;

pub(super) fn district_panel(mut contexts: EguiContexts, mut district: ResMut<District>) -> Result {
    let Some(area) = district.area else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let mut clear = false;
    egui::Window::new("District")
        .id(egui::Id::new("district"))
        .anchor(egui::Align2::RIGHT_BOTTOM, [-10.0, -96.0])
        .min_width(MIN_WIDTH)
        .resizable(false)
        .show(ctx, |ui| {
            let [w, d] = area.size_m();
            ui.label(
                egui::RichText::new(format!(
                    "{w:.0} m × {d:.0} m (Shift + drag to mark another)"
                ))
                .small(),
            );
            let Some(f) = &district.figures else {
                ui.label("working out…");
                return;
            };
            let kinds: Vec<String> = f.blocks.iter().map(|(k, n)| format!("{k} {n}")).collect();
            ui.label(if kinds.is_empty() {
                "no blocks".into()
            } else {
                kinds.join(" · ")
            });
            ui.label(format!("{} in warning · {} in alarm", f.warning, f.alarm));
            egui::Grid::new("district-figures")
                .striped(true)
                .show(ui, |ui| {
                    for h in ["", "total", "mean", "range", "reporting"] {
                        ui.label(egui::RichText::new(h).small());
                    }
                    ui.end_row();
                    for s in &f.sensors {
                        ui.label(format!("{} {}", s.kind, s.sensor.replace('_', " ")));
                        let total = (s.reporting > 0).then_some(s.total);
                        ui.label(format_value(total, &s.unit));
                        ui.label(format_value(s.mean(), &s.unit));
                        ui.label(if s.reporting > 0 {
                            format!(
                                "{}–{}",
                                format_value(Some(s.min), ""),
                                format_value(Some(s.max), &s.unit)
                            )
                        } else {
                            "—".into()
                        });
                        ui.label(format!("{}", s.reporting));
                        ui.end_row();
                    }
                });
            clear = ui.button("Clear").clicked();
        });
    if clear {
        district.clear();
    }
    Ok(())
}

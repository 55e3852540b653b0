//! The city window (bottom left, over a city only): which value colours
//! the buildings and which the streets, each with its ramp and range as a
//! legend (buildings per m² of floor if ticked); and the map's
//! attribution, always on screen with the map.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::egui_color;
use crate::scene::CityMap;
use crate::scene::format::SensorDef;
use crate::view::city::CityMetric;
use crate::view::city_palette::CityPalette;
use crate::view::shapes::ramp;

/// Width of a legend's ramp, points, and the steps it is drawn in.
const RAMP_WIDTH: f32 = 180.0;
const RAMP_STEPS: usize = 36;
const RAMP_HEIGHT: f32 = 10.0;

pub(super) fn city_panel(
    mut contexts: EguiContexts,
    map: Option<Res<CityMap>>,
    mut metric: ResMut<CityMetric>,
    palette: Option<Res<CityPalette>>,
) -> Result {
    let Some(map) = map else { return Ok(()) };
    let (Some(file), Some(city)) = (&map.map, &map.city) else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let mut picked = metric.clone();
    egui::Window::new("City")
        .id(egui::Id::new("city"))
        .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -46.0])
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(
                egui::RichText::new(format!(
                    "{} buildings · {} streets",
                    file.buildings.len(),
                    file.streets.len()
                ))
                .small(),
            );
            let median = palette.as_ref().and_then(|p| p.median_floor_m2);
            let per_m2 = median.filter(|_| picked.building_per_m2);
            picker(
                ui,
                "Buildings",
                &city.buildings,
                &mut picked.building,
                per_m2,
            );
            ui.add_enabled(
                median.is_some(),
                egui::Checkbox::new(&mut picked.building_per_m2, "per m² of floor"),
            );
            picker(ui, "Streets", &city.streets, &mut picked.street, None);
        });
    // The map's credit, which its licence asks for wherever it is shown:
    // in the bottom right corner, over every window, never collapsed.
    egui::Area::new(egui::Id::new("attribution"))
        .anchor(egui::Align2::RIGHT_BOTTOM, [-10.0, 0.0])
        .order(egui::Order::Foreground)
        .interactable(false)
        .show(ctx, |ui| {
            ui.label(egui::RichText::new(format!("Map data {}", file.head.attribution)).small());
        });
    if picked != *metric {
        *metric = picked;
    }
    Ok(())
}

/// A list of one kind's sensors, and the chosen one's ramp and range; per
/// m² of floor (`per_m2`: the median floor area) the range over it.
fn picker(
    ui: &mut egui::Ui,
    kind: &str,
    sensors: &[SensorDef],
    chosen: &mut Option<String>,
    per_m2: Option<f64>,
) {
    if sensors.is_empty() {
        return;
    }
    let current = chosen.clone().unwrap_or_default();
    ui.horizontal(|ui| {
        ui.label(kind);
        egui::ComboBox::from_id_salt(kind)
            .selected_text(current.replace('_', " "))
            .show_ui(ui, |ui| {
                for s in sensors {
                    ui.selectable_value(chosen, Some(s.name.clone()), s.name.replace('_', " "));
                }
            });
    });
    let Some(sensor) = sensors.iter().find(|s| Some(&s.name) == chosen.as_ref()) else {
        return;
    };
    let (rect, _) =
        ui.allocate_exact_size(egui::vec2(RAMP_WIDTH, RAMP_HEIGHT), egui::Sense::hover());
    let step = RAMP_WIDTH / RAMP_STEPS as f32;
    for i in 0..RAMP_STEPS {
        let f = (i as f32 + 0.5) / RAMP_STEPS as f32;
        let x = rect.left() + i as f32 * step;
        let cell = egui::Rect::from_min_size(
            egui::pos2(x, rect.top()),
            egui::vec2(step + 0.5, RAMP_HEIGHT),
        );
        ui.painter().rect_filled(cell, 0.0, egui_color(ramp(f)));
    }
    // The range's ends under the ramp's ends.
    let ((lo, hi), unit) = legend_range(sensor, per_m2);
    let (row, _) = ui.allocate_exact_size(egui::vec2(RAMP_WIDTH, 12.0), egui::Sense::hover());
    let font = egui::FontId::proportional(10.0);
    let colour = ui.visuals().text_color();
    let painter = ui.painter();
    painter.text(
        row.left_top(),
        egui::Align2::LEFT_TOP,
        format!("{lo} {unit}"),
        font.clone(),
        colour,
    );
    painter.text(
        row.right_top(),
        egui::Align2::RIGHT_TOP,
        format!("{hi} {unit}"),
        font,
        colour,
    );
}

/// The legend's ends and unit: the sensor's range, or per m² of floor that
/// range over the median floor area (kW per m² shown as W/m²), rounded to
/// three figures.
fn legend_range(sensor: &SensorDef, per_m2: Option<f64>) -> ((f64, f64), String) {
    let Some(median) = per_m2 else {
        return (sensor.range, sensor.unit.clone());
    };
    let (factor, unit) = match sensor.unit.as_str() {
        "kW" => (1000.0, "W".to_string()),
        u => (1.0, u.to_string()),
    };
    let end = |v: f64| {
        let x = v * factor / median;
        let digits = 2 - x.abs().max(1e-9).log10().floor() as i32;
        let p = 10f64.powi(digits);
        (x * p).round() / p
    };
    (
        (end(sensor.range.0), end(sensor.range.1)),
        format!("{unit}/m²"),
    )
}

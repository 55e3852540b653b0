//! The "What if…" window (right): pick a scenario, run the line model 8 h
//! ahead from the live state against the baseline, and compare the two side
//! by side. The run itself is the what-if feature's; this only asks for it
//! and shows the answer.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

/// Δ colours: better, worse (unchanged is grey).
const BETTER: egui::Color32 = egui::Color32::from_rgb(90, 200, 110);
const WORSE: egui::Color32 = egui::Color32::from_rgb(240, 110, 90);

/// "What if…": pick a scenario, run the line model 8 h ahead from the live
/// state against the baseline, and compare.
pub(super) fn what_if_panel(
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
                    ui.colored_label(egui::Color32::LIGHT_RED, e.to_string());
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
                compare_row(ui, &name, (a, b), digits, higher_is_better);
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

/// A row: the name, baseline, scenario and their difference, coloured by
/// whether it is better; a difference that rounds to nothing shows as 0, grey.
fn compare_row(
    ui: &mut egui::Ui,
    name: &str,
    (a, b): (f64, f64),
    digits: usize,
    higher_is_better: bool,
) {
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
        BETTER
    } else {
        WORSE
    };
    ui.label(
        egui::RichText::new(format!("{d:+.digits$}"))
            .monospace()
            .color(colour),
    );
    ui.end_row();
}

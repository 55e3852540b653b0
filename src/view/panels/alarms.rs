//! The alarm list (bottom right), newest first: who raised it, which rule,
//! the value, how long ago, and an "ack" button while it is active.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::{dot, health_color};
use crate::alarms::{Alarm, Alarms, Level, Rule, State};
use crate::telemetry::TwinClock;
use crate::twin::Health;

/// Alarms listed at most; older ones stay in the book, not on screen.
const SHOWN_AT_MOST: usize = 50;
/// Height of the list before it scrolls, in points.
const LIST_MAX_HEIGHT: f32 = 220.0;

/// The alarm list, newest first: click "ack" to acknowledge an active alarm.
pub(super) fn alarm_panel(
    mut contexts: EguiContexts,
    mut alarms: ResMut<Alarms>,
    clock: Res<TwinClock>,
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
                .max_height(LIST_MAX_HEIGHT)
                .show(ui, |ui| {
                    egui::Grid::new("alarm-list")
                        .num_columns(4)
                        .striped(true)
                        .show(ui, |ui| {
                            for alarm in alarms.book.newest_first().take(SHOWN_AT_MOST) {
                                let (twin, sensor) = alarms.name_of(alarm.sensor);
                                if alarm_row(ui, alarm, &format!("{twin}/{sensor}"), now) {
                                    acknowledge = Some(alarm.id);
                                }
                            }
                        });
                });
        });
    if let Some(id) = acknowledge {
        alarms.book.acknowledge(id, now);
    }
    Ok(())
}

/// One row of the list; true when its "ack" was clicked.
fn alarm_row(ui: &mut egui::Ui, alarm: &Alarm, name: &str, now: f64) -> bool {
    let colour = match (alarm.state, alarm.level) {
        (State::Cleared, _) => egui::Color32::GRAY,
        (_, Level::Alarm) => health_color(Health::Alarm),
        (_, Level::Warn) => health_color(Health::Warn),
    };
    dot(ui, colour);
    let rule = match alarm.rule {
        Rule::High => "high",
        Rule::HighHigh => "high-high",
        Rule::RateOfChange => "rate",
        Rule::Forecast => "forecast",
    };
    ui.label(format!("{name} {rule} at {:.2}", alarm.value));
    ui.label(egui::RichText::new(ago(now - alarm.raised_at)).small());
    let mut clicked = false;
    match alarm.state {
        State::Active => clicked = ui.small_button("ack").clicked(),
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
    clicked
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

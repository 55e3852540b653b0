//! The replay bar (top centre), shown while a recording plays: the file,
//! play/pause or restart, the speed, and how far it has got.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::recording::format_time;
use crate::recording::{Replay, Speed};

/// The speeds offered, slowest first.
const SPEEDS: [Speed; 5] = [
    Speed::Times(1.0),
    Speed::Times(10.0),
    Speed::Times(60.0),
    Speed::Times(600.0),
    Speed::Max,
];
/// Width of the progress bar, in points.
const PROGRESS_WIDTH: f32 = 420.0;

/// Play/pause, speed and progress of a replay.
pub(super) fn replay_panel(mut contexts: EguiContexts, replay: Option<ResMut<Replay>>) -> Result {
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
            ui.horizontal(|ui| controls(ui, &mut replay));
            let progress = replay.progress();
            ui.add(
                egui::ProgressBar::new(progress as f32)
                    .desired_width(PROGRESS_WIDTH)
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

/// The file's name, play/pause (restart at the end) and the speed buttons.
fn controls(ui: &mut egui::Ui, replay: &mut Replay) {
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
    for speed in SPEEDS {
        if ui
            .selectable_label(replay.speed == speed, speed.to_string())
            .clicked()
        {
            replay.speed = speed;
        }
    }
}

//! `--screenshot FILE --frames N`: save the window after N frames, then exit,
//! with a failing exit code when the file never appears. The screenshot
//! tests run the viewer this way.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};

use crate::TwinSet;

/// Frames to wait for the file after asking for it (about two seconds at
/// 60 fps) before giving up: it is written a frame or two after the request.
const WAIT_FRAMES: u32 = 120;

/// `--screenshot FILE --frames N`: save the window after N frames, then exit.
#[derive(Resource, Debug, Clone)]
pub struct ScreenshotPlan {
    pub path: PathBuf,
    pub frames: u32,
}

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, take_screenshot.in_set(TwinSet::Present));
}

fn take_screenshot(
    mut commands: Commands,
    plan: Option<Res<ScreenshotPlan>>,
    mut frame: Local<u32>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(plan) = plan else { return };
    *frame += 1;
    if *frame == plan.frames {
        info!("saving screenshot to {}", plan.path.display());
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(plan.path.clone()));
    }
    // The file appears a few frames after the request; wait for it, but not forever.
    if *frame > plan.frames && (plan.path.exists() || *frame > plan.frames + WAIT_FRAMES) {
        if !plan.path.exists() {
            error!("the screenshot {} was not written", plan.path.display());
            exit.write(AppExit::from_code(1));
        } else {
            exit.write(AppExit::Success);
        }
    }
}

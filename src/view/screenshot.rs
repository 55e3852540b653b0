//! `--screenshot FILE --frames N`: save the window after N frames, then exit,
//! with a failing exit code when the file never appears. Beside the PNG,
//! `FILE.twins.json` says where each twin is on the picture (its body's
//! centre, projected by the camera), so a test can read a machine's colour.
//! The screenshot tests run the viewer this way.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};

use crate::TwinSet;
use crate::twin::Twin;
use crate::view::camera::OrbitCamera;

/// Height above a twin's origin (metres) whose projection the sidecar gives:
/// about the middle of a machine's body.
const BODY_CENTRE_M: f32 = 0.6;

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
    cameras: Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
    twins: Query<(&Twin, &GlobalTransform)>,
) {
    let Some(plan) = plan else { return };
    *frame += 1;
    if *frame == plan.frames {
        info!("saving screenshot to {}", plan.path.display());
        if let Err(e) = write_twin_positions(&plan.path, &cameras, &twins) {
            error!("{e}");
        }
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

/// Writes `PATH.twins.json`: `[{"id", "x", "y"}]`, pixels from the top left.
fn write_twin_positions(
    path: &std::path::Path,
    cameras: &Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
    twins: &Query<(&Twin, &GlobalTransform)>,
) -> Result<(), String> {
    let (camera, at) = cameras
        .iter()
        .next()
        .ok_or("no camera to project twins with")?;
    let positions: Vec<serde_json::Value> = twins
        .iter()
        .filter_map(|(twin, place)| {
            let body = place.translation() + Vec3::Y * BODY_CENTRE_M;
            let p = camera.world_to_viewport(at, body).ok()?;
            Some(serde_json::json!({ "id": &*twin.id, "x": p.x, "y": p.y }))
        })
        .collect();
    let out = path.with_extension("twins.json");
    std::fs::write(&out, serde_json::Value::Array(positions).to_string())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}

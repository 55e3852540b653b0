//! The viewer on a generated city: the CPU side of a frame while every
//! block changes colour every frame, and how many meshes it draws.
//!
//! ```sh
//! xvfb-run -a -s "-screen 0 1280x720x24" cargo bench --bench city_frame -- 100000
//! ```
//!
//! For each size given (buildings; default 100,000) it writes a city with
//! `twinscape import --synthetic`'s generator and a scene whose buildings
//! carry one sensor (energy) and streets one (speed), runs the real viewer
//! (window, egui, picking, the render world) and, from a thread, sends one
//! sample to every sensor each frame, each a new value so every block takes
//! a new colour. After `WARM_FRAMES` frames it times `TIMED_FRAMES`:
//! - the main world: from the start of `First` to the end of `Last`
//!   (every system of ours and Bevy's, egui and the render world's extract
//!   excepted);
//! - the whole frame, start of `First` to the next (with lavapipe this
//!   includes the software GPU, so it says little about a real GPU);
//! - the meshes visible to the camera after culling: what the render world
//!   draws (one draw each, before Bevy's batching).
//!
//! Then it saves a screenshot (`target/city-frame-bench-N.png`) and exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bevy::prelude::*;
use twinscape::telemetry::{Sample, SampleChannel};
use twinscape::view::{ScreenshotPlan, viewer_app};

#[path = "support/city.rs"]
mod support;

const WARM_FRAMES: u32 = 10;
const TIMED_FRAMES: u32 = 20;

/// What the frames measured, in the bench's app.
#[derive(Resource, Default)]
struct Timing {
    /// Frames since the scene was spawned.
    frame: u32,
    started: Option<Instant>,
    main_ms: Vec<f64>,
    frame_ms: Vec<f64>,
    visible: Vec<usize>,
    meshes: usize,
    /// Shared with the feeder: bumped at the end of every frame.
    clock: Arc<AtomicU64>,
    out: std::path::PathBuf,
    /// The city, in words.
    what: String,
}

fn start_of_frame(mut t: ResMut<Timing>) {
    let now = Instant::now();
    if let Some(before) = t.started.replace(now)
        && t.frame > WARM_FRAMES
        && t.frame <= WARM_FRAMES + TIMED_FRAMES
    {
        t.frame_ms.push((now - before).as_secs_f64() * 1e3);
    }
}

fn end_of_frame(
    mut commands: Commands,
    mut t: ResMut<Timing>,
    index: Option<Res<twinscape::scene::index::SceneIndex>>,
    meshes: Query<&ViewVisibility, With<Mesh3d>>,
) {
    if index.is_none() {
        return;
    }
    t.frame += 1;
    t.clock.fetch_add(1, Ordering::Relaxed);
    if t.frame > WARM_FRAMES && t.frame <= WARM_FRAMES + TIMED_FRAMES {
        let started = t.started.expect("First ran");
        t.main_ms.push(started.elapsed().as_secs_f64() * 1e3);
        t.visible.push(meshes.iter().filter(|v| v.get()).count());
        t.meshes = meshes.iter().count();
    }
    if t.frame == WARM_FRAMES + TIMED_FRAMES {
        report(&t);
    }
    if t.frame == WARM_FRAMES + TIMED_FRAMES + 1 {
        commands.insert_resource(ScreenshotPlan {
            path: t.out.clone(),
            frames: 1,
        });
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn run(buildings: usize) {
    let city = support::generated(buildings, "city-frame");
    let opts = city.options();
    let mut app = viewer_app(&opts, None);
    let clock = Arc::new(AtomicU64::new(0));
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/city-frame-bench-{buildings}.png"));
    app.insert_resource(Timing {
        clock: clock.clone(),
        out,
        what: format!("city of {buildings} buildings + {} streets", city.streets),
        ..default()
    })
    .add_systems(First, start_of_frame)
    .add_systems(Last, end_of_frame);
    let tx = app.world().resource::<SampleChannel>().tx.clone();
    let sensors = city.sensors();
    std::thread::spawn(move || {
        let mut seen = 0;
        loop {
            let frame = clock.load(Ordering::Relaxed);
            if frame == seen {
                std::thread::sleep(std::time::Duration::from_micros(200));
                continue;
            }
            seen = frame;
            let now = twinscape::telemetry::now_ms();
            for sensor in 0..sensors {
                // A new value every frame, spread over the range.
                let value = ((frame * 7_919 + u64::from(sensor) * 13) % 400) as f64;
                let sample = Sample {
                    sensor,
                    value,
                    time_ms: now,
                    stamp_ms: None,
                };
                if tx.send(sample).is_err() {
                    return;
                }
            }
        }
    });
    let exit = app.run();
    assert!(exit.is_success(), "the viewer failed: {exit:?}");
}

/// Prints what the timed frames measured.
fn report(t: &Timing) {
    let visible = t.visible.iter().sum::<usize>() / t.visible.len();
    println!(
        "{}: main world median {:.1} ms (min {:.1}, max {:.1}); whole frame median {:.1} ms; meshes {} ({visible} visible after culling); screenshot {}",
        t.what,
        median(&t.main_ms),
        t.main_ms.iter().copied().fold(f64::MAX, f64::min),
        t.main_ms.iter().copied().fold(0.0, f64::max),
        median(&t.frame_ms),
        t.meshes,
        t.out.display()
    );
}

fn main() {
    for n in support::sizes() {
        run(n);
    }
}

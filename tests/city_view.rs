//! The city in the viewer, under Xvfb: buildings take the colour of their
//! data and the City window's picker changes which value that is.
//!
//! A recording gives the two largest buildings of the Helsinki map opposite
//! values — A: energy near the top of its range, indoor temperature near the
//! bottom; B: the reverse — and leaves every other building without data.
//! Coloured by energy, A is warm (the ramp's amber end) and B cool (its blue
//! end), a building without data grey; picking "temperature" in the window
//! (clicked through egui's input, as a mouse does) swaps them. The map's
//! attribution must be on screen. The window is saved to
//! target/city-view/city.png at the end.
//!
//! `harness = false`: winit wants its event loop on the main thread.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[path = "support/egui_driver.rs"]
mod egui_driver;
use egui_driver::{Pointer, Shared, click, install_driver, on_screen, visible};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use twinscape::app::Options;
use twinscape::recording::{Replay, Speed};
use twinscape::telemetry::TelemetrySource;
use twinscape::twin::Twin;

/// Frames a step may take before the test fails.
const STEP_FRAMES: u32 = 240;
const ATTRIBUTION: &str = "Map data © OpenStreetMap contributors";

fn main() -> ExitCode {
    egui_driver::test_main("city_view", run)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The ids of the map's two largest buildings, and of one more (no data).
fn buildings() -> [String; 3] {
    let text = std::fs::read_to_string(root().join("assets/city/helsinki.city.json")).unwrap();
    let map: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut all: Vec<(f64, String)> = map["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["area_m2"].as_f64().unwrap(),
                b["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    [all[0].1.clone(), all[1].1.clone(), all[2].1.clone()]
}

fn recording(a: &str, b: &str) -> PathBuf {
    let dir = root().join("target/city-view");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("two-buildings.csv");
    let mut csv = String::from("time,twin,sensor,value\n");
    for i in 0..600 {
        let t = 1_764_150_000 + i;
        // Energy's range is 0–400 kW, temperature's 18–25 °C.
        writeln!(csv, "{t},{a},energy,380\n{t},{a},temperature,18.3").unwrap();
        writeln!(csv, "{t},{b},energy,20\n{t},{b},temperature,24.7").unwrap();
    }
    std::fs::write(&path, csv).unwrap();
    path
}

fn run() -> AppExit {
    let [a, b, c] = buildings();
    let opts = Options {
        scene: root().join("scenes/city.scene.ron"),
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = twinscape::view::viewer_app(&opts, None);
    app.insert_resource(Replay::open(&recording(&a, &b), Speed::Times(1.0)).unwrap())
        .insert_resource(Pointer(Arc::new(Mutex::new(Shared::default()))))
        .insert_resource(Script {
            ids: [a, b, c],
            ..Default::default()
        })
        .add_systems(Update, (install_driver, script).chain());
    app.run()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Step {
    #[default]
    ByEnergy,
    OpenList,
    PickTemperature,
    ByTemperature,
    Saved,
}

#[derive(Resource, Default)]
struct Script {
    ids: [String; 3],
    step: Step,
    frames: u32,
}

/// Warm: red well above blue (the ramp's amber top); cool: blue well above
/// red (its blue bottom); grey: no channel far from the others.
fn warm(c: Srgba) -> bool {
    c.red > c.blue + 0.3
}
fn cool(c: Srgba) -> bool {
    c.blue > c.red + 0.3
}
fn grey(c: Srgba) -> bool {
    (c.red - c.blue).abs() < 0.1 && (c.red - c.green).abs() < 0.1
}

#[allow(clippy::too_many_arguments)]
fn script(
    mut s: ResMut<Script>,
    pointer: Res<Pointer>,
    twins: Query<(&Twin, &Children)>,
    meshes: Query<&MeshMaterial3d<StandardMaterial>>,
    materials: Res<Assets<StandardMaterial>>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    s.frames += 1;
    if s.frames > STEP_FRAMES {
        // The first few labels (a city's twin list alone names 1,195).
        let seen = on_screen(&pointer, 40);
        eprintln!(
            "step {:?} did not happen in {STEP_FRAMES} frames; on screen: {seen:?}",
            s.step
        );
        exit.write(AppExit::from_code(1));
        return;
    }
    // The colour each of the three buildings is drawn in now.
    let colour = |id: &str| {
        let (_, children) = twins.iter().find(|(t, _)| t.id == id)?;
        let m = children.iter().find_map(|c| meshes.get(c).ok())?;
        Some(materials.get(&m.0)?.base_color.to_srgba())
    };
    let [a, b, c] = [0, 1, 2].map(|i| colour(&s.ids[i]));
    let (Some(a), Some(b), Some(c)) = (a, b, c) else {
        return;
    };
    let next = |s: &mut Script, step| {
        println!("  {:?} done after {} frames", s.step, s.frames);
        s.step = step;
        s.frames = 0;
    };
    match s.step {
        Step::ByEnergy => {
            if warm(a) && cool(b) && grey(c) && visible(&pointer, ATTRIBUTION) {
                println!("  by energy: A {a:?} B {b:?} C {c:?}");
                next(&mut s, Step::OpenList);
            }
        }
        Step::OpenList => {
            if visible(&pointer, "temperature") {
                next(&mut s, Step::PickTemperature);
            } else if s.frames % 20 == 1 {
                click(&pointer, "energy");
            }
        }
        Step::PickTemperature => {
            if click(&pointer, "temperature") {
                next(&mut s, Step::ByTemperature);
            }
        }
        Step::ByTemperature => {
            if cool(a) && warm(b) && grey(c) {
                println!("  by temperature: A {a:?} B {b:?} C {c:?}");
                let path = root().join("target/city-view/city.png");
                let _ = std::fs::remove_file(&path);
                commands
                    .spawn(Screenshot::primary_window())
                    .observe(save_to_disk(path));
                next(&mut s, Step::Saved);
            }
        }
        Step::Saved => {
            let path = root().join("target/city-view/city.png");
            if path.exists() {
                println!("  look at {}", path.display());
                exit.write(AppExit::Success);
            }
        }
    }
}

//! The city in the viewer, under Xvfb: buildings take the colour of their
//! data and the City window's picker changes which value that is.
//!
//! A recording gives the two largest buildings of the Helsinki map opposite
//! values — A: energy near the top of its range, indoor temperature near the
//! bottom; B: the reverse — and leaves every other building without data.
//! Coloured by energy, A is warm (the ramp's amber end) and B cool (its blue
//! end), a building without data grey; ticking "per m² of floor" turns A
//! cool (its 380 kW over a floor area far above the median: where on the
//! ramp is worked out from the map file); picking "temperature" in the window
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
#[path = "support/mouse.rs"]
mod mouse;
use egui_driver::{Pointer, Shared, click, install_driver, on_screen, visible};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use twinscape::app::Options;
use twinscape::recording::{Replay, Speed};
use twinscape::telemetry::TelemetrySource;
use twinscape::twin::Twin;
use twinscape::view::{CityPalette, CitySlot, District, Selected};

use mouse::Mouse;

/// Frames a step may take before the test fails.
const STEP_FRAMES: u32 = 240;
const ATTRIBUTION: &str = "Map data © OpenStreetMap contributors";

fn main() -> ExitCode {
    egui_driver::test_main("city_view", run)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

type Cameras<'w, 's> = Query<'w, 's, (&'static Camera, &'static GlobalTransform), With<Camera3d>>;

/// The view's camera: the first to draw (the gizmo's draws over it).
fn view_camera<'a>(cameras: &'a Cameras) -> (&'a Camera, &'a GlobalTransform) {
    cameras
        .iter()
        .min_by_key(|(c, _)| c.order)
        .expect("a 3D camera")
}

/// Where the ground point (x, z) is on the screen.
fn on_ground(cameras: &Cameras, p: Vec2) -> Vec2 {
    let (camera, eye) = view_camera(cameras);
    camera
        .world_to_viewport(eye, Vec3::new(p.x, 0.0, p.y))
        .expect("the district's corner on screen")
}

/// Every building's centre in scene x and z (the middle of its outer
/// rings' box, as docs/city.md says a building twin stands), by id.
fn centres() -> Vec<(String, Vec2)> {
    let text = std::fs::read_to_string(root().join("assets/city/helsinki.city.json")).unwrap();
    let map: serde_json::Value = serde_json::from_str(&text).unwrap();
    map["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let (mut lo, mut hi) = (Vec2::MAX, Vec2::MIN);
            for part in b["parts"].as_array().unwrap() {
                for p in part["outer"].as_array().unwrap() {
                    let p = Vec2::new(p[0].as_f64().unwrap() as f32, p[1].as_f64().unwrap() as f32);
                    (lo, hi) = (lo.min(p), hi.max(p));
                }
            }
            let c = (lo + hi) / 2.0;
            (b["id"].as_str().unwrap().to_string(), Vec2::new(c.x, -c.y))
        })
        .collect()
}

/// A rectangle on the ground 30 m beyond the centres of buildings `a` and `b`.
fn around(centres: &[(String, Vec2)], a: &str, b: &str) -> [Vec2; 2] {
    let at = |id: &str| centres.iter().find(|(i, _)| i == id).unwrap().1;
    let (p, q) = (at(a), at(b));
    [p.min(q) - Vec2::splat(30.0), p.max(q) + Vec2::splat(30.0)]
}

/// A point on the roof of building `id`: the middle of its first roof
/// triangle (inside the footprint, courtyard or not) at its height, in
/// scene coordinates (x east, y up, z south).
fn roof_of(id: &str) -> Vec3 {
    let text = std::fs::read_to_string(root().join("assets/city/helsinki.city.json")).unwrap();
    let map: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b = map["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap();
    let part = &b["parts"][0];
    // Triangles index the outer ring's points, then each hole's.
    let rings =
        std::iter::once(&part["outer"]).chain(part["holes"].as_array().into_iter().flatten());
    let points: Vec<Vec2> = rings
        .flat_map(|r| r.as_array().unwrap().iter())
        .map(|p| Vec2::new(p[0].as_f64().unwrap() as f32, p[1].as_f64().unwrap() as f32))
        .collect();
    let corner = |k: usize| points[part["triangles"][k].as_u64().unwrap() as usize];
    let mid = (corner(0) + corner(1) + corner(2)) / 3.0;
    Vec3::new(mid.x, b["height_m"].as_f64().unwrap() as f32, -mid.y)
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

/// Where building `id` at `kw` sits on energy's ramp (0–400 kW) per m² of
/// floor, as docs/city.md defines it: its value times the median floor
/// area over its own, a floor area being the footprint times the storeys
/// (height over 3.2 m, rounded, at least one), worked out from the map file.
fn per_m2_fraction(id: &str, kw: f64) -> f64 {
    let text = std::fs::read_to_string(root().join("assets/city/helsinki.city.json")).unwrap();
    let map: serde_json::Value = serde_json::from_str(&text).unwrap();
    let floor = |b: &serde_json::Value| {
        let storeys = (b["height_m"].as_f64().unwrap() / 3.2).round().max(1.0);
        b["area_m2"].as_f64().unwrap() * storeys
    };
    let all = map["buildings"].as_array().unwrap();
    let mut floors: Vec<f64> = all.iter().map(floor).filter(|f| *f > 0.0).collect();
    floors.sort_by(f64::total_cmp);
    let n = floors.len();
    let median = if n % 2 == 1 {
        floors[n / 2]
    } else {
        (floors[n / 2 - 1] + floors[n / 2]) / 2.0
    };
    let own = floor(all.iter().find(|b| b["id"] == id).unwrap());
    kw * median / own / 400.0
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
    let all = centres();
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
            roof: roof_of(&c),
            drag: around(&all, &a, &b),
            a_per_m2: per_m2_fraction(&a, 380.0),
            centres: all,
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
    /// "per m² of floor" ticked: A, the largest building, turns cool; then
    /// unticked, warm again.
    TickPerM2,
    PerM2,
    UntickPerM2,
    OpenList,
    PickTemperature,
    ByTemperature,
    Saved,
    /// The pointer over building C's roof, pressed, released: C selected.
    Aim,
    Press,
    Release,
    Picked,
    /// Shift + drag from beyond A to beyond B: a district holding both,
    /// its figures in the District window.
    Shift,
    DragPress,
    /// A frame for the press to be seen where it began.
    DragHold,
    DragMove,
    DragRelease,
    Districted,
    DistrictSaved,
}

#[derive(Resource, Default)]
struct Script {
    ids: [String; 3],
    /// A point on building C's roof, scene coordinates.
    roof: Vec3,
    /// The corners of the district to drag (ground, scene x and z) and
    /// every building's centre (id, x, z), from the map file.
    drag: [Vec2; 2],
    centres: Vec<(String, Vec2)>,
    /// Where A (380 kW) sits on the ramp per m² of floor.
    a_per_m2: f64,
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
    twins: Query<(Entity, &Twin, &CitySlot)>,
    palette: Option<Res<CityPalette>>,
    camera: Cameras,
    selected: Res<Selected>,
    district: Res<District>,
    mut mouse: Mouse,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    s.frames += 1;
    if s.frames > STEP_FRAMES {
        // The first few labels (a city's twin list alone names 1,197).
        let seen = on_screen(&pointer, 40);
        eprintln!(
            "step {:?} did not happen in {STEP_FRAMES} frames; on screen: {seen:?}",
            s.step
        );
        exit.write(AppExit::from_code(1));
        return;
    }
    // The colour each of the three buildings is drawn in now: its texel
    // in the palette the city's meshes read.
    let colour = |id: &str| {
        let (_, _, slot) = twins.iter().find(|(_, t, _)| &*t.id == id)?;
        palette.as_ref()?.colour(slot)
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
                // Cool on the ramp is below 0.4 (blue 0.3 over red).
                assert!(s.a_per_m2 < 0.4, "A per m² at {}", s.a_per_m2);
                next(&mut s, Step::TickPerM2);
            }
        }
        Step::TickPerM2 => {
            if click(&pointer, "per m² of floor") {
                next(&mut s, Step::PerM2);
            }
        }
        Step::PerM2 => {
            if cool(a) && cool(b) && grey(c) {
                println!(
                    "  by energy per m² of floor: A {a:?} (at {:.3} of the ramp) B {b:?}",
                    s.a_per_m2
                );
                next(&mut s, Step::UntickPerM2);
            }
        }
        Step::UntickPerM2 => {
            if warm(a) {
                next(&mut s, Step::OpenList);
            } else if s.frames % 20 == 1 {
                click(&pointer, "per m² of floor");
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
                next(&mut s, Step::Aim);
            }
        }
        Step::Aim => {
            // The view's camera: the first to draw (the gizmo's draws over it).
            let (camera, eye) = camera
                .iter()
                .min_by_key(|(c, _)| c.order)
                .expect("a 3D camera");
            let at = camera
                .world_to_viewport(eye, s.roof)
                .expect("C's roof on screen");
            mouse.move_to(at, Vec2::ZERO);
            next(&mut s, Step::Press);
        }
        Step::Press => {
            mouse.left(true);
            next(&mut s, Step::Release);
        }
        Step::Release => {
            mouse.left(false);
            next(&mut s, Step::Picked);
        }
        Step::Picked => {
            let c = twins
                .iter()
                .find(|(_, t, _)| *t.id == *s.ids[2])
                .map(|(e, _, _)| e);
            if selected.0.is_some() && selected.0 == c {
                println!("  a click on {}'s roof selected it", s.ids[2]);
                next(&mut s, Step::Shift);
            }
        }
        Step::Shift => {
            let at = on_ground(&camera, s.drag[0]);
            mouse.key(KeyCode::ShiftLeft, true);
            mouse.move_to(at, Vec2::ZERO);
            next(&mut s, Step::DragPress);
        }
        Step::DragPress => {
            mouse.left(true);
            next(&mut s, Step::DragHold);
        }
        Step::DragHold => {
            next(&mut s, Step::DragMove);
        }
        Step::DragMove => {
            let (from, to) = (on_ground(&camera, s.drag[0]), on_ground(&camera, s.drag[1]));
            mouse.move_to(to, to - from);
            next(&mut s, Step::DragRelease);
        }
        Step::DragRelease => {
            mouse.left(false);
            mouse.key(KeyCode::ShiftLeft, false);
            next(&mut s, Step::Districted);
        }
        Step::Districted => {
            let Some((a, b)) = district.corners() else {
                return;
            };
            if !district.worked_out() {
                return;
            }
            // The buildings whose centres lie in the marked rectangle, by the map file.
            let (lo, hi) = (
                Vec2::from(a).min(Vec2::from(b)),
                Vec2::from(a).max(Vec2::from(b)),
            );
            let inside = s
                .centres
                .iter()
                .filter(|(_, c)| c.cmpge(lo).all() && c.cmple(hi).all())
                .count();
            assert_eq!(
                district.blocks("building"),
                inside,
                "buildings in {lo} – {hi}"
            );
            // Only A (380 kW, 18.3 °C) and B (20 kW, 24.7 °C) report.
            let texts = ["400.0 kW", "200.0 kW", "43.00 °C", "21.50 °C"];
            if texts.iter().all(|t| visible(&pointer, t)) {
                println!(
                    "  district: {inside} buildings, energy 400 kW in all, temperature 21.5 °C on average"
                );
                let path = root().join("target/city-view/district.png");
                let _ = std::fs::remove_file(&path);
                commands
                    .spawn(Screenshot::primary_window())
                    .observe(save_to_disk(path));
                next(&mut s, Step::DistrictSaved);
            }
        }
        Step::DistrictSaved => {
            let path = root().join("target/city-view/district.png");
            if path.exists() {
                println!("  look at {}", path.display());
                exit.write(AppExit::Success);
            }
        }
    }
}

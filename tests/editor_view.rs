//! Edit mode in the real viewer, driven like a mouse and a keyboard (as
//! `viewer_controls`): on a copy of the factory scene, with cnc-1 selected,
//! the script types -12 into the X of its position in the "Edit scene"
//! window, and the machine moves there; "Undo" puts it back at -15, "Redo"
//! at -12 again; "Save" writes the file, where exactly one line changed:
//! cnc-1's translation; the reload of that save keeps cnc-1 selected.
//! "Duplicate" adds cnc-1-copy 3 m along, drawn and selected; "Undo" takes
//! it away again. Ends with a screenshot of edit mode.
//!
//! `harness = false`: winit wants its event loop on the main thread.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[path = "support/egui_driver.rs"]
mod egui_driver;
use egui_driver::{Pointer, Shared, click, install_driver, on_screen, visible};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use twinscape::app::Options;
use twinscape::editor::plugin::StartEditing;
use twinscape::telemetry::TelemetrySource;
use twinscape::twin::Twin;
use twinscape::view::InitialSelection;

/// Frames a step may take (about two a second under lavapipe).
const STEP_FRAMES: u32 = 240;
const SHIPPED_X: f32 = -15.0;
const TYPED_X: f32 = -12.0;

fn main() -> ExitCode {
    egui_driver::test_main("editor_view", run)
}

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/editor-view")
}

fn shipped() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/factory.scene.ron"))
        .unwrap()
}

fn run() -> AppExit {
    let dir = folder();
    std::fs::create_dir_all(&dir).unwrap();
    let scene = dir.join("factory.scene.ron");
    std::fs::write(&scene, shipped()).unwrap();
    let opts = Options {
        scene,
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = twinscape::view::viewer_app(&opts, None);
    let shared = Arc::new(Mutex::new(Shared::default()));
    app.insert_resource(StartEditing)
        .insert_resource(InitialSelection("cnc-1".into()))
        .insert_resource(Pointer(shared))
        .init_resource::<Script>()
        .add_systems(Update, (install_driver, script).chain());
    app.run()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Step {
    #[default]
    Open,
    Type,
    Typed,
    Undo,
    Redo,
    Save,
    Saved,
    Reselected,
    Duplicate,
    Duplicated,
    UndoDuplicate,
    Shot,
}

#[derive(Resource, Default)]
struct Script {
    step: Step,
    frames: u32,
    /// cnc-1's entity before the save, and the frame the reload replaced it.
    before_reload: Option<Entity>,
    reloaded_at: Option<u32>,
}

impl Script {
    fn next(&mut self, step: Step) {
        println!("  {:?} done after {} frames", self.step, self.frames);
        self.step = step;
        self.frames = 0;
    }
}

fn script(
    mut s: ResMut<Script>,
    pointer: Res<Pointer>,
    twins: Query<(Entity, &Twin, &Transform)>,
    mut exit: MessageWriter<AppExit>,
    mut commands: Commands,
) {
    s.frames += 1;
    if s.frames > STEP_FRAMES {
        let seen = on_screen(&pointer, 60);
        eprintln!(
            "step {:?} did not happen in {STEP_FRAMES} frames; on screen: {seen:?}",
            s.step
        );
        exit.write(AppExit::from_code(1));
        return;
    }
    let cnc = twins.iter().find(|(_, t, _)| t.id == "cnc-1");
    let x = cnc.map(|(_, _, t)| t.translation.x);
    let entity = cnc.map(|(e, _, _)| e);
    match s.step {
        Step::Open => {
            if visible(&pointer, "Edit scene") && visible(&pointer, "Position") {
                s.next(Step::Type);
            }
        }
        Step::Type => {
            // The X field: the drag value showing -15.00 beside "Position".
            let mut shared = pointer.0.lock().unwrap();
            if shared.pending.is_empty()
                && let Some(field) = shared.find_near("-15.00", "Position")
            {
                shared.click(field);
                shared.type_text(&TYPED_X.to_string());
                drop(shared);
                s.next(Step::Typed);
            }
        }
        Step::Typed => {
            if x == Some(TYPED_X) {
                s.next(Step::Undo);
            } else if s.frames.is_multiple_of(40) {
                // The field may not have taken the first click: again.
                s.next(Step::Type);
            }
        }
        Step::Undo => {
            if x == Some(TYPED_X) && click(&pointer, "Undo") {
                s.next(Step::Redo);
            }
        }
        Step::Redo => {
            if x == Some(SHIPPED_X) && click(&pointer, "Redo") {
                s.next(Step::Save);
            }
        }
        Step::Save => {
            if x == Some(TYPED_X) && click(&pointer, "Save") {
                s.before_reload = entity;
                s.next(Step::Saved);
            }
        }
        Step::Saved => {
            let on_disk = std::fs::read_to_string(folder().join("factory.scene.ron")).unwrap();
            if on_disk != shipped() {
                let before = shipped();
                let changed: Vec<(String, String)> = before
                    .lines()
                    .zip(on_disk.lines())
                    .filter(|(a, b)| a != b)
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect();
                let want = (
                    "            transform: (translation: (-15.0, 0.0, -4.8)),".to_string(),
                    "            transform: (translation: (-12.0, 0.0, -4.8)),".to_string(),
                );
                if before.lines().count() != on_disk.lines().count() || changed != [want.clone()] {
                    eprintln!("the saved file changed more than cnc-1's translation: {changed:?}");
                    exit.write(AppExit::from_code(1));
                    return;
                }
                println!(
                    "saved: one line changed, {:?} → {:?}",
                    want.0.trim(),
                    want.1.trim()
                );
                s.next(Step::Reselected);
            }
        }
        Step::Reselected => {
            // Our own save reloads the scene (cnc-1 is a new entity, at
            // -12 from the file): cnc-1 is still the one edited, a few
            // frames on (egui shows a frame late).
            if s.reloaded_at.is_none() && entity.is_some() && entity != s.before_reload {
                s.reloaded_at = Some(s.frames);
            }
            if let Some(at) = s.reloaded_at
                && s.frames > at + 3
                && x == Some(TYPED_X)
                && visible(&pointer, "Position")
                && visible(&pointer, "cnc-1")
            {
                s.next(Step::Duplicate);
            }
        }
        Step::Duplicate => {
            if click(&pointer, "Duplicate") {
                s.next(Step::Duplicated);
            }
        }
        Step::Duplicated => {
            // The copy stands 3 m along x, drawn, selected in the window.
            let copy = twins.iter().find(|(_, t, _)| t.id == "cnc-1-copy");
            if copy.is_some_and(|(_, _, t)| t.translation.x == TYPED_X + 3.0)
                && visible(&pointer, "cnc-1-copy")
            {
                let path = folder().join("duplicate.png");
                println!("look at {}", path.display());
                commands
                    .spawn(Screenshot::primary_window())
                    .observe(save_to_disk(path));
                s.next(Step::UndoDuplicate);
            }
        }
        Step::UndoDuplicate => {
            let copies = twins
                .iter()
                .filter(|(_, t, _)| t.id == "cnc-1-copy")
                .count();
            if s.frames == 1 && !click(&pointer, "Undo") {
                s.frames = 0;
            } else if s.frames > 1 && copies == 0 && twins.iter().count() == 11 {
                s.next(Step::Shot);
            }
        }
        Step::Shot => {
            if s.frames == 4 {
                let path = folder().join("edit-mode.png");
                println!("look at {}", path.display());
                commands
                    .spawn(Screenshot::primary_window())
                    .observe(save_to_disk(path));
            }
            if s.frames == 12 {
                exit.write(AppExit::Success);
            }
        }
    }
}

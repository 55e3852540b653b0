//! Edit mode in the real viewer, driven like a mouse and a keyboard (as
//! `viewer_controls`): on a copy of the factory scene, with cnc-1 selected,
//! the script types -12 into the X of its position in the "Edit scene"
//! window, and the machine moves there; "Undo" puts it back at -15, "Redo"
//! at -12 again; "Save" writes the file, where exactly one line changed:
//! cnc-1's translation; the reload of that save keeps cnc-1 selected.
//! With snapping on, the mouse drags the transform gizmo's x arrow 3 m
//! along (window, input and picking messages, as a real mouse makes them):
//! cnc-1 lands exactly at -9 (0.5 m steps), the camera has not orbited, the
//! gizmo and selection stay on cnc-1, and one "Undo" takes the drag back. A
//! click on the arrow (over cnc-2's body) does not select cnc-2. `R`, a
//! quarter turn on the green ring: `rotation_y_deg` 90 in the scene and
//! on screen; `Ctrl+Z` takes it back; `G` goes back to moving.
//! "Duplicate" adds cnc-1-copy 3 m along, drawn and selected; "Undo" takes
//! it away again. Ends with a screenshot of edit mode.
//!
//! `harness = false`: winit wants its event loop on the main thread.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use twinscape::editor::browse::TopicBrowser;
use twinscape::editor::plugin::{Editor, Tool};
use twinscape::telemetry::scout::ScoutView;

#[path = "editor_view/copies.rs"]
mod copies;
#[path = "support/egui_driver.rs"]
mod egui_driver;
#[path = "editor_view/fields.rs"]
mod fields;
#[path = "support/mouse.rs"]
mod mouse;
use copies::{copy_steps, topic_steps};
use egui_driver::{Pointer, Shared, click, install_driver, on_screen, visible};
use fields::field_steps;
use mouse::{GizmoView, Mouse};

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
/// How far the gizmo drag takes cnc-1 along x, metres (a whole number of
/// 0.5 m snapping steps), in this many pointer moves.
const GIZMO_DRAG_M: f32 = 3.0;
const DRAG_MOVES: u32 = 8;
/// The click on the gizmo lands this far above its arrow, pixels (the
/// gizmo takes a press within 35 px of a handle).
const CLICK_ABOVE_ARROW_PX: f32 = 15.0;
/// The green ring's points the turn drag goes from and to, degrees from +x
/// towards +z (45° lies on no other ring).
const RING_FROM_DEG: f32 = 45.0;
const RING_TO_DEG: f32 = -45.0;
/// A topic the broker carries, in the topic browser.
const LIVE_TOPIC: &str = "lab/cnc-4/telemetry";

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
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
    Snap,
    Hover,
    Press,
    Drag,
    Dropped,
    UndoDrag,
    HoverAgain,
    ClickHandle,
    Clicked,
    TurnKey,
    TurnHover,
    TurnPress,
    TurnDrag,
    Turned,
    UndoTurn,
    MoveKey,
    Duplicate,
    Duplicated,
    UndoDuplicate,
    Add,
    Added,
    SaveAdded,
    PickTopic,
    Bind,
    SaveBound,
    Rename,
    SaveRenamed,
    OpenFields,
    Range,
    Refuse,
    AddPredictor,
    Template,
    SelectCnc3,
    DeleteFixing,
    Shot,
}

#[derive(Resource, Default)]
struct Script {
    step: Step,
    frames: u32,
    /// cnc-1's entity before the save, and the frame the reload replaced it.
    before_reload: Option<Entity>,
    reloaded_at: Option<u32>,
    /// The drag: from the x arrow (screen points), and the camera before it.
    from: Vec2,
    to: Vec2,
    eye: Option<GlobalTransform>,
}

impl Script {
    fn next(&mut self, step: Step) {
        println!("  {:?} done after {} frames", self.step, self.frames);
        self.step = step;
        self.frames = 0;
    }
}

// A Bevy system: its parameters are what it reads and drives.
#[allow(clippy::too_many_arguments)]
fn script(
    mut s: ResMut<Script>,
    pointer: Res<Pointer>,
    twins: Query<(Entity, &'static Twin, &'static Transform)>,
    mut mouse: Mouse,
    gizmo: GizmoView,
    mut browser: ResMut<TopicBrowser>,
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
    let cnc = twins.iter().find(|(_, t, _)| &*t.id == "cnc-1");
    let now = Now {
        pointer: &pointer,
        twins: &twins,
        x: cnc.map(|(_, _, t)| t.translation.x),
        entity: cnc.map(|(e, _, _)| e),
    };
    let step = s.step;
    let done = match step {
        Step::Shot => {
            if s.frames == 4 {
                screenshot(&mut commands, "edit-mode.png");
            }
            if s.frames == 12 {
                exit.write(AppExit::Success);
            }
            Ok(())
        }
        _ if step < Step::Snap => edit_steps(&mut s, &now),
        _ if step < Step::TurnKey => gizmo_steps(&mut s, &now, &mut mouse, &gizmo, &mut commands),
        _ if step < Step::Duplicate => turn_steps(&mut s, &now, &mut mouse, &gizmo, &mut commands),
        _ if step < Step::PickTopic => copy_steps(&mut s, &now, &gizmo, &mut commands),
        _ if step >= Step::OpenFields && step < Step::Template => {
            field_steps(&mut s, &now, &gizmo.editor, &mut commands)
        }
        _ => topic_steps(&mut s, &now, &mut browser, &gizmo.editor),
    };
    if let Err(e) = done {
        eprintln!("{e}");
        exit.write(AppExit::from_code(1));
    }
}

fn edit_steps(s: &mut Script, now: &Now) -> Result<(), String> {
    let Now {
        pointer, x, entity, ..
    } = *now;
    match s.step {
        Step::Open if visible(pointer, "Edit scene") && visible(pointer, "Position") => {
            s.next(Step::Type);
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
        Step::Undo if x == Some(TYPED_X) && click(pointer, "Undo") => {
            s.next(Step::Redo);
        }
        Step::Redo if x == Some(SHIPPED_X) && click(pointer, "Redo") => {
            s.next(Step::Save);
        }
        Step::Save if x == Some(TYPED_X) && click(pointer, "Save") => {
            s.before_reload = entity;
            s.next(Step::Saved);
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
                    return Err(format!(
                        "the saved file changed more than cnc-1's translation: {changed:?}"
                    ));
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
                && visible(pointer, "Position")
                && visible(pointer, "cnc-1")
            {
                s.next(Step::Snap);
            }
        }
        _ => {}
    }
    Ok(())
}

fn gizmo_steps(
    s: &mut Script,
    now: &Now,
    mouse: &mut Mouse,
    gizmo: &GizmoView,
    commands: &mut Commands,
) -> Result<(), String> {
    let Now {
        pointer, x, entity, ..
    } = *now;
    match s.step {
        Step::Snap => {
            if gizmo.editor.snap {
                s.next(Step::Hover);
            } else if s.frames == 1 && !click(pointer, "Snap 0.5 m · 15°") {
                s.frames = 0;
            }
        }
        Step::Hover | Step::HoverAgain => {
            // The middle of cnc-1's x arrow, and 3 m further along x.
            let Some((from, to)) = entity.and_then(|e| gizmo.x_arrow(e, GIZMO_DRAG_M)) else {
                return Ok(());
            };
            // The click goes a little above the arrow, off its drawn mesh
            // (which would take the pick itself) but within its grip, over
            // cnc-2's body.
            let from = match s.step {
                Step::Hover => from,
                _ => from + CLICK_ABOVE_ARROW_PX * Vec2::NEG_Y,
            };
            if s.frames % 10 == 1 {
                (s.from, s.to) = (from, to);
                s.eye = gizmo.eye();
                mouse.move_to(s.from, Vec2::ZERO);
            } else if gizmo.hovered_x() {
                let next = if s.step == Step::Hover {
                    Step::Press
                } else {
                    Step::ClickHandle
                };
                s.next(next);
            }
        }
        Step::Press => {
            mouse.left(true);
            s.next(Step::Drag);
        }
        Step::Drag => {
            // The pointer's moves come with the mouse motion a real mouse
            // reports beside them: what would orbit the camera.
            if s.frames == DRAG_MOVES + 2 && !gizmo.state.active {
                return Err("the press on the x arrow did not start a gizmo drag".to_string());
            }
            let (from, to) = (s.from, s.to);
            let step = (to - from) / DRAG_MOVES as f32;
            if drag_along(s, mouse, commands, "gizmo-drag.png", |t| {
                Some((from.lerp(to, t), step))
            }) {
                s.next(Step::Dropped);
            }
        }
        Step::Dropped if !gizmo.state.active && x == Some(TYPED_X + GIZMO_DRAG_M) => {
            let orbited = s.eye != gizmo.eye();
            let focus = gizmo.focused();
            if orbited || focus != entity {
                return Err(format!(
                    "after the drag: camera moved {orbited}, gizmo on {focus:?} (cnc-1 {entity:?})"
                ));
            }
            println!("dragged the x arrow: cnc-1 at {:?} (snapped)", x.unwrap());
            s.next(Step::UndoDrag);
        }
        Step::UndoDrag => {
            if s.frames == 1 && !click(pointer, "Undo") {
                s.frames = 0;
            } else if s.frames > 1 && x == Some(TYPED_X) {
                s.next(Step::HoverAgain);
            }
        }
        Step::ClickHandle => {
            // Press and release on the arrow, not moving: no pick of cnc-2.
            match s.frames {
                1 => mouse.left(true),
                3 => mouse.left(false),
                _ => {}
            }
            if s.frames == 3 {
                s.next(Step::Clicked);
            }
        }
        Step::Clicked if s.frames == 12 => {
            let focus = gizmo.focused();
            if focus != entity || x != Some(TYPED_X) {
                return Err(format!(
                    "a click on the gizmo changed the selection ({focus:?}, cnc-1 {entity:?}) or moved cnc-1 ({x:?})"
                ));
            }
            s.next(Step::TurnKey);
        }
        _ => {}
    }
    Ok(())
}

/// `R`, then the green ring dragged a quarter of the way round (from 45°
/// to -45° of the ring, snapped to 15° steps): cnc-1 turns +90° about the
/// vertical (the right-hand rule: +45° to -45° seen from above is a turn
/// of +90° about +y) and the file's `rotation_y_deg` says 90; `Ctrl+Z`
/// takes it back; `G` goes back to moving.
fn turn_steps(
    s: &mut Script,
    now: &Now,
    mouse: &mut Mouse,
    gizmo: &GizmoView,
    commands: &mut Commands,
) -> Result<(), String> {
    let Some(entity) = now.entity else {
        return Ok(());
    };
    let written = gizmo.editor.session.as_ref().and_then(|session| {
        let twin = session.scene().twins.iter().find(|t| t.id == "cnc-1")?;
        Some(twin.transform.rotation_y_deg)
    });
    let drawn = now
        .twins
        .get(entity)
        .map(|(_, _, t)| t.rotation.to_euler(EulerRot::YXZ).0.to_degrees())
        .ok();
    match s.step {
        Step::TurnKey | Step::MoveKey => {
            let (key, tool) = match s.step {
                Step::TurnKey => (KeyCode::KeyR, Tool::Turn),
                _ => (KeyCode::KeyG, Tool::Move),
            };
            match s.frames {
                1 => mouse.key(key, true),
                2 => mouse.key(key, false),
                _ if gizmo.editor.tool == tool => {
                    let next = if tool == Tool::Turn {
                        Step::TurnHover
                    } else {
                        Step::Duplicate
                    };
                    s.next(next);
                }
                _ => {}
            }
        }
        Step::TurnHover => {
            if s.frames % 10 == 1 {
                let Some(at) = gizmo.y_ring(entity, RING_FROM_DEG) else {
                    return Ok(());
                };
                mouse.move_to(at, Vec2::ZERO);
            } else if gizmo.hovered_y() {
                s.next(Step::TurnPress);
            }
        }
        Step::TurnPress => {
            mouse.left(true);
            s.next(Step::TurnDrag);
        }
        Step::TurnDrag => {
            let ring = |t: f32| {
                let deg = RING_FROM_DEG + (RING_TO_DEG - RING_FROM_DEG) * t;
                gizmo.y_ring(entity, deg).map(|at| (at, Vec2::ZERO))
            };
            if drag_along(s, mouse, commands, "gizmo-turn.png", ring) {
                s.next(Step::Turned);
            }
        }
        Step::Turned if written == Some(90.0) && drawn.is_some_and(|d| (d - 90.0).abs() < 0.01) => {
            println!("turned cnc-1 with the green ring: rotation_y_deg {written:?}");
            s.next(Step::UndoTurn);
        }
        Step::UndoTurn => match s.frames {
            1 => mouse.key(KeyCode::ControlLeft, true),
            2 => mouse.key(KeyCode::KeyZ, true),
            3 => {
                mouse.key(KeyCode::KeyZ, false);
                mouse.key(KeyCode::ControlLeft, false);
            }
            _ if written == Some(0.0) && drawn.is_some_and(|d| d.abs() < 0.01) => {
                s.next(Step::MoveKey);
            }
            _ => {}
        },
        _ => {}
    }
    Ok(())
}

/// One frame of a drag with the left button held since the step began:
/// the press reaches the gizmo in the first frame (its drag starts where
/// the pointer is), then `DRAG_MOVES` moves along `path` (t from 0 to 1:
/// the pointer, and the motion a real mouse reports beside it), a
/// screenshot `shot`, and the release; true once released.
fn drag_along(
    s: &Script,
    mouse: &mut Mouse,
    commands: &mut Commands,
    shot: &str,
    path: impl Fn(f32) -> Option<(Vec2, Vec2)>,
) -> bool {
    if (2..=DRAG_MOVES + 1).contains(&s.frames) {
        let t = (s.frames - 1) as f32 / DRAG_MOVES as f32;
        if let Some((at, motion)) = path(t) {
            mouse.move_to(at, motion);
        }
    }
    if s.frames == DRAG_MOVES + 1 {
        screenshot(commands, shot);
    }
    if s.frames == DRAG_MOVES + 2 {
        mouse.left(false);
        return true;
    }
    false
}

/// What each step sees this frame: the widgets, the twins, and cnc-1's x
/// and entity.
#[derive(Clone, Copy)]
struct Now<'a, 'w, 's> {
    pointer: &'a Pointer,
    twins: &'a Query<'w, 's, (Entity, &'static Twin, &'static Transform)>,
    x: Option<f32>,
    entity: Option<Entity>,
}

/// Saves the window to target/editor-view/NAME (to look at).
fn screenshot(commands: &mut Commands, name: &str) {
    let path = folder().join(name);
    println!("look at {}", path.display());
    commands
        .spawn(Screenshot::primary_window())
        .observe(save_to_disk(path));
}

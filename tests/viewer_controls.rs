//! The viewer's controls, clicked: the real viewer (window, egui, the
//! panels) replays a recording under Xvfb while a script clicks its buttons
//! with pointer events fed into egui's input — the way a mouse does — and
//! checks what each click changed in the twin:
//!
//! - an active alarm's "ack" → the alarm is acknowledged;
//! - the replay bar's "Pause" → the replay clock stops; "Play" and "600×"
//!   → it plays to the end; "Restart" → it starts over;
//! - the what-if window: open it, pick "one more repair crew" in its list,
//!   "Run 8 h" → that scenario's answer is in the panel.
//!
//! Widgets are found by their labels in egui's AccessKit tree (what a screen
//! reader sees), so a button that moves is still found, and one that is
//! missing fails the step that wants it.
//!
//! `harness = false`: winit wants its event loop on the main thread. Run
//! under Xvfb when there is no display (it re-runs itself under `xvfb-run`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[path = "support/egui_driver.rs"]
mod egui_driver;
use egui_driver::{Pointer, Shared, click, install_driver, on_screen, visible};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use twinscape::alarms::State as AlarmStateKind;
use twinscape::app::Options;
use twinscape::recording::{Replay, Speed};
use twinscape::sim::line::Scenario;
use twinscape::telemetry::TelemetrySource;
use twinscape::whatif::WhatIfPanel;

/// Frames a step may take before the test fails (the viewer draws about two
/// frames a second under lavapipe, so this is minutes, not a race).
const STEP_FRAMES: u32 = 240;
/// Frames the replay must stay put after "Pause" to count as paused.
const PAUSED_FRAMES: u32 = 6;
/// The speed button that plays the ten-minute file in a few frames.
const FAST: Speed = Speed::Times(600.0);

fn main() -> ExitCode {
    egui_driver::test_main("viewer_controls", run)
}

/// cnc-1 at 95 °C (its alarm is at 85 °C) once a second for ten minutes.
fn recording() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/viewer-controls");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hot-cnc-1.csv");
    let mut csv = String::from("time,twin,sensor,value\n");
    for i in 0..600 {
        writeln!(csv, "{},cnc-1,temperature,95", 1_764_150_000 + i).unwrap();
    }
    std::fs::write(&path, csv).unwrap();
    path
}

fn run() -> AppExit {
    let path = recording();
    let opts = Options {
        scene: Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/factory.scene.ron"),
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = twinscape::view::viewer_app(&opts, None);
    app.insert_resource(Replay::open(&path, Speed::Times(1.0)).unwrap());
    let shared = Arc::new(Mutex::new(Shared::default()));
    app.insert_resource(Pointer(shared))
        .init_resource::<Script>()
        .init_resource::<AlarmStates>()
        .add_systems(Update, (install_driver, alarm_states, script).chain());
    app.run()
}

/// The state of every alarm, from the twin's snapshot.
#[derive(Resource, Default)]
struct AlarmStates(Vec<AlarmStateKind>);

fn alarm_states(world: &mut World) {
    let states = twinscape::snapshot::take(world)
        .alarms
        .iter()
        .map(|a| a.state)
        .collect();
    world.resource_mut::<AlarmStates>().0 = states;
}

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Step {
    #[default]
    Ack,
    Acked,
    Pause,
    Paused,
    Play,
    Fast,
    Restart,
    Restarted,
    OpenWhatIf,
    OpenList,
    PickCrew,
    RunWhatIf,
    Answered,
    Saved,
}

#[derive(Resource, Default)]
struct Script {
    step: Step,
    /// Frames spent in this step.
    frames: u32,
    /// The replay clock when it was paused.
    paused_at: Option<f64>,
    /// The crew count the picked scenario asks for.
    crews: Option<usize>,
}

impl Script {
    fn next(&mut self, step: Step) {
        println!("  {:?} done after {} frames", self.step, self.frames);
        self.step = step;
        self.frames = 0;
    }
}

/// The script: one step a frame at most, each with a deadline.
fn script(
    mut s: ResMut<Script>,
    pointer: Res<Pointer>,
    alarms: Res<AlarmStates>,
    replay: Option<Res<Replay>>,
    panel: Option<Res<WhatIfPanel>>,
    mut exit: MessageWriter<AppExit>,
    mut commands: Commands,
) {
    s.frames += 1;
    if s.frames > STEP_FRAMES {
        // The first few labels (a city's twin list alone names 1,197).
        let seen = on_screen(&pointer, 40);
        eprintln!(
            "step {:?} did not happen in {STEP_FRAMES} frames; widgets on screen: {seen:?}",
            s.step
        );
        exit.write(AppExit::from_code(1));
        return;
    }
    let Some(replay) = replay else {
        return;
    };
    let end = match s.step {
        Step::Ack | Step::Acked => alarm_step(&mut s, &pointer, &alarms),
        Step::OpenWhatIf
        | Step::OpenList
        | Step::PickCrew
        | Step::RunWhatIf
        | Step::Answered
        | Step::Saved => what_if_step(&mut s, &pointer, panel.as_deref(), &mut commands),
        _ => replay_step(&mut s, &pointer, &replay),
    };
    if let Some(end) = end {
        exit.write(end);
    }
}

/// A failed step: why, and a failing exit.
fn fail(why: String) -> Option<AppExit> {
    eprintln!("{why}");
    Some(AppExit::from_code(1))
}

/// cnc-1's high and high-high alarms are raised and stay unacknowledged
/// until "ack" is clicked; then exactly one is acknowledged.
fn alarm_step(s: &mut Script, pointer: &Pointer, alarms: &AlarmStates) -> Option<AppExit> {
    let count = |state| alarms.0.iter().filter(|&&a| a == state).count();
    match s.step {
        Step::Ack if count(AlarmStateKind::Acknowledged) > 0 => {
            return fail("an alarm was acknowledged before any click".into());
        }
        Step::Ack => {
            if count(AlarmStateKind::Active) > 0 && click(pointer, "ack") {
                s.next(Step::Acked);
            }
        }
        _ => {
            if count(AlarmStateKind::Acknowledged) == 1 && visible(pointer, "acked") {
                s.next(Step::Pause);
            }
        }
    }
    None
}

/// Pause holds the clock; Play and 600× play to the end; Restart starts over.
fn replay_step(s: &mut Script, pointer: &Pointer, replay: &Replay) -> Option<AppExit> {
    match s.step {
        Step::Pause => {
            if replay.playing && click(pointer, "Pause") {
                s.next(Step::Paused);
            }
        }
        Step::Paused => match s.paused_at {
            None if !replay.playing => s.paused_at = Some(replay.clock_ms),
            Some(at) if replay.clock_ms != at => {
                return fail(format!(
                    "the replay clock moved while paused: {at} → {}",
                    replay.clock_ms
                ));
            }
            Some(_) if s.frames > PAUSED_FRAMES && visible(pointer, "Play") => s.next(Step::Play),
            _ => {}
        },
        Step::Play => {
            if click(pointer, "Play") {
                s.next(Step::Fast);
            }
        }
        Step::Fast => {
            if replay.playing && click(pointer, "600×") {
                s.next(Step::Restart);
            }
        }
        Step::Restart => {
            if replay.speed == FAST && replay.is_done() && click(pointer, "Restart") {
                s.next(Step::Restarted);
            }
        }
        _ => {
            if !replay.is_done() && replay.played() < replay.rows() {
                s.next(Step::OpenWhatIf);
            }
        }
    }
    None
}

/// The what-if window opened, "2 repair crews" picked, "Run 8 h": that
/// scenario's answer; then the screenshot.
fn what_if_step(
    s: &mut Script,
    pointer: &Pointer,
    panel: Option<&WhatIfPanel>,
    commands: &mut Commands,
) -> Option<AppExit> {
    match s.step {
        Step::OpenWhatIf => {
            if visible(pointer, "Run 8 h") {
                s.next(Step::OpenList);
            } else if s.frames % 20 == 1 {
                // The window starts collapsed: its "Show" button opens it.
                let mut shared = pointer.0.lock().unwrap();
                if let Some(rect) = shared.find_near("Show", "What if…") {
                    shared.click(rect);
                }
            }
        }
        Step::OpenList => {
            let crew = (1..10).find(|n| visible(pointer, &crews_label(n + 1)));
            if let Some(n) = crew {
                s.crews = Some(n + 1);
                s.next(Step::PickCrew);
            } else if s.frames % 20 == 1 {
                // The list's button shows the scenario picked now.
                let current = pointer
                    .0
                    .lock()
                    .unwrap()
                    .widgets
                    .iter()
                    .find(|(l, _)| l.ends_with(" fails now"))
                    .map(|(l, _)| l.clone());
                if let Some(label) = current {
                    click(pointer, &label);
                }
            }
        }
        Step::PickCrew => {
            if click(pointer, &crews_label(s.crews.unwrap())) {
                s.next(Step::RunWhatIf);
            }
        }
        Step::RunWhatIf => {
            if pointer.0.lock().unwrap().pending.is_empty() && click(pointer, "Run 8 h") {
                s.next(Step::Answered);
            }
        }
        Step::Answered => match panel.and_then(|p| p.last.as_ref()) {
            Some(Ok(w)) => {
                let want = Scenario::Crews(s.crews.unwrap());
                if w.scenario != want.to_string() {
                    return fail(format!(
                        "the what-if answered {:?}, not {want:?}",
                        w.scenario
                    ));
                }
                println!("  every control did what it says");
                let _ = std::fs::remove_file(screenshot_path());
                commands
                    .spawn(Screenshot::primary_window())
                    .observe(save_to_disk(screenshot_path()));
                s.next(Step::Saved);
            }
            Some(Err(e)) => return fail(format!("the what-if failed: {e}")),
            None => {}
        },
        _ => {
            if screenshot_path().exists() {
                println!("  look at {}", screenshot_path().display());
                return Some(AppExit::Success);
            }
        }
    }
    None
}

/// The what-if list's entry for `n` crews.
fn crews_label(n: usize) -> String {
    format!("{n} repair crews instead of {}", n - 1)
}

/// The window at the end: the alarm acknowledged, the replay over, the
/// what-if's answer.
fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/viewer-controls/controls.png")
}

//! Driving the viewer's egui like a mouse, for tests with their own `main`
//! that run the real viewer: an egui plugin on the viewer's context reads
//! the labelled widgets from egui's AccessKit tree after each pass and feeds
//! queued pointer events into the next pass's input.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

/// The environment variable set when a test runs itself under Xvfb.
const UNDER_XVFB: &str = "TWINSCAPE_TEST_UNDER_XVFB";

/// What the driver saw in egui's last output, and the input it feeds next.
#[derive(Default)]
pub struct Shared {
    /// Every labelled widget of the last pass, with its rectangle (points).
    pub widgets: Vec<(String, egui::Rect)>,
    /// Input events for the coming passes, one batch a pass.
    pub pending: VecDeque<Vec<egui::Event>>,
}

impl Shared {
    pub fn find(&self, label: &str) -> Option<egui::Rect> {
        self.widgets
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, r)| *r)
    }

    /// The widget labelled `label` nearest the one labelled `anchor` (a
    /// window's collapse button is "Show", beside its title).
    pub fn find_near(&self, label: &str, anchor: &str) -> Option<egui::Rect> {
        let at = self.find(anchor)?.center();
        self.widgets
            .iter()
            .filter(|(l, _)| l == label)
            .map(|(_, r)| *r)
            .min_by(|a, b| {
                let (da, db) = (a.center().distance(at), b.center().distance(at));
                da.total_cmp(&db)
            })
    }

    /// A press and a release at the centre of `rect`, in one pass: egui
    /// takes a press held longer than 0.8 s for a long press, and a pass
    /// takes about half a second here.
    pub fn click(&mut self, rect: egui::Rect) {
        let pos = rect.center();
        let button = |pressed| egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        self.pending.push_back(vec![
            egui::Event::PointerMoved(pos),
            button(true),
            button(false),
        ]);
    }
}

impl Shared {
    /// Typing into the focused field: select all, `text`, Enter; one pass
    /// for the selection and one for the rest.
    pub fn type_text(&mut self, text: &str) {
        let key = |key, modifiers| egui::Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        };
        self.pending
            .push_back(vec![key(egui::Key::A, egui::Modifiers::COMMAND)]);
        self.pending.push_back(vec![
            egui::Event::Text(text.to_string()),
            key(egui::Key::Enter, egui::Modifiers::NONE),
        ]);
    }
}

/// An egui plugin on the viewer's context: reads the AccessKit tree each
/// pass and feeds the script's pointer events into the pass's input.
struct Driver(Arc<Mutex<Shared>>);

impl egui::plugin::Plugin for Driver {
    fn debug_name(&self) -> &'static str {
        "viewer_controls test driver"
    }

    fn setup(&mut self, ctx: &egui::Context) {
        ctx.enable_accesskit();
    }

    fn input_hook(&mut self, _ctx: &egui::Context, input: &mut egui::RawInput) {
        if let Some(events) = self.0.lock().unwrap().pending.pop_front() {
            input.events.extend(events);
        }
    }

    fn output_hook(&mut self, _ctx: &egui::Context, output: &mut egui::FullOutput) {
        let Some(update) = &output.platform_output.accesskit_update else {
            return;
        };
        let widgets = update
            .nodes
            .iter()
            .filter_map(|(_, node)| {
                let b = node.bounds()?;
                let rect = egui::Rect::from_min_max(
                    egui::pos2(b.x0 as f32, b.y0 as f32),
                    egui::pos2(b.x1 as f32, b.y1 as f32),
                );
                // Buttons carry a label, plain text its value, a drag
                // value its number.
                let text = node
                    .label()
                    .map(str::to_string)
                    .or_else(|| node.value().map(str::to_string))
                    .or_else(|| node.numeric_value().map(|v| format!("{v}")))?;
                Some((text, rect))
            })
            .collect();
        self.0.lock().unwrap().widgets = widgets;
    }
}

#[derive(Resource, Clone)]
pub struct Pointer(pub Arc<Mutex<Shared>>);

pub fn install_driver(mut contexts: EguiContexts, pointer: Res<Pointer>, mut done: Local<bool>) {
    if *done {
        return;
    }
    if let Ok(ctx) = contexts.ctx_mut() {
        ctx.add_plugin(Driver(pointer.0.clone()));
        *done = true;
    }
}

/// Clicks the widget labelled `label` when it is on screen; true once clicked.
pub fn click(pointer: &Pointer, label: &str) -> bool {
    let mut shared = pointer.0.lock().unwrap();
    if !shared.pending.is_empty() {
        return false;
    }
    match shared.find(label) {
        Some(rect) => {
            shared.click(rect);
            true
        }
        None => false,
    }
}

/// The first `n` labels on screen, for a failing step's message.
pub fn on_screen(pointer: &Pointer, n: usize) -> Vec<String> {
    let shared = pointer.0.lock().unwrap();
    shared
        .widgets
        .iter()
        .take(n)
        .map(|(l, _)| l.clone())
        .collect()
}

pub fn visible(pointer: &Pointer, label: &str) -> bool {
    pointer.0.lock().unwrap().find(label).is_some()
}

/// A test binary's `main` (`harness = false`): honours a name filter, runs
/// itself under `xvfb-run` when there is no display, and reports like
/// libtest.
pub fn test_main(name: &str, run: impl FnOnce() -> AppExit) -> ExitCode {
    // Honour a name filter (`cargo test other_test` runs every test binary).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{name}: test");
        return ExitCode::SUCCESS;
    }
    if args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .any(|f| !name.contains(f.as_str()))
        || args.iter().any(|a| a == "--ignored")
    {
        return ExitCode::SUCCESS;
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os(UNDER_XVFB).is_none() {
        let status = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1280x720x24"])
            .arg(std::env::current_exe().unwrap())
            .env(UNDER_XVFB, "1")
            .status()
            .expect("running xvfb-run (needs xvfb and mesa-vulkan-drivers: see .ci/run)");
        return if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    println!("test {name} ...");
    let exit = run();
    if exit.is_success() {
        println!("test {name} ... ok");
        ExitCode::SUCCESS
    } else {
        eprintln!("test {name} ... FAILED");
        ExitCode::FAILURE
    }
}

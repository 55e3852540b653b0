//! The twin's two ways to run once everything is read and checked:
//! headless (until `--for` runs out, the replay ends or Ctrl-C) and the viewer.

use std::path::PathBuf;

use bevy::prelude::*;
use twinscape::app::{Options, headless_app};
use twinscape::recording::{RecorderRes, Replay, Speed};

use super::Selection;

/// The twin without a window, until `--for` runs out, the replay ends or Ctrl-C.
pub(crate) fn run_headless(mut opts: Options, data: Data) -> AppExit {
    opts.unpaced = data.replay.as_ref().is_some_and(|r| r.speed == Speed::Max);
    let mut app = headless_app(&opts);
    app.insert_resource(data.plan)
        .insert_resource(data.delivery);
    if let Some(mut replay) = data.replay {
        // Every headless frame is 1/60 s of replay time, however long
        // it really takes, so a replay gives the same numbers anywhere.
        replay.fixed_frame_s = Some(1.0 / 60.0);
        replay.exit_when_done = opts.run_for.is_none();
        app.insert_resource(replay);
    }
    if let Some(recorder) = data.recorder {
        recorder.install(&mut app);
    }
    // Ctrl-C stops the run cleanly, so the snapshot is still written.
    app.add_plugins(bevy::app::TerminalCtrlCHandlerPlugin);
    app.add_plugins(bevy::log::LogPlugin {
        filter: "info,rumqttd=off,rumqttc=warn".into(),
        ..default()
    });
    app.run()
}

/// Where the viewer's data comes from besides the broker.
pub(crate) struct Data {
    /// `view --scores`: a backtest's results.
    pub(crate) scores: Option<twinscape::backtest::Scores>,
    pub(crate) replay: Option<Replay>,
    pub(crate) recorder: Option<RecorderRes>,
    pub(crate) plan: twinscape::whatif::WhatIfPlan,
    /// The scene's process model, to find `--what-if`'s scenario in the panel's list.
    pub(crate) line: Option<twinscape::scene::format::LineDef>,
    pub(crate) delivery: twinscape::telemetry::Delivery,
    /// `view --edit`.
    pub(crate) edit: bool,
}

#[cfg(feature = "viewer")]
pub(crate) fn run_viewer(
    opts: &Options,
    screenshot: Option<(PathBuf, u32)>,
    select: Option<Selection>,
    data: Data,
) -> AppExit {
    let plan = screenshot.map(|(path, frames)| {
        let _ = std::fs::remove_file(&path);
        twinscape::view::ScreenshotPlan {
            path,
            frames: frames.max(1),
        }
    });
    let mut app = twinscape::view::viewer_app(opts, plan);
    app.insert_resource(data.delivery);
    if data.edit {
        app.insert_resource(twinscape::editor::plugin::StartEditing);
    }
    if let Some(Selection { twin, sensor }) = select {
        let id = match sensor {
            Some(sensor) => format!("{twin}/{sensor}"),
            None => twin,
        };
        app.insert_resource(twinscape::view::InitialSelection(id));
    }
    if let Some(replay) = data.replay {
        app.insert_resource(replay);
    }
    if let Some(scores) = data.scores {
        app.insert_resource(twinscape::view::BacktestScores(scores));
    }
    // `view --what-if S`: open the panel on S, run once the live state is in.
    if let Some(first) = data.plan.scenarios.first().cloned() {
        let choice = data
            .line
            .as_ref()
            .map(twinscape::whatif::offered)
            .and_then(|o| o.iter().position(|(s, _)| *s == first))
            .unwrap_or(0);
        app.insert_resource(twinscape::whatif::WhatIfPanel {
            requested: Some(first),
            choice,
            not_before_s: 3.0,
            ..Default::default()
        });
    }
    app.insert_resource(data.plan);
    if let Some(recorder) = data.recorder {
        recorder.install(&mut app);
    }
    app.run()
}

#[cfg(not(feature = "viewer"))]
pub(crate) fn run_viewer(
    _: &Options,
    _: Option<(PathBuf, u32)>,
    _: Option<Selection>,
    _: Data,
) -> AppExit {
    eprintln!(
        "error: this build has no viewer (built without the `viewer` feature); use `twinscape headless`"
    );
    AppExit::from_code(2)
}

//! The `twinscape` command: the viewer (default), or the same twin headless.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::*;
use clap::{Args, Parser, Subcommand};
use twinscape::app::{Options, headless_app};
use twinscape::recording::{RecorderRes, Replay, Speed, format_time};
use twinscape::scene::format;
use twinscape::sim::line::{Scenario, Start};
use twinscape::telemetry::{BrokerUrl, TelemetrySource, broker};

/// A digital twin you can see: live MQTT data drives a 3D factory.
///
/// With no --broker, twinscape starts an embedded MQTT broker on 127.0.0.1
/// (port 1883 or the next free one) and a simulated plant that publishes to it.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Open the 3D viewer (the default).
    View {
        /// Render, save the window to this PNG and exit.
        #[arg(long, value_name = "FILE.png")]
        screenshot: Option<PathBuf>,
        /// Frames to render before the screenshot.
        #[arg(long, default_value_t = 60, requires = "screenshot")]
        frames: u32,
        /// Select this twin (by id) at start, and plot one of its sensors
        /// (`press-1/temperature`).
        #[arg(long, value_name = "TWIN_ID[/SENSOR]")]
        select: Option<String>,
    },
    /// Run the twin without a window and write its state as JSON at the end.
    Headless {
        /// Stop after this many seconds (default: run until killed).
        #[arg(long = "for", value_name = "SECONDS", value_parser = positive_secs)]
        run_for: Option<f64>,
        /// Write the twin's state here when stopping.
        #[arg(long, value_name = "FILE.json")]
        snapshot: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// The scene file.
    #[arg(long, value_name = "FILE", global = true)]
    scene: Option<PathBuf>,
    /// An external MQTT broker, mqtt://host:port. Credentials come from
    /// TWINSCAPE_MQTT_USERNAME and TWINSCAPE_MQTT_PASSWORD.
    #[arg(long, value_name = "URL", global = true)]
    broker: Option<BrokerUrl>,
    /// Also run the simulated plant against the broker.
    #[arg(long, global = true)]
    simulate: bool,
    /// The port the embedded broker tries first.
    #[arg(long, default_value_t = 1883, value_name = "PORT", global = true)]
    port: u16,
    /// Seed of the simulated plant.
    #[arg(long, default_value_t = 1, global = true)]
    seed: u64,
    /// Readings per second per sensor from the simulated plant.
    #[arg(long, default_value_t = 5.0, value_name = "HZ", global = true)]
    sim_rate: f64,
    /// Write every applied sample to this CSV (timestamp,twin,sensor,topic,value).
    #[arg(long, value_name = "FILE.csv", global = true)]
    record: Option<PathBuf>,
    /// Play a recording back instead of listening to a broker; headless runs
    /// stop at its end (unless --for says otherwise).
    #[arg(long, value_name = "FILE.csv", global = true, conflicts_with_all = ["broker", "simulate"])]
    replay: Option<PathBuf>,
    /// Run the scene's process model 8 h ahead from the live state for this
    /// scenario against the baseline, into the snapshot: fail:MACHINE,
    /// crews:N or slower:STATION:FACTOR. May be repeated.
    #[arg(long = "what-if", value_name = "SCENARIO", global = true)]
    what_if: Vec<Scenario>,
    /// Replay speed: a factor of real time (1, 10, 0.5) or "max".
    #[arg(
        long,
        value_name = "X",
        global = true,
        requires = "replay",
        default_value = "1"
    )]
    speed: Speed,
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("\"{s}\" is not a positive number of seconds")),
    }
}

fn default_scene() -> PathBuf {
    let here = PathBuf::from("scenes/factory.scene.ron");
    if here.exists() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/factory.scene.ron")
    }
}

/// Prints a line for whoever reads stdout; a reader that went away (`| head -1`)
/// must not stop the twin.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn main() -> ExitCode {
    let Cli { mode, common } = Cli::parse();
    let scene_path = common.scene.clone().unwrap_or_else(default_scene);
    let scene = match std::fs::read_to_string(&scene_path) {
        Ok(text) => match format::parse(&text, &scene_path.to_string_lossy()) {
            Ok(scene) => scene,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        Err(e) => {
            eprintln!("error: cannot read scene {}: {e}", scene_path.display());
            return ExitCode::from(2);
        }
    };

    if !common.what_if.is_empty() {
        let Some(line) = &scene.process else {
            eprintln!(
                "error: --what-if: scene {} has no process model (a `process:` section)",
                scene_path.display()
            );
            return ExitCode::from(2);
        };
        for scenario in &common.what_if {
            if let Err(e) = scenario.apply(line, &Start::default()) {
                eprintln!("error: --what-if {scenario}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let plan = twinscape::whatif::WhatIfPlan {
        scenarios: common.what_if.clone(),
        ..Default::default()
    };

    let replay = match &common.replay {
        Some(path) => match Replay::open(path, common.speed) {
            Ok(replay) => {
                let (a, b) = replay.span_ms();
                say(&format!(
                    "replaying {} rows from {} ({} to {}) at {}",
                    replay.rows(),
                    path.display(),
                    format_time(a),
                    format_time(b),
                    common.speed
                ));
                Some(replay)
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let recorder = match &common.record {
        Some(path) => match RecorderRes::create(path) {
            Ok(r) => {
                say(&format!("recording applied samples to {}", path.display()));
                Some(r)
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };

    let (source, simulate) = match common.broker.clone() {
        _ if replay.is_some() => (TelemetrySource::Channel, false),
        Some(mut url) => {
            if let Ok(user) = std::env::var("TWINSCAPE_MQTT_USERNAME") {
                url.username = Some(user);
            }
            if let Ok(pass) = std::env::var("TWINSCAPE_MQTT_PASSWORD") {
                url.password = Some(pass);
            }
            (TelemetrySource::Mqtt(url), common.simulate)
        }
        None => match broker::start(common.port) {
            Ok(port) => {
                say(&format!(
                    "embedded MQTT broker listening on mqtt://127.0.0.1:{port}"
                ));
                (TelemetrySource::Mqtt(BrokerUrl::local(port)), true)
            }
            Err(e) => {
                eprintln!("error: could not start the embedded MQTT broker: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let _plant = match (&source, simulate) {
        (TelemetrySource::Mqtt(broker), true) => Some({
            let fed: usize = twinscape::plant::outlets(&scene)
                .iter()
                .map(|o| o.fields.len())
                .sum();
            say(&format!(
                "simulated plant publishing {fed} sensors to {broker}"
            ));
            twinscape::plant::spawn(&scene, broker, common.seed, common.sim_rate)
        }),
        _ => None,
    };

    let mut opts = Options {
        scene: scene_path,
        source,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let exit = match mode {
        Some(Mode::Headless {
            run_for, snapshot, ..
        }) => {
            opts.run_for = run_for;
            opts.snapshot = snapshot;
            opts.unpaced = replay.as_ref().is_some_and(|r| r.speed == Speed::Max);
            let mut app = headless_app(&opts);
            app.insert_resource(plan);
            if let Some(mut replay) = replay {
                // Every headless frame is 1/60 s of replay time, however long
                // it really takes, so a replay gives the same numbers anywhere.
                replay.fixed_frame_s = Some(1.0 / 60.0);
                replay.exit_when_done = run_for.is_none();
                app.insert_resource(replay);
            }
            if let Some(recorder) = recorder {
                app.insert_resource(recorder);
            }
            // Ctrl-C stops the run cleanly, so the snapshot is still written.
            app.add_plugins(bevy::app::TerminalCtrlCHandlerPlugin);
            app.add_plugins(bevy::log::LogPlugin {
                filter: "info,rumqttd=off,rumqttc=warn".into(),
                ..default()
            });
            app.run()
        }
        Some(Mode::View {
            screenshot,
            frames,
            select,
        }) => {
            if let Some(sel) = &select {
                let (id, sensor) = sel.split_once('/').unwrap_or((sel, ""));
                let Some(twin) = scene.twins.iter().find(|t| t.id == id) else {
                    eprintln!("error: --select {sel}: the scene has no twin with id \"{id}\"");
                    return ExitCode::from(2);
                };
                if !sensor.is_empty() && !twin.sensors.iter().any(|s| s.name == sensor) {
                    eprintln!("error: --select {sel}: twin \"{id}\" has no sensor \"{sensor}\"");
                    return ExitCode::from(2);
                }
            }
            let data = Data {
                replay,
                recorder,
                plan,
                line: scene.process.clone(),
            };
            run_viewer(&opts, screenshot.map(|path| (path, frames)), select, data)
        }
        None => run_viewer(
            &opts,
            None,
            None,
            Data {
                replay,
                recorder,
                plan,
                line: scene.process.clone(),
            },
        ),
    };
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// Where the viewer's data comes from besides the broker.
struct Data {
    replay: Option<Replay>,
    recorder: Option<RecorderRes>,
    plan: twinscape::whatif::WhatIfPlan,
    /// The scene's process model, to find `--what-if`'s scenario in the panel's list.
    line: Option<twinscape::scene::format::LineDef>,
}

#[cfg(feature = "viewer")]
fn run_viewer(
    opts: &Options,
    screenshot: Option<(PathBuf, u32)>,
    select: Option<String>,
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
    if let Some(id) = select {
        app.insert_resource(twinscape::view::InitialSelection(id));
    }
    if let Some(replay) = data.replay {
        app.insert_resource(replay);
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
        app.insert_resource(recorder);
    }
    app.run()
}

#[cfg(not(feature = "viewer"))]
fn run_viewer(_: &Options, _: Option<(PathBuf, u32)>, _: Option<String>, _: Data) -> AppExit {
    eprintln!(
        "error: this build has no viewer (built without the `viewer` feature); use `twinscape headless`"
    );
    AppExit::from_code(2)
}

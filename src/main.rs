//! The `twinscape` command: the viewer (default), or the same twin headless.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::*;
use clap::{Args, Parser, Subcommand};
use twinscape::app::{Options, headless_app};
use twinscape::scene::format;
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
        /// Select this twin (by id) at start.
        #[arg(long, value_name = "TWIN_ID")]
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

    let (broker, simulate) = match common.broker.clone() {
        Some(mut url) => {
            if let Ok(user) = std::env::var("TWINSCAPE_MQTT_USERNAME") {
                url.username = Some(user);
            }
            if let Ok(pass) = std::env::var("TWINSCAPE_MQTT_PASSWORD") {
                url.password = Some(pass);
            }
            (url, common.simulate)
        }
        None => match broker::start(common.port) {
            Ok(port) => {
                say(&format!(
                    "embedded MQTT broker listening on mqtt://127.0.0.1:{port}"
                ));
                (BrokerUrl::local(port), true)
            }
            Err(e) => {
                eprintln!("error: could not start the embedded MQTT broker: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let _plant = simulate.then(|| {
        let fed: usize = twinscape::plant::outlets(&scene)
            .iter()
            .map(|o| o.fields.len())
            .sum();
        say(&format!(
            "simulated plant publishing {fed} sensors to {broker}"
        ));
        twinscape::plant::spawn(&scene, &broker, common.seed, common.sim_rate)
    });

    let mut opts = Options {
        scene: scene_path,
        source: TelemetrySource::Mqtt(broker),
        snapshot: None,
        run_for: None,
    };
    let exit = match mode {
        Some(Mode::Headless {
            run_for, snapshot, ..
        }) => {
            opts.run_for = run_for;
            opts.snapshot = snapshot;
            let mut app = headless_app(&opts);
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
            if let Some(id) = &select
                && !scene.twins.iter().any(|t| &t.id == id)
            {
                eprintln!("error: --select {id}: the scene has no twin with that id");
                return ExitCode::from(2);
            }
            run_viewer(&opts, screenshot.map(|path| (path, frames)), select)
        }
        None => run_viewer(&opts, None, None),
    };
    match exit {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

#[cfg(feature = "viewer")]
fn run_viewer(
    opts: &Options,
    screenshot: Option<(PathBuf, u32)>,
    select: Option<String>,
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
    app.run()
}

#[cfg(not(feature = "viewer"))]
fn run_viewer(_: &Options, _: Option<(PathBuf, u32)>, _: Option<String>) -> AppExit {
    eprintln!(
        "error: this build has no viewer (built without the `viewer` feature); use `twinscape headless`"
    );
    AppExit::from_code(2)
}

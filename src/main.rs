//! The `twinscape` command: the viewer (default), or the same twin headless.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::*;
use clap::{Args, Parser, Subcommand};
use modes::{Data, run_headless, run_viewer};

mod commands;
mod connect;
mod modes;
mod serve;
use twinscape::app::Options;
use twinscape::recording::{RecorderRes, Replay, Speed, format_time};
use twinscape::scene::format;
use twinscape::sim::line::{Scenario, Start};
use twinscape::telemetry::TelemetrySource;

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
enum SceneCommand {
    /// Parse and validate each scene as the viewer loads it (its ONNX models
    /// too). Prints `FILE: ok` or `file:line:col: what`; exit status 2 if
    /// any file has a problem.
    Check {
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Rewrite each scene file in the canonical layout (indentation, spaces,
    /// blank lines, trailing commas); values, comments and line breaks are
    /// kept, and the file is saved atomically. `--check` writes nothing and
    /// exits 1 if a file would change; a file that does not parse: exit 2.
    Fmt {
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// Only say which files would change (exit status 1 if any).
        #[arg(long)]
        check: bool,
    },
    /// Set one value in a scene file, changing only that value's text:
    /// `scene set FILE cnc-1.transform.translation "(-14, 0, -4.8)"` or
    /// `scene set FILE cnc-1/temperature.warn "Some(74)"`. Checked as the
    /// viewer loads it, then saved atomically; exit status 2 and the file
    /// untouched if the edit would break the scene.
    Set {
        file: PathBuf,
        #[arg(value_name = "TWIN[/SENSOR].FIELD")]
        place: String,
        #[arg(value_name = "RON_VALUE")]
        value: String,
    },
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
        /// A backtest's results (`backtest --json`), shown beside each
        /// sensor's countdown.
        #[arg(long, value_name = "FILE.json")]
        scores: Option<PathBuf>,
        /// Start in edit mode (`E` toggles it): change the scene in the
        /// viewer and save it back to its file.
        #[arg(long)]
        edit: bool,
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
    /// Write a recording of the simulated plant (the --record CSV) without
    /// running the twin: as fast as the machine goes, from 2026-01-01 UTC.
    Simulate {
        /// Seconds of plant time to write.
        #[arg(long = "for", value_name = "SECONDS", value_parser = positive_secs)]
        run_for: f64,
        /// The CSV to write.
        #[arg(long, value_name = "FILE.csv")]
        out: PathBuf,
    },
    /// Import a map (OpenStreetMap .osm.pbf or GeoJSON) into a city file:
    /// building footprints (triangulated, with heights) and streets in
    /// local metres (docs/city.md).
    Import {
        /// The map file: .osm.pbf or .geojson.
        #[arg(value_name = "FILE", required_unless_present = "synthetic")]
        file: Option<PathBuf>,
        /// Instead of a map file: generate a city of N buildings on a grid
        /// of blocks with their streets (for measuring scale; --seed picks
        /// the shapes).
        #[arg(long, value_name = "N", conflicts_with_all = ["file", "crop"])]
        synthetic: Option<usize>,
        /// Keep only what lies within RADIUS_M metres of LON,LAT.
        #[arg(long, value_name = "LON,LAT,RADIUS_M", allow_hyphen_values = true)]
        crop: Option<twinscape::city::Crop>,
        /// The city file to write, e.g. assets/city/NAME.city.json.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Serve the browser build (./scripts/build-web.sh builds it): the page,
    /// the embedded broker with a WebSocket listener and the simulated plant
    /// (or --broker's broker, with --page-broker). Prints "open URL".
    Serve(serve::ServeArgs),
    /// Scene files on the command line: `scene check FILE...`.
    #[command(subcommand)]
    Scene(SceneCommand),
    /// Score the alarm countdowns of each model on a recording (--replay):
    /// lead times, countdown errors, missed alarms, false predictions.
    Backtest {
        /// Models to compare: scene (each sensor's own), auto, linear, holt,
        /// first-order.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "auto,linear,holt,first-order"
        )]
        models: Vec<twinscape::backtest::Model>,
        /// Seconds of file time between countdown asks.
        #[arg(long, value_name = "SECONDS", default_value_t = twinscape::backtest::DEFAULT_EVERY_S, value_parser = positive_secs)]
        every: f64,
        /// Also write the full results (per sensor) as JSON here.
        #[arg(long, value_name = "FILE.json")]
        json: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// The scene file.
    #[arg(long, value_name = "FILE", global = true)]
    scene: Option<PathBuf>,
    /// An external MQTT broker, mqtt://[user@]host:port. The password comes
    /// from TWINSCAPE_MQTT_PASSWORD or the file TWINSCAPE_MQTT_PASSWORD_FILE
    /// names, never from the command line; the user may also come from
    /// TWINSCAPE_MQTT_USERNAME.
    #[arg(long, value_name = "URL", global = true)]
    broker: Option<String>,
    /// For an mqtts:// broker: the CA certificate to trust (PEM; default:
    /// the system's).
    #[arg(long, value_name = "FILE.pem", global = true)]
    ca: Option<PathBuf>,
    /// For an mqtts:// broker that wants a client certificate (mutual TLS):
    /// the twin's certificate (PEM), with --key.
    #[arg(long, value_name = "FILE.pem", global = true, requires = "key")]
    cert: Option<PathBuf>,
    /// The private key of --cert (PEM).
    #[arg(long, value_name = "FILE.pem", global = true, requires = "cert")]
    key: Option<PathBuf>,
    /// Also run the simulated plant against the broker.
    #[arg(long, global = true)]
    simulate: bool,
    /// --broker's delivery: 1 (the default) is lossless (QoS 1, a persistent
    /// session, each message acknowledged once applied); 0 drops what the
    /// twin cannot take, and counts it. The embedded broker uses 0.
    #[arg(long, value_name = "0|1", global = true, value_parser = clap::value_parser!(u8).range(0..=1))]
    qos: Option<u8>,
    /// The lossless session's client id (default: the scene's name, the
    /// mode (view or headless) and a hash of its path and this host's name).
    #[arg(long, value_name = "ID", global = true)]
    client_id: Option<String>,
    /// The port the embedded broker tries first.
    #[arg(long, default_value_t = 1883, value_name = "PORT", global = true)]
    port: u16,
    /// The port the embedded broker's WebSocket listener (for browsers)
    /// tries first.
    #[arg(long, default_value_t = 9001, value_name = "PORT", global = true)]
    ws_port: u16,
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

/// Why the command could not run; each says what went wrong and where.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("cannot read scene {path}: {source}")]
    ReadScene {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Scene(#[from] format::SceneError),
    #[error("{0}")]
    CityScene(String),
    #[error("--what-if: scene {0} has no process model (a `process:` section)")]
    NoProcessModel(String),
    #[error("--what-if {scenario}: {why}")]
    Scenario { scenario: Scenario, why: String },
    #[error(transparent)]
    Recording(#[from] twinscape::recording::RecordingError),
    #[error("could not start the embedded MQTT broker: {0}")]
    Broker(String),
    #[error("--select {given}: {why}")]
    Select { given: String, why: String },
    #[error("backtest needs a recording: --replay FILE.csv")]
    BacktestWithoutReplay,
    #[error(transparent)]
    Backtest(#[from] twinscape::backtest::BacktestError),
    #[error("--broker: {0}")]
    BrokerUrl(String),
    #[error(transparent)]
    Tls(#[from] twinscape::telemetry::tls::TlsError),
    #[error("broker password: {0}")]
    Password(String),
    #[error("{0}")]
    Delivery(String),
    #[error("cannot read backtest scores {path}: {source}")]
    ReadScores {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    City(#[from] twinscape::city::CityError),
    #[error(transparent)]
    Serve(#[from] twinscape::web::serve::ServeError),
    #[error(
        "--allow-edit with --listen {0}: anyone who reaches that address could overwrite the scene \
         (the page's server has no login); edit with --listen 127.0.0.1"
    )]
    EditOpen(std::net::IpAddr),
    #[error("cannot write {path}: {source}")]
    WriteJson {
        path: String,
        source: std::io::Error,
    },
}

impl CliError {
    /// The exit status: 2 for what the user gave (as clap does for bad
    /// flags), 1 for what failed on this machine.
    fn status(&self) -> u8 {
        match self {
            CliError::Broker(_) => 1,
            CliError::Serve(twinscape::web::serve::ServeError::Listen { .. }) => 1,
            CliError::City(e) if e.is_write() => 1,
            _ => 2,
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(AppExit::Success) => ExitCode::SUCCESS,
        Ok(AppExit::Error(code)) => ExitCode::from(code.get()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.status())
        }
    }
}

/// Reads and checks the scene file before anything starts.
fn read_scene(path: &Path) -> Result<format::SceneDef, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadScene {
        path: path.display().to_string(),
        source,
    })?;
    let name = path.to_string_lossy();
    let mut scene = format::parse(&text, &name)?;
    let assets = PathBuf::from(twinscape::app::assets_dir());
    twinscape::city::expand_from_disk(&mut scene, &name, &assets).map_err(CliError::CityScene)?;
    Ok(scene)
}

/// Each `--what-if` scenario must make sense for the scene's line.
fn check_what_ifs(
    scene: &format::SceneDef,
    path: &Path,
    what_if: &[Scenario],
) -> Result<(), CliError> {
    if what_if.is_empty() {
        return Ok(());
    }
    let line = scene
        .process
        .as_ref()
        .ok_or_else(|| CliError::NoProcessModel(path.display().to_string()))?;
    for scenario in what_if {
        scenario
            .apply(line, &Start::default())
            .map_err(|why| CliError::Scenario {
                scenario: scenario.clone(),
                why,
            })?;
    }
    Ok(())
}

/// `--replay` and `--record`, opened before the twin starts.
fn open_recordings(common: &Common) -> Result<(Option<Replay>, Option<RecorderRes>), CliError> {
    let replay = match &common.replay {
        Some(path) => {
            let replay = Replay::open(path, common.speed)?;
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
        None => None,
    };
    let recorder = match &common.record {
        Some(path) => {
            let r = RecorderRes::create(path)?;
            say(&format!("recording applied samples to {}", path.display()));
            Some(r)
        }
        None => None,
    };
    Ok((replay, recorder))
}

/// `--select TWIN_ID[/SENSOR]`, checked against the scene.
fn parse_select(scene: &format::SceneDef, given: &str) -> Result<Selection, CliError> {
    let (id, sensor) = given.split_once('/').unwrap_or((given, ""));
    let bad = |why: String| CliError::Select {
        given: given.to_string(),
        why,
    };
    let twin = scene
        .twins
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| bad(format!("the scene has no twin with id \"{id}\"")))?;
    if !sensor.is_empty() && !twin.sensors.iter().any(|s| s.name == sensor) {
        return Err(bad(format!("twin \"{id}\" has no sensor \"{sensor}\"")));
    }
    Ok(Selection {
        twin: id.to_string(),
        sensor: (!sensor.is_empty()).then(|| sensor.to_string()),
    })
}

/// A twin to select at start, and one of its sensors to plot.
struct Selection {
    twin: String,
    sensor: Option<String>,
}

fn run(Cli { mode, common }: Cli) -> Result<AppExit, CliError> {
    if let Some(Mode::Import {
        file,
        crop,
        out,
        synthetic,
    }) = &mode
    {
        return match (file, synthetic) {
            (_, Some(n)) => commands::synthetic(*n, common.seed, out),
            (Some(file), None) => commands::import(file, *crop, out),
            (None, None) => Err(CliError::CityScene(
                "import needs a map FILE or --synthetic N".into(),
            )),
        };
    }
    match &mode {
        Some(Mode::Scene(SceneCommand::Check { files })) => return commands::scene_check(files),
        Some(Mode::Scene(SceneCommand::Fmt { files, check })) => {
            return commands::scene_fmt(files, *check);
        }
        Some(Mode::Scene(SceneCommand::Set { file, place, value })) => {
            return commands::scene_set(file, place, value);
        }
        _ => {}
    }
    let scene_path = common.scene.clone().unwrap_or_else(default_scene);
    let scene = read_scene(&scene_path)?;
    match mode {
        Some(Mode::Backtest {
            models,
            every,
            json,
        }) => commands::backtest(&scene, &common, &models, every, json.as_deref()),
        Some(Mode::Simulate { run_for, out }) => commands::simulate(&scene, &common, run_for, &out),
        Some(Mode::Serve(args)) => {
            if common.qos.is_some() || common.client_id.is_some() {
                return Err(CliError::Delivery(
                    "--qos and --client-id are for the twin's own MQTT client; \
                     the page `serve` serves subscribes by itself, at QoS 0"
                        .into(),
                ));
            }
            let broker = connect::parse_broker(&common)?;
            serve::serve(&scene, &scene_path, &common, broker, args)
        }
        mode => run_twin(mode, common, scene_path, scene),
    }
}

/// The twin itself: the viewer (default) or headless.
fn run_twin(
    mode: Option<Mode>,
    common: Common,
    scene_path: PathBuf,
    scene: format::SceneDef,
) -> Result<AppExit, CliError> {
    check_what_ifs(&scene, &scene_path, &common.what_if)?;
    let broker = connect::parse_broker(&common)?;
    // What the viewer is given, checked before anything starts.
    let (select, scores) = match &mode {
        Some(Mode::View { select, scores, .. }) => (
            select
                .as_deref()
                .map(|s| parse_select(&scene, s))
                .transpose()?,
            scores.as_deref().map(commands::read_scores).transpose()?,
        ),
        _ => (None, None),
    };
    let plan = twinscape::whatif::WhatIfPlan {
        scenarios: common.what_if.clone(),
        ..Default::default()
    };
    let (replay, recorder) = open_recordings(&common)?;
    let (source, simulate, _) = connect::telemetry_source(
        &common,
        broker,
        replay.is_some(),
        &scene,
        std::net::Ipv4Addr::LOCALHOST.into(),
    )?;
    let run_mode = match mode {
        Some(Mode::Headless { .. }) => "headless",
        _ => "view",
    };
    let delivery = connect::delivery(&common, &source, &scene_path, run_mode)?;
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
    let data = Data {
        scores,
        replay,
        recorder,
        plan,
        line: scene.process.clone(),
        delivery,
        edit: matches!(mode, Some(Mode::View { edit: true, .. })),
    };
    Ok(match mode {
        Some(Mode::Headless { run_for, snapshot }) => {
            opts.run_for = run_for;
            opts.snapshot = snapshot;
            run_headless(opts, data)
        }
        Some(Mode::View {
            screenshot, frames, ..
        }) => run_viewer(&opts, screenshot.map(|path| (path, frames)), select, data),
        None
        | Some(
            Mode::Backtest { .. }
            | Mode::Simulate { .. }
            | Mode::Import { .. }
            | Mode::Serve(_)
            | Mode::Scene(_),
        ) => run_viewer(&opts, None, None, data),
    })
}

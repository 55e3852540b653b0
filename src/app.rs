//! Building the app: the same twin headless (no window) or in the viewer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bevy::app::{ScheduleRunnerPlugin, TaskPoolOptions, TaskPoolPlugin};
use bevy::asset::io::AssetSourceBuilder;
use bevy::prelude::*;

use crate::scene::ScenePath;
use crate::snapshot::SnapshotPath;
use crate::telemetry::TelemetrySource;

/// What every mode shares.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scene file, anywhere on disk.
    pub scene: PathBuf,
    pub source: TelemetrySource,
    pub snapshot: Option<PathBuf>,
    /// Exit after this many seconds.
    pub run_for: Option<f64>,
    /// Headless: run frames back to back instead of 60 a second (a replay
    /// at full speed).
    pub unpaced: bool,
}

/// Registers an asset source named `scene` rooted at the scene file's folder
/// and returns the asset path of the scene in it. Must run before `AssetPlugin`.
pub(crate) fn register_scene_source(app: &mut App, scene: &Path) -> String {
    let (dir, file) = scene_folder_and_file(scene);
    #[cfg(not(target_arch = "wasm32"))]
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    app.register_asset_source(
        "scene",
        AssetSourceBuilder::platform_default(&dir.to_string_lossy(), None),
    );
    format!("scene://{file}")
}

/// A scene path's folder (`.` when it has none) and file name: what the
/// `scene` asset source is rooted at and loads, and what `serve` serves.
pub fn scene_folder_and_file(scene: &Path) -> (PathBuf, String) {
    let dir = scene
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = scene
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir.to_path_buf(), file)
}

/// The folder Bevy reads `assets/` from: the crate's, when run from a checkout.
pub fn assets_dir() -> String {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    if here.is_dir() {
        here.to_string_lossy().into_owned()
    } else {
        "assets".into()
    }
}

/// Adds what every mode needs once the base plugins are in.
pub(crate) fn add_twin(app: &mut App, opts: &Options, scene_asset: String) {
    app.add_plugins(crate::twin_plugin)
        .insert_resource(opts.source.clone())
        .insert_resource(ScenePath(scene_asset));
    if let Some(path) = &opts.snapshot {
        app.insert_resource(SnapshotPath(path.clone()));
    }
    if let Some(secs) = opts.run_for {
        app.insert_resource(RunFor(secs))
            .add_systems(Update, stop_after_run_for);
    }
}

/// The headless twin's task pools: a compute thread for every core. Bevy's
/// default gives the IO and async pools a quarter of the cores each, at
/// least one, and compute what is left, at least one: on two cores one
/// compute thread, and a query's `par_iter` then runs on one core. The
/// headless twin's IO and async pools are idle while a frame's systems
/// run. (The viewer keeps Bevy's default: its render thread, and with a
/// software GPU the rendering itself, need the same cores.)
fn task_pools() -> TaskPoolPlugin {
    let mut options = TaskPoolOptions::default();
    options.compute.min_threads = bevy::tasks::available_parallelism();
    TaskPoolPlugin {
        task_pool_options: options,
    }
}

/// A headless twin: the full ECS at 60 updates a second, no window.
pub fn headless_app(opts: &Options) -> App {
    let mut app = App::new();
    let scene_asset = register_scene_source(&mut app, &opts.scene);
    app.add_plugins((
        MinimalPlugins
            .set(ScheduleRunnerPlugin::run_loop(if opts.unpaced {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(1.0 / 60.0)
            }))
            .set(task_pools()),
        AssetPlugin {
            file_path: assets_dir(),
            ..default()
        },
        // Physics reads and writes transforms.
        bevy::transform::TransformPlugin,
    ));
    add_twin(&mut app, opts, scene_asset);
    app
}

/// How long `stepped_headless_app` waits for its scene to load and spawn
/// (s): a scene that never loads fails the caller instead of hanging it.
pub(crate) const SCENE_LOAD_DEADLINE_S: f64 = 60.0;

/// Why a stepped headless app has no scene.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the scene failed to load: {0}")]
    Scene(String),
    #[error("the scene did not load within {SCENE_LOAD_DEADLINE_S} s")]
    Timeout,
}

/// A headless app, driven by hand (`app.update()`), that has loaded and
/// spawned its scene. For tests, benchmarks and tools that step the twin
/// themselves.
pub fn stepped_headless_app(opts: &Options) -> Result<App, AppError> {
    let mut app = headless_app(opts);
    app.finish();
    app.cleanup();
    let started = web_time::Instant::now();
    loop {
        app.update();
        let world = app.world();
        if world
            .get_resource::<crate::scene::index::SceneIndex>()
            .is_some()
        {
            return Ok(app);
        }
        if let Some(error) = world
            .get_resource::<crate::scene::ActiveScene>()
            .and_then(|a| a.error.clone())
        {
            return Err(AppError::Scene(error));
        }
        if started.elapsed().as_secs_f64() > SCENE_LOAD_DEADLINE_S {
            return Err(AppError::Timeout);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[derive(Resource)]
struct RunFor(f64);

fn stop_after_run_for(
    time: Res<Time<Real>>,
    run_for: Res<RunFor>,
    mut exit: MessageWriter<AppExit>,
) {
    if time.elapsed_secs_f64() >= run_for.0 {
        exit.write(AppExit::Success);
    }
}

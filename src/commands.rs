//! The commands that do not run the twin: `simulate` (the plant straight
//! to a recording), `backtest` (countdowns scored against a recording),
//! `import` (a map into a city file) and reading a backtest's scores for
//! `view --scores`.

use std::path::Path;

use bevy::prelude::AppExit;
use twinscape::recording::{Replay, Speed};
use twinscape::scene::format;

use super::{CliError, Common, default_scene, say};

/// Unix milliseconds of 2026-01-01T00:00:00Z, where `simulate` starts.
const SIMULATED_START_MS: u64 = 1_767_225_600_000;

/// `view --scores FILE.json`: a backtest report, read before the viewer opens.
pub(crate) fn read_scores(path: &Path) -> Result<twinscape::backtest::Scores, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadScores {
        path: path.display().to_string(),
        source,
    })?;
    Ok(twinscape::backtest::Scores::from_report(
        &text,
        &path.to_string_lossy(),
    )?)
}

/// `simulate`: the plant straight into a recording.
pub(crate) fn simulate(
    scene: &format::SceneDef,
    common: &Common,
    seconds: f64,
    out: &Path,
) -> Result<AppExit, CliError> {
    let file = std::fs::File::create(out).map_err(|source| {
        CliError::Recording(twinscape::recording::RecordingError::Create {
            path: out.display().to_string(),
            source,
        })
    })?;
    let rows = twinscape::plant::write_recording(
        scene,
        common.seed,
        common.sim_rate,
        seconds,
        SIMULATED_START_MS,
        Box::new(std::io::BufWriter::new(file)),
    )?;
    say(&format!(
        "wrote {rows} rows ({seconds} s of the plant at {} Hz, seed {}) to {}",
        common.sim_rate,
        common.seed,
        out.display()
    ));
    Ok(AppExit::Success)
}

/// `import`: a map file into a city file, and what it holds.
pub(crate) fn import(
    file: &Path,
    crop: Option<twinscape::city::Crop>,
    out: &Path,
) -> Result<AppExit, CliError> {
    let summary = twinscape::city::import(file, crop, out)?;
    say(&format!(
        "wrote {} ({:.0} kB): {summary}",
        out.display(),
        summary.bytes() as f64 / 1000.0
    ));
    Ok(AppExit::Success)
}

/// `backtest`: scores the models on the recording, prints the table and
/// writes the JSON.
pub(crate) fn backtest(
    scene: &format::SceneDef,
    common: &Common,
    models: &[twinscape::backtest::Model],
    every: f64,
    json: Option<&Path>,
) -> Result<AppExit, CliError> {
    let path = common
        .replay
        .as_ref()
        .ok_or(CliError::BacktestWithoutReplay)?;
    let scene_path = common.scene.clone().unwrap_or_else(default_scene);
    let text = std::fs::read_to_string(&scene_path).map_err(|source| CliError::ReadScene {
        path: scene_path.display().to_string(),
        source,
    })?;
    let learned = twinscape::scene::models::load_from_disk(
        scene,
        &text,
        &scene_path.to_string_lossy(),
        Path::new(&twinscape::app::assets_dir()),
    )?;
    let replay = Replay::open(path, Speed::Max)?;
    let started = std::time::Instant::now();
    let report = twinscape::backtest::run(scene, &learned, &replay, models, every)?;
    say(&report.to_string());
    say(&format!(
        "scored {} rows in {:.2} s",
        replay.rows(),
        started.elapsed().as_secs_f64()
    ));
    if let Some(out) = json {
        let text = serde_json::to_string_pretty(&report).expect("a report serialises");
        let tmp = out.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, out))
            .map_err(|source| CliError::WriteJson {
                path: out.display().to_string(),
                source,
            })?;
    }
    Ok(AppExit::Success)
}

/// `scene check FILE...`: each scene parsed and validated as the viewer
/// loads it (ONNX models included). Problems go to stderr as
/// `file:line:col: what`; the status is 2 if any file has one.
pub(crate) fn scene_check(files: &[std::path::PathBuf]) -> Result<AppExit, CliError> {
    let assets = std::path::PathBuf::from(twinscape::app::assets_dir());
    let mut failed = 0;
    for path in files {
        let name = path.to_string_lossy();
        let checked = std::fs::read_to_string(path)
            .map_err(|e| format!("{name}: cannot read: {e}"))
            .and_then(|text| {
                let mut scene = format::parse(&text, &name).map_err(|e| e.to_string())?;
                twinscape::city::expand_from_disk(&mut scene, &name, &assets)?;
                twinscape::scene::models::load_from_disk(&scene, &text, &name, &assets)
                    .map_err(|e| e.to_string())?;
                Ok(scene)
            });
        match checked {
            Ok(scene) => say(&format!(
                "{name}: ok ({} twins, {} sensors)",
                scene.twins.len(),
                scene.sensors().count()
            )),
            Err(problem) => {
                failed += 1;
                eprintln!("{problem}");
            }
        }
    }
    Ok(if failed == 0 {
        AppExit::Success
    } else {
        AppExit::from_code(2)
    })
}

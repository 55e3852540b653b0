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
    Ok(wrote(out, &summary))
}

/// `import --synthetic N`: a generated city into a city file.
pub(crate) fn synthetic(buildings: usize, seed: u64, out: &Path) -> Result<AppExit, CliError> {
    let summary = twinscape::city::synthetic(buildings, seed, out)?;
    Ok(wrote(out, &summary))
}

/// Says which city file was written and what it holds.
fn wrote(out: &Path, summary: &twinscape::city::Summary) -> AppExit {
    say(&format!(
        "wrote {} ({:.0} kB): {summary}",
        out.display(),
        summary.bytes() as f64 / 1000.0
    ));
    AppExit::Success
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
    let mut failed = 0;
    for path in files {
        let name = path.to_string_lossy();
        let checked = std::fs::read_to_string(path)
            .map_err(|e| format!("{name}: cannot read: {e}"))
            .and_then(|text| twinscape::editor::check(&text, &name));
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

/// `scene set FILE PLACE VALUE`: one value changed in its own text, the
/// scene checked as the viewer loads it, and saved atomically (refused if
/// the file changed meanwhile). Problems on stderr with the file and, where
/// there is one, the line and column; status 2.
pub(crate) fn scene_set(
    file: &std::path::Path,
    place: &str,
    value: &str,
) -> Result<AppExit, CliError> {
    use twinscape::editor::{Place, save::save, set_checked};
    let name = file.to_string_lossy();
    let located = |e| located(&name, e);
    let done = std::fs::read_to_string(file)
        .map_err(|e| format!("{name}: cannot read: {e}"))
        .and_then(|text| {
            let place: Place = place.parse().map_err(located)?;
            let edited = set_checked(&text, &name, &place, value).map_err(located)?;
            if edited == text {
                return Ok(format!("{name}: {place} is {value} already"));
            }
            save(file, &edited, Some(&text)).map_err(located)?;
            Ok(format!("{name}: {place} = {value}"))
        });
    Ok(match done {
        Ok(line) => {
            say(&line);
            AppExit::Success
        }
        Err(problem) => {
            eprintln!("{problem}");
            AppExit::from_code(2)
        }
    })
}

/// `scene fmt FILE... [--check]`: each file in the canonical layout, saved
/// atomically (refused if the file changed meanwhile). Status 2 if a file
/// cannot be read, parsed or saved; with `--check`, nothing is written and
/// the status is 1 if a file would change.
pub(crate) fn scene_fmt(files: &[std::path::PathBuf], check: bool) -> Result<AppExit, CliError> {
    use twinscape::editor::{fmt::format_checked, save::save};
    let (mut broken, mut would_change) = (0, 0);
    for path in files {
        let name = path.to_string_lossy();
        let located = |e| located(&name, e);
        let done = std::fs::read_to_string(path)
            .map_err(|e| format!("{name}: cannot read: {e}"))
            .and_then(|text| {
                let formatted = format_checked(&text, &name).map_err(located)?;
                Ok(match first_difference(&text, &formatted) {
                    None => format!("{name}: unchanged"),
                    Some(line) if check => {
                        would_change += 1;
                        format!("{name}: would change (from line {line})")
                    }
                    Some(line) => {
                        save(path, &formatted, Some(&text)).map_err(located)?;
                        format!("{name}: formatted (from line {line})")
                    }
                })
            });
        match done {
            Ok(line) => say(&line),
            Err(problem) => {
                broken += 1;
                eprintln!("{problem}");
            }
        }
    }
    Ok(match (broken, would_change) {
        (0, 0) => AppExit::Success,
        (0, _) => AppExit::from_code(1),
        _ => AppExit::from_code(2),
    })
}

/// An editing error of scene file `name` as one line that says where: the
/// file and line:column of a syntax error; the errors that name their file
/// (the loader's, a save's) as they are; the file before the others.
fn located(name: &str, e: twinscape::editor::EditError) -> String {
    use twinscape::editor::EditError;
    match e {
        EditError::Syntax { .. } => format!("{name}:{e}"),
        EditError::Invalid(_) | EditError::Io { .. } | EditError::NotAScene(_) => e.to_string(),
        other => format!("{name}: {other}"),
    }
}

/// The first line (from 1) where `a` and `b` differ, if they do.
fn first_difference(a: &str, b: &str) -> Option<usize> {
    if a == b {
        return None;
    }
    let same = a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count();
    Some(same + 1)
}

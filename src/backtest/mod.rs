//! `twinscape backtest`: how good were the countdowns? A recording is read
//! and decoded exactly as `--replay` does it (the same CSV reader, router
//! and payload decoder) and fed, sample by sample, to each model under test
//! (the same histories, predictors and countdown rule as the twin) and to
//! the alarm rules. Every few seconds of file time each sensor with an alarm
//! limit is asked for its countdown; `score` then holds the countdowns
//! against the alarms that really came later in the file.
//!
//! No Bevy here: the twin's per-sample path without the frame loop, so a
//! day of the factory is scored without playing it.

mod report;
pub(crate) mod score;
mod scores;

use std::collections::HashMap;
use std::str::FromStr;

pub use report::{ModelReport, Report, SensorReport};
pub use scores::{Scores, SensorScore};

use crate::alarms::{AlarmBook, Level, Reading, Rule, Rules};
use crate::analytics::auto::{HOLT_ALPHA, HOLT_BETA};
use crate::recording::Replay;
use crate::recording::replay::decode_row;
use crate::scene::format::{PredictorDef, SceneDef, SensorDef};
use crate::scene::history_for;
use crate::scene::models::Models;
use crate::telemetry::{Router, Sample};
use crate::twin::History;
use score::Track;

/// Seconds of file time between two countdown asks, by default.
pub const DEFAULT_EVERY_S: f64 = 5.0;

/// What stops a backtest.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("unknown model \"{0}\" (known: scene, auto, linear, holt, first-order)")]
    UnknownModel(String),
    #[error("--every {0}: must be a positive number of seconds")]
    Every(f64),
    #[error(
        "{file}: no row feeds a sensor with an alarm limit in scene \"{scene}\" \
         ({rejected} rows rejected{first})"
    )]
    NothingToScore {
        file: String,
        scene: String,
        rejected: usize,
        first: String,
    },
    #[error("{file}: not a backtest report: {why}")]
    Scores { file: String, why: String },
}

/// A model to test: one of the built-in ones for every sensor, or each
/// sensor's own choice in the scene (its ONNX model, where it has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Scene,
    Auto,
    Linear,
    Holt,
    FirstOrder,
}

impl FromStr for Model {
    type Err = BacktestError;

    fn from_str(s: &str) -> Result<Model, BacktestError> {
        Ok(match s.trim() {
            "scene" => Model::Scene,
            "auto" => Model::Auto,
            "linear" => Model::Linear,
            "holt" => Model::Holt,
            "first-order" => Model::FirstOrder,
            other => return Err(BacktestError::UnknownModel(other.to_string())),
        })
    }
}

impl Model {
    pub fn name(self) -> &'static str {
        match self {
            Model::Scene => "scene",
            Model::Auto => "auto",
            Model::Linear => "linear",
            Model::Holt => "holt",
            Model::FirstOrder => "first-order",
        }
    }

    /// The sensor's history under this model.
    fn history(self, def: &SensorDef, models: &Models) -> History {
        let mut def = def.clone();
        def.predictor = match self {
            Model::Scene => def.predictor,
            Model::Auto => PredictorDef::Auto,
            Model::Linear => PredictorDef::Linear,
            Model::Holt => PredictorDef::Holt {
                alpha: HOLT_ALPHA,
                beta: HOLT_BETA,
            },
            Model::FirstOrder => PredictorDef::FirstOrder,
        };
        history_for(&def, models)
    }
}

/// One sensor being scored: its history per model and its alarm rules.
struct Watched {
    number: u32,
    limit: f64,
    rules: Rules,
    watch: crate::alarms::Watch,
    histories: Vec<History>,
    tracks: Vec<Track>,
    next_ask: f64,
    /// Samples fed; a sensor the recording never feeds is not scored.
    fed: usize,
}

/// Scores the `tested` models on `replay` through `scene` (with its loaded
/// ONNX `models`), asking every `every_s` seconds of file time.
pub fn run(
    scene: &SceneDef,
    models: &Models,
    replay: &Replay,
    tested: &[Model],
    every_s: f64,
) -> Result<Report, BacktestError> {
    if !(every_s.is_finite() && every_s > 0.0) {
        return Err(BacktestError::Every(every_s));
    }
    let defs: Vec<_> = scene.sensors().collect();
    let numbers: HashMap<(&str, &str), u32> = defs
        .iter()
        .enumerate()
        .map(|(i, (t, s))| ((t.id.as_str(), s.name.as_str()), i as u32))
        .collect();
    let mut watched: HashMap<u32, Watched> = HashMap::new();
    let mut book = AlarmBook::default();
    for (i, (_, def)) in defs.iter().enumerate() {
        let Some(limit) = def.alarm else { continue };
        let number = i as u32;
        watched.insert(
            number,
            Watched {
                number,
                limit,
                rules: Rules::of(def),
                watch: book.watch_for(number),
                histories: tested.iter().map(|m| m.history(def, models)).collect(),
                tracks: vec![Track::default(); tested.len()],
                next_ask: f64::NEG_INFINITY,
                fed: 0,
            },
        );
    }
    let router = Router::from_scene(scene);
    let (mut rejected, mut first_reject, mut fed) = (0usize, None, 0usize);
    let mut samples: Vec<Sample> = Vec::new();
    for row in replay.all_rows() {
        let bound = numbers
            .get(&(row.twin.as_str(), row.sensor.as_str()))
            .copied();
        samples.clear();
        if let Err(why) = decode_row(row, bound, &router, &mut |s| samples.push(s)) {
            rejected += 1;
            first_reject
                .get_or_insert_with(|| format!("; first {}:{}: {why}", replay.file, row.line));
        }
        for s in &samples {
            if let Some(w) = watched.get_mut(&s.sensor) {
                fed += 1;
                w.feed(s, &mut book, every_s);
            }
        }
    }
    if fed == 0 {
        return Err(BacktestError::NothingToScore {
            file: replay.file.clone(),
            scene: scene.name.clone(),
            rejected,
            first: first_reject.unwrap_or_default(),
        });
    }
    let (start_ms, end_ms) = replay.span_ms();
    let end = end_ms as f64 / 1000.0;
    let mut alarms: HashMap<u32, Vec<f64>> = HashMap::new();
    for a in book.newest_first() {
        if a.rule == Rule::HighHigh && a.level == Level::Alarm {
            alarms.entry(a.sensor).or_default().push(a.raised_at);
        }
    }
    let mut scored: Vec<Watched> = watched.into_values().filter(|w| w.fed > 0).collect();
    scored.sort_by_key(|w| w.number);
    for w in &mut scored {
        let mut raised = alarms.remove(&w.number).unwrap_or_default();
        raised.sort_by(f64::total_cmp);
        for track in &mut w.tracks {
            track.alarms = raised.clone();
            track.end = end;
        }
    }
    Ok(Report::new(
        replay.file.clone(),
        scene,
        tested,
        (end_ms - start_ms) as f64 / 3_600_000.0,
        every_s,
        rejected,
        scored
            .into_iter()
            .map(|w| (w.number as usize, w.tracks))
            .collect(),
    ))
}

impl Watched {
    fn feed(&mut self, s: &Sample, book: &mut AlarmBook, every_s: f64) {
        let t = s.time_ms as f64 / 1000.0;
        self.fed += 1;
        for h in &mut self.histories {
            h.record(s.value, s.time_ms);
        }
        let reading = Reading {
            time: t,
            value: s.value,
            rate: None,
            time_to_alarm: None,
        };
        book.evaluate(self.number, &self.rules, &mut self.watch, &reading);
        if t < self.next_ask {
            return;
        }
        self.next_ask = t + every_s;
        for (h, track) in self.histories.iter().zip(&mut self.tracks) {
            track.asks.push((t, h.countdown(self.limit, t)));
        }
    }
}

//! A backtest's results: per model, the totals over every scored sensor and
//! each sensor's own score; printed as a table, written as JSON.

use std::fmt;

use serde::Serialize;

use super::Model;
use super::score::{Score, Track, score};
use crate::scene::format::SceneDef;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub recording: String,
    pub scene: String,
    /// Hours the recording spans.
    pub hours: f64,
    /// Sensors with an alarm limit that the recording feeds.
    pub sensors: usize,
    /// Seconds of file time between countdown asks.
    pub every_s: f64,
    pub rejected_rows: usize,
    pub models: Vec<ModelReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    pub model: &'static str,
    pub alarms: usize,
    pub predicted: usize,
    pub missed: usize,
    pub lead_median_s: Option<f64>,
    pub lead_min_s: Option<f64>,
    /// Mean |predicted − actual| alarm time over the predicting countdowns.
    pub countdown_error_mean_s: Option<f64>,
    /// Share of those countdowns whose range held the alarm.
    pub within_range: Option<f64>,
    pub false_predictions: usize,
    pub false_per_sensor_hour: f64,
    /// Predictions the recording ends too soon to judge.
    pub open: usize,
    pub per_sensor: Vec<SensorReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SensorReport {
    pub twin: String,
    pub sensor: String,
    #[serde(flatten)]
    pub score: Score,
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

impl Report {
    /// Scores the tracks: `tracks[k].1[m]` is scene sensor number
    /// `tracks[k].0` under `models[m]`.
    pub(super) fn new(
        recording: String,
        scene: &SceneDef,
        models: &[Model],
        hours: f64,
        every_s: f64,
        rejected_rows: usize,
        tracks: Vec<(usize, Vec<Track>)>,
    ) -> Report {
        let defs: Vec<_> = scene.sensors().collect();
        let sensors = tracks.len();
        let models = models
            .iter()
            .enumerate()
            .map(|(m, model)| {
                let per_sensor: Vec<SensorReport> = tracks
                    .iter()
                    .map(|(i, t)| SensorReport {
                        twin: defs[*i].0.id.clone(),
                        sensor: defs[*i].1.name.clone(),
                        score: score(&t[m]),
                    })
                    .collect();
                ModelReport::total(model.name(), per_sensor, sensors as f64 * hours)
            })
            .collect();
        Report {
            recording,
            scene: scene.name.clone(),
            hours,
            sensors,
            every_s,
            rejected_rows,
            models,
        }
    }
}

impl ModelReport {
    fn total(model: &'static str, per_sensor: Vec<SensorReport>, sensor_hours: f64) -> ModelReport {
        let sum = |f: fn(&Score) -> usize| per_sensor.iter().map(|s| f(&s.score)).sum::<usize>();
        let leads: Vec<f64> = per_sensor
            .iter()
            .flat_map(|s| s.score.lead_times_s.iter().copied())
            .collect();
        let errors: Vec<f64> = per_sensor
            .iter()
            .flat_map(|s| s.score.countdown_errors_s.iter().copied())
            .collect();
        let false_predictions = sum(|s| s.false_predictions);
        ModelReport {
            model,
            alarms: sum(|s| s.alarms),
            predicted: leads.len(),
            missed: sum(|s| s.missed),
            lead_median_s: median(&leads),
            lead_min_s: leads.iter().copied().reduce(f64::min),
            countdown_error_mean_s: (!errors.is_empty())
                .then(|| errors.iter().sum::<f64>() / errors.len() as f64),
            within_range: (!errors.is_empty())
                .then(|| sum(|s| s.within_range) as f64 / errors.len() as f64),
            false_predictions,
            false_per_sensor_hour: if sensor_hours > 0.0 {
                false_predictions as f64 / sensor_hours
            } else {
                0.0
            },
            open: sum(|s| s.open),
            per_sensor,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "backtest of {} on scene \"{}\": {:.2} h, {} sensors with alarm limits, asked every {} s{}",
            self.recording,
            self.scene,
            self.hours,
            self.sensors,
            self.every_s,
            if self.rejected_rows > 0 {
                format!(", {} rows rejected", self.rejected_rows)
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "{:<12} {:>6} {:>9} {:>6} {:>11} {:>9} {:>10} {:>8} {:>6} {:>9}",
            "model",
            "alarms",
            "predicted",
            "missed",
            "lead median",
            "lead min",
            "eta error",
            "in range",
            "false",
            "false/s·h"
        )?;
        let secs = |v: Option<f64>| v.map_or("—".into(), |s| format!("{s:.0} s"));
        for m in &self.models {
            writeln!(
                f,
                "{:<12} {:>6} {:>9} {:>6} {:>11} {:>9} {:>10} {:>8} {:>6} {:>9.3}",
                m.model,
                m.alarms,
                m.predicted,
                m.missed,
                secs(m.lead_median_s),
                secs(m.lead_min_s),
                secs(m.countdown_error_mean_s),
                m.within_range
                    .map_or("—".into(), |r| format!("{:.0}%", r * 100.0)),
                m.false_predictions,
                m.false_per_sensor_hour
            )?;
        }
        Ok(())
    }
}

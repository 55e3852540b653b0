//! A backtest's results as the viewer shows them beside a sensor's
//! countdown (`view --scores FILE.json`, the JSON `backtest --json` writes):
//! per sensor, how the model it runs fared.

use std::collections::HashMap;

use serde::Deserialize;

use super::BacktestError;

/// One sensor's backtest, under the model it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorScore {
    pub model: String,
    pub alarms: usize,
    pub predicted: usize,
    pub lead_median_s: Option<f64>,
    /// Share of countdowns whose range held the alarm.
    pub within_range: Option<f64>,
    pub false_predictions: usize,
    /// Hours of recording it was scored on.
    pub hours: f64,
}

/// Scores by (twin id, sensor name).
#[derive(Debug, Clone, Default)]
pub struct Scores(pub HashMap<(String, String), SensorScore>);

#[derive(Deserialize)]
struct ReportFile {
    hours: f64,
    models: Vec<ModelFile>,
}

#[derive(Deserialize)]
struct ModelFile {
    model: String,
    per_sensor: Vec<SensorFile>,
}

#[derive(Deserialize)]
struct SensorFile {
    twin: String,
    sensor: String,
    alarms: usize,
    lead_times_s: Vec<f64>,
    countdown_errors_s: Vec<f64>,
    within_range: usize,
    false_predictions: usize,
}

impl Scores {
    /// Reads a backtest report; each sensor takes the `scene` model's score
    /// (what the twin runs) where the report has one, else the first model's.
    pub fn from_report(text: &str, file: &str) -> Result<Scores, BacktestError> {
        let report: ReportFile = serde_json::from_str(text).map_err(|e| BacktestError::Scores {
            file: file.into(),
            why: e.to_string(),
        })?;
        let chosen = report
            .models
            .iter()
            .find(|m| m.model == "scene")
            .or(report.models.first());
        let mut scores = Scores::default();
        for s in chosen.map_or(&[][..], |m| &m.per_sensor[..]) {
            let mut leads = s.lead_times_s.clone();
            leads.sort_by(f64::total_cmp);
            scores.0.insert(
                (s.twin.clone(), s.sensor.clone()),
                SensorScore {
                    model: chosen.map_or(String::new(), |m| m.model.clone()),
                    alarms: s.alarms,
                    predicted: leads.len(),
                    lead_median_s: (!leads.is_empty()).then(|| leads[leads.len() / 2]),
                    within_range: (!s.countdown_errors_s.is_empty())
                        .then(|| s.within_range as f64 / s.countdown_errors_s.len() as f64),
                    false_predictions: s.false_predictions,
                    hours: report.hours,
                },
            );
        }
        Ok(scores)
    }

    pub fn get(&self, twin: &str, sensor: &str) -> Option<&SensorScore> {
        self.0.get(&(twin.to_string(), sensor.to_string()))
    }
}

impl SensorScore {
    /// Short: `6/11 predicted`, `2 false` when it had no alarms but
    /// counted down anyway, nothing when there was nothing to predict.
    pub fn short(&self) -> Option<String> {
        match (self.alarms, self.false_predictions) {
            (0, 0) => None,
            (0, f) => Some(format!("{f} false")),
            (a, _) => Some(format!("{}/{a} predicted", self.predicted)),
        }
    }

    /// In full, for a tooltip.
    pub fn long(&self) -> String {
        let lead = self.lead_median_s.map_or("—".into(), |s| {
            format!("{}:{:02}", s as u64 / 60, s as u64 % 60)
        });
        let range = self
            .within_range
            .map_or("—".into(), |r| format!("{:.0}%", r * 100.0));
        format!(
            "backtest ({}, {:.1} h): {} of {} alarms predicted, median lead {lead}, \
             countdown ranges held the alarm {range} of the time, {} false predictions",
            self.model, self.hours, self.predicted, self.alarms, self.false_predictions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{"recording": "r.csv", "scene": "s", "hours": 2.0, "sensors": 1,
      "every_s": 5.0, "rejected_rows": 0, "models": [
      {"model": "auto", "per_sensor": [{"twin": "press-1", "sensor": "vibration", "alarms": 4,
        "lead_times_s": [90.0], "missed": 3, "countdown_errors_s": [1.0], "within_range": 0,
        "false_predictions": 0, "open": 0}]},
      {"model": "scene", "per_sensor": [{"twin": "press-1", "sensor": "vibration", "alarms": 4,
        "lead_times_s": [300.0, 100.0, 200.0], "missed": 1, "countdown_errors_s": [5.0, 9.0, 2.0, 4.0],
        "within_range": 3, "false_predictions": 1, "open": 0}]}]}"#;

    #[test]
    fn each_sensor_takes_the_scene_models_score() {
        let scores = Scores::from_report(REPORT, "r.json").unwrap();
        let s = scores.get("press-1", "vibration").unwrap();
        assert_eq!((s.model.as_str(), s.alarms, s.predicted), ("scene", 4, 3));
        assert_eq!(s.lead_median_s, Some(200.0));
        assert_eq!(s.within_range, Some(0.75));
        assert_eq!(s.short().as_deref(), Some("3/4 predicted"));
        let quiet = SensorScore {
            alarms: 0,
            predicted: 0,
            false_predictions: 0,
            ..s.clone()
        };
        assert_eq!(quiet.short(), None, "nothing to predict, nothing said");
        let noisy = SensorScore {
            false_predictions: 2,
            ..quiet
        };
        assert_eq!(noisy.short().as_deref(), Some("2 false"));
        assert_eq!(
            s.long(),
            "backtest (scene, 2.0 h): 3 of 4 alarms predicted, median lead 3:20, \
             countdown ranges held the alarm 75% of the time, 1 false predictions"
        );
        assert_eq!(scores.get("press-1", "temperature"), None);
    }

    #[test]
    fn a_file_that_is_not_a_report_says_where_and_why() {
        let e = Scores::from_report("{\"hours\": 1}", "bad.json").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bad.json: not a backtest report: missing field `models`"),
            "{e}"
        );
    }
}

//! The simulated plant without a broker or a clock: stepped as fast as the
//! machine goes and written straight to a recording (the `--record` CSV), so
//! a day of the factory for a backtest or a model's training takes seconds.

use std::io::Write;

use super::{Plant, outlets};
use crate::recording::RecordingError;
use crate::recording::rows::Recorder;
use crate::scene::format::SceneDef;
use crate::telemetry::Sample;

/// Milliseconds in a second.
const MS_PER_S: f64 = 1000.0;

/// Writes `seconds` of the plant (seeded with `seed`, `rate_hz` readings a
/// second of every sensor it publishes) from `start_ms` to `out`; returns the
/// rows written.
pub fn write_recording(
    scene: &SceneDef,
    seed: u64,
    rate_hz: f64,
    seconds: f64,
    start_ms: u64,
    out: Box<dyn Write + Send + Sync>,
) -> Result<u64, RecordingError> {
    let stopped = |e: std::io::Error| RecordingError::Stopped {
        reason: e.to_string(),
    };
    let mut recorder = Recorder::new(out).map_err(stopped)?;
    let topics: Vec<String> = scene
        .sensors()
        .map(|(t, s)| scene.topic_of(t, s).unwrap_or_default())
        .collect();
    let names: Vec<(&str, &str)> = scene
        .sensors()
        .map(|(t, s)| (t.id.as_str(), s.name.as_str()))
        .collect();
    recorder.set_sensors(
        names
            .iter()
            .zip(&topics)
            .map(|((t, s), topic)| (*t, *s, topic.as_str())),
    );
    let mut published: Vec<usize> = outlets(scene)
        .iter()
        .flat_map(|o| o.fields.iter().map(|f| f.0))
        .collect();
    published.sort_unstable();
    published.dedup();
    let mut plant = Plant::new(scene, seed);
    let dt = 1.0 / rate_hz;
    let steps = (seconds * rate_hz).round() as u64;
    let mut rows = 0;
    for step in 1..=steps {
        plant.step(dt);
        let time_ms = start_ms + (step as f64 * dt * MS_PER_S).round() as u64;
        let readings = plant.readings();
        for &sensor in &published {
            recorder.write(&Sample {
                sensor: sensor as u32,
                value: readings[sensor],
                time_ms,
                stamp_ms: None,
            });
            rows += 1;
        }
    }
    recorder.flush()?;
    Ok(rows)
}

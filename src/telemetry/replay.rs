//! Recording and replaying in the ECS.
//!
//! `--record FILE.csv` writes every sample `apply_samples` applies.
//! `--replay FILE.csv` feeds a recording back through the live path: rows
//! that name a twin and sensor are bound by name, rows that only name a topic
//! are routed and decoded like an MQTT message; either way the samples enter
//! the same channel, carry the file's timestamps, and the twin's clock
//! follows the file, so analytics and alarms see the data as it was recorded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::prelude::*;

use super::payload::{decode_message, decode_number};
use super::record::{Recorder, Row, parse};
use super::{Ingest, Router, Sample, SampleChannel, TwinClock};
use crate::scene::SceneSpawned;

/// The recorder's flush; the other steps run in the telemetry chain.
pub fn plugin(app: &mut App) {
    app.add_systems(Last, flush_recorder.run_if(resource_exists::<RecorderRes>));
}

/// How fast a replay runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// This many seconds of the file per second.
    Times(f64),
    /// As fast as the twin can take it: a fixed slice of the file per frame
    /// (`MAX_STEP_S`), frames back to back when headless.
    Max,
}

/// File seconds per frame at `Speed::Max`.
pub const MAX_STEP_S: f64 = 1.0;

impl std::str::FromStr for Speed {
    type Err = String;
    fn from_str(s: &str) -> Result<Speed, String> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.trim_end_matches(['x', '×']).parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(Speed::Times(x)),
            _ => Err(format!(
                "\"{s}\" is not a speed: give a positive factor (1, 0.5, 60) or \"max\""
            )),
        }
    }
}

impl std::fmt::Display for Speed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Speed::Times(x) => write!(f, "{x}×"),
            Speed::Max => f.write_str("max"),
        }
    }
}

/// A recording being played back.
#[derive(Resource, Debug)]
pub struct Replay {
    pub file: String,
    rows: Vec<Row>,
    next: usize,
    pub speed: Speed,
    pub playing: bool,
    /// The file time reached, in milliseconds since the Unix epoch.
    pub clock_ms: f64,
    /// Every frame advances this many real seconds (headless runs, so that a
    /// replay gives the same result on any machine); `None` in the viewer.
    pub fixed_frame_s: Option<f64>,
    /// Stop the app when the file is done (headless).
    pub exit_when_done: bool,
    /// For each row that names a twin and sensor, that sensor's number in
    /// the running scene (`None`: no such sensor), found once per scene.
    bound: Vec<Option<u32>>,
    router: Option<Router>,
}

impl Replay {
    /// Reads and checks the whole file; errors name the file and line.
    pub fn open(path: &Path, speed: Speed) -> Result<Replay, String> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read recording {name}: {e}"))?;
        let rows = parse(&text, &name)?;
        if rows.is_empty() {
            return Err(format!("{name}: the recording has a header but no rows"));
        }
        Ok(Replay::from_rows(name, rows, speed))
    }

    pub fn from_rows(file: String, rows: Vec<Row>, speed: Speed) -> Replay {
        let clock_ms = rows.first().map_or(0.0, |r| r.time_ms as f64);
        Replay {
            file,
            rows,
            next: 0,
            speed,
            playing: true,
            clock_ms,
            fixed_frame_s: None,
            exit_when_done: false,
            bound: Vec::new(),
            router: None,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    pub fn played(&self) -> usize {
        self.next
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.rows.len()
    }

    /// (first, last) timestamp of the file, in milliseconds.
    pub fn span_ms(&self) -> (u64, u64) {
        (
            self.rows.first().map_or(0, |r| r.time_ms),
            self.rows.last().map_or(0, |r| r.time_ms),
        )
    }

    /// How far through the file's time the replay is, from 0 to 1.
    pub fn progress(&self) -> f64 {
        let (a, b) = self.span_ms();
        if self.is_done() {
            1.0
        } else if b > a {
            ((self.clock_ms - a as f64) / (b - a) as f64).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Plays from the start again (the twin keeps what it has seen).
    pub fn restart(&mut self) {
        self.next = 0;
        self.clock_ms = self.span_ms().0 as f64;
        self.playing = true;
    }
}

/// The recorder as a resource, with when it last flushed.
#[derive(Resource)]
pub struct RecorderRes {
    pub recorder: Recorder,
    pub path: PathBuf,
    last_flush: f64,
    reported: bool,
}

impl RecorderRes {
    pub fn create(path: &Path) -> Result<RecorderRes, String> {
        let file = std::fs::File::create(path)
            .map_err(|e| format!("cannot create recording {}: {e}", path.display()))?;
        let recorder = Recorder::new(Box::new(std::io::BufWriter::with_capacity(1 << 16, file)))
            .map_err(|e| format!("cannot write recording {}: {e}", path.display()))?;
        Ok(RecorderRes {
            recorder,
            path: path.to_path_buf(),
            last_flush: 0.0,
            reported: false,
        })
    }
}

pub fn bind_replay(mut spawned: MessageReader<SceneSpawned>, mut replay: ResMut<Replay>) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    let by_name: HashMap<(&str, &str), u32> = scene
        .sensors()
        .enumerate()
        .map(|(i, (t, s))| ((t.id.as_str(), s.name.as_str()), i as u32))
        .collect();
    replay.bound = replay
        .rows
        .iter()
        .map(|r| by_name.get(&(r.twin.as_str(), r.sensor.as_str())).copied())
        .collect();
    replay.router = Some(Router::from_scene(scene));
}

pub fn name_recorded_sensors(
    mut spawned: MessageReader<SceneSpawned>,
    mut rec: ResMut<RecorderRes>,
) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    let topics: Vec<String> = scene
        .sensors()
        .map(|(t, s)| scene.topic_of(t, s).unwrap_or_default())
        .collect();
    rec.recorder.set_sensors(
        scene
            .sensors()
            .zip(&topics)
            .map(|((t, s), topic)| (t.id.as_str(), s.name.as_str(), topic.as_str())),
    );
}

fn flush_recorder(
    time: Res<Time<Real>>,
    mut rec: ResMut<RecorderRes>,
    exits: MessageReader<AppExit>,
) {
    let now = time.elapsed_secs_f64();
    if now - rec.last_flush < 1.0 && exits.is_empty() {
        return;
    }
    rec.last_flush = now;
    if let Err(e) = rec.recorder.flush()
        && !rec.reported
    {
        error!("{}: {e}", rec.path.display());
        rec.reported = true;
    }
}

/// Samples at most this many rows per frame, so one frame never overfills
/// the channel.
const MAX_ROWS_PER_FRAME: usize = super::CHANNEL_CAPACITY / 2;

/// Moves the replay's clock on by one frame and sends the rows it passed.
pub fn feed(
    time: Res<Time<Real>>,
    mut replay: ResMut<Replay>,
    mut clock: ResMut<TwinClock>,
    channel: Res<SampleChannel>,
    ingest: Res<Ingest>,
    mut exit: MessageWriter<AppExit>,
) {
    clock.replaying = true;
    let replay = &mut *replay;
    if replay.router.is_none() {
        // The scene is not spawned yet: hold the clock at the file's start.
        clock.now_s = replay.clock_ms / 1000.0;
        return;
    }
    if replay.playing && !replay.is_done() {
        let frame_s = replay
            .fixed_frame_s
            .unwrap_or_else(|| time.delta_secs_f64());
        let step_s = match replay.speed {
            Speed::Times(x) => frame_s * x,
            Speed::Max => MAX_STEP_S,
        };
        let until = replay.clock_ms + step_s * 1000.0;
        let counters = &ingest.counters;
        let mut sent = 0;
        while let Some(row) = replay.rows.get(replay.next) {
            if row.time_ms as f64 > until || sent == MAX_ROWS_PER_FRAME {
                break;
            }
            let bound = replay.bound.get(replay.next).copied().flatten();
            replay.next += 1;
            sent += 1;
            counters
                .received
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let reject =
                |why: String| counters.reject(format!("{}:{}: {why}", replay.file, row.line));
            let mut send = |s: Sample| {
                if channel.tx.try_send(s).is_err() {
                    counters
                        .dropped
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            };
            if !row.twin.is_empty() && !row.sensor.is_empty() {
                match bound {
                    Some(sensor) => match decode_number(row.value.as_bytes()) {
                        Ok(value) => send(Sample {
                            sensor,
                            value,
                            time_ms: row.time_ms,
                        }),
                        Err(e) => reject(format!("{}/{}: {e}", row.twin, row.sensor)),
                    },
                    None => reject(format!(
                        "the scene has no sensor \"{}\" on twin \"{}\"",
                        row.sensor, row.twin
                    )),
                }
            } else if let Some(router) = &replay.router {
                let (_, why) = decode_message(
                    router,
                    &row.topic,
                    row.value.as_bytes(),
                    row.time_ms,
                    &mut send,
                );
                if let Some(why) = why {
                    reject(why.to_string());
                }
            }
        }
        replay.clock_ms = if sent == MAX_ROWS_PER_FRAME {
            replay.rows[replay.next - 1].time_ms as f64
        } else {
            until
        };
        if replay.is_done() {
            replay.clock_ms = replay.span_ms().1 as f64;
            replay.playing = false;
            info!(
                "replay of {} done: {} rows, {} s of data",
                replay.file,
                replay.rows.len(),
                (replay.span_ms().1 - replay.span_ms().0) as f64 / 1000.0
            );
            if replay.exit_when_done {
                exit.write(AppExit::Success);
            }
        }
    }
    clock.now_s = replay.clock_ms / 1000.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_parse() {
        assert_eq!("max".parse(), Ok(Speed::Max));
        assert_eq!("10".parse(), Ok(Speed::Times(10.0)));
        assert_eq!("0.5x".parse(), Ok(Speed::Times(0.5)));
        assert!(
            "0".parse::<Speed>()
                .unwrap_err()
                .contains("\"0\" is not a speed")
        );
        assert!("fast".parse::<Speed>().is_err());
    }
}

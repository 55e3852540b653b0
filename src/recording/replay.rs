//! A recording being played back: its rows, the cursor through them, and the
//! file's clock.
//!
//! Each frame `advance` moves the clock on by the frame's share of the file
//! and hands back the rows it passed; the plugin sends them into the sample
//! channel. The clock is what the twin's clock follows during a replay, so
//! analytics and alarms age data as it was recorded.

use std::ops::Range;
use std::path::Path;

use bevy::prelude::Resource;

use super::RecordingError;
use super::rows::{Row, parse};
use crate::telemetry::payload::{Sample, decode_message, decode_number};
use crate::telemetry::{CHANNEL_CAPACITY, Router};

/// File seconds per frame at `Speed::Max`.
const MAX_STEP_S: f64 = 1.0;

/// Rows sent at most per frame, so one frame never overfills the channel.
const MAX_ROWS_PER_FRAME: usize = CHANNEL_CAPACITY / 2;

/// Milliseconds in a second.
const MS_PER_S: f64 = 1000.0;

/// How fast a replay runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// This many seconds of the file per second.
    Times(f64),
    /// As fast as the twin can take it: a fixed slice of the file per frame
    /// (`MAX_STEP_S`), frames back to back when headless.
    Max,
}

impl std::str::FromStr for Speed {
    type Err = RecordingError;
    fn from_str(s: &str) -> Result<Speed, RecordingError> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.trim_end_matches(['x', '×']).parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => Ok(Speed::Times(x)),
            _ => Err(RecordingError::Speed { text: s.into() }),
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
    pub(crate) bound: Vec<Option<u32>>,
    /// Routes the rows that name only a topic; `None` until a scene is spawned.
    pub(crate) router: Option<Router>,
}

/// Row `i` as the live path decodes it: a row naming a twin and sensor by
/// that sensor's number in `bound` (`None`: the scene has no such sensor),
/// a row naming only a topic through `router` and the payload decoder.
/// Calls `emit` for each sample; an error says why (not where).
pub(crate) fn decode_row(
    row: &Row,
    bound: Option<u32>,
    router: &Router,
    emit: &mut dyn FnMut(Sample),
) -> Result<(), String> {
    if !row.twin.is_empty() && !row.sensor.is_empty() {
        let sensor = bound.ok_or_else(|| {
            format!(
                "the scene has no sensor \"{}\" on twin \"{}\"",
                row.sensor, row.twin
            )
        })?;
        let value = decode_number(row.value.as_bytes())
            .map_err(|e| format!("{}/{}: {e}", row.twin, row.sensor))?;
        emit(Sample {
            sensor,
            value,
            time_ms: row.time_ms,
            stamp_ms: None,
        });
        return Ok(());
    }
    let (_, why) = decode_message(router, &row.topic, row.value.as_bytes(), row.time_ms, emit);
    why.map_or(Ok(()), |why| Err(why.to_string()))
}

/// What one frame of a replay did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    /// The rows the clock passed, to be sent.
    pub rows: Range<usize>,
    /// The file ran out in this frame.
    pub finished: bool,
}

impl Replay {
    /// Reads and checks the whole file; errors name the file and line.
    pub fn open(path: &Path, speed: Speed) -> Result<Replay, RecordingError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RecordingError::Read {
            path: name.clone(),
            source,
        })?;
        let rows = parse(&text, &name)?;
        if rows.is_empty() {
            return Err(RecordingError::NoRows { file: name });
        }
        Ok(Replay::from_rows(name, rows, speed))
    }

    fn from_rows(file: String, rows: Vec<Row>, speed: Speed) -> Replay {
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

    /// The rows, in the order they play.
    pub(crate) fn all_rows(&self) -> &[Row] {
        &self.rows
    }

    /// The file time reached, in seconds since the Unix epoch.
    pub(crate) fn clock_s(&self) -> f64 {
        self.clock_ms / MS_PER_S
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
    pub(crate) fn progress(&self) -> f64 {
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
    pub(crate) fn restart(&mut self) {
        self.next = 0;
        self.clock_ms = self.span_ms().0 as f64;
        self.playing = true;
    }

    /// Moves the clock on by one frame of `frame_s` real seconds (or the
    /// fixed frame, headless) and returns the rows it passed: all rows up to
    /// the new clock, or `MAX_ROWS_PER_FRAME` of them, the clock then
    /// stopping at the last one sent. Paused or done, nothing moves.
    pub(crate) fn advance(&mut self, frame_s: f64) -> Step {
        let start = self.next;
        if !self.playing || self.is_done() {
            return Step {
                rows: start..start,
                finished: false,
            };
        }
        let frame_s = self.fixed_frame_s.unwrap_or(frame_s);
        let step_s = match self.speed {
            Speed::Times(x) => frame_s * x,
            Speed::Max => MAX_STEP_S,
        };
        let until = self.clock_ms + step_s * MS_PER_S;
        let passed = self.rows[start..]
            .iter()
            .take(MAX_ROWS_PER_FRAME)
            .take_while(|r| r.time_ms as f64 <= until)
            .count();
        self.next = start + passed;
        self.clock_ms = if passed == MAX_ROWS_PER_FRAME {
            self.rows[self.next - 1].time_ms as f64
        } else {
            until
        };
        let finished = self.is_done();
        if finished {
            self.clock_ms = self.span_ms().1 as f64;
            self.playing = false;
        }
        Step {
            rows: start..self.next,
            finished,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replay of rows at these milliseconds after `T0_MS`.
    fn replay_at(offsets_ms: &[u64], speed: Speed) -> Replay {
        let mut text = String::from("time,topic,value\n");
        for ms in offsets_ms {
            text += &format!("{},t,1\n", (T0_MS + ms) as f64 / 1000.0);
        }
        Replay::from_rows("r.csv".into(), parse(&text, "r.csv").unwrap(), speed)
    }

    const T0_MS: u64 = 1_764_150_000_000;

    #[test]
    fn speeds_parse() {
        assert_eq!("max".parse::<Speed>().ok(), Some(Speed::Max));
        assert_eq!("10".parse::<Speed>().ok(), Some(Speed::Times(10.0)));
        assert_eq!("0.5x".parse::<Speed>().ok(), Some(Speed::Times(0.5)));
        assert!(
            "0".parse::<Speed>()
                .unwrap_err()
                .to_string()
                .contains("\"0\" is not a speed")
        );
        assert!("fast".parse::<Speed>().is_err());
    }

    #[test]
    fn each_frame_plays_the_rows_its_clock_passes() {
        let mut replay = replay_at(&[0, 500, 2000], Speed::Times(2.0));
        assert_eq!(
            replay.clock_ms, T0_MS as f64,
            "the clock starts at the first row"
        );
        // Half a second at 2× is one second of the file.
        let step = replay.advance(0.5);
        assert_eq!(
            step,
            Step {
                rows: 0..2,
                finished: false
            }
        );
        assert_eq!(replay.clock_ms, (T0_MS + 1000) as f64);
        replay.playing = false;
        assert_eq!(replay.advance(0.5).rows, 2..2, "paused");
        replay.playing = true;
        // A row exactly on the new clock plays, and ends the file.
        assert_eq!(
            replay.advance(0.5),
            Step {
                rows: 2..3,
                finished: true
            }
        );
        assert_eq!(replay.clock_ms, (T0_MS + 2000) as f64);
        assert!(!replay.playing && replay.is_done());
        assert_eq!(replay.progress(), 1.0);
        assert_eq!(replay.advance(0.5).rows, 3..3, "done");
        replay.restart();
        assert_eq!((replay.played(), replay.clock_ms), (0, T0_MS as f64));
    }

    #[test]
    fn a_fixed_frame_or_max_speed_ignores_the_frame_time() {
        let mut replay = replay_at(&[0, 900, 1900], Speed::Max);
        assert_eq!(
            replay.advance(123.0).rows,
            0..2,
            "max: one file second a frame"
        );
        let mut replay = replay_at(&[0, 10, 20], Speed::Times(1.0));
        replay.fixed_frame_s = Some(1.0 / 100.0);
        assert_eq!(replay.advance(5.0).rows, 0..2, "10 ms a frame, headless");
    }

    #[test]
    fn a_frame_sends_at_most_half_the_channel() {
        let offsets = vec![0; MAX_ROWS_PER_FRAME + 10];
        let mut replay = replay_at(&offsets, Speed::Times(1.0));
        assert_eq!(replay.advance(1.0).rows, 0..MAX_ROWS_PER_FRAME);
        assert_eq!(
            replay.clock_ms, T0_MS as f64,
            "the clock waits at the last row sent"
        );
        assert_eq!(
            replay.advance(1.0),
            Step {
                rows: MAX_ROWS_PER_FRAME..MAX_ROWS_PER_FRAME + 10,
                finished: true
            }
        );
    }
}

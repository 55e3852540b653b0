//! Recording and replay in the ECS.
//!
//! A replay is bound to each scene as it spawns (rows by twin and sensor
//! name, or a router for rows that name only a topic); each frame `feed`
//! advances it and sends the rows it passed into the sample channel, just
//! before `apply_samples` drains that channel. The recorder learns each
//! scene's sensor names the same way, takes the samples `apply_samples`
//! applied (its `AppliedSamples`) right after it, and `flush_recorder`
//! writes them out about once a second, and before every acknowledgement.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use bevy::prelude::*;

use super::RecordingError;
use super::replay::{Replay, decode_row};
use super::rows::Recorder;
use crate::TwinSet;
use crate::scene::SceneSpawned;
use crate::scene::format::SensorRef;
use crate::scene::index::SceneIndex;
use crate::telemetry::delivery::{Acknowledge, PendingAcks};
use crate::telemetry::{
    AppliedSamples, Ingest, Router, Sample, SampleChannel, TwinClock, apply_samples,
};

/// Real seconds between the recorder's flushes (and on exit).
const FLUSH_INTERVAL_S: f64 = 1.0;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (
            bind_replay.run_if(resource_exists::<Replay>),
            name_recorded_sensors.run_if(resource_exists::<RecorderRes>),
            feed.run_if(resource_exists::<Replay>),
        )
            .chain()
            .in_set(TwinSet::Ingest)
            .before(apply_samples),
    )
    .add_systems(
        Update,
        record_applied
            .run_if(resource_exists::<RecorderRes>)
            .in_set(TwinSet::Ingest)
            .after(apply_samples),
    )
    .add_systems(
        Last,
        flush_recorder
            .run_if(resource_exists::<RecorderRes>)
            .before(Acknowledge),
    );
}

/// The recorder as a resource, with when it last flushed.
#[derive(Resource)]
pub struct RecorderRes {
    pub(crate) recorder: Recorder,
    path: PathBuf,
    last_flush: f64,
    reported: bool,
}

impl RecorderRes {
    pub fn create(path: &Path) -> Result<RecorderRes, RecordingError> {
        let name = || path.display().to_string();
        let file = std::fs::File::create(path).map_err(|source| RecordingError::Create {
            path: name(),
            source,
        })?;
        let recorder = Recorder::new(Box::new(file)).map_err(|source| RecordingError::Write {
            path: name(),
            source,
        })?;
        Ok(RecorderRes {
            recorder,
            path: path.to_path_buf(),
            last_flush: 0.0,
            reported: false,
        })
    }
}

fn bind_replay(
    mut spawned: MessageReader<SceneSpawned>,
    index: Option<Res<SceneIndex>>,
    mut replay: ResMut<Replay>,
) {
    let (Some(SceneSpawned { scene }), Some(index)) = (spawned.read().last(), index) else {
        return;
    };
    replay.bound = replay
        .all_rows()
        .iter()
        .map(|r| index.number(&SensorRef::new(&r.twin, &r.sensor)))
        .collect();
    replay.router = Some(Router::from_scene(scene));
}

fn name_recorded_sensors(
    mut spawned: MessageReader<SceneSpawned>,
    index: Option<Res<SceneIndex>>,
    mut rec: ResMut<RecorderRes>,
) {
    let (Some(SceneSpawned { scene }), Some(index)) = (spawned.read().last(), index) else {
        return;
    };
    let topics: Vec<String> = scene
        .sensors()
        .map(|(t, s)| scene.topic_of(t, s).unwrap_or_default())
        .collect();
    rec.recorder.set_sensors(
        index
            .sensors()
            .iter()
            .zip(&topics)
            .map(|(s, topic)| (&*s.name.twin, &*s.name.sensor, topic.as_str())),
    );
}

/// Hands the recorder what `apply_samples` applied this frame (and makes
/// sure it keeps them, once there is a recorder).
fn record_applied(
    mut commands: Commands,
    tap: Option<ResMut<AppliedSamples>>,
    mut rec: ResMut<RecorderRes>,
) {
    let Some(mut tap) = tap else {
        commands.init_resource::<AppliedSamples>();
        return;
    };
    for sample in tap.0.drain(..) {
        rec.recorder.write(&sample);
    }
}

/// Flushes about once a second, on exit, and in every frame that
/// acknowledges messages (lossless ingest): what the broker is told was
/// applied is in the file first.
fn flush_recorder(
    time: Res<Time<Real>>,
    mut rec: ResMut<RecorderRes>,
    exits: MessageReader<AppExit>,
    mut acks: ResMut<PendingAcks>,
) {
    let now = time.elapsed_secs_f64();
    if now - rec.last_flush < FLUSH_INTERVAL_S && exits.is_empty() && !acks.any() {
        return;
    }
    rec.last_flush = now;
    if let Err(e) = rec.recorder.flush() {
        // What was applied is not in the file: a lossless ingest must not
        // confirm it to the broker.
        acks.held = Some(format!("{}: {e}", rec.path.display()));
        if !rec.reported {
            error!("{}: {e}", rec.path.display());
            rec.reported = true;
        }
    }
}

/// Moves the replay's clock on by one frame and sends the rows it passed.
fn feed(
    time: Res<Time<Real>>,
    mut replay: ResMut<Replay>,
    mut clock: ResMut<TwinClock>,
    channel: Res<SampleChannel>,
    ingest: Res<Ingest>,
    mut exit: MessageWriter<AppExit>,
) {
    clock.replaying = true;
    if replay.router.is_none() {
        // The scene is not spawned yet: hold the clock at the file's start.
        clock.now_s = replay.clock_s();
        return;
    }
    let step = replay.advance(time.delta_secs_f64());
    let counters = &ingest.counters;
    let mut send = |s: Sample| {
        if channel.tx.try_send(s).is_err() {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    };
    if let Some(router) = &replay.router {
        for i in step.rows.clone() {
            let row = &replay.all_rows()[i];
            counters.received.fetch_add(1, Ordering::Relaxed);
            let bound = replay.bound.get(i).copied().flatten();
            if let Err(why) = decode_row(row, bound, router, &mut send) {
                counters.reject(format!("{}:{}: {why}", replay.file, row.line));
            }
        }
    }
    if step.finished {
        let (first, last) = replay.span_ms();
        info!(
            "replay of {} done: {} rows, {} s of data",
            replay.file,
            replay.rows(),
            Duration::from_millis(last - first).as_secs_f64()
        );
        if replay.exit_when_done {
            exit.write(AppExit::Success);
        }
    }
    clock.now_s = replay.clock_s();
}

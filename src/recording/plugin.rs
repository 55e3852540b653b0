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
    /// Puts the recorder in `app` with the tap `apply_samples` fills, both
    /// before the first frame: a sample applied in the frame the scene
    /// spawns (a lossless session's backlog can arrive in it) is recorded
    /// before it is acknowledged, not applied unseen.
    pub fn install(self, app: &mut App) {
        app.insert_resource(self).init_resource::<AppliedSamples>();
    }

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

/// Hands the recorder what `apply_samples` applied this frame.
fn record_applied(mut tap: ResMut<AppliedSamples>, mut rec: ResMut<RecorderRes>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Options, headless_app};
    use crate::scene::index::SceneIndex;
    use crate::telemetry::TelemetrySource;

    /// A lossless twin that restarts finds its session's backlog waiting:
    /// the broker can hand it over before the first frame's `apply_samples`
    /// runs (CI lost 20 messages so; here, under load, once in ~65 runs).
    /// Here the scene loads before the first frame (a pause in `PostStartup`,
    /// ample for a one-sensor file) and samples wait in the channel, so the
    /// first frame spawns the scene and applies them: each must be recorded.
    #[test]
    fn samples_applied_in_the_first_frame_are_recorded() {
        let dir = std::env::temp_dir().join(format!("twinscape-rec-first-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scene = dir.join("one.scene.ron");
        std::fs::write(
            &scene,
            r#"(name: "one", twins: [(id: "m", name: "M", kind: "meter", sensors: [
                (name: "v", unit: "", range: (0, 100), binding: (topic: "t/v", decode: Number)),
            ])])"#,
        )
        .unwrap();
        let file = dir.join("first.csv");
        let mut app = headless_app(&Options {
            scene,
            source: TelemetrySource::Channel,
            snapshot: None,
            run_for: None,
            unpaced: true,
        });
        RecorderRes::create(&file).unwrap().install(&mut app);
        app.add_systems(PostStartup, || {
            std::thread::sleep(std::time::Duration::from_secs(2))
        });
        app.finish();
        app.cleanup();
        let tx = app.world().resource::<SampleChannel>().tx.clone();
        for (i, value) in [11.0, 12.0, 13.0].into_iter().enumerate() {
            let time_ms = 1_700_000_000_000 + i as u64 * 1000;
            let sample = Sample {
                sensor: 0,
                value,
                time_ms,
                stamp_ms: Some(time_ms),
            };
            tx.send(sample).unwrap();
        }
        app.update();
        assert!(
            app.world().get_resource::<SceneIndex>().is_some(),
            "the premise: the scene spawned in the first frame ({:?})",
            app.world().resource::<crate::scene::ActiveScene>().error
        );
        assert_eq!(
            app.world()
                .resource::<Ingest>()
                .counters
                .applied
                .load(Ordering::Relaxed),
            3
        );
        app.world_mut()
            .resource_mut::<RecorderRes>()
            .recorder
            .flush()
            .unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        let rows = super::super::rows::parse(&text, "first.csv").unwrap();
        let values: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| (r.twin.as_str(), r.sensor.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            values,
            [("m", "v", "11"), ("m", "v", "12"), ("m", "v", "13")],
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

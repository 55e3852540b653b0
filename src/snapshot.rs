//! The twin's state as JSON: for headless runs, scripts and tests.
//!
//! The keys `scene`, `twins[].id/name/sensors[].name/topic/unit/value/
//! updated_ms` and `ingest.received/applied/rejected/dropped` are a contract;
//! more may be added, none removed.

use std::path::PathBuf;

use bevy::prelude::*;
use serde::Serialize;

use crate::alarms::{Alarms, Level, Rule, State};
use crate::analytics::curve::Z_95;
use crate::analytics::{Describe, Quality};
use crate::scene::ActiveScene;
use crate::telemetry::{Ingest, LinkState};
use crate::telemetry::{TwinClock, now_s};
use crate::twin::{Health, History, Sensor, SensorValue, Sensors, Twin};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Last, write_snapshot_on_exit);
}

/// Where to write the snapshot when the app exits.
#[derive(Resource, Debug, Clone)]
pub(crate) struct SnapshotPath(pub PathBuf);

#[derive(Serialize, Debug, Clone)]
pub struct Snapshot {
    pub scene: Option<String>,
    /// Why the scene file last failed to load, while the last good scene stays.
    pub scene_error: Option<String>,
    pub twins: Vec<TwinState>,
    pub ingest: IngestState,
    /// Every alarm since the scene was loaded, newest first.
    pub alarms: Vec<AlarmState>,
    /// The process model run ahead from the live state, for each
    /// `--what-if` scenario against the baseline.
    pub what_if: Vec<crate::sim::line::WhatIf>,
    /// Scenarios that could not run, and why.
    pub what_if_errors: Vec<String>,
    /// Parts as physical bodies (scenes with a `flow`): released, counted
    /// by the photo-eye, in the bin, on the belt.
    pub flow: Option<crate::flow::Flow>,
}

#[derive(Serialize, Debug, Clone)]
pub struct AlarmState {
    pub id: u64,
    pub twin: String,
    pub sensor: String,
    pub rule: Rule,
    pub level: Level,
    pub state: State,
    pub raised_ms: u64,
    /// The value that raised it.
    pub value: f64,
    pub acknowledged_ms: Option<u64>,
    pub cleared_ms: Option<u64>,
}

#[derive(Serialize, Debug, Clone)]
pub struct TwinState {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub health: &'static str,
    pub sensors: Vec<SensorState>,
}

#[derive(Serialize, Debug, Clone)]
pub struct SensorState {
    pub name: String,
    pub topic: Option<String>,
    pub unit: String,
    pub value: Option<f64>,
    pub updated_ms: Option<u64>,
    pub samples: u64,
    pub health: &'static str,
    /// describe() of the recent window (pandas' conventions).
    pub stats: Option<Describe>,
    pub forecast: Option<Forecast>,
    /// Seconds until the forecast expects the alarm limit; null unless the
    /// countdown is sure enough (its rule's confidence, within its horizon).
    pub time_to_alarm_s: Option<f64>,
    /// The earliest plausible (the interval's upper bound reaches the limit).
    pub time_to_alarm_low_s: Option<f64>,
    /// When the interval's lower bound reaches it (the limit is passed with
    /// the countdown's confidence).
    pub time_to_alarm_high_s: Option<f64>,
    /// z-score of the latest sample against the window before it.
    pub anomaly: f64,
    pub quality: Quality,
}

/// Where the sensor's predictor says it is heading.
#[derive(Serialize, Debug, Clone)]
pub struct Forecast {
    /// As the scene chose: `auto`, `linear`, `holt` or `first-order`.
    pub predictor: &'static str,
    /// The model that drew the forecast (what `auto` picked): `linear`,
    /// `holt` or `first-order`.
    pub model: &'static str,
    /// Units per second at the latest sample.
    pub slope: f64,
    pub horizon_s: f64,
    /// The expected value `horizon_s` after the latest sample.
    pub value: f64,
    /// The ~95% interval of a reading there.
    pub low: f64,
    pub high: f64,
}

/// How far ahead the snapshot's forecast looks.
pub(crate) const FORECAST_HORIZON_S: f64 = 60.0;

#[derive(Serialize, Debug, Clone)]
pub struct IngestState {
    pub received: u64,
    pub applied: u64,
    pub rejected: u64,
    pub dropped: u64,
    /// Stamped readings not applied again (see `IngestCounters`).
    pub repeated: u64,
    pub link: &'static str,
    pub connects: u64,
    pub last_reject: Option<String>,
    pub last_error: Option<String>,
}

/// Reads the whole twin out of the world, twins in scene order.
pub fn take(world: &mut World) -> Snapshot {
    let active = world.get_resource::<ActiveScene>();
    let scene = active.and_then(|a| a.spawned.clone());
    let scene_error = active.and_then(|a| a.error.clone());
    let mut sensors_q = world.query::<(&Sensor, &SensorValue, &History, &Health)>();
    let mut twins_q = world.query::<(&Twin, &Health, Option<&Sensors>)>();
    let mut twins: Vec<(u32, TwinState)> = Vec::new();
    let now = world
        .get_resource::<TwinClock>()
        .filter(|c| c.now_s > 0.0)
        .map_or_else(now_s, |c| c.now_s);
    for (twin, health, list) in twins_q.iter(world) {
        let mut first = u32::MAX;
        let sensors = list
            .map(|l| {
                sensors_q
                    .iter_many(world, l.entities())
                    .map(|(s, v, hist, h)| {
                        first = first.min(s.index);
                        sensor_state(s, v, hist, *h, now)
                    })
                    .collect()
            })
            .unwrap_or_default();
        twins.push((
            first,
            TwinState {
                id: twin.id.to_string(),
                name: twin.name.clone(),
                kind: twin.kind.to_string(),
                health: health.label(),
                sensors,
            },
        ));
    }
    twins.sort_by_key(|(first, t)| (*first, t.id.clone()));
    let c = &world.resource::<Ingest>().counters;
    let ingest = IngestState {
        received: c.get(&c.received),
        applied: c.get(&c.applied),
        rejected: c.get(&c.rejected),
        dropped: c.get(&c.dropped),
        repeated: c.get(&c.repeated),
        link: match c.link() {
            LinkState::Idle => "idle",
            LinkState::Connecting => "connecting",
            LinkState::Connected => "connected",
            LinkState::Reconnecting => "reconnecting",
            LinkState::Stopped => "stopped",
        },
        connects: c.get(&c.connects),
        last_reject: c.last_reject(),
        last_error: c.last_error(),
    };
    let ms = |s: f64| (s * 1000.0).round() as u64;
    let alarms = world
        .get_resource::<Alarms>()
        .map(|a| {
            a.book
                .newest_first()
                .map(|alarm| {
                    let (twin, sensor) = a.name_of(alarm.sensor);
                    AlarmState {
                        id: alarm.id,
                        twin: twin.to_string(),
                        sensor: sensor.to_string(),
                        rule: alarm.rule,
                        level: alarm.level,
                        state: alarm.state,
                        raised_ms: ms(alarm.raised_at),
                        value: alarm.value,
                        acknowledged_ms: alarm.acknowledged_at.map(ms),
                        cleared_ms: alarm.cleared_at.map(ms),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let (mut what_if, mut what_if_errors) = (Vec::new(), Vec::new());
    for r in crate::whatif::planned(world) {
        match r {
            Ok(w) => what_if.push(w),
            Err(e) => what_if_errors.push(e),
        }
    }
    let flow = world
        .get_resource::<crate::flow::Flow>()
        .filter(|f| f.def.is_some())
        .cloned();
    Snapshot {
        alarms,
        flow,
        what_if,
        what_if_errors,
        scene,
        scene_error,
        twins: twins.into_iter().map(|(_, t)| t).collect(),
        ingest,
    }
}

fn sensor_state(s: &Sensor, v: &SensorValue, hist: &History, h: Health, now: f64) -> SensorState {
    let curve = hist.curve();
    let forecast = curve.as_ref().map(|c| {
        let at = c.time + FORECAST_HORIZON_S;
        let (low, high) = c.band(at, Z_95);
        Forecast {
            predictor: hist.predictor.name(),
            model: c.model,
            slope: c.slope(),
            horizon_s: FORECAST_HORIZON_S,
            value: c.mean(at),
            low,
            high,
        }
    });
    let countdown = s.alarm.and_then(|alarm| hist.countdown(alarm, now));
    SensorState {
        name: s.name.to_string(),
        topic: s.topic.clone(),
        unit: s.unit.to_string(),
        value: v.value,
        updated_ms: v.updated_ms,
        samples: v.samples,
        health: h.label(),
        stats: hist.series.describe(),
        forecast,
        time_to_alarm_s: countdown.map(|c| c.expected_s),
        time_to_alarm_low_s: countdown.map(|c| c.low_s),
        time_to_alarm_high_s: countdown.map(|c| c.high_s),
        anomaly: hist.anomaly,
        quality: hist.series.quality(now),
    }
}

/// Writes the snapshot to `path` through a temporary file, so a reader never sees half of one.
pub(crate) fn write(snapshot: &Snapshot, path: &std::path::Path) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(snapshot).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, path)
}

fn write_snapshot_on_exit(world: &mut World) {
    let exiting = world
        .get_resource::<Messages<AppExit>>()
        .is_some_and(|m| !m.is_empty());
    if !exiting {
        return;
    }
    // Taken, so that the exit message still buffered next frame writes nothing twice.
    let Some(SnapshotPath(path)) = world.remove_resource::<SnapshotPath>() else {
        return;
    };
    let snapshot = take(world);
    match write(&snapshot, &path) {
        Ok(()) => info!("snapshot written to {}", path.display()),
        Err(e) => error!("could not write the snapshot to {}: {e}", path.display()),
    }
}

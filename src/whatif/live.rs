//! The line's live state as the twin sees it: which machines are down and
//! for how long yet, which are heading for their alarm limits, and how full
//! the buffers are — the start of a what-if run.

use bevy::prelude::*;

use super::LineModel;
use crate::scene::format::{LineDef, SensorRole};
use crate::scene::index::SceneIndex;
use crate::sim::line::{MachineState, Start};
use crate::telemetry::TwinClock;
use crate::twin::{History, Sensor, SensorValue};

/// Where buffers start when their level is unknown (a share of their room).
const UNKNOWN_BUFFER_FILL: f64 = 0.5;

/// The line's state as the twin sees it now.
pub fn live_start(world: &mut World) -> Option<(LineDef, Start)> {
    let def = world.get_resource::<LineModel>()?.0.clone()?;
    let now = world.get_resource::<TwinClock>().map_or(0.0, |c| c.now_s);
    let index = world.get_resource::<SceneIndex>()?;
    // The sensors of each machine, and each buffer's level sensor.
    let machines: Vec<(String, f64, Vec<Entity>)> = def
        .stations
        .iter()
        .flat_map(|st| st.machines.iter().map(move |id| (id, st.repair_s)))
        .filter_map(|(id, repair_s)| {
            let twin = index.twin(id)?;
            let sensors = index
                .sensors()
                .iter()
                .filter(|s| s.twin == twin)
                .map(|s| s.entity);
            Some((id.clone(), repair_s, sensors.collect()))
        })
        .collect();
    let levels: Vec<Option<Entity>> = def
        .stations
        .iter()
        .map(|st| st.buffer_sensor.as_ref().and_then(|r| index.sensor(r)))
        .collect();
    let states: Vec<Entity> = index
        .with_role(SensorRole::MachineState)
        .map(|s| s.entity)
        .collect();
    let mut sensors = world.query::<(Entity, &Sensor, &SensorValue, &History)>();
    let mut start = Start {
        buffer_fill: UNKNOWN_BUFFER_FILL,
        ..Start::default()
    };
    // Buffer levels, where the line names a sensor for them.
    start.buffers = levels
        .iter()
        .map(|e| {
            let (_, _, v, _) = sensors.get(world, (*e)?).ok()?;
            v.value.map(|v| v.max(0.0).round() as usize)
        })
        .collect();
    for (id, repair_s, list) in &machines {
        let mut failing_in: Option<f64> = None;
        for (e, sensor, value, history) in sensors.iter_many(world, list) {
            let Some(v) = value.value else { continue };
            if states.contains(&e) {
                if MachineState::from_code(v) == Some(MachineState::Down) {
                    let left = repair_s - history.series.unchanged_for(now);
                    start.down.push((id.clone(), left.max(0.0)));
                }
                continue;
            }
            // A sensor past its warning level and trending to its alarm
            // limit: the machine is expected to fail when its forecast says
            // it gets there. (The expected curve, not the operator's
            // countdown, which waits until it is sure: a what-if asks "if
            // this goes on", for a machine already in warning.)
            if let (Some(warn), Some(alarm)) = (sensor.warn, sensor.alarm)
                && v >= warn
                && let Some(curve) = history.curve()
                && let Some(ahead) = curve.time_to(alarm)
            {
                let t = (curve.time + ahead - now).max(0.0);
                failing_in = Some(failing_in.map_or(t, |f: f64| f.min(t)));
            }
        }
        if let Some(t) = failing_in {
            start.failing_in.push((id.clone(), t));
        }
    }
    Some((def, start))
}

//! The alarm step in the ECS: each sensor's rules are evaluated once per
//! frame against its latest value and trend; the book of alarms is a resource
//! that the panel and the snapshot read.

use bevy::prelude::*;

use super::{AlarmBook, Reading, Rules, Watch};
use crate::TwinSet;
use crate::scene::SceneSpawned;
use crate::scene::format::SensorRef;
use crate::scene::index::SceneIndex;
use crate::telemetry::TwinClock;
use crate::twin::{History, Sensor, SensorValue};

pub(crate) fn plugin(app: &mut App) {
    // Every sensor has its rules from its spawn on (inert until the scene's
    // are set): inserting them later would move each sensor's row to
    // another table and leave the first table's room behind.
    app.register_required_components::<Sensor, AlarmWatch>();
    app.init_resource::<Alarms>().add_systems(
        Update,
        (watch_sensors, raise_alarms)
            .chain()
            .in_set(TwinSet::Analyze),
    );
}

/// Every alarm raised since the scene was loaded, and whose sensor each is.
#[derive(Resource, Default, Debug)]
pub struct Alarms {
    pub book: AlarmBook,
    /// Sensors by number: the scene's, then those of earlier scenes that
    /// still have alarms in the book.
    pub names: Vec<SensorRef>,
}

impl Alarms {
    pub(crate) fn name_of(&self, sensor: u32) -> (&str, &str) {
        self.names
            .get(sensor as usize)
            .map_or(("?", "?"), |r| (r.twin.as_str(), r.sensor.as_str()))
    }
}

/// A sensor's rules and their memory.
#[derive(Component, Debug, Clone, Default)]
pub(crate) struct AlarmWatch {
    pub rules: Rules,
    pub watch: Watch,
}

/// Gives every sensor of a new scene its rules, and carries the alarm book
/// over from the scene before (a reload).
fn watch_sensors(
    mut spawned: MessageReader<SceneSpawned>,
    mut sensors: Query<(&Sensor, &mut AlarmWatch)>,
    mut alarms: ResMut<Alarms>,
    index: Option<Res<SceneIndex>>,
) {
    // The index comes with the spawned twins; until then the message waits.
    let Some(index) = index else { return };
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    let defs: Vec<_> = scene.sensors().collect();
    // A reloaded scene keeps its alarm history: alarms follow their sensor
    // by (twin, sensor) name; those of sensors that are gone keep their names
    // at numbers past the scene's sensors.
    let mut names: Vec<SensorRef> = defs
        .iter()
        .map(|(t, s)| SensorRef::new(&t.id, &s.name))
        .collect();
    let old = std::mem::take(&mut alarms.names);
    // Looked up in the scene's index, not by a search of the list per old
    // sensor (a city's reload would compare 100,000 names with 100,000).
    // The old names are distinct, so a gone one is pushed once.
    let renumbered: Vec<u32> = old
        .iter()
        .map(|name| {
            index.number(name).unwrap_or_else(|| {
                names.push(name.clone());
                (names.len() - 1) as u32
            })
        })
        .collect();
    alarms
        .book
        .renumber(|i| renumbered.get(i as usize).copied().unwrap_or(i));
    alarms.names = names;
    for (sensor, mut watch) in &mut sensors {
        let Some((_, def)) = defs.get(sensor.index as usize) else {
            continue;
        };
        *watch = AlarmWatch {
            rules: Rules::of(def),
            watch: alarms.book.watch_for(sensor.index),
        };
    }
}

fn raise_alarms(
    mut sensors: Query<(&Sensor, &SensorValue, &History, &mut AlarmWatch)>,
    mut alarms: ResMut<Alarms>,
    clock: Res<TwinClock>,
) {
    let now = clock.now_s;
    for (sensor, value, history, mut watch) in &mut sensors {
        // A sensor without rules has nothing to evaluate (after a reload it
        // may still hold an alarm of its old rules: that one is cleared).
        if watch.rules.is_inert() && watch.watch.is_idle() {
            continue;
        }
        let Some(v) = value.value else { continue };
        let AlarmWatch { rules, watch } = &mut *watch;
        // Only the rate and forecast rules need the forecast: skip it otherwise.
        let rate = rules
            .max_rate
            .and_then(|_| history.curve())
            .map(|c| c.slope());
        let time_to_alarm = rules
            .forecast_horizon_s
            .zip(sensor.alarm)
            .and_then(|(_, alarm)| history.countdown(alarm, now))
            .map(|c| c.expected_s);
        let reading = Reading {
            time: now,
            value: v,
            rate,
            time_to_alarm,
        };
        alarms.book.evaluate(sensor.index, rules, watch, &reading);
    }
}

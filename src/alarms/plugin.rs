//! The alarm step in the ECS: each sensor's rules are evaluated once per
//! frame against its latest value and trend; the book of alarms is a resource
//! that the panel and the snapshot read.

use std::collections::HashMap;
use std::sync::Arc;

use bevy::prelude::*;

use super::{AlarmBook, Reading, Rules, Watch};
use crate::TwinSet;
use crate::scene::SceneSpawned;
use crate::scene::format::{SensorDef, SensorRef};
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
            .map_or(("?", "?"), |r| (&*r.twin, &*r.sensor))
    }
}

/// A sensor's rules and their memory: 16 bytes a sensor. Sensors of one
/// definition (a city's buildings) share their rules; a sensor without
/// rules has none.
#[derive(Component, Debug, Clone, Default)]
pub(crate) struct AlarmWatch {
    pub rules: Option<Arc<Rules>>,
    pub watch: Watch,
}

impl AlarmWatch {
    /// Rules of this sensor's own (the editor's change to one sensor).
    pub(crate) fn set_rules(&mut self, rules: Rules) {
        self.rules = held(rules);
    }
}

/// `rules` as a sensor holds them: not at all when they can never hold.
fn held(rules: Rules) -> Option<Arc<Rules>> {
    (!rules.is_inert()).then(|| Arc::new(rules))
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
    let mut names: Vec<SensorRef> = index.sensors().iter().map(|s| s.name.clone()).collect();
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
    // One `Rules` a sensor definition: the buildings of a city share theirs.
    let mut shared: HashMap<*const SensorDef, Option<Arc<Rules>>> = HashMap::new();
    for (sensor, mut watch) in &mut sensors {
        let Some((_, def)) = defs.get(sensor.index as usize) else {
            continue;
        };
        let rules = shared
            .entry(*def as *const SensorDef)
            .or_insert_with(|| held(Rules::of(def)));
        *watch = AlarmWatch {
            rules: rules.clone(),
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
        if watch.rules.is_none() && watch.watch.is_idle() {
            continue;
        }
        let Some(v) = value.value else { continue };
        let watch = &mut *watch;
        let rules = watch.rules.as_deref().unwrap_or(&Rules::INERT);
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
        alarms
            .book
            .evaluate(sensor.index, rules, &mut watch.watch, &reading);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::parse;
    use crate::scene::models::Models;

    /// Twins that share a sensor list (a city's buildings) share one set of
    /// rules; a sensor without rules holds none, and a sensor holding no
    /// condition keeps no memory of them.
    #[test]
    fn sensors_of_one_definition_share_their_rules() {
        let text = r#"(name: "s", twins: [
            (id: "a", name: "A", kind: "k", sensors: [(name: "t", unit: "C", range: (0, 100), alarm: Some(90))]),
            (id: "b", name: "B", kind: "k", sensors: []),
            (id: "c", name: "C", kind: "k", sensors: [(name: "t", unit: "C", range: (0, 100), alarm: Some(90)), (name: "n", unit: "C", range: (0, 100))]),
        ])"#;
        let mut scene = parse(text, "s.scene.ron").unwrap();
        scene.twins[1].sensors = scene.twins[0].sensors.clone();
        let scene = Arc::new(scene);
        let mut app = App::new();
        app.add_message::<SceneSpawned>()
            .init_resource::<TwinClock>()
            .add_plugins(plugin);
        let index = crate::scene::spawn_twins(app.world_mut(), &scene, &Models::new());
        let sensors: Vec<Entity> = (0..4).map(|n| index.entity(n).unwrap()).collect();
        app.insert_resource(index);
        app.world_mut().write_message(SceneSpawned { scene });
        app.update();
        let watch = |n: usize| app.world().get::<AlarmWatch>(sensors[n]).unwrap();
        let rules = |n: usize| watch(n).rules.clone();
        let (a, b, c) = (rules(0).unwrap(), rules(1).unwrap(), rules(2).unwrap());
        assert!(Arc::ptr_eq(&a, &b), "a and b share their list: one Rules");
        assert!(!Arc::ptr_eq(&a, &c), "c has a list of its own");
        assert_eq!((a.alarm, c.alarm), (Some(90.0), Some(90.0)));
        assert!(rules(3).is_none(), "no limits, no rules");
        assert!((0..4).all(|n| watch(n).watch.is_idle()));
    }
}

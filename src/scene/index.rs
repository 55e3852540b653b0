//! The scene index: built once when a scene spawns, it answers every
//! "which sensor is this?" question the systems downstream ask — the
//! router's sensor number ↔ (twin, sensor) ↔ entity, twins by id, and the
//! sensors that play a role in the process model and the flow.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bevy::prelude::*;

use super::format::{SceneDef, SensorRef, SensorRole};

/// One sensor of the scene, by its number (its place in scene order).
#[derive(Debug, Clone)]
pub(crate) struct IndexedSensor {
    pub entity: Entity,
    /// Its twin's entity.
    pub twin: Entity,
    pub name: SensorRef,
    pub role: Option<SensorRole>,
}

/// Everything a system needs to find a sensor or a twin of the spawned scene.
#[derive(Resource, Debug, Default)]
pub struct SceneIndex {
    sensors: Vec<IndexedSensor>,
    /// Each sensor's entity alone, dense: `apply_samples` looks one up per
    /// sample, and 8 bytes a sensor stay in cache where a whole
    /// `IndexedSensor` (two strings, a role) does not.
    entities: Vec<Entity>,
    by_name: HashMap<SensorRef, u32>,
    twins: HashMap<Arc<str>, Entity>,
}

/// One shared copy of each string a spawn hands out: a city's 100,000
/// sensors named "energy" in "kW" hold two strings between them.
#[derive(Debug, Default)]
pub(crate) struct Strings(HashSet<Arc<str>>);

impl Strings {
    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = s.into();
        self.0.insert(shared.clone());
        shared
    }
}

impl SceneIndex {
    /// The index of `scene` whose twins and sensors were spawned as
    /// `twins` (by twin, in scene order) and `sensors` (in sensor order);
    /// names come from `strings` (the twins' ids among them).
    pub(crate) fn new(
        scene: &SceneDef,
        twins: &[Entity],
        sensors: &[Entity],
        strings: &mut Strings,
    ) -> SceneIndex {
        let mut index = SceneIndex::default();
        let mut number = 0;
        for (t, twin) in scene.twins.iter().enumerate() {
            let id = strings.get(&twin.id);
            index.twins.insert(id.clone(), twins[t]);
            for sensor in twin.sensors.iter() {
                let name = SensorRef {
                    twin: id.clone(),
                    sensor: strings.get(&sensor.name),
                };
                index.by_name.insert(name.clone(), number as u32);
                index.entities.push(sensors[number]);
                index.sensors.push(IndexedSensor {
                    entity: sensors[number],
                    twin: twins[t],
                    name,
                    role: scene.role_of(twin, sensor),
                });
                number += 1;
            }
        }
        index
    }

    /// Sensors in the router's order.
    pub(crate) fn sensors(&self) -> &[IndexedSensor] {
        &self.sensors
    }

    /// The entity of sensor number `n`.
    pub(crate) fn entity(&self, n: u32) -> Option<Entity> {
        self.entities.get(n as usize).copied()
    }

    /// The number of a sensor named by twin and sensor.
    pub(crate) fn number(&self, name: &SensorRef) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// The entity of a sensor named by twin and sensor.
    pub(crate) fn sensor(&self, name: &SensorRef) -> Option<Entity> {
        self.number(name).and_then(|n| self.entity(n))
    }

    /// A twin's entity by its id.
    pub(crate) fn twin(&self, id: &str) -> Option<Entity> {
        self.twins.get(id).copied()
    }

    /// The sensors with a role, with their twin.
    pub(crate) fn with_role(&self, role: SensorRole) -> impl Iterator<Item = &IndexedSensor> {
        self.sensors.iter().filter(move |s| s.role == Some(role))
    }

    pub(crate) fn len(&self) -> usize {
        self.sensors.len()
    }
}

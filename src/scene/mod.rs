//! Scenes: the `*.scene.ron` asset and the twins spawned from it.
//!
//! The format itself is the pure `format` core. This plugin loads a scene
//! through Bevy's asset server (so the browser build fetches it the same way),
//! spawns a `Twin` entity per twin and a `Sensor` entity per sensor, and
//! announces `SceneSpawned` for the steps downstream. A scene that fails to
//! load is reported with its position; the last good scene stays.

pub mod format;
pub mod index;
pub mod models;
mod validate;

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoadFailedEvent, AssetLoader, LoadContext};
use bevy::prelude::*;

use crate::analytics::SeriesConfig;
use crate::analytics::auto::Auto;
use crate::analytics::countdown::CountdownRule;
use crate::analytics::onnx::Learned;
use crate::analytics::predict::{FirstOrder, Holt, LinearTrend, Predictor};
use crate::twin::{History, Sensor, SensorOf, Twin};
use format::{PredictorDef, SceneDef, SceneError};
use index::SceneIndex;
use models::Models;

pub(crate) fn plugin(app: &mut App) {
    app.init_asset::<SceneAsset>()
        .register_asset_loader(SceneLoader)
        .add_message::<SceneSpawned>()
        .add_systems(Startup, load_scene)
        .add_systems(
            Update,
            (report_load_failures, spawn_loaded_scene)
                .chain()
                .before(crate::TwinSet::Ingest),
        );
}

/// A loaded `*.scene.ron`, with the ONNX models its sensors name.
#[derive(Asset, TypePath, Debug, Clone)]
pub(crate) struct SceneAsset {
    pub def: std::sync::Arc<SceneDef>,
    pub models: Models,
    /// The city file of a scene with a `city`: what the viewer draws.
    pub map: Option<std::sync::Arc<crate::city::asset::CityFile>>,
}

#[derive(TypePath, Default)]
pub(crate) struct SceneLoader;

impl AssetLoader for SceneLoader {
    type Asset = SceneAsset;
    type Settings = ();
    type Error = SceneLoadError;

    async fn load(
        &self,
        reader: &mut dyn Reader,
        _: &(),
        ctx: &mut LoadContext<'_>,
    ) -> Result<SceneAsset, SceneLoadError> {
        // The file as the user named it, without the asset source.
        let file = ctx.path().path().display().to_string();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| SceneLoadError::Io(format!("{file}: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| SceneLoadError::Io(format!("{file}: not UTF-8 text")))?;
        let mut def = format::parse(&text, &file)?;
        let map = match def.city.as_ref().map(|c| c.map.clone()) {
            Some(name) => {
                let bytes = ctx
                    .read_asset_bytes(name.clone())
                    .await
                    .map_err(|e| e.to_string());
                let map = crate::city::scene::expand_with(&mut def, &file, &name, bytes)
                    .map_err(SceneLoadError::Io)?;
                Some(std::sync::Arc::new(map))
            }
            None => None,
        };
        let mut models = Models::new();
        for key in models::wanted(&def) {
            let bytes = ctx
                .read_asset_bytes(key.0.clone())
                .await
                .map_err(|e| e.to_string());
            let model = models::load(bytes, &key, &text, &file)?;
            models.insert(key, model);
        }
        Ok(SceneAsset {
            def: std::sync::Arc::new(def),
            models,
            map,
        })
    }

    fn extensions(&self) -> &[&str] {
        &["scene.ron"]
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SceneLoadError {
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Invalid(#[from] SceneError),
}

/// Which scene to show: an asset path such as `scene://factory.scene.ron`.
#[derive(Resource, Debug, Clone)]
pub(crate) struct ScenePath(pub String);

/// The scene on screen now.
#[derive(Resource, Debug, Clone)]
pub(crate) struct ActiveScene {
    pub handle: Handle<SceneAsset>,
    /// The name of the scene last spawned, if any.
    pub spawned: Option<String>,
    /// Why the last load or reload failed, until a good one arrives.
    pub error: Option<String>,
}

/// Sent after a scene's twins are spawned; carries the scene for the
/// telemetry router and the views.
#[derive(Message, Debug, Clone)]
pub struct SceneSpawned {
    /// Shared with the scene's asset: a city's definition is not copied.
    pub scene: std::sync::Arc<SceneDef>,
}

/// The city of the scene on screen, when it has a `city`: its file and
/// the scene's section (the sensors of a building and of a street).
#[derive(Resource, Debug, Clone, Default)]
pub(crate) struct CityMap {
    pub map: Option<std::sync::Arc<crate::city::asset::CityFile>>,
    pub city: Option<format::CityDef>,
}

/// The root entity that all of a scene's twins hang under.
#[derive(Component)]
pub(crate) struct SceneRoot;

fn load_scene(mut commands: Commands, path: Option<Res<ScenePath>>, server: Res<AssetServer>) {
    let Some(path) = path else { return };
    commands.insert_resource(ActiveScene {
        handle: server.load(path.0.clone()),
        spawned: None,
        error: None,
    });
}

/// Logs a failed load. With no good scene to fall back on, a native app
/// exits with status 2, so a script or test sees the error rather than an
/// empty twin. The page keeps running instead: exiting would stop its frame
/// loop before the error reached the page's status line and snapshot.
fn report_load_failures(
    mut failures: MessageReader<AssetLoadFailedEvent<SceneAsset>>,
    active: Option<ResMut<ActiveScene>>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(mut active) = active else { return };
    for failure in failures.read() {
        // Just what our loader said (`file:line:col: what`), without Bevy's
        // wrapper text and backtrace.
        let message = match &failure.error {
            bevy::asset::AssetLoadError::AssetLoaderError(e) => e
                .error()
                .downcast_ref::<SceneLoadError>()
                .map_or_else(|| e.to_string(), ToString::to_string),
            other => other.to_string(),
        };
        if active.spawned.is_some() {
            warn!("scene not reloaded, keeping the last good one: {message}");
        } else {
            error!("{message}");
            if cfg!(not(target_arch = "wasm32")) {
                exit.write(AppExit::from_code(2));
            }
        }
        active.error = Some(message);
    }
}

fn spawn_loaded_scene(
    mut commands: Commands,
    active: Option<ResMut<ActiveScene>>,
    scenes: Res<Assets<SceneAsset>>,
    mut events: MessageReader<AssetEvent<SceneAsset>>,
    roots: Query<Entity, With<SceneRoot>>,
    mut spawned: MessageWriter<SceneSpawned>,
) {
    let Some(mut active) = active else { return };
    let changed = events.read().any(|e| match e {
        AssetEvent::LoadedWithDependencies { id } | AssetEvent::Modified { id } => {
            *id == active.handle.id()
        }
        _ => false,
    });
    let first = active.spawned.is_none();
    if !(changed || first) {
        return;
    }
    let Some(SceneAsset {
        def: scene,
        models,
        map,
    }) = scenes.get(&active.handle)
    else {
        return;
    };
    commands.insert_resource(CityMap {
        map: map.clone(),
        city: scene.city.clone(),
    });
    for root in &roots {
        commands.entity(root).despawn();
    }
    // Spawned straight into the world, not through this system's command
    // queue: a queue of 100,000 twins' components would keep its room
    // (about a kilobyte a sensor) for as long as the app runs.
    let (def, models) = (scene.clone(), models.clone());
    commands.queue(move |world: &mut World| {
        let index = spawn_twins(world, &def, &models);
        world.insert_resource(index);
    });
    info!(
        "scene \"{}\": {} twins, {} sensors",
        scene.name,
        scene.twins.len(),
        scene.sensors().count()
    );
    active.spawned = Some(scene.name.clone());
    active.error = None;
    spawned.write(SceneSpawned {
        scene: scene.clone(),
    });
}

/// A twin's place as the scene file gives it.
pub(crate) fn twin_transform(t: &format::TransformDef) -> Transform {
    Transform::from_translation(Vec3::from(t.translation))
        .with_rotation(Quat::from_rotation_y(t.rotation_y_deg.to_radians()))
        .with_scale(Vec3::splat(t.scale))
}

/// Spawns every twin and sensor of `scene` and returns the sensor index.
///
/// Each kind of entity is spawned in one batch with every component it
/// will have (its parent included): its table is sized once, exactly, and
/// no row moves to another table later (a moved row leaves its old table's
/// room behind).
pub(crate) fn spawn_twins(world: &mut World, scene: &SceneDef, models: &Models) -> SceneIndex {
    let root = world
        .spawn((
            SceneRoot,
            Name::new(scene.name.clone()),
            Transform::default(),
        ))
        .id();
    let mut strings = index::Strings::default();
    let twins: Vec<Entity> = world
        .spawn_batch(scene.twins.iter().map(|twin| {
            (
                Twin {
                    id: strings.get(&twin.id),
                    name: twin.name.clone(),
                    kind: strings.get(&twin.kind),
                },
                Name::new(twin.name.clone()),
                twin_transform(&twin.transform),
                ChildOf(root),
            )
        }))
        .collect();
    let sensors = scene
        .twins
        .iter()
        .zip(&twins)
        .flat_map(|(twin, entity)| twin.sensors.iter().map(move |s| (twin, *entity, s)))
        .enumerate()
        .map(|(i, (twin, entity, sensor))| {
            (
                Sensor {
                    index: i as u32,
                    name: strings.get(&sensor.name),
                    unit: strings.get(&sensor.unit),
                    topic: scene.topic_of(twin, sensor),
                    range: sensor.range,
                    warn: sensor.warn,
                    alarm: sensor.alarm,
                },
                SensorOf(entity),
                history_for(sensor, models),
            )
        });
    let count = scene.sensors().count();
    let sensors: Vec<Entity> = world.spawn_batch(Counted(sensors, count)).collect();
    let index = SceneIndex::new(scene, &twins, &sensors, &mut strings);
    // A named parent replaces the root (the same table: no row moves).
    for (twin, entity) in scene.twins.iter().zip(&twins) {
        if let Some(parent) = twin.parent.as_deref().and_then(|p| index.twin(p)) {
            world.entity_mut(*entity).insert(ChildOf(parent));
        }
    }
    index
}

/// An iterator that says how many items it has left (`spawn_batch` sizes
/// its table by that; a `flat_map` does not know).
struct Counted<I>(I, usize);

impl<I: Iterator> Iterator for Counted<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.0.next()?;
        self.1 = self.1.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

/// A sensor's history with the predictor and countdown rule its scene entry
/// chose (`models`: the scene's loaded ONNX models).
pub(crate) fn history_for(sensor: &format::SensorDef, models: &Models) -> History {
    let predictor: Box<dyn Predictor> = match &sensor.predictor {
        PredictorDef::Auto => Box::new(Auto),
        PredictorDef::Linear => Box::new(LinearTrend),
        PredictorDef::Holt { alpha, beta } => Box::new(Holt::new(*alpha, *beta)),
        PredictorDef::FirstOrder => Box::new(FirstOrder),
        PredictorDef::Onnx {
            model,
            last,
            step_s,
            horizon_s,
        } => match models.get(&(model.clone(), *last)) {
            Some(m) => Box::new(Learned {
                model: m.clone(),
                step_s: *step_s,
                horizon_s: *horizon_s,
            }),
            // The loader refuses a scene whose model it could not load.
            None => {
                warn!("ONNX model {model} not loaded; {} uses auto", sensor.name);
                Box::new(Auto)
            }
        },
    };
    let mut history = History::with_config(
        predictor,
        SeriesConfig {
            physical: sensor.physical.unwrap_or(SeriesConfig::default().physical),
            ..SeriesConfig::default()
        },
    );
    history.countdown = CountdownRule {
        confidence: sensor.countdown.confidence,
        horizon_s: sensor.countdown.horizon_s,
    };
    history
}

#[cfg(test)]
mod spawn_tests {
    use super::*;

    /// A twin hangs under its named parent (here listed after it), the
    /// others under the scene's root; sensors are numbered in scene order.
    #[test]
    fn a_twin_is_a_child_of_its_named_parent_and_the_others_of_the_root() {
        let text = r#"(name: "s", twins: [
            (id: "arm", name: "Arm", kind: "robot", parent: Some("cell"),
             sensors: [(name: "t", unit: "C", range: (0, 1))]),
            (id: "cell", name: "Cell", kind: "cell",
             sensors: [(name: "p", unit: "kW", range: (0, 1)), (name: "q", unit: "kW", range: (0, 1))]),
        ])"#;
        let scene = format::parse(text, "s.scene.ron").unwrap();
        let mut world = World::new();
        let index = spawn_twins(&mut world, &scene, &Models::new());
        let root = world
            .query_filtered::<Entity, With<SceneRoot>>()
            .single(&world)
            .unwrap();
        let (arm, cell) = (index.twin("arm").unwrap(), index.twin("cell").unwrap());
        assert_eq!(world.get::<ChildOf>(arm).unwrap().parent(), cell);
        assert_eq!(world.get::<ChildOf>(cell).unwrap().parent(), root);
        let sensor = |n: u32| index.entity(n).unwrap();
        let twin_of = |n: u32| world.get::<SensorOf>(sensor(n)).unwrap().0;
        assert_eq!([twin_of(0), twin_of(1), twin_of(2)], [arm, cell, cell]);
        let q = world.get::<Sensor>(sensor(2)).unwrap();
        assert_eq!((&*q.name, q.index), ("q", 2));
    }

    /// A spawn hands out one copy of each name: sensors of one name or
    /// unit share it, and the index names a twin by the twin's own id.
    #[test]
    fn a_spawned_scene_shares_its_names() {
        let text = r#"(name: "s", twins: [
            (id: "a", name: "A", kind: "press",
             sensors: [(name: "t", unit: "C", range: (0, 1)), (name: "p", unit: "kW", range: (0, 1))]),
            (id: "b", name: "B", kind: "press",
             sensors: [(name: "t", unit: "C", range: (0, 1)), (name: "q", unit: "kW", range: (0, 1))]),
        ])"#;
        let scene = format::parse(text, "s.scene.ron").unwrap();
        let mut world = World::new();
        let index = spawn_twins(&mut world, &scene, &Models::new());
        let sensor = |n: u32| world.get::<Sensor>(index.entity(n).unwrap()).unwrap();
        let twin = |id: &str| world.get::<Twin>(index.twin(id).unwrap()).unwrap();
        let shared =
            |a: &std::sync::Arc<str>, b: &std::sync::Arc<str>| std::sync::Arc::ptr_eq(a, b);
        assert!(shared(&sensor(0).name, &sensor(2).name), "the two t");
        assert!(shared(&sensor(1).unit, &sensor(3).unit), "the three kW");
        assert!(shared(&sensor(0).unit, &sensor(2).unit), "the two C");
        assert!(!shared(&sensor(0).unit, &sensor(1).unit));
        assert!(shared(&twin("a").kind, &twin("b").kind), "the two presses");
        let named = &index.sensors()[3].name;
        assert_eq!((&*named.twin, &*named.sensor), ("b", "q"));
        assert!(shared(&named.twin, &twin("b").id));
        assert!(shared(&named.sensor, &sensor(3).name));
    }

    /// A twin stands where its scene entry puts it; a sensor's window,
    /// predictor and countdown rule are the ones its entry chose.
    #[test]
    fn a_spawned_twin_and_its_sensor_are_what_the_scene_says() {
        let text = r#"(name: "s", twins: [
            (id: "a", name: "A", kind: "press",
             transform: (translation: (1, 2, 3), rotation_y_deg: 90, scale: 2),
             sensors: [(name: "t", unit: "C", range: (0, 100), physical: Some((-20, 120)),
                        predictor: Holt(alpha: 0.5, beta: 0.2),
                        countdown: (confidence: 0.8, horizon_s: 900))]),
            (id: "b", name: "B", kind: "press", sensors: [(name: "t", unit: "C", range: (0, 100))]),
        ])"#;
        let scene = format::parse(text, "s.scene.ron").unwrap();
        let mut world = World::new();
        let index = spawn_twins(&mut world, &scene, &Models::new());
        let a = world.get::<Transform>(index.twin("a").unwrap()).unwrap();
        assert_eq!(a.translation, Vec3::new(1.0, 2.0, 3.0));
        assert_eq!(a.scale, Vec3::splat(2.0));
        // A quarter turn about y takes +x to -z.
        assert!((a.rotation * Vec3::X).distance(Vec3::NEG_Z) < 1e-6);
        let named = |twin: &str| format::SensorRef::from((twin.to_string(), "t".to_string()));
        assert_eq!(
            [index.number(&named("a")), index.number(&named("b"))],
            [Some(0), Some(1)]
        );
        assert_eq!(index.sensor(&named("b")), index.entity(1));
        assert_eq!(index.number(&named("c")), None);
        let history = |n: u32| world.get::<History>(index.entity(n).unwrap()).unwrap();
        let (chosen, default) = (history(0), history(1));
        assert_eq!(
            (chosen.predictor.name(), default.predictor.name()),
            ("holt", "auto")
        );
        assert_eq!(
            (chosen.countdown.confidence, chosen.countdown.horizon_s),
            (0.8, 900.0)
        );
        // 130 is outside the probe's physical range; no range, no flag.
        let mut series = chosen.series.clone();
        series.push(0.0, 130.0);
        assert!(series.quality(0.0).out_of_range);
        let mut series = default.series.clone();
        series.push(0.0, 1e9);
        assert!(!series.quality(0.0).out_of_range);
    }

    /// The index of the shipped factory: every sensor numbered, and the
    /// sensors the process and the flow read found by their role (as the
    /// scene file names them), in a table with no spare room.
    #[test]
    fn the_factory_index_finds_its_sensors_by_role() {
        let text = include_str!("../../scenes/factory.scene.ron");
        let scene = format::parse(text, "factory.scene.ron").unwrap();
        let mut world = World::new();
        let index = spawn_twins(&mut world, &scene, &Models::new());
        // Each sensor, and nothing else in the file, has a unit.
        assert_eq!(index.len(), text.matches("unit: \"").count());
        let with = |role| {
            let mut named: Vec<String> = index
                .with_role(role)
                .map(|s| format!("{}/{}", s.name.twin, s.name.sensor))
                .collect();
            named.sort();
            named
        };
        assert_eq!(
            with(format::SensorRole::BufferLevel),
            ["conv-1/queue", "conv-2/queue", "pack-1/infeed_queue"]
        );
        assert_eq!(with(format::SensorRole::Shipped), ["pack-1/shipped"]);
        // The sensors' table is sized once, to its rows (no room left over
        // from growing by doubling).
        let table = world.entity(index.entity(0).unwrap()).location().table_id;
        let table = world.storages().tables.get(table).unwrap();
        assert_eq!(table.capacity(), index.len(), "room for the 55 sensors");
        assert_eq!(table.entity_count() as usize, index.len());
    }
}

//! The `*.scene.ron` schema and its validation: a pure core with no Bevy types.
//!
//! A scene names its twins (machines or city blocks), how each is drawn, its
//! sensors, and how each sensor is bound to MQTT data and shown in 3D. Parsing
//! and validation happen here so that the asset loader, the CLI and the tests
//! all report the same `file:line:col: what was expected` errors.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Where in a scene file something went wrong (1-based, as editors count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A scene file that could not be used, with the position of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{}:{}: {message}", pos.line, pos.col)]
pub struct SceneError {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

/// A sensor of the scene named by its twin's id and its own name, written
/// `("press-1", "temperature")` in a scene file and `press-1/temperature`
/// on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "(String, String)", into = "(String, String)")]
pub struct SensorRef {
    /// Shared: a spawned scene's names hold one copy of each twin's id and
    /// of each sensor name, however many lists name them.
    pub twin: Arc<str>,
    pub sensor: Arc<str>,
}

impl SensorRef {
    pub(crate) fn new(twin: &str, sensor: &str) -> SensorRef {
        SensorRef {
            twin: twin.into(),
            sensor: sensor.into(),
        }
    }
}

impl From<(String, String)> for SensorRef {
    fn from((twin, sensor): (String, String)) -> Self {
        SensorRef {
            twin: twin.into(),
            sensor: sensor.into(),
        }
    }
}

impl From<SensorRef> for (String, String) {
    fn from(r: SensorRef) -> Self {
        (r.twin.to_string(), r.sensor.to_string())
    }
}

impl fmt::Display for SensorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.twin, self.sensor)
    }
}

/// The name of the sensor through which every machine of the process model
/// reports its state (`sim::line::MachineState` codes).
pub(crate) const MACHINE_STATE_SENSOR: &str = "state";

/// What a sensor means to the process model and the parts flow, beyond its
/// number: found from the scene's `process` and `flow` sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SensorRole {
    /// A process machine's state (`MACHINE_STATE_SENSOR`).
    MachineState,
    /// A machine's count of parts it has finished (`flow.made_sensor`).
    Made,
    /// The count of parts the line shipped (`flow.counter`).
    Shipped,
    /// How many parts wait in the buffer after a station (`buffer_sensor`).
    BufferLevel,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SceneKind {
    #[default]
    Factory,
    City,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneDef {
    pub name: String,
    #[serde(default)]
    pub kind: SceneKind,
    #[serde(default)]
    pub camera: Option<CameraDef>,
    /// Reusable part lists, referenced by `shape: Prefab("name")`.
    #[serde(default)]
    pub prefabs: BTreeMap<String, Vec<PartDef>>,
    pub twins: Vec<TwinDef>,
    /// Bindings whose topic holds a `{twin}` segment that names the twin.
    #[serde(default)]
    pub templates: Vec<TemplateDef>,
    /// The line as a process model: stations of machines with buffers
    /// between them, for the simulated plant and what-if runs.
    #[serde(default)]
    pub process: Option<LineDef>,
    /// Parts made by the line, as physical bodies: released when a counter
    /// sensor goes up, carried by a belt past a photo-eye into a bin.
    #[serde(default)]
    pub flow: Option<FlowDef>,
    /// A map whose buildings and streets become twins (`kind: City`).
    #[serde(default)]
    pub city: Option<CityDef>,
}

/// Where finished parts go, in scene coordinates (metres).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDef {
    /// (twin id, sensor name) of the count of parts made: each increase
    /// releases that many parts.
    pub counter: SensorRef,
    /// The belt's centre line on its top surface, from where parts land to
    /// where they fall off.
    pub belt_from: [f32; 3],
    pub belt_to: [f32; 3],
    #[serde(default = "belt_width")]
    pub belt_width: f32,
    /// Metres per second.
    #[serde(default = "belt_speed")]
    pub belt_speed: f32,
    /// The bin's floor centre and inner size.
    pub bin_at: [f32; 3],
    pub bin_size: [f32; 3],
    /// Edge of a (cubic) part.
    #[serde(default = "part_size")]
    pub part_size: f32,
    /// Parts a bin holds: when this many lie in it, it is swapped for an
    /// empty one.
    #[serde(default = "keep_parts")]
    pub bin_holds: usize,
    /// The buffers between the process's stations as accumulating belts:
    /// parts ride to the end and queue there, as many as the buffer's level
    /// sensor reports; machines take them off and put theirs on.
    #[serde(default)]
    pub buffers: Vec<BufferBeltDef>,
    /// Where a part sits while a machine works on it: this high over the
    /// machine's origin.
    #[serde(default = "park_height")]
    pub park_height: f32,
    /// The sensor every machine of a buffered station has that counts the
    /// parts it has finished: each increase puts one on the belt after it.
    #[serde(default = "made_sensor")]
    pub made_sensor: String,
}

/// The belt for the buffer after one station of the process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferBeltDef {
    /// The station whose finished parts wait on this belt (it needs a
    /// `buffer_sensor`); the next station's machines take them.
    pub station: String,
    /// The belt's centre line on its top surface; parts queue at `to`.
    pub from: [f32; 3],
    pub to: [f32; 3],
    /// Width and speed; the outfeed belt's if left out.
    #[serde(default)]
    pub width: Option<f32>,
    #[serde(default)]
    pub speed: Option<f32>,
    /// Draw the belt (false where a conveyor twin already shows one).
    #[serde(default = "yes")]
    pub draw: bool,
}

fn made_sensor() -> String {
    "made".into()
}
fn park_height() -> f32 {
    1.1
}
fn yes() -> bool {
    true
}

fn belt_width() -> f32 {
    0.9
}
fn belt_speed() -> f32 {
    0.8
}
fn part_size() -> f32 {
    0.3
}
fn keep_parts() -> usize {
    12
}

/// A production line: parts flow through the stations in order, each
/// station's machines taking parts from the buffer before it (the first from
/// an endless supply) and putting them in the buffer after it (the last into
/// the shipped count). Times in seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineDef {
    /// Repair crews: how many broken machines can be repaired at once.
    #[serde(default = "one_unit")]
    pub crews: usize,
    pub stations: Vec<StationDef>,
}

fn one_unit() -> usize {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationDef {
    pub name: String,
    /// Twin ids of the station's machines, which work in parallel.
    pub machines: Vec<String>,
    /// Processing time per part: normal(cycle_s, cycle_sd_s), drawn again while ≤ 0.
    pub cycle_s: f64,
    #[serde(default)]
    pub cycle_sd_s: f64,
    /// Mean working time between breakdowns (exponential); none if left out.
    #[serde(default)]
    pub mtbf_s: Option<f64>,
    /// Repair time once a crew arrives.
    #[serde(default)]
    pub repair_s: f64,
    /// Room in the buffer after this station (ignored for the last one).
    #[serde(default = "one_unit")]
    pub buffer: usize,
    /// The (twin id, sensor name) that reports how many parts wait in that
    /// buffer: the simulated plant publishes it, what-if runs start from it.
    #[serde(default)]
    pub buffer_sensor: Option<SensorRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraDef {
    pub focus: [f32; 3],
    pub distance: f32,
    #[serde(default)]
    pub yaw_deg: f32,
    #[serde(default = "default_pitch")]
    pub pitch_deg: f32,
}

fn default_pitch() -> f32 {
    35.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinDef {
    pub id: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub transform: TransformDef,
    #[serde(default)]
    pub shape: ShapeDef,
    #[serde(default)]
    pub parent: Option<String>,
    /// Shared: a city's thousands of buildings have one list between them.
    #[serde(default, with = "shared_list")]
    pub sensors: Arc<[SensorDef]>,
}

/// A shared list in a scene file: written and read as a plain list.
mod shared_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub(super) fn serialize<S: Serializer, T: Serialize>(
        list: &Arc<[T]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        list.as_ref().serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Arc<[T]>, D::Error> {
        Vec::<T>::deserialize(d).map(Into::into)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformDef {
    #[serde(default)]
    pub translation: [f32; 3],
    #[serde(default)]
    pub rotation_y_deg: f32,
    #[serde(default = "one")]
    pub scale: f32,
}

fn one() -> f32 {
    1.0
}

impl Default for TransformDef {
    fn default() -> Self {
        Self {
            translation: [0.0; 3],
            rotation_y_deg: 0.0,
            scale: 1.0,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub enum ShapeDef {
    /// Nothing drawn (a logical twin, e.g. a line grouping machines).
    #[default]
    Empty,
    Prefab(String),
    Parts(Vec<PartDef>),
    /// A glTF scene path under assets/, e.g. `"models/robot.glb#Scene0"`.
    Gltf(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartDef {
    /// A name that `show` effects refer to (e.g. `"spindle"`).
    #[serde(default)]
    pub name: Option<String>,
    /// An earlier named part this one hangs from; `at` and `rotate_deg` are
    /// then relative to it, and it moves with it (an arm on a turret).
    #[serde(default)]
    pub parent: Option<String>,
    pub prim: Prim,
    #[serde(default)]
    pub at: [f32; 3],
    #[serde(default)]
    pub rotate_deg: [f32; 3],
    /// `"#rrggbb"`.
    pub color: String,
    /// Takes the twin's status colour (the value ramp) instead of `color`.
    #[serde(default)]
    pub tint: bool,
    #[serde(default)]
    pub metallic: f32,
    #[serde(default = "default_roughness")]
    pub roughness: f32,
}

fn default_roughness() -> f32 {
    0.6
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub enum Prim {
    Cuboid { size: [f32; 3] },
    Cylinder { radius: f32, height: f32 },
    Sphere { radius: f32 },
    Capsule { radius: f32, length: f32 },
    Cone { radius: f32, height: f32 },
    Torus { minor: f32, major: f32 },
}

impl SceneDef {
    /// The parts a twin is drawn with: its own, or its prefab's.
    pub(crate) fn parts_of<'a>(&'a self, twin: &'a TwinDef) -> &'a [PartDef] {
        match &twin.shape {
            ShapeDef::Parts(parts) => parts,
            ShapeDef::Prefab(name) => self.prefabs.get(name).map(Vec::as_slice).unwrap_or(&[]),
            ShapeDef::Empty | ShapeDef::Gltf(_) => &[],
        }
    }

    /// Every sensor in scene order: (twin index, sensor index within the twin).
    /// The topic (or filter) that feeds a sensor and how its payload is
    /// decoded: its binding, or the template for its name with the twin's id
    /// filled in.
    pub(crate) fn binding_of(
        &self,
        twin: &TwinDef,
        sensor: &SensorDef,
    ) -> Option<(String, Decode)> {
        sensor
            .binding
            .as_ref()
            .map(|b| (b.topic.clone(), b.decode.clone()))
            .or_else(|| {
                self.templates
                    .iter()
                    .find(|t| t.sensor == sensor.name)
                    .map(|t| (t.topic.replace("{twin}", &twin.id), t.decode.clone()))
            })
    }

    /// The topic that feeds a sensor (see `binding_of`).
    pub(crate) fn topic_of(&self, twin: &TwinDef, sensor: &SensorDef) -> Option<String> {
        self.binding_of(twin, sensor).map(|(topic, _)| topic)
    }

    pub fn sensors(&self) -> impl Iterator<Item = (&TwinDef, &SensorDef)> {
        self.twins
            .iter()
            .flat_map(|t| t.sensors.iter().map(move |s| (t, s)))
    }

    /// The role of a twin's sensor in the process model or the flow, if any.
    pub(crate) fn role_of(&self, twin: &TwinDef, sensor: &SensorDef) -> Option<SensorRole> {
        let named = |r: &SensorRef| *r.twin == *twin.id && *r.sensor == *sensor.name;
        let stations = self.process.as_ref().map_or(&[][..], |p| &p.stations[..]);
        let machine = stations.iter().any(|st| st.machines.contains(&twin.id));
        if stations
            .iter()
            .any(|st| st.buffer_sensor.as_ref().is_some_and(named))
        {
            Some(SensorRole::BufferLevel)
        } else if self.flow.as_ref().is_some_and(|f| named(&f.counter)) {
            Some(SensorRole::Shipped)
        } else if machine && sensor.name == MACHINE_STATE_SENSOR {
            Some(SensorRole::MachineState)
        } else if machine
            && self
                .flow
                .as_ref()
                .is_some_and(|f| f.made_sensor == sensor.name)
        {
            Some(SensorRole::Made)
        } else {
            None
        }
    }
}

/// Parses and validates a scene. `file` is only used in error messages.
pub fn parse(source: &str, file: &str) -> Result<SceneDef, SceneError> {
    let scene: SceneDef = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(source)
        .map_err(|e| SceneError {
            file: file.to_string(),
            pos: Pos {
                line: e.span.start.line,
                col: e.span.start.col,
            },
            message: describe_ron_error(&e.code),
        })?;
    super::validate::validate(&scene, source, file)?;
    Ok(scene)
}

fn describe_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(outer) => format!("missing field `{field}` in {outer}"),
            None => format!("missing field `{field}`"),
        },
        // ron says "Expected comma"; our messages start in lower case.
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            chars
                .next()
                .map_or(text.clone(), |c| c.to_lowercase().chain(chars).collect())
        }
    }
}

/// `"#rrggbb"` → linear-free sRGB bytes.
pub(crate) fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

mod city;
mod sensor;
pub use city::*;
pub use sensor::*;

#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod tests;

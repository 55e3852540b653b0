//! The `*.scene.ron` schema and its validation: a pure core with no Bevy types.
//!
//! A scene names its twins (machines or city blocks), how each is drawn, its
//! sensors, and how each sensor is bound to MQTT data and shown in 3D. Parsing
//! and validation happen here so that the asset loader, the CLI and the tests
//! all report the same `file:line:col: what was expected` errors.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

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
}

/// Where finished parts go, in scene coordinates (metres).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDef {
    /// (twin id, sensor name) of the count of parts made: each increase
    /// releases that many parts.
    pub counter: (String, String),
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
    pub buffer_sensor: Option<(String, String)>,
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
    #[serde(default)]
    pub sensors: Vec<SensorDef>,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorDef {
    pub name: String,
    pub unit: String,
    /// The normal operating range, low to high; the colour ramp spans it.
    pub range: (f64, f64),
    #[serde(default)]
    pub warn: Option<f64>,
    #[serde(default)]
    pub alarm: Option<f64>,
    #[serde(default)]
    pub binding: Option<BindingDef>,
    #[serde(default)]
    pub show: Vec<ShowDef>,
    /// How its limits raise alarms.
    #[serde(default)]
    pub alarms: AlarmDef,
    /// How its near future is projected (forecast, time to alarm).
    #[serde(default)]
    pub predictor: PredictorDef,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum PredictorDef {
    /// Least squares over the last 600 samples.
    #[default]
    Linear,
    /// Holt's double exponential smoothing; weights between 0 and 1.
    Holt { alpha: f64, beta: f64 },
}

/// A sensor's alarm settings; every field may be left out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmDef {
    /// How far below a limit the value must fall to clear its alarm
    /// (default: 5% of the range).
    pub hysteresis: Option<f64>,
    /// How long a condition must hold before it raises an alarm.
    pub min_duration_s: f64,
    /// Largest allowed rate of change, units per second (default: none).
    pub max_rate: Option<f64>,
    /// Early warning when the trend of the last 600 samples reaches the alarm
    /// limit within this many seconds (default: off; duty cycles make short
    /// trends swing, so it is chosen per sensor).
    pub forecast_horizon_s: Option<f64>,
}

impl Default for AlarmDef {
    fn default() -> Self {
        AlarmDef {
            hysteresis: None,
            min_duration_s: 2.0,
            max_rate: None,
            forecast_horizon_s: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingDef {
    /// An MQTT topic, or a filter with `+` and `#`.
    pub topic: String,
    #[serde(default)]
    pub decode: Decode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateDef {
    /// A topic with exactly one `{twin}` level, e.g. `"plant/{twin}/vibration"`.
    pub topic: String,
    /// The sensor, by name, that the message feeds on the named twin.
    pub sensor: String,
    #[serde(default)]
    pub decode: Decode,
}

/// How a payload becomes a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decode {
    /// A plain number in text, such as `23.5`.
    #[default]
    Number,
    /// A JSON document and a dotted field path, such as `"readings.temp"` or `"values.0"`.
    Json(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Axis {
    X,
    Y,
    Z,
}

/// How a sensor's value shows in 3D.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ShowDef {
    /// Tint the twin's `tint: true` parts along a ramp over the range
    /// (cool → normal → warn → alarm).
    Color,
    /// Spin a part; `max_rps` turns per second at the top of the range.
    Spin {
        part: String,
        axis: Axis,
        max_rps: f32,
    },
    /// Move a part along an axis by up to `distance` across the range.
    Lift {
        part: String,
        axis: Axis,
        distance: f32,
    },
    /// Scale a part along an axis from `min` to `max` across the range.
    Scale {
        part: String,
        axis: Axis,
        min: f32,
        max: f32,
    },
    /// Carry a part along an axis at up to `max_speed` units per second,
    /// wrapping within `length` centred on the twin (parcels on a belt).
    Travel {
        part: String,
        axis: Axis,
        length: f32,
        max_speed: f32,
    },
    /// A floating text label with the value and unit.
    Label,
}

impl SceneDef {
    /// The parts a twin is drawn with: its own, or its prefab's.
    pub fn parts_of<'a>(&'a self, twin: &'a TwinDef) -> &'a [PartDef] {
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
    pub fn binding_of(&self, twin: &TwinDef, sensor: &SensorDef) -> Option<(String, Decode)> {
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
    pub fn topic_of(&self, twin: &TwinDef, sensor: &SensorDef) -> Option<String> {
        self.binding_of(twin, sensor).map(|(topic, _)| topic)
    }

    pub fn sensors(&self) -> impl Iterator<Item = (&TwinDef, &SensorDef)> {
        self.twins
            .iter()
            .flat_map(|t| t.sensors.iter().map(move |s| (t, s)))
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
    validate(&scene, source, file)?;
    Ok(scene)
}

fn describe_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(outer) => format!("missing field `{field}` in {outer}"),
            None => format!("missing field `{field}`"),
        },
        other => other.to_string(),
    }
}

/// Checks what the schema cannot: unique ids, known parents, prefabs and
/// parts, sane ranges and thresholds, valid topics and colours.
fn validate(scene: &SceneDef, source: &str, file: &str) -> Result<(), SceneError> {
    let err = |needle: &str, nth: usize, message: String| SceneError {
        file: file.to_string(),
        pos: locate(source, needle, nth),
        message,
    };

    let mut ids: HashMap<&str, usize> = HashMap::new();
    for twin in &scene.twins {
        let quoted = format!("\"{}\"", twin.id);
        if twin.id.is_empty() || twin.id.contains(['/', '+', '#']) {
            return Err(err(
                &quoted,
                0,
                format!("twin id {quoted} must be non-empty and free of '/', '+' and '#'"),
            ));
        }
        let seen = ids.entry(&twin.id).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            return Err(err(&quoted, 1, format!("duplicate twin id {quoted}")));
        }
    }

    for (name, parts) in &scene.prefabs {
        check_parts(parts, &err, &format!("prefab \"{name}\""))?;
    }

    for twin in &scene.twins {
        let id = &twin.id;
        if let Some(parent) = &twin.parent {
            if !ids.contains_key(parent.as_str()) {
                return Err(err(
                    &format!("parent: \"{parent}\""),
                    0,
                    format!("twin \"{id}\" has unknown parent \"{parent}\""),
                ));
            }
            if parent_cycle(scene, twin) {
                return Err(err(
                    &format!("parent: \"{parent}\""),
                    0,
                    format!("twin \"{id}\" is its own ancestor"),
                ));
            }
        }
        match &twin.shape {
            ShapeDef::Prefab(p) if !scene.prefabs.contains_key(p) => {
                let known: Vec<&str> = scene.prefabs.keys().map(String::as_str).collect();
                let known = if known.is_empty() {
                    "no prefabs are defined".into()
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(err(
                    &format!("Prefab(\"{p}\")"),
                    0,
                    format!("twin \"{id}\" uses unknown prefab \"{p}\" ({known})"),
                ));
            }
            ShapeDef::Parts(parts) => check_parts(parts, &err, &format!("twin \"{id}\""))?,
            _ => {}
        }
        let part_names: HashSet<&str> = scene
            .parts_of(twin)
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect();

        let mut sensor_names = HashSet::new();
        for sensor in &twin.sensors {
            let sname = &sensor.name;
            let at = format!("name: \"{sname}\"");
            if !sensor_names.insert(sname.as_str()) {
                return Err(err(
                    &at,
                    1,
                    format!("twin \"{id}\" has two sensors named \"{sname}\""),
                ));
            }
            let (lo, hi) = sensor.range;
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(err(
                    &at,
                    0,
                    format!(
                        "sensor \"{id}/{sname}\": range ({lo}, {hi}) must be finite with low < high"
                    ),
                ));
            }
            if let (Some(w), Some(a)) = (sensor.warn, sensor.alarm)
                && w >= a
            {
                return Err(err(
                    &at,
                    0,
                    format!("sensor \"{id}/{sname}\": warn {w} must be below alarm {a}"),
                ));
            }
            if let Some(binding) = &sensor.binding {
                let quoted = format!("\"{}\"", binding.topic);
                crate::telemetry::topic::validate_filter(&binding.topic).map_err(|why| {
                    err(
                        &quoted,
                        0,
                        format!("sensor \"{id}/{sname}\": topic {quoted}: {why}"),
                    )
                })?;
                check_decode(&binding.decode)
                    .map_err(|why| err(&quoted, 0, format!("sensor \"{id}/{sname}\": {why}")))?;
            }
            for show in &sensor.show {
                let part = match show {
                    ShowDef::Spin { part, .. }
                    | ShowDef::Lift { part, .. }
                    | ShowDef::Scale { part, .. }
                    | ShowDef::Travel { part, .. } => part,
                    ShowDef::Color | ShowDef::Label => continue,
                };
                if !part_names.contains(part.as_str()) {
                    let mut known: Vec<&str> = part_names.iter().copied().collect();
                    known.sort_unstable();
                    return Err(err(
                        &format!("part: \"{part}\""),
                        0,
                        format!(
                            "sensor \"{id}/{sname}\" shows on unknown part \"{part}\" (twin parts: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
    }

    for template in &scene.templates {
        let quoted = format!("\"{}\"", template.topic);
        let levels: Vec<&str> = template.topic.split('/').collect();
        if levels.iter().filter(|l| **l == "{twin}").count() != 1 {
            return Err(err(
                &quoted,
                0,
                format!("template topic {quoted} needs exactly one `{{twin}}` level"),
            ));
        }
        let filter = template.topic.replace("{twin}", "+");
        crate::telemetry::topic::validate_filter(&filter)
            .map_err(|why| err(&quoted, 0, format!("template topic {quoted}: {why}")))?;
        check_decode(&template.decode).map_err(|why| err(&quoted, 0, why))?;
        if !scene
            .twins
            .iter()
            .any(|t| t.sensors.iter().any(|s| s.name == template.sensor))
        {
            return Err(err(
                &format!("sensor: \"{}\"", template.sensor),
                0,
                format!(
                    "template {quoted} feeds sensor \"{}\", which no twin has",
                    template.sensor
                ),
            ));
        }
    }
    if let Some(line) = &scene.process {
        check_line(line, &ids, &err)?;
    }
    if let Some(flow) = &scene.flow {
        let (twin, sensor) = &flow.counter;
        let has = scene
            .twins
            .iter()
            .any(|t| &t.id == twin && t.sensors.iter().any(|s| &s.name == sensor));
        if !has {
            return Err(err(
                "counter:",
                0,
                format!("flow counter \"{twin}\"/\"{sensor}\" is not a sensor of the scene"),
            ));
        }
        let size_ok = flow.bin_size.iter().all(|v| *v > 0.0)
            && flow.part_size > 0.0
            && flow.belt_width > flow.part_size
            && flow.belt_speed >= 0.0
            && flow.belt_from != flow.belt_to;
        if !size_ok {
            return Err(err(
                "flow:",
                0,
                "flow: bin_size and part_size must be positive, the belt wider than a part and of some length".into(),
            ));
        }
        for (i, belt) in flow.buffers.iter().enumerate() {
            let at = format!("station: \"{}\"", belt.station);
            let stations = scene.process.as_ref().map_or(&[][..], |p| &p.stations[..]);
            let Some(k) = stations.iter().position(|s| s.name == belt.station) else {
                return Err(err(
                    &at,
                    0,
                    format!(
                        "flow buffer {}: \"{}\" is not a station of the process",
                        i + 1,
                        belt.station
                    ),
                ));
            };
            if flow.buffers[..i].iter().any(|b| b.station == belt.station) {
                return Err(err(
                    &at,
                    1,
                    format!(
                        "flow buffer {}: station \"{}\" already has a belt",
                        i + 1,
                        belt.station
                    ),
                ));
            }
            if k + 1 == stations.len() || stations[k].buffer_sensor.is_none() {
                return Err(err(
                    &at,
                    0,
                    format!(
                        "flow buffer {}: station \"{}\" needs a buffer_sensor and a station after it",
                        i + 1,
                        belt.station
                    ),
                ));
            }
            if let Some(m) = stations[k].machines.iter().find(|m| {
                !scene
                    .twins
                    .iter()
                    .any(|t| &&t.id == m && t.sensors.iter().any(|s| s.name == flow.made_sensor))
            }) {
                return Err(err(
                    &at,
                    0,
                    format!(
                        "flow buffer {}: machine \"{m}\" of station \"{}\" has no \"{}\" sensor counting the parts it makes",
                        i + 1,
                        belt.station,
                        flow.made_sensor
                    ),
                ));
            }
            let width = belt.width.unwrap_or(flow.belt_width);
            let flat = |p: [f32; 3]| [p[0], p[2]];
            if width <= flow.part_size
                || belt.speed.unwrap_or(flow.belt_speed) < 0.0
                || flat(belt.from) == flat(belt.to)
            {
                return Err(err(
                    &at,
                    0,
                    format!(
                        "flow buffer {}: the belt must be wider than a part, not run backwards and have some length",
                        i + 1
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_line(
    line: &LineDef,
    ids: &HashMap<&str, usize>,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
    if line.stations.is_empty() {
        return Err(err("process:", 0, "the process has no stations".into()));
    }
    if line.crews == 0 {
        return Err(err(
            "crews:",
            0,
            "the process needs at least one repair crew".into(),
        ));
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for st in &line.stations {
        let name = format!("name: \"{}\"", st.name);
        if st.machines.is_empty() {
            return Err(err(
                &name,
                0,
                format!("station \"{}\" has no machines", st.name),
            ));
        }
        for m in &st.machines {
            let quoted = format!("\"{m}\"");
            if !ids.contains_key(m.as_str()) {
                return Err(err(
                    &name,
                    0,
                    format!(
                        "station \"{}\" names machine {quoted}, which is not a twin",
                        st.name
                    ),
                ));
            }
            if let Some(other) = seen.insert(m, &st.name) {
                return Err(err(
                    &name,
                    0,
                    format!(
                        "machine {quoted} is in stations \"{other}\" and \"{}\"",
                        st.name
                    ),
                ));
            }
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let not_negative = |v: f64| v.is_finite() && v >= 0.0;
        let valid = positive(st.cycle_s)
            && not_negative(st.cycle_sd_s)
            && st.mtbf_s.is_none_or(positive)
            && not_negative(st.repair_s);
        if !valid {
            return Err(err(
                &name,
                0,
                format!(
                    "station \"{}\": cycle_s and mtbf_s must be positive, cycle_sd_s and repair_s not negative",
                    st.name
                ),
            ));
        }
        if let Some((twin, sensor)) = &st.buffer_sensor
            && !ids.contains_key(twin.as_str())
        {
            return Err(err(
                &name,
                0,
                format!(
                    "station \"{}\": buffer_sensor names twin \"{twin}\" (sensor \"{sensor}\"), which is not in the scene",
                    st.name
                ),
            ));
        }
        if st.buffer == 0 {
            return Err(err(
                &name,
                0,
                format!("station \"{}\": buffer must hold at least 1 part", st.name),
            ));
        }
    }
    Ok(())
}

fn check_parts(
    parts: &[PartDef],
    err: &impl Fn(&str, usize, String) -> SceneError,
    owner: &str,
) -> Result<(), SceneError> {
    for (i, part) in parts.iter().enumerate() {
        if let Some(parent) = &part.parent
            && !parts[..i].iter().any(|p| p.name.as_ref() == Some(parent))
        {
            return Err(err(
                &format!("parent: \"{parent}\""),
                0,
                format!("{owner}: part parent \"{parent}\" must name an earlier part"),
            ));
        }
        if parse_hex_color(&part.color).is_none() {
            let quoted = format!("\"{}\"", part.color);
            return Err(err(
                &quoted,
                0,
                format!("{owner}: colour {quoted} is not of the form \"#rrggbb\""),
            ));
        }
    }
    Ok(())
}

fn check_decode(decode: &Decode) -> Result<(), String> {
    match decode {
        Decode::Json(path) if path.is_empty() || path.split('.').any(str::is_empty) => {
            Err(format!("JSON field path \"{path}\" has an empty segment"))
        }
        _ => Ok(()),
    }
}

fn parent_cycle(scene: &SceneDef, start: &TwinDef) -> bool {
    let mut current = start.parent.as_deref();
    for _ in 0..=scene.twins.len() {
        match current {
            None => return false,
            Some(id) if id == start.id => return true,
            Some(id) => {
                current = scene
                    .twins
                    .iter()
                    .find(|t| t.id == id)
                    .and_then(|t| t.parent.as_deref())
            }
        }
    }
    true
}

/// The position of the `nth` occurrence of `needle` (0-based), or of the last
/// one found, or 1:1. Serde keeps no spans for values, so validation errors
/// point at the text that holds the offending value.
pub fn locate(source: &str, needle: &str, nth: usize) -> Pos {
    let mut found = None;
    for (i, (offset, _)) in source.match_indices(needle).enumerate() {
        found = Some(offset);
        if i == nth {
            break;
        }
    }
    let Some(offset) = found else {
        return Pos { line: 1, col: 1 };
    };
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos { line, col }
}

/// `"#rrggbb"` → linear-free sRGB bytes.
pub fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

impl fmt::Display for Decode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decode::Number => f.write_str("number"),
            Decode::Json(path) => write!(f, "json:{path}"),
        }
    }
}

#[cfg(test)]
mod tests;

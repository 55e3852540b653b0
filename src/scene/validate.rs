//! Validation of a parsed scene: what the schema cannot say (unique ids,
//! known parents, prefabs and parts, sane ranges and thresholds, valid
//! topics, colours, the process model and the flow), each section checked
//! on its own. Errors point at the text that holds the offending value.

use std::collections::{HashMap, HashSet};

use super::format::{
    CountdownDef, Decode, FlowDef, LineDef, PartDef, Pos, PredictorDef, SceneDef, SceneError,
    SensorDef, SensorRef, ShapeDef, ShowDef, TwinDef, parse_hex_color,
};
use crate::topic_filter::validate_filter;

mod city;
use city::check_city;

/// Twin ids to how often each occurs.
type Ids<'a> = HashMap<&'a str, usize>;

/// Checks what the schema cannot; the first problem found is the error.
pub(crate) fn validate(scene: &SceneDef, source: &str, file: &str) -> Result<(), SceneError> {
    let err = |needle: &str, nth: usize, message: String| SceneError {
        file: file.to_string(),
        pos: locate(source, needle, nth),
        message,
    };
    let ids = check_ids(scene, &err)?;
    for (name, parts) in &scene.prefabs {
        check_parts(parts, &err, &format!("prefab \"{name}\""))?;
    }
    for twin in &scene.twins {
        check_twin(scene, twin, &ids, &err)?;
        check_sensors(scene, twin, &err)?;
    }
    if let Some(city) = &scene.city {
        check_city(scene, city, &err)?;
    }
    check_templates(scene, &err)?;
    if let Some(line) = &scene.process {
        check_line(line, &ids, &err)?;
    }
    if let Some(flow) = &scene.flow {
        check_flow(scene, flow, &err)?;
        check_flow_buffers(scene, flow, &err)?;
    }
    Ok(())
}

/// Twin ids: non-empty, usable in a topic level, unique.
fn check_ids<'a>(
    scene: &'a SceneDef,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<Ids<'a>, SceneError> {
    let mut ids: Ids = HashMap::new();
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

    Ok(ids)
}

/// A twin's parent and shape.
fn check_twin(
    scene: &SceneDef,
    twin: &TwinDef,
    ids: &Ids,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
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
        ShapeDef::Parts(parts) => check_parts(parts, err, &format!("twin \"{id}\""))?,
        _ => {}
    }
    Ok(())
}

/// A twin's sensors: unique names, ranges, limits, bindings and effects.
pub(super) fn check_sensors(
    scene: &SceneDef,
    twin: &TwinDef,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
    let id = &twin.id;
    let part_names: HashSet<&str> = scene
        .parts_of(twin)
        .iter()
        .filter_map(|p| p.name.as_deref())
        .collect();
    let mut sensor_names = HashSet::new();
    for sensor in twin.sensors.iter() {
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
        if let Some((lo, hi)) = sensor.physical
            && !(lo.is_finite() && hi.is_finite() && lo < hi)
        {
            return Err(err(
                &at,
                0,
                format!(
                    "sensor \"{id}/{sname}\": physical ({lo}, {hi}) must be finite with low < high"
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
        check_forecasting(sensor)
            .map_err(|why| err(&at, 0, format!("sensor \"{id}/{sname}\": {why}")))?;
        if let Some(binding) = &sensor.binding {
            let quoted = format!("\"{}\"", binding.topic);
            validate_filter(&binding.topic).map_err(|why| {
                err(
                    &quoted,
                    0,
                    format!("sensor \"{id}/{sname}\": topic {quoted}: {why}"),
                )
            })?;
            check_decode(&binding.decode, binding.stamp.as_deref())
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
    Ok(())
}

/// Templated bindings: one `{twin}` level, a valid filter, a sensor that exists.
fn check_templates(
    scene: &SceneDef,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
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
        validate_filter(&filter)
            .map_err(|why| err(&quoted, 0, format!("template topic {quoted}: {why}")))?;
        check_decode(&template.decode, template.stamp.as_deref())
            .map_err(|why| err(&quoted, 0, why))?;
        let city = scene
            .city
            .iter()
            .flat_map(|c| c.buildings.iter().chain(&c.streets));
        if !scene
            .twins
            .iter()
            .flat_map(|t| t.sensors.iter())
            .chain(city)
            .any(|s| s.name == template.sensor)
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
    Ok(())
}

/// The flow's counter and its outfeed's sizes.
fn check_flow(
    scene: &SceneDef,
    flow: &FlowDef,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
    let SensorRef { twin, sensor } = &flow.counter;
    let has = scene
        .twins
        .iter()
        .any(|t| *t.id == **twin && t.sensors.iter().any(|s| *s.name == **sensor));
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
    Ok(())
}

/// The flow's buffer belts: each on a buffered station with a station
/// after it, whose machines count what they make, and of a sane size.
fn check_flow_buffers(
    scene: &SceneDef,
    flow: &FlowDef,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
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
        if let Some(SensorRef { twin, sensor }) = &st.buffer_sensor
            && !ids.contains_key(&**twin)
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

/// A sensor's predictor weights and countdown rule.
fn check_forecasting(sensor: &SensorDef) -> Result<(), String> {
    match &sensor.predictor {
        PredictorDef::Holt { alpha, beta }
            if !((0.0..=1.0).contains(alpha) && (0.0..=1.0).contains(beta)) =>
        {
            return Err(format!(
                "Holt weights alpha {alpha} and beta {beta} must be between 0 and 1"
            ));
        }
        PredictorDef::Onnx {
            model,
            last,
            step_s,
            horizon_s,
        } => check_onnx(model, *last, *step_s, *horizon_s)?,
        _ => {}
    }
    let CountdownDef {
        confidence,
        horizon_s,
    } = sensor.countdown;
    if !(0.5..1.0).contains(&confidence) {
        return Err(format!(
            "countdown confidence {confidence} must be at least 0.5 and below 1"
        ));
    }
    if !(horizon_s.is_finite() && horizon_s > 0.0) {
        return Err(format!(
            "countdown horizon_s {horizon_s} must be a positive number of seconds"
        ));
    }
    Ok(())
}

/// Most values an ONNX model may take.
const ONNX_MAX_INPUTS: usize = 10_000;

fn check_onnx(model: &str, last: usize, step_s: f64, horizon_s: f64) -> Result<(), String> {
    let path = std::path::Path::new(model);
    let inside = path.is_relative()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside || path.extension().is_none_or(|e| e != "onnx") {
        return Err(format!(
            "ONNX model \"{model}\" must be a .onnx file under assets/ (e.g. \"models/NAME.onnx\")"
        ));
    }
    if !(1..=ONNX_MAX_INPUTS).contains(&last) {
        return Err(format!(
            "ONNX model: last {last} must be from 1 to {ONNX_MAX_INPUTS} values"
        ));
    }
    for (what, v) in [("step_s", step_s), ("horizon_s", horizon_s)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(format!(
                "ONNX model: {what} {v} must be a positive number of seconds"
            ));
        }
    }
    Ok(())
}

fn check_decode(decode: &Decode, stamp: Option<&str>) -> Result<(), String> {
    let bad = |path: &str| path.is_empty() || path.split('.').any(str::is_empty);
    match (decode, stamp) {
        (Decode::Json(path), _) if bad(path) => {
            Err(format!("JSON field path \"{path}\" has an empty segment"))
        }
        (Decode::Number, Some(_)) => Err("a stamp needs a JSON payload (decode: Json(…))".into()),
        (_, Some(path)) if bad(path) => Err(format!("stamp \"{path}\" has an empty segment")),
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
pub(crate) fn locate(source: &str, needle: &str, nth: usize) -> Pos {
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

//! The inspector's view of the scene's data: every field a twin or one of
//! its sensors has written in the file, as the RON text written there, and
//! the fields it could have. An edit of one goes through `set` and the
//! loader's checks like any other.

use super::outline::{self, Node};
use super::{EditError, find_item};

/// The fields of a twin in the scene format (`TwinDef`), in its order.
pub const TWIN_FIELDS: &[&str] = &[
    "id",
    "name",
    "kind",
    "transform",
    "shape",
    "parent",
    "sensors",
];

/// The fields of a sensor (`SensorDef`), in its order: `show` holds its
/// effects (colour, label, spin, lift).
pub const SENSOR_FIELDS: &[&str] = &[
    "name",
    "unit",
    "range",
    "physical",
    "warn",
    "alarm",
    "binding",
    "show",
    "alarms",
    "predictor",
    "countdown",
];

/// One field as written: its name and its value's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub text: String,
}

/// What a twin has written: its fields, and each sensor's (by name), in
/// the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenTwin {
    pub fields: Vec<Field>,
    pub sensors: Vec<(String, Vec<Field>)>,
}

/// The fields twin `twin` and its sensors have written, each with its
/// value's text, from one reading of the file's outline.
pub fn written_twin(text: &str, twin: &str) -> Result<WrittenTwin, EditError> {
    let root = outline::parse(text)?;
    let node = find_item(&root, "twins", "id", twin, text)
        .ok_or_else(|| EditError::UnknownTwin(twin.to_string()))?;
    let sensors = node.field("sensors").map_or(&[][..], |l| &l.items[..]);
    Ok(WrittenTwin {
        fields: fields_of(node, text),
        sensors: sensors
            .iter()
            .filter_map(|s| {
                let name = s.value.field("name")?.unquoted(text).to_string();
                Some((name, fields_of(&s.value, text)))
            })
            .collect(),
    })
}

/// The fields twin `twin` (or its sensor `sensor`) has written, in the
/// file's order, each with its value's text.
pub fn written_fields(
    text: &str,
    twin: &str,
    sensor: Option<&str>,
) -> Result<Vec<Field>, EditError> {
    let written = written_twin(text, twin)?;
    let Some(s) = sensor else {
        return Ok(written.fields);
    };
    written
        .sensors
        .into_iter()
        .find(|(name, _)| name == s)
        .map(|(_, fields)| fields)
        .ok_or_else(|| EditError::UnknownSensor {
            twin: twin.to_string(),
            sensor: s.to_string(),
        })
}

/// A group's `key: value` items as fields.
fn fields_of(node: &Node, text: &str) -> Vec<Field> {
    node.items
        .iter()
        .filter_map(|item| {
            Some(Field {
                key: item.key.clone()?,
                text: text[item.value.span.start..item.value.span.end].to_string(),
            })
        })
        .collect()
}

/// What a field the twin or sensor does not have yet starts as when the
/// inspector adds it: the value the loader assumes without it, where there
/// is one, else a value to fill in.
pub fn starting_text(key: &str) -> &'static str {
    match key {
        "parent" | "physical" | "warn" | "alarm" => "None",
        "binding" => "(topic: \"\")",
        "show" => "[]",
        "predictor" => "Auto",
        "transform" | "alarms" | "countdown" => "()",
        "range" => "(0.0, 1.0)",
        "shape" => "Empty",
        _ => "\"\"",
    }
}

/// The fields of `all` that `written` does not have, in `all`'s order.
pub fn missing_fields<'a>(all: &[&'a str], written: &[Field]) -> Vec<&'a str> {
    all.iter()
        .copied()
        .filter(|k| !written.iter().any(|f| f.key == *k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::editor::shipped_factory as factory;

    #[test]
    fn a_twin_and_a_sensor_show_their_fields_as_written() {
        let text = factory();
        let twin = written_fields(&text, "cnc-1", None).unwrap();
        let keys: Vec<&str> = twin.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            ["id", "name", "kind", "transform", "shape", "sensors"]
        );
        assert_eq!(twin[3].text, "(translation: (-15.0, 0.0, -4.8))");
        assert_eq!(twin[4].text, "Prefab(\"cnc_mill\")");
        assert_eq!(missing_fields(TWIN_FIELDS, &twin), ["parent"]);
        let sensor = written_fields(&text, "cnc-1", Some("temperature")).unwrap();
        let pairs: Vec<(&str, &str)> = sensor
            .iter()
            .map(|f| (f.key.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("name", "\"temperature\""),
                ("unit", "\"°C\""),
                ("range", "(20.0, 70.0)"),
                ("warn", "Some(75.0)"),
                ("alarm", "Some(85.0)"),
                ("physical", "Some((-40.0, 400.0))"),
                ("binding", "(topic: \"sensor/temperature\")"),
                ("show", "[Color, Label]"),
            ]
        );
        assert_eq!(
            missing_fields(SENSOR_FIELDS, &sensor),
            ["alarms", "predictor", "countdown"]
        );
    }

    #[test]
    fn every_field_the_format_has_is_offered() {
        // Each name is a field the loader takes: a twin or sensor with it
        // added (its default written) still loads.
        let text = factory();
        for (sensor, all) in [(None, TWIN_FIELDS), (Some("power"), SENSOR_FIELDS)] {
            let written = written_fields(&text, "cnc-2", sensor).unwrap();
            for key in missing_fields(all, &written) {
                let default = match starting_text(key) {
                    // A topic to fill in: an empty one is refused.
                    "(topic: \"\")" => "(topic: \"x/y\")",
                    other => other,
                };
                let place = crate::editor::Place::at("cnc-2", sensor, &[key]);
                crate::editor::set_checked(&text, "f.scene.ron", &place, default)
                    .unwrap_or_else(|e| panic!("{key}: {e}"));
            }
        }
    }

    #[test]
    fn an_unknown_twin_or_sensor_is_said() {
        let text = factory();
        assert!(matches!(
            written_fields(&text, "nope", None),
            Err(EditError::UnknownTwin(_))
        ));
        assert!(matches!(
            written_fields(&text, "cnc-1", Some("nope")),
            Err(EditError::UnknownSensor { .. })
        ));
    }
}

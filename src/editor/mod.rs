//! Scene editing that keeps the file a person's: an edit names a value by
//! its place in the scene (`cnc-1.transform.translation`,
//! `cnc-1/temperature.warn`) and replaces only that value's text, or adds the
//! field in the file's own layout; comments, order and every other byte stay.
//! The result is checked by the loader's own code before it may be saved,
//! and a save is atomic (`save`).

pub(crate) mod outline;
#[cfg(feature = "viewer")]
pub mod plugin;
pub mod save;
pub mod session;

use outline::{Node, Span};

/// Why an edit or a save could not be made. Each says what and where.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    #[error("{line}:{col}: {what}")]
    Syntax {
        line: usize,
        col: usize,
        what: String,
    },
    #[error("\"{0}\": expected TWIN.FIELD[.FIELD…] or TWIN/SENSOR.FIELD[.FIELD…]")]
    Path(String),
    #[error("the scene has no twin \"{0}\"")]
    UnknownTwin(String),
    #[error("twin \"{twin}\" has no sensor \"{sensor}\"")]
    UnknownSensor { twin: String, sensor: String },
    #[error("\"{field}\" of \"{at}\" holds a value, not fields")]
    NotAGroup { at: String, field: String },
    /// The edited scene fails the loader's checks: the file is left alone.
    #[error("the edit would break the scene, so it is not made: {0}")]
    Invalid(String),
    #[error("{path}: {why}")]
    Io { path: String, why: String },
}

/// Where an edit goes: a twin, or one of its sensors, and the fields below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub twin: String,
    pub sensor: Option<String>,
    pub fields: Vec<String>,
}

impl std::str::FromStr for Place {
    type Err = EditError;
    /// `TWIN.FIELD[.FIELD…]` or `TWIN/SENSOR.FIELD[.FIELD…]`.
    fn from_str(s: &str) -> Result<Place, EditError> {
        let bad = || EditError::Path(s.to_string());
        let (owner, fields) = s.split_once('.').ok_or_else(bad)?;
        let (twin, sensor) = match owner.split_once('/') {
            Some((t, sensor)) => (t, Some(sensor.to_string())),
            None => (owner, None),
        };
        let fields: Vec<String> = fields.split('.').map(str::to_string).collect();
        let word =
            |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if twin.is_empty() || sensor.as_deref() == Some("") || !fields.iter().all(|f| word(f)) {
            return Err(bad());
        }
        Ok(Place {
            twin: twin.to_string(),
            sensor,
            fields,
        })
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.twin)?;
        if let Some(sensor) = &self.sensor {
            write!(f, "/{sensor}")?;
        }
        write!(f, ".{}", self.fields.join("."))
    }
}

/// The scene `text` with the value at `place` set to `value` (RON text):
/// only that value's bytes change, or the missing fields are added in the
/// file's layout. Not checked here: see `set_checked`.
pub fn set(text: &str, place: &Place, value: &str) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let twin = find_item(&root, "twins", "id", &place.twin, text)
        .ok_or_else(|| EditError::UnknownTwin(place.twin.clone()))?;
    let mut node = match &place.sensor {
        None => twin,
        Some(sensor) => find_item(twin, "sensors", "name", sensor, text).ok_or_else(|| {
            EditError::UnknownSensor {
                twin: place.twin.clone(),
                sensor: sensor.clone(),
            }
        })?,
    };
    for (depth, key) in place.fields.iter().enumerate() {
        if node.open.is_none() {
            return Err(EditError::NotAGroup {
                at: place.to_string(),
                field: place.fields[depth - 1].clone(),
            });
        }
        match node.field(key) {
            Some(child) if depth + 1 == place.fields.len() => {
                return Ok(replace(text, child.span, value));
            }
            Some(child) => node = child,
            None => {
                // `a: (b: (c: value))` for the fields that are not there yet.
                let rest = &place.fields[depth..];
                let mut inner = value.to_string();
                for key in rest[1..].iter().rev() {
                    inner = format!("({key}: {inner})");
                }
                return Ok(insert_field(text, node, key, &inner));
            }
        }
    }
    Err(EditError::Path(place.to_string()))
}

/// `set`, then the loader's checks on the result (`check`): an edit that
/// would break the scene is refused with the loader's words.
pub fn set_checked(
    text: &str,
    file: &str,
    place: &Place,
    value: &str,
) -> Result<String, EditError> {
    let edited = set(text, place, value)?;
    check(&edited, file).map_err(EditError::Invalid)?;
    Ok(edited)
}

/// The scene as the viewer loads it: parsed, validated, its city expanded
/// and its ONNX models loaded from `assets/`. The error is `file:line:col: what`.
pub fn check(text: &str, file: &str) -> Result<crate::scene::format::SceneDef, String> {
    let assets = std::path::PathBuf::from(crate::app::assets_dir());
    let mut scene = crate::scene::format::parse(text, file).map_err(|e| e.to_string())?;
    crate::city::expand_from_disk(&mut scene, file, &assets)?;
    crate::scene::models::load_from_disk(&scene, text, file, &assets).map_err(|e| e.to_string())?;
    Ok(scene)
}

/// The item of `list_field`'s list in `node` whose `key` field is `wanted`.
fn find_item<'n>(
    node: &'n Node,
    list_field: &str,
    key: &str,
    wanted: &str,
    text: &str,
) -> Option<&'n Node> {
    node.field(list_field)?
        .items
        .iter()
        .map(|i| &i.value)
        .find(|item| item.field(key).is_some_and(|k| k.unquoted(text) == wanted))
}

fn replace(text: &str, span: Span, value: &str) -> String {
    format!("{}{value}{}", &text[..span.start], &text[span.end..])
}

/// Adds `key: value` to the group `node` as its last field, in the layout of
/// the fields before it: on a line of its own with their indentation when
/// they have lines of their own, else inline; a trailing comma kept as found.
fn insert_field(text: &str, node: &Node, key: &str, value: &str) -> String {
    let field = format!("{key}: {value}");
    let Some(last) = node.items.last() else {
        // An empty group: `()` becomes `(key: value)`.
        return format!("{}{field}{}", &text[..node.close], &text[node.close..]);
    };
    let after = &text[last.value.span.end..node.close];
    let comma = after.find(',');
    let line_start = text[..last.start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..last.start];
    if indent.bytes().all(|b| b == b' ' || b == b'\t') && !indent.is_empty() {
        // Fields on lines of their own: a new line after the last one's
        // comma (added if it had none), with their indentation.
        let (at, sep) = match comma {
            Some(i) => (last.value.span.end + i + 1, ""),
            None => (last.value.span.end, ","),
        };
        let trailing = if comma.is_some() { "," } else { "" };
        format!(
            "{}{sep}\n{indent}{field}{trailing}{}",
            &text[..at],
            &text[at..]
        )
    } else {
        let at = last.value.span.end;
        format!("{}, {field}{}", &text[..at], &text[at..])
    }
}

#[cfg(test)]
mod tests;

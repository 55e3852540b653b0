//! Scene editing that keeps the file a person's: an edit names a value by
//! its place in the scene (`cnc-1.transform.translation`,
//! `cnc-1/temperature.warn`) and replaces only that value's text, or adds the
//! field in the file's own layout; comments, order and every other byte stay.
//! The result is checked by the loader's own code before it may be saved,
//! and a save is atomic (`save`).

#[cfg(all(feature = "viewer", not(target_arch = "wasm32")))]
pub mod browse;
pub mod copy;
pub mod fields;
pub mod fmt;
#[cfg(feature = "viewer")]
mod gizmo;
pub(crate) mod outline;
pub(crate) mod placing;
#[cfg(feature = "viewer")]
pub mod plugin;
#[cfg(all(feature = "viewer", target_arch = "wasm32"))]
pub(crate) mod remote;
pub mod save;
pub mod session;
pub mod unlink;

pub use copy::{add_twin, duplicate_twin, fresh_id, palette, rename_twin};
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
    #[error("the scene file writes no twin of kind \"{0}\" to copy")]
    UnknownKind(String),
    #[error("twin \"{twin}\" has no sensor \"{sensor}\"")]
    UnknownSensor { twin: String, sensor: String },
    #[error(
        "value `{value}`: {why} (expected one RON value, such as 1.5, \"text\", Some(2.0) or (1.0, 0.0, 2.0))"
    )]
    Value { value: String, why: String },
    #[error("\"{field}\" of \"{at}\" holds a value, not fields")]
    NotAGroup { at: String, field: String },
    /// The edited scene fails the loader's checks: the file is left alone.
    #[error("the edit would break the scene, so it is not made: {0}")]
    Invalid(String),
    #[error("{path}: {why}")]
    Io { path: String, why: String },
    /// The text does not load as a scene (`file:line:col: what`).
    #[error("{0}")]
    NotAScene(String),
}

/// Where an edit goes: a twin, or one of its sensors, and the fields below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub twin: String,
    pub sensor: Option<String>,
    pub fields: Vec<String>,
}

impl Place {
    /// The place of a field of twin `twin` (or of its sensor), built
    /// directly: ids may hold dots, which the `TWIN.FIELD` text form could
    /// not tell apart.
    pub fn at(twin: &str, sensor: Option<&str>, fields: &[&str]) -> Place {
        Place {
            twin: twin.to_string(),
            sensor: sensor.map(str::to_string),
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }
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
    // Exactly one value: `"x" // …` or `1, scale: 2` would change more.
    let value = value.trim();
    let one = outline::parse(value).map_err(|e| EditError::Value {
        value: value.to_string(),
        why: e.to_string(),
    })?;
    if one.span.end != value.len() {
        return Err(EditError::Value {
            value: value.to_string(),
            why: "a comment after it".into(),
        });
    }
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

/// The scene with `template` (a `TemplateDef`'s RON text) as the last of
/// its `templates`, in their layout; the list is added when there is none.
/// Not checked here.
pub fn add_template(text: &str, template: &str) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    Ok(match root.field("templates") {
        Some(list) if list.open == Some(b'[') => append_item(text, list, template),
        Some(_) => return Err(EditError::Path("templates".into())),
        None => insert_field(text, &root, "templates", &format!("[{template}]")),
    })
}

/// `set`, then the loader's checks on the result (`check`): an edit that
/// would break the scene is refused with the loader's words.
#[cfg(not(target_arch = "wasm32"))]
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
#[cfg(not(target_arch = "wasm32"))]
pub fn check(text: &str, file: &str) -> Result<crate::scene::format::SceneDef, String> {
    let assets = std::path::PathBuf::from(crate::app::assets_dir());
    let mut scene = crate::scene::format::parse(text, file).map_err(|e| e.to_string())?;
    crate::city::expand_from_disk(&mut scene, file, &assets)?;
    crate::scene::models::load_from_disk(&scene, text, file, &assets).map_err(|e| e.to_string())?;
    Ok(scene)
}

/// Where a session's checks find the city map and the ONNX models a scene
/// names: on disk under `assets/` (natively), or as the page loaded them
/// with the scene (in the browser, which has no disk).
#[derive(Clone, Default)]
pub(crate) enum Sources {
    #[default]
    Disk,
    // Made by the browser's editor (`remote`) and the tests.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    Loaded {
        map: Option<std::sync::Arc<crate::city::asset::CityFile>>,
        models: crate::scene::models::Models,
    },
}

/// `check`, with the map and models from `sources`. With those the page
/// loaded, the city is the loaded map (an edit of `city.map` does not load
/// another) and a model the page did not load is refused.
pub(crate) fn check_with(
    text: &str,
    file: &str,
    sources: &Sources,
) -> Result<crate::scene::format::SceneDef, String> {
    let Sources::Loaded { map, models } = sources else {
        #[cfg(not(target_arch = "wasm32"))]
        return check(text, file);
        #[cfg(target_arch = "wasm32")]
        return Err(format!(
            "{file}: the browser has no disk to read the scene's map and models from"
        ));
    };
    let mut scene = crate::scene::format::parse(text, file).map_err(|e| e.to_string())?;
    if scene.city.is_some() {
        let map = map
            .as_deref()
            .ok_or_else(|| format!("{file}: this page loaded no city map"))?;
        crate::city::scene::expand(&mut scene, map).map_err(|e| format!("{file}: {e}"))?;
    }
    if let Some((model, last)) = crate::scene::models::wanted(&scene)
        .into_iter()
        .find(|key| !models.contains_key(key))
    {
        return Err(format!(
            "{file}: ONNX model \"{model}\" taking {last} values was not loaded with this page \
             (the native editor loads new ones)"
        ));
    }
    Ok(scene)
}

/// The scene without twin `id` (its lines, or its place in a line). Not
/// checked here: `check` refuses a deletion that something else (the
/// process model, the flow, a child twin) still names.
pub fn delete_twin(text: &str, id: &str) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let item = twin_item(&root, text, id)?;
    let (from, to) = item_extent(text, item);
    Ok(format!("{}{}", &text[..from], &text[to..]))
}

/// The ids of the twins written in the scene's text (not those a city's
/// map adds when the scene loads).
pub fn written_ids(text: &str) -> std::collections::HashSet<String> {
    outline::parse(text)
        .ok()
        .and_then(|root| {
            let list = root.field("twins")?;
            Some(
                list.items
                    .iter()
                    .filter_map(|i| i.value.field("id").map(|id| id.unquoted(text).to_string()))
                    .collect(),
            )
        })
        .unwrap_or_default()
}

/// Twin `id`'s item in the scene's `twins` list.
fn twin_item<'n>(root: &'n Node, text: &str, id: &str) -> Result<&'n outline::Item, EditError> {
    root.field("twins")
        .and_then(|list| {
            list.items
                .iter()
                .find(|i| i.value.field("id").is_some_and(|k| k.unquoted(text) == id))
        })
        .ok_or_else(|| EditError::UnknownTwin(id.to_string()))
}

/// Where an item's text begins and ends: its whole lines (with its comma
/// and line break) when it has lines of its own, else the item, its comma
/// and the spaces after it.
fn item_extent(text: &str, item: &outline::Item) -> (usize, usize) {
    let line_start = text[..item.start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..item.start];
    let past_comma = item.comma.map_or(item.value.span.end, |c| c + 1);
    let rest_of_line = &text[past_comma..];
    let line_end = rest_of_line.find('\n');
    let own_line =
        before.trim().is_empty() && line_end.is_some_and(|n| rest_of_line[..n].trim().is_empty());
    if own_line {
        (line_start, past_comma + line_end.map_or(0, |n| n + 1))
    } else {
        let spaces = text[past_comma..].len() - text[past_comma..].trim_start_matches(' ').len();
        (item.start, past_comma + spaces)
    }
}

/// A twin's translation as the outline has it (0 where not given).
fn twin_translation(text: &str, twin: &Node) -> [f32; 3] {
    let mut xyz = [0.0; 3];
    if let Some(t) = twin.field("transform").and_then(|t| t.field("translation")) {
        for (v, item) in xyz.iter_mut().zip(&t.items) {
            *v = item.value.unquoted(text).parse().unwrap_or(0.0);
        }
    }
    xyz
}

/// The item of `list_field`'s list in `node` whose `key` field is `wanted`.
pub(crate) fn find_item<'n>(
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
    append_item(text, node, &format!("{key}: {value}"))
}

/// Adds `item` (a field or a list's item) to the group `node` after its last
/// one, in the same layout as `insert_field`.
fn append_item(text: &str, node: &Node, item: &str) -> String {
    let Some(last) = node.items.last() else {
        // An empty group: `()` becomes `(item)`.
        return format!("{}{item}{}", &text[..node.close], &text[node.close..]);
    };
    let line_start = text[..last.start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..last.start];
    let own_line = indent.bytes().all(|b| b == b' ' || b == b'\t') && !indent.is_empty();
    insert_after(text, last, own_line.then_some(indent), item)
}

/// `new` as the item after `last`: with `own_line` (its indentation), on a
/// new line after `last`'s comma (a comma added if it had none, and one
/// after `new` as `last` had), else inline after `last`.
fn insert_after(text: &str, last: &outline::Item, own_line: Option<&str>, new: &str) -> String {
    match own_line {
        Some(indent) => {
            let (at, sep, trailing) = match last.comma {
                Some(c) => (c + 1, "", ","),
                None => (last.value.span.end, ",", ""),
            };
            format!(
                "{}{sep}\n{indent}{new}{trailing}{}",
                &text[..at],
                &text[at..]
            )
        }
        None => {
            let at = last.value.span.end;
            format!("{}, {new}{}", &text[..at], &text[at..])
        }
    }
}

/// The shipped factory scene's text, for the editor's tests.
#[cfg(test)]
pub(crate) fn shipped_factory() -> String {
    include_str!("../../scenes/factory.scene.ron").to_string()
}

#[cfg(test)]
mod tests;

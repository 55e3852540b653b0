//! Copies and names of a twin: "Duplicate" (beside it, as `ID-copy`), "Add" from
//! the palette of the scene's kinds (a numbered copy of the last twin of
//! that kind: `cnc-4`, "CNC mill 4", where the view looks), and a rename
//! that follows every reference to the id. The copy's text
//! is the original's, so it keeps the file's layout and comments.
//!
//! A copy is another machine, so it does not take the original's data:
//! where a sensor's binding names the original by a topic level
//! (`factory/cnc-2/temperature`) it names the copy
//! (`factory/cnc-2-copy/temperature`); a binding that does not
//! (`sensor/temperature`) is left out, and the copy's sensor waits for one.

use super::outline::{self, Item, Node, Span};
use super::{EditError, Place, insert_after, item_extent, set, twin_item, twin_translation};
use crate::scene::format::SceneDef;

/// What the copy is called and where it stands.
struct NewTwin<'a> {
    id: &'a str,
    name: String,
    translation: [f32; 3],
}

/// The scene with a copy of twin `id` right after it, as twin `new_id`
/// named "NAME (copy)", `offset_x` metres along x, in the original's layout
/// (lines of its own, or inline). Not checked here.
pub fn duplicate_twin(
    text: &str,
    id: &str,
    new_id: &str,
    offset_x: f32,
) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let twin = &twin_item(&root, text, id)?.value;
    let [x, y, z] = twin_translation(text, twin);
    let new = NewTwin {
        id: new_id,
        name: format!("{} (copy)", name_of(text, twin).as_deref().unwrap_or(id)),
        translation: [x + offset_x, y, z],
    };
    copy_twin(text, id, &new)
}

/// An id like `id` that no twin of `scene` has: `ID-copy`, `ID-copy-2`, …
pub fn fresh_id(scene: &SceneDef, id: &str) -> String {
    let taken = |c: &str| scene.twins.iter().any(|t| t.id == c);
    let mut candidate = format!("{id}-copy");
    let mut n = 2;
    while taken(&candidate) {
        candidate = format!("{id}-copy-{n}");
        n += 1;
    }
    candidate
}

/// The kinds the palette offers: those of the twins written in the scene
/// file, in the order they first appear.
pub fn palette(scene: &SceneDef, written: &std::collections::HashSet<String>) -> Vec<String> {
    let mut kinds: Vec<String> = Vec::new();
    for twin in scene.twins.iter().filter(|t| written.contains(&t.id)) {
        if !kinds.contains(&twin.kind) {
            kinds.push(twin.kind.clone());
        }
    }
    kinds
}

/// The scene with a new twin of `kind` at `at`: a copy of the last twin of
/// that kind written in the file, right after it, numbered after the
/// highest of its kind (`cnc-3` → `cnc-4`, "CNC mill 3" → "CNC mill 4").
/// Returns the text and the new id. Not checked here.
pub fn add_twin(
    text: &str,
    scene: &SceneDef,
    kind: &str,
    at: [f32; 3],
) -> Result<(String, String), EditError> {
    let written = super::written_ids(text);
    let source = scene
        .twins
        .iter()
        .rev()
        .find(|t| t.kind == kind && written.contains(&t.id))
        .ok_or_else(|| EditError::UnknownKind(kind.to_string()))?;
    let (stem, _) = split_number(&source.id);
    let n = scene
        .twins
        .iter()
        .filter_map(|t| match split_number(&t.id) {
            (s, Some(n)) if s == stem => Some(n),
            _ => None,
        })
        .max()
        .unwrap_or(1)
        + 1;
    // Free: every id written `{stem}{number}` counted towards `n`.
    let new_id = format!("{stem}{n}");
    let number = &new_id[stem.len()..];
    let digits = source.name.len()
        - source
            .name
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .len();
    let name = match digits {
        0 => format!("{} {number}", source.name),
        n => format!("{}{number}", &source.name[..source.name.len() - n]),
    };
    let new = NewTwin {
        id: &new_id,
        name,
        translation: at,
    };
    let added = copy_twin(text, &source.id, &new)?;
    Ok((added, new_id))
}

/// An id's stem and number: `cnc-3` → (`cnc-`, 3); without a number at
/// its end, the stem gets a dash: `robot` → (`robot-`, None).
fn split_number(id: &str) -> (String, Option<u64>) {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, tail) = id.split_at(id.len() - digits);
    match tail.parse() {
        Ok(n) if !stem.is_empty() => (stem.to_string(), Some(n)),
        _ => (format!("{id}-"), None),
    }
}

/// The twin's name as the loader reads it (escapes, raw strings).
fn name_of(text: &str, twin: &Node) -> Option<String> {
    let name = twin.field("name")?;
    let raw = &text[name.span.start..name.span.end];
    Some(ron::from_str::<String>(raw).unwrap_or_else(|_| name.unquoted(text).into()))
}

fn copy_twin(text: &str, id: &str, new: &NewTwin) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let item = twin_item(&root, text, id)?;
    let twin = &item.value;
    let (from, _) = item_extent(text, item);
    // The item's own text with its id replaced; the name and place are set below.
    let mut copy = text[item.start..twin.span.end].to_string();
    if let Some(id_node) = twin.field("id") {
        copy.replace_range(
            id_node.span.start - item.start..id_node.span.end - item.start,
            &format!("{:?}", new.id),
        );
    }
    // Lines of its own: the copy on new lines after it, indented alike.
    let own_line = (from < item.start).then(|| &text[from..item.start]);
    let joined = insert_after(text, item, own_line, &copy);
    let field = |f: &[&str]| Place::at(new.id, None, f);
    let named = set(&joined, &field(&["name"]), &format!("{:?}", new.name))?;
    let [x, y, z] = new.translation;
    let placed = set(
        &named,
        &field(&["transform", "translation"]),
        &format!("({x:?}, {y:?}, {z:?})"),
    )?;
    rebind(&placed, id, new.id)
}

/// The copy `new_id`'s sensors no longer take `old_id`'s data: a topic
/// level equal to `old_id` becomes `new_id`; a binding without one is
/// left out.
fn rebind(text: &str, old_id: &str, new_id: &str) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let twin = &twin_item(&root, text, new_id)?.value;
    let mut edits: Vec<(Span, String)> = Vec::new();
    for sensor in twin.field("sensors").map_or(&[][..], |s| &s.items[..]) {
        let fields = &sensor.value;
        let Some(at) = fields
            .items
            .iter()
            .position(|i| i.key.as_deref() == Some("binding"))
        else {
            continue;
        };
        let Some(topic) = fields.items[at].value.field("topic") else {
            continue;
        };
        let raw = &text[topic.span.start..topic.span.end];
        let plain = ron::from_str::<String>(raw).unwrap_or_else(|_| topic.unquoted(text).into());
        if plain.split('/').any(|level| level == old_id) {
            let renamed: Vec<&str> = plain
                .split('/')
                .map(|level| if level == old_id { new_id } else { level })
                .collect();
            edits.push((topic.span, format!("{:?}", renamed.join("/"))));
        } else {
            let (start, end) = field_extent(text, &fields.items, at);
            edits.push((Span { start, end }, String::new()));
        }
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text.to_string();
    for (span, value) in edits {
        out.replace_range(span.start..span.end, &value);
    }
    Ok(out)
}

/// The text a field takes up in its group: as a list item's, but a last
/// field without a comma takes the comma before it (`a: 1, b: 2)` → `a: 1)`).
pub(super) fn field_extent(text: &str, items: &[Item], at: usize) -> (usize, usize) {
    let item = &items[at];
    if item.comma.is_none()
        && at > 0
        && let Some(c) = items[at - 1].comma
    {
        return (c, item.value.span.end);
    }
    item_extent(text, item)
}

/// The scene with twin `old` renamed `new`, and every place that names it
/// by id renamed with it: a child twin's `parent`, the process model's
/// station `machines` and `buffer_sensor`, the flow's `counter`. Topics are
/// left as they are (a device keeps publishing where it did; a template's
/// `{twin}` level now reads the new id). Not checked here.
pub fn rename_twin(text: &str, old: &str, new: &str) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let twins = root.field("twins").map_or(&[][..], |l| &l.items[..]);
    let mut spans = vec![
        twin_item(&root, text, old)?
            .value
            .field("id")
            .map(|n| n.span)
            .ok_or_else(|| EditError::UnknownTwin(old.to_string()))?,
    ];
    let mut refs: Vec<&Node> = twins
        .iter()
        .filter_map(|t| t.value.field("parent"))
        .collect();
    if let Some(stations) = root.field("process").and_then(|p| p.field("stations")) {
        for station in &stations.items {
            if let Some(machines) = station.value.field("machines") {
                refs.extend(machines.items.iter().map(|m| &m.value));
            }
            refs.extend(station.value.field("buffer_sensor"));
        }
    }
    refs.extend(root.field("flow").and_then(|f| f.field("counter")));
    spans.extend(
        refs.into_iter()
            .filter_map(first_atom)
            .filter(|atom| atom.unquoted(text) == old)
            .map(|atom| atom.span),
    );
    spans.sort_by_key(|s| std::cmp::Reverse(s.start));
    let mut out = text.to_string();
    for span in spans {
        out.replace_range(span.start..span.end, &format!("{new:?}"));
    }
    Ok(out)
}

/// The first atom in `node`: itself, or inside `Some(…)` and tuples
/// (`Some(("conv-1", "queue"))` → `"conv-1"`).
pub(super) fn first_atom(node: &Node) -> Option<&Node> {
    match node.items.first() {
        None if node.open.is_none() => Some(node),
        None => None,
        Some(item) => first_atom(&item.value),
    }
}

//! "Delete, fixing references": a twin that the process model or a child
//! twin names is first taken out of what names it, so the deletion can go
//! through: its place in a station's `machines` is removed, a
//! `buffer_sensor` on it becomes `None`, a child's `parent` on it becomes
//! `None` (the child stays, in the scene's coordinates). The flow's
//! `counter` cannot go without a replacement, so a twin it names stays
//! refused (the loader says so).

use super::EditError;
use super::copy::{field_extent, first_atom};
use super::outline::{self, Node, Span};

/// The scene with every reference to twin `id` that can go taken out, and
/// what was done, in words. Not checked here.
pub fn unlink_twin(text: &str, id: &str) -> Result<(String, Vec<String>), EditError> {
    let root = outline::parse(text)?;
    let names = |node: &Node| first_atom(node).is_some_and(|a| a.unquoted(text) == id);
    let mut edits: Vec<(Span, String)> = Vec::new();
    let mut said = Vec::new();
    for twin in root.field("twins").map_or(&[][..], |l| &l.items[..]) {
        if let Some(parent) = twin.value.field("parent").filter(|p| names(p)) {
            edits.push((parent.span, "None".into()));
            let child = twin.value.field("id").map_or("?", |n| n.unquoted(text));
            said.push(format!("{child} no longer has {id} as its parent"));
        }
    }
    let stations = root.field("process").and_then(|p| p.field("stations"));
    for station in stations.map_or(&[][..], |s| &s.items[..]) {
        let name = station
            .value
            .field("name")
            .map_or("?", |n| n.unquoted(text));
        if let Some(machines) = station.value.field("machines") {
            for (at, machine) in machines.items.iter().enumerate() {
                if names(&machine.value) {
                    let (start, end) = field_extent(text, &machines.items, at);
                    edits.push((Span { start, end }, String::new()));
                    said.push(format!("{id} taken out of station {name}'s machines"));
                }
            }
        }
        if let Some(buffer) = station.value.field("buffer_sensor").filter(|b| names(b)) {
            edits.push((buffer.span, "None".into()));
            said.push(format!("station {name}'s buffer_sensor (on {id}) now None"));
        }
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text.to_string();
    for (span, with) in edits {
        out.replace_range(span.start..span.end, &with);
    }
    Ok((out, said))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::{check, delete_twin};

    use crate::editor::shipped_factory as factory;

    #[test]
    fn a_machine_of_a_station_is_taken_out_and_then_deleted() {
        let text = factory();
        // Refused as it is: milling names cnc-3.
        assert!(check(&delete_twin(&text, "cnc-3").unwrap(), "f.scene.ron").is_err());
        let (fixed, said) = unlink_twin(&text, "cnc-3").unwrap();
        assert_eq!(said, ["cnc-3 taken out of station milling's machines"]);
        let before = r#"(name: "milling", machines: ["cnc-1", "cnc-2", "cnc-3"], cycle_s"#;
        let after = r#"(name: "milling", machines: ["cnc-1", "cnc-2"], cycle_s"#;
        assert_eq!(fixed, text.replace(before, after));
        let scene = check(&delete_twin(&fixed, "cnc-3").unwrap(), "f.scene.ron").unwrap();
        assert!(scene.twins.iter().all(|t| t.id != "cnc-3"));
        assert_eq!(
            scene.process.unwrap().stations[0].machines,
            ["cnc-1", "cnc-2"]
        );
    }

    #[test]
    fn a_childs_parent_becomes_none_and_what_cannot_go_stays_refused() {
        let text = factory().replace(
            r#"id: "robot-2", name: "Robot 2", kind: "robot_arm","#,
            r#"id: "robot-2", name: "Robot 2", kind: "robot_arm", parent: Some("comp-1"),"#,
        );
        check(&text, "f.scene.ron").unwrap();
        assert!(check(&delete_twin(&text, "comp-1").unwrap(), "f.scene.ron").is_err());
        let (fixed, said) = unlink_twin(&text, "comp-1").unwrap();
        assert_eq!(said, ["robot-2 no longer has comp-1 as its parent"]);
        let scene = check(&delete_twin(&fixed, "comp-1").unwrap(), "f.scene.ron").unwrap();
        let robot = scene.twins.iter().find(|t| t.id == "robot-2").unwrap();
        assert_eq!(robot.parent, None);
        // conv-1 holds milling's buffer, which the flow draws: None is
        // taken out, and the loader still refuses, saying why.
        let (fixed, said) = unlink_twin(&text, "conv-1").unwrap();
        assert_eq!(
            said,
            ["station milling's buffer_sensor (on conv-1) now None"]
        );
        let e = check(&delete_twin(&fixed, "conv-1").unwrap(), "f.scene.ron").unwrap_err();
        assert!(e.contains("\"milling\" needs a buffer_sensor"), "{e}");
        // pack-1 is the flow's counter: nothing to take out, still refused.
        let (fixed, said) = unlink_twin(&text, "pack-1").unwrap();
        assert!(said.iter().all(|s| !s.contains("counter")), "{said:?}");
        assert!(check(&delete_twin(&fixed, "pack-1").unwrap(), "f.scene.ron").is_err());
    }
}

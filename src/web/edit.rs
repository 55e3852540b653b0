//! `twinscape serve --allow-edit`: the page's editor saves its scene back
//! through the server. Only the scene the server serves, only a text the
//! loader accepts (the editor's `check`), atomically (the editor's `save`),
//! and not over a change made to the file since the page read it.

#[cfg(not(target_arch = "wasm32"))]
pub use server::{Answer, Editable, put_scene};

/// Where the page puts its scene (relative to the page).
pub const EDIT_PATH: &str = "edit/scene";
/// The scene the page edits, as its config names it (`scenes/NAME.scene.ron`).
pub const SCENE_HEADER: &str = "x-twinscape-scene";
/// `fingerprint` of the text the page's edits started from; without it
/// the save goes over whatever the file holds (the user chose "keep mine").
pub const BASE_HEADER: &str = "x-twinscape-base";

#[cfg(not(target_arch = "wasm32"))]
mod server {
    use std::path::PathBuf;

    use crate::editor::save::{fingerprint, save};

    /// The scene a server takes saves of.
    #[derive(Debug, Clone)]
    pub struct Editable {
        /// The file on disk.
        pub file: PathBuf,
        /// Its name as the page knows it: `scenes/NAME.scene.ron`.
        pub name: String,
    }

    /// How a save went: an HTTP status and a line for the page to show.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Answer {
        pub status: u16,
        pub text: String,
    }

    fn answer(status: u16, text: String) -> Answer {
        Answer { status, text }
    }

    /// Saves `text` as `target`'s file when the page names that scene, the
    /// text loads, and (with `base`) the file is still what the page read.
    pub fn put_scene(
        target: &Editable,
        scene: Option<&str>,
        base: Option<&str>,
        text: &str,
    ) -> Answer {
        let name = &target.name;
        if scene != Some(name.as_str()) {
            return answer(
                403,
                format!(
                    "not saved: this server saves only {name}, not {}",
                    scene.unwrap_or("a scene it was not told")
                ),
            );
        }
        if let Err(e) = crate::editor::check(text, name) {
            return answer(422, format!("not saved: {e}"));
        }
        let now = match std::fs::read_to_string(&target.file) {
            Ok(now) => now,
            Err(e) => return answer(500, format!("not saved: cannot read {name}: {e}")),
        };
        if base.is_some_and(|base| base != fingerprint(&now)) {
            return answer(
                409,
                format!("not saved: {name} changed on the server since this page read it"),
            );
        }
        match save(&target.file, text, Some(&now)) {
            Ok(()) => answer(200, format!("saved {name} on the server")),
            Err(e) => answer(500, format!("not saved: {e}")),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::editor::save::fingerprint;

    /// A copy of the shipped factory in a folder of its own.
    fn scene(name: &str) -> (Editable, String) {
        let dir = std::env::temp_dir().join(format!("twinscape-put-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("factory.scene.ron");
        let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/factory.scene.ron");
        let text = std::fs::read_to_string(shipped).unwrap();
        std::fs::write(&file, &text).unwrap();
        let target = Editable {
            file,
            name: "scenes/factory.scene.ron".into(),
        };
        (target, text)
    }

    /// The shipped factory with cnc-1's temperature warning at `warn` (°C).
    fn with_warn(text: &str, warn: &str) -> String {
        let place: crate::editor::Place = "cnc-1/temperature.warn".parse().unwrap();
        crate::editor::set(text, &place, warn).unwrap()
    }

    #[test]
    fn a_save_takes_a_text_that_loads_over_the_file_the_page_read() {
        let (target, text) = scene("ok");
        let edited = with_warn(&text, "Some(75.5)");
        assert_ne!(edited, text);
        let base = fingerprint(&text);
        let done = put_scene(&target, Some(&target.name), Some(&base), &edited);
        assert_eq!(done.status, 200, "{}", done.text);
        assert_eq!(done.text, "saved scenes/factory.scene.ron on the server");
        assert_eq!(std::fs::read_to_string(&target.file).unwrap(), edited);
    }

    #[test]
    fn a_save_is_refused_and_the_file_kept_for_another_scene_a_bad_text_or_a_stale_base() {
        let (target, text) = scene("refused");
        let base = fingerprint(&text);
        let edited = with_warn(&text, "Some(75.5)");
        let on_disk = || std::fs::read_to_string(&target.file).unwrap();
        // Another scene than the server's.
        let done = put_scene(&target, Some("scenes/city.scene.ron"), Some(&base), &edited);
        assert_eq!(done.status, 403, "{}", done.text);
        assert!(
            done.text.contains("only scenes/factory.scene.ron"),
            "{}",
            done.text
        );
        let done = put_scene(&target, None, Some(&base), &edited);
        assert_eq!(done.status, 403, "{}", done.text);
        // A text the loader refuses (warn above the alarm, 85 °C), said with line:col.
        let bad = with_warn(&text, "Some(500.0)");
        let done = put_scene(&target, Some(&target.name), Some(&base), &bad);
        assert_eq!(done.status, 422, "{}", done.text);
        assert!(
            done.text
                .starts_with("not saved: scenes/factory.scene.ron:"),
            "{}",
            done.text
        );
        assert!(done.text.contains("warn 500"), "{}", done.text);
        assert_eq!(on_disk(), text);
        // Someone else changed the file since the page read it.
        let theirs = with_warn(&text, "Some(74.0)");
        std::fs::write(&target.file, &theirs).unwrap();
        let done = put_scene(&target, Some(&target.name), Some(&base), &edited);
        assert_eq!(done.status, 409, "{}", done.text);
        assert!(done.text.contains("changed on the server"), "{}", done.text);
        assert_eq!(on_disk(), theirs);
        // "Keep mine": no base, saved over theirs.
        let done = put_scene(&target, Some(&target.name), None, &edited);
        assert_eq!(done.status, 200, "{}", done.text);
        assert_eq!(on_disk(), edited);
    }
}

//! One editing session over a scene file: the text as edited, the text on
//! disk it started from, and undo and redo as whole texts (one entry per
//! edit). Every edit is checked by the loader's code before it is taken;
//! saving is atomic and refuses to overwrite someone else's change.

use std::path::PathBuf;

use super::{
    EditError, Place, Sources, check_with, delete_twin, duplicate_twin, fresh_id, save::save, set,
};

/// How far along x a duplicate stands from its original (metres).
const DUPLICATE_OFFSET_M: f32 = 3.0;
use crate::scene::format::SceneDef;

/// Edits kept for undo.
const UNDO_DEPTH: usize = 200;

pub struct EditSession {
    pub file: PathBuf,
    /// The file's text when it was read or last saved.
    base: String,
    /// The text with every edit so far.
    text: String,
    /// The scene `text` loads as.
    scene: SceneDef,
    /// The twins written in `text` (a city's come from its map).
    written: std::collections::HashSet<String>,
    undo: Vec<String>,
    redo: Vec<String>,
    /// Where the checks find the city map and the models.
    sources: Sources,
}

impl EditSession {
    /// Reads and checks `file`.
    pub fn open(file: PathBuf) -> Result<EditSession, EditError> {
        let text = std::fs::read_to_string(&file).map_err(|e| EditError::Io {
            path: file.display().to_string(),
            why: format!("cannot read: {e}"),
        })?;
        EditSession::from_text(file, text, Sources::Disk)
    }

    /// A session over `text`, the content of `file` as it was read (in the
    /// browser: fetched from the server), checked with `sources`.
    pub(crate) fn from_text(
        file: PathBuf,
        text: String,
        sources: Sources,
    ) -> Result<EditSession, EditError> {
        let scene =
            check_with(&text, &file.to_string_lossy(), &sources).map_err(EditError::Invalid)?;
        Ok(EditSession {
            file,
            base: text.clone(),
            written: super::written_ids(&text),
            text,
            scene,
            undo: vec![],
            redo: vec![],
            sources,
        })
    }

    pub fn scene(&self) -> &SceneDef {
        &self.scene
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when twin `id` is written in the file (and so can be edited).
    pub fn is_written(&self, id: &str) -> bool {
        self.written.contains(id)
    }

    /// True when there are edits not saved.
    pub fn is_dirty(&self) -> bool {
        self.text != self.base
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Sets the value at `place` (RON text): taken only if the scene still
    /// loads; one undo entry. Setting a value to what it is changes nothing.
    pub fn set(&mut self, place: &Place, value: &str) -> Result<(), EditError> {
        let edited = set(&self.text, place, value)?;
        self.take(edited)
    }

    /// Copies twin `id` beside itself under a fresh id, which it returns.
    pub fn duplicate(&mut self, id: &str) -> Result<String, EditError> {
        let new_id = fresh_id(&self.scene, id);
        let edited = duplicate_twin(&self.text, id, &new_id, DUPLICATE_OFFSET_M)?;
        self.take(edited)?;
        Ok(new_id)
    }

    /// Adds a twin of `kind` at `at` (a numbered copy of the last of its
    /// kind) and returns its id.
    pub fn add(&mut self, kind: &str, at: [f32; 3]) -> Result<String, EditError> {
        let (edited, new_id) = super::add_twin(&self.text, &self.scene, kind, at)?;
        self.take(edited)?;
        Ok(new_id)
    }

    /// Renames twin `old` to `new` and every reference to it.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<(), EditError> {
        let edited = super::rename_twin(&self.text, old, new)?;
        self.take(edited)
    }

    /// Adds a topic template (RON text) after the scene's others.
    pub fn add_template(&mut self, template: &str) -> Result<(), EditError> {
        let edited = super::add_template(&self.text, template)?;
        self.take(edited)
    }

    /// The kinds "Add" offers (those written in the file).
    pub fn palette(&self) -> Vec<String> {
        super::palette(&self.scene, &self.written)
    }

    /// Deletes twin `id`; refused (with the loader's words) while the
    /// process model, the flow or a child twin still names it.
    pub fn delete(&mut self, id: &str) -> Result<(), EditError> {
        let edited = delete_twin(&self.text, id)?;
        self.take(edited)
    }

    /// Deletes twin `id` after taking it out of what names it (see
    /// `unlink`): one undo entry; returns what was fixed.
    pub fn delete_fixing(&mut self, id: &str) -> Result<Vec<String>, EditError> {
        let (unlinked, fixed) = super::unlink::unlink_twin(&self.text, id)?;
        let edited = delete_twin(&unlinked, id)?;
        self.take(edited)?;
        Ok(fixed)
    }

    /// Takes `edited` as the new text if the scene still loads: one undo entry.
    fn take(&mut self, edited: String) -> Result<(), EditError> {
        if edited == self.text {
            return Ok(());
        }
        let scene = check_with(&edited, &self.file.to_string_lossy(), &self.sources)
            .map_err(EditError::Invalid)?;
        self.undo.push(std::mem::replace(&mut self.text, edited));
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
        self.scene = scene;
        self.written = super::written_ids(&self.text);
        Ok(())
    }

    pub fn undo(&mut self) -> bool {
        self.step(true)
    }

    pub fn redo(&mut self) -> bool {
        self.step(false)
    }

    fn step(&mut self, back: bool) -> bool {
        let (from, to) = if back {
            (&mut self.undo, &mut self.redo)
        } else {
            (&mut self.redo, &mut self.undo)
        };
        let Some(text) = from.pop() else { return false };
        to.push(std::mem::replace(&mut self.text, text));
        // Every text on the stacks passed the checks when it was made.
        if let Ok(scene) = check_with(&self.text, &self.file.to_string_lossy(), &self.sources) {
            self.scene = scene;
        }
        self.written = super::written_ids(&self.text);
        true
    }

    /// Saves atomically; refused when the file changed on disk since it
    /// was read or saved (then `reload` takes theirs, or `save_anyway` keeps mine).
    pub fn save(&mut self) -> Result<(), EditError> {
        save(&self.file, &self.text, Some(&self.base))?;
        self.base = self.text.clone();
        Ok(())
    }

    /// Saves over someone else's change, after the user chose to.
    pub fn save_anyway(&mut self) -> Result<(), EditError> {
        save(&self.file, &self.text, None)?;
        self.base = self.text.clone();
        Ok(())
    }

    /// True when the file on disk is no longer what this session read or
    /// saved: someone else changed it.
    pub fn changed_on_disk(&self) -> bool {
        std::fs::read_to_string(&self.file).is_ok_and(|now| now != self.base)
    }

    /// `text` was saved (in the browser: the server took it): it is what
    /// the file now holds.
    pub fn saved(&mut self, text: String) {
        self.base = text;
    }

    /// The text the file held when it was read or last saved.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Takes the file as it is on disk now, dropping unsaved edits (kept
    /// for undo).
    pub fn reload(&mut self) -> Result<(), EditError> {
        let fresh = EditSession::open(self.file.clone())?;
        self.take_theirs(fresh);
        Ok(())
    }

    /// Takes `theirs` (the file as someone else left it, read anew), the
    /// unsaved edits kept for undo.
    pub fn take_theirs(&mut self, fresh: EditSession) {
        if fresh.text != self.text {
            self.undo
                .push(std::mem::replace(&mut self.text, fresh.text));
            self.redo.clear();
        }
        self.base = fresh.base;
        self.scene = fresh.scene;
        self.written = fresh.written;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: &str) -> EditSession {
        let dir =
            std::env::temp_dir().join(format!("twinscape-session-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("factory.scene.ron");
        let shipped =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/factory.scene.ron");
        std::fs::copy(shipped, &file).unwrap();
        EditSession::open(file).unwrap()
    }

    fn x_of(s: &EditSession, id: &str) -> f32 {
        s.scene()
            .twins
            .iter()
            .find(|t| t.id == id)
            .unwrap()
            .transform
            .translation[0]
    }

    #[test]
    fn edits_undo_and_redo_one_at_a_time() {
        let mut s = session("undo");
        let at = "cnc-1.transform.translation".parse().unwrap();
        s.set(&at, "(-14.0, 0.0, -4.8)").unwrap();
        s.set(&at, "(-13.0, 0.0, -4.8)").unwrap();
        assert_eq!(x_of(&s, "cnc-1"), -13.0);
        assert!(s.is_dirty());
        assert!(s.undo());
        assert_eq!(x_of(&s, "cnc-1"), -14.0);
        assert!(s.undo());
        assert_eq!(x_of(&s, "cnc-1"), -15.0);
        assert!(!s.is_dirty(), "back to the file's text");
        assert!(!s.undo());
        assert!(s.redo());
        assert_eq!(x_of(&s, "cnc-1"), -14.0);
        // A new edit drops what could be redone.
        s.set(&"cnc-1.name".parse().unwrap(), "\"Mill\"").unwrap();
        assert!(!s.can_redo());
        // A refused edit changes nothing and adds no undo entry.
        let before = s.text().to_string();
        let e = s.set(&"cnc-1/temperature.warn".parse().unwrap(), "Some(99.0)");
        assert!(matches!(e, Err(EditError::Invalid(_))), "{e:?}");
        assert_eq!(s.text(), before);
        assert!(s.undo());
        assert_eq!(x_of(&s, "cnc-1"), -14.0);
    }

    #[test]
    fn a_save_writes_the_edits_and_someone_elses_change_is_not_overwritten() {
        let mut s = session("save");
        s.set(&"cnc-1.name".parse().unwrap(), "\"Mill A\"").unwrap();
        s.save().unwrap();
        assert!(!s.is_dirty());
        let on_disk = std::fs::read_to_string(&s.file).unwrap();
        assert!(on_disk.contains("name: \"Mill A\""));
        // Someone else edits the file while we have an unsaved edit.
        std::fs::write(&s.file, on_disk.replace("Mill A", "Mill B")).unwrap();
        s.set(&"cnc-1.name".parse().unwrap(), "\"Mill C\"").unwrap();
        assert!(s.changed_on_disk());
        assert!(s.save().is_err());
        assert!(std::fs::read_to_string(&s.file).unwrap().contains("Mill B"));
        // Theirs: reload (ours stays on the undo stack).
        s.reload().unwrap();
        assert!(s.text().contains("Mill B") && !s.is_dirty());
        assert!(s.undo());
        assert!(s.text().contains("Mill C"));
        // Or mine, on purpose.
        s.save_anyway().unwrap();
        assert!(std::fs::read_to_string(&s.file).unwrap().contains("Mill C"));
    }
}

//! Edit mode in the viewer: `E` (or `view --edit`) opens an editing session
//! over the scene file; the panel (`view/panels/editor.rs`) edits the
//! selected twin; `Ctrl+Z` undoes, `Ctrl+Shift+Z` or `Ctrl+Y` redoes, `Ctrl+S`
//! saves. Moves and turns show at once (the twins' transforms follow the
//! edited scene); the rest shows when the saved file is reloaded. The data
//! keeps flowing while editing.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

pub use super::gizmo::Tool;
use super::session::EditSession;
use super::{EditError, Place};
use crate::TwinSet;
use crate::scene::{ActiveScene, SceneAsset, SceneSpawned};
use crate::twin::Twin;

/// The scene file on disk, for the editor.
#[derive(Resource, Debug, Clone)]
pub struct SceneFile(pub PathBuf);

/// `view --edit`: start in edit mode.
#[derive(Resource, Debug, Clone, Copy)]
pub struct StartEditing;

/// The editor's state: on or off, its session, and what it last said.
#[derive(Resource, Default)]
pub struct Editor {
    pub on: bool,
    pub session: Option<EditSession>,
    /// The last refusal or failure, shown until the next edit.
    pub error: Option<String>,
    /// The last thing done ("saved", "undone"), for the panel.
    pub note: Option<String>,
    /// Counts the session's changes, so the twins follow each once.
    pub(crate) version: u64,
    /// What a drag of the gizmo does (`G` move, `R` turn).
    pub tool: Tool,
    /// Moves and turns go in steps (`SNAP_MOVE_M`, `SNAP_TURN_DEG`).
    pub snap: bool,
    /// Twins were added or removed: the scene on screen is spawned anew
    /// from the edited one (and this twin selected, if given).
    respawn: bool,
    select: Option<String>,
}

impl Editor {
    /// Opens a session over `file` (if none is open) and turns edit mode on.
    pub fn start(&mut self, file: &std::path::Path) {
        self.on = true;
        if self.session.is_none() {
            match EditSession::open(file.to_path_buf()) {
                Ok(session) => self.session = Some(session),
                Err(e) => self.error = Some(e.to_string()),
            }
            self.version += 1;
        }
    }

    /// Sets the value at `place` (RON text), or keeps the refusal to show.
    pub fn set(&mut self, place: &Place, value: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.set(place, value);
        self.after(done.map(|()| None));
    }

    /// Copies twin `id` beside itself and selects the copy.
    pub fn duplicate(&mut self, id: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.duplicate(id);
        if let Ok(new_id) = &done {
            self.select = Some(new_id.clone());
        }
        self.after(done.map(|new_id| Some(format!("{new_id} added"))));
    }

    /// Adds a twin of `kind` at `at` and selects it.
    pub fn add(&mut self, kind: &str, at: [f32; 3]) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.add(kind, at);
        if let Ok(new_id) = &done {
            self.select = Some(new_id.clone());
        }
        self.after(done.map(|new_id| Some(format!("{new_id} added"))));
    }

    /// Renames twin `old` (and what names it) and keeps it selected.
    pub fn rename(&mut self, old: &str, new: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.rename(old, new);
        if done.is_ok() {
            self.select = Some(new.to_string());
        }
        self.after(done.map(|()| Some(format!("{old} renamed {new}"))));
    }

    /// Deletes twin `id`, unless something still names it.
    pub fn delete(&mut self, id: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.delete(id);
        self.after(done.map(|()| Some(format!("{id} deleted"))));
    }

    pub fn undo(&mut self) {
        if let Some(s) = self.session.as_mut() {
            let done = s.undo();
            self.after(Ok(done.then(|| "undone".to_string())));
        }
    }

    pub fn redo(&mut self) {
        if let Some(s) = self.session.as_mut() {
            let done = s.redo();
            self.after(Ok(done.then(|| "redone".to_string())));
        }
    }

    pub fn save(&mut self) {
        if let Some(s) = self.session.as_mut() {
            let done = s
                .save()
                .map(|()| Some(format!("saved {}", s.file.display())));
            self.after(done);
        }
    }

    fn after(&mut self, done: Result<Option<String>, EditError>) {
        match done {
            Ok(note) => {
                self.error = None;
                self.note = note;
                self.version += 1;
                self.respawn = true;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins((super::gizmo::plugin, super::browse::plugin));
    app.init_resource::<Editor>().add_systems(
        Update,
        (
            start_when_asked,
            follow_the_file,
            keys,
            respawn_if_twins_changed,
            follow_session,
        )
            .chain()
            .in_set(TwinSet::Present),
    );
}

fn start_when_asked(
    mut commands: Commands,
    start: Option<Res<StartEditing>>,
    mut spawned: MessageReader<SceneSpawned>,
    file: Option<Res<SceneFile>>,
    mut editor: ResMut<Editor>,
) {
    if spawned.read().last().is_none() {
        return;
    }
    if let (Some(_), Some(file)) = (start, file) {
        editor.start(&file.0);
        commands.remove_resource::<StartEditing>();
    }
}

/// When the scene reloads because someone else changed its file and the
/// session has no unsaved edits, the session takes the file as it is now
/// (with unsaved edits the panel offers the choice instead).
fn follow_the_file(mut spawned: MessageReader<SceneSpawned>, mut editor: ResMut<Editor>) {
    if spawned.read().last().is_none() {
        return;
    }
    let Some(session) = editor.session.as_mut() else {
        return;
    };
    if session.is_dirty() || !session.changed_on_disk() {
        return;
    }
    let done = session.reload();
    editor.after(done.map(|()| Some("reloaded: the file changed on disk".into())));
}

/// `E` toggles edit mode; with it on, `G` (move) and `R` (turn) pick what
/// the gizmo does, and `Ctrl+S`, `Ctrl+Z`, `Ctrl+Shift+Z` and `Ctrl+Y`.
/// Not while egui has the keyboard (typing in a field).
fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    egui_input: Option<Res<EguiWantsInput>>,
    file: Option<Res<SceneFile>>,
    mut editor: ResMut<Editor>,
) {
    if egui_input.is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    if !ctrl && keys.just_pressed(KeyCode::KeyE) {
        match (&file, editor.on) {
            (Some(file), false) => editor.start(&file.0),
            _ => editor.on = false,
        }
    }
    if !editor.on {
        return;
    }
    if !ctrl && keys.just_pressed(KeyCode::KeyG) {
        editor.tool = Tool::Move;
    } else if !ctrl && keys.just_pressed(KeyCode::KeyR) {
        editor.tool = Tool::Turn;
    }
    if !ctrl {
        return;
    }
    if keys.just_pressed(KeyCode::KeyS) {
        editor.save();
    } else if keys.just_pressed(KeyCode::KeyZ) && shift || keys.just_pressed(KeyCode::KeyY) {
        editor.redo();
    } else if keys.just_pressed(KeyCode::KeyZ) {
        editor.undo();
    }
}

/// When the edited scene's twins are not the ones on screen (one added or
/// deleted, or such an edit undone), the scene asset becomes the edited
/// scene, which spawns it anew as a reload of the file would (the
/// selection stays, the copy just made is selected).
fn respawn_if_twins_changed(
    mut commands: Commands,
    mut editor: ResMut<Editor>,
    active: Option<Res<ActiveScene>>,
    mut scenes: ResMut<Assets<SceneAsset>>,
    twins: Query<&Twin>,
) {
    if !std::mem::take(&mut editor.respawn) {
        return;
    }
    let (Some(active), Some(session)) = (active, &editor.session) else {
        return;
    };
    let mut edited: Vec<&str> = session
        .scene()
        .twins
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    let mut shown: Vec<&str> = twins.iter().map(|t| t.id.as_str()).collect();
    edited.sort_unstable();
    shown.sort_unstable();
    if edited == shown {
        return;
    }
    let Some(old) = scenes.get(&active.handle) else {
        return;
    };
    let new = SceneAsset {
        def: session.scene().clone(),
        models: old.models.clone(),
        map: old.map.clone(),
    };
    let _ = scenes.insert(&active.handle, new);
    if let Some(id) = editor.select.take() {
        commands.insert_resource(crate::view::InitialSelection(id));
    }
}

/// After each change of the session, every twin stands where the edited
/// scene puts it.
fn follow_session(
    editor: Res<Editor>,
    mut seen: Local<u64>,
    mut twins: Query<(&Twin, &mut Transform)>,
) {
    if editor.version == *seen {
        return;
    }
    *seen = editor.version;
    let Some(session) = &editor.session else {
        return;
    };
    let places: std::collections::HashMap<&str, &crate::scene::format::TransformDef> = session
        .scene()
        .twins
        .iter()
        .map(|t| (t.id.as_str(), &t.transform))
        .collect();
    for (twin, mut transform) in &mut twins {
        if let Some(def) = places.get(twin.id.as_str()) {
            let wanted = crate::scene::twin_transform(def);
            if *transform != wanted {
                *transform = wanted;
            }
        }
    }
}

//! Edit mode in the viewer: `E` (or `view --edit`) opens an editing session
//! over the scene file; the panel (`view/panels/editor.rs`) edits the
//! selected twin; `Ctrl+Z` undoes, `Ctrl+Shift+Z` or `Ctrl+Y` redoes, `Ctrl+S`
//! saves. Moves, turns, names and sensor limits (with the alarm rules made
//! from them) show at once; added and deleted twins, and changed bindings
//! or templates, respawn the scene from the edited one (ingest subscribes
//! again with its topics). The data keeps flowing while editing.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

pub use super::gizmo::Tool;
use super::session::EditSession;
use super::{EditError, Place};
use crate::TwinSet;
use crate::alarms::plugin::AlarmWatch;
use crate::scene::{ActiveScene, SceneAsset, SceneSpawned};
use crate::twin::{Sensor, Twin};

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
    /// The twin whose deletion was refused last (the panel then offers to
    /// delete it, fixing what names it).
    pub delete_refused: Option<String>,
    /// The field whose last edit was refused, and why (shown beside it).
    pub refused: Option<(Place, String)>,
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
    /// A save was refused because the file changed on the server since it
    /// was read (in the browser; natively the file is compared on disk).
    pub conflict: bool,
    /// In the browser: what waits to be asked of the server (`remote`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) want: Option<super::remote::Want>,
}

impl Editor {
    /// Opens a session over `file` (if none is open) and turns edit mode on.
    pub fn start(&mut self, file: &std::path::Path) {
        self.on = true;
        if self.session.is_none() {
            self.open(file);
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn open(&mut self, file: &std::path::Path) {
        match EditSession::open(file.to_path_buf()) {
            Ok(session) => self.session = Some(session),
            Err(e) => self.error = Some(e.to_string()),
        }
        self.version += 1;
    }

    /// In the browser the file is fetched from the page's server (`remote`).
    #[cfg(target_arch = "wasm32")]
    fn open(&mut self, _file: &std::path::Path) {
        self.want = Some(super::remote::Want::Open);
    }

    /// Sets the value at `place` (RON text), or keeps the refusal to show.
    pub fn set(&mut self, place: &Place, value: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.set(place, value);
        if let Err(e) = &done {
            self.refused = Some((place.clone(), e.to_string()));
        }
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

    /// Adds a topic template to the scene.
    pub fn add_template(&mut self, template: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.add_template(template);
        self.after(done.map(|()| Some("template added".to_string())));
    }

    /// Deletes twin `id`, unless something still names it.
    pub fn delete(&mut self, id: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.delete(id);
        let refused = done.is_err().then(|| id.to_string());
        self.after(done.map(|()| Some(format!("{id} deleted"))));
        self.delete_refused = refused;
    }

    /// Deletes twin `id`, taking it out of the process model's stations and
    /// its children first.
    pub fn delete_fixing(&mut self, id: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let done = session.delete_fixing(id);
        self.after(done.map(|fixed| Some(format!("{id} deleted; {}", fixed.join("; ")))));
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

    #[cfg(not(target_arch = "wasm32"))]
    pub fn save(&mut self) {
        if let Some(s) = self.session.as_mut() {
            let done = s
                .save()
                .map(|()| Some(format!("saved {}", s.file.display())));
            self.after(done);
        }
    }

    /// In the browser: to the server when it takes saves, else a download.
    #[cfg(target_arch = "wasm32")]
    pub fn save(&mut self) {
        if self.session.is_some() {
            self.want = Some(super::remote::Want::Save);
        }
    }

    /// True when the file changed on disk (or on the server) since it was
    /// read while there are unsaved edits: the user chooses whose to keep.
    pub fn theirs_changed(&self) -> bool {
        self.conflict
            || self
                .session
                .as_ref()
                .is_some_and(|s| s.is_dirty() && s.changed_on_disk())
    }

    /// Takes the file as it is now (the edits stay on the undo stack).
    pub fn reload_theirs(&mut self) {
        self.conflict = false;
        #[cfg(target_arch = "wasm32")]
        {
            self.want = Some(super::remote::Want::Reload);
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(s) = self.session.as_mut() {
            let done = s.reload();
            self.error = done.err().map(|e| e.to_string());
            self.version += 1;
        }
    }

    /// Saves over the other change, after the user chose to.
    pub fn keep_mine(&mut self) {
        self.conflict = false;
        #[cfg(target_arch = "wasm32")]
        {
            self.want = Some(super::remote::Want::SaveAnyway);
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(s) = self.session.as_mut() {
            let done = s.save_anyway();
            self.error = done.err().map(|e| e.to_string());
        }
    }

    pub(crate) fn after(&mut self, done: Result<Option<String>, EditError>) {
        match done {
            Ok(note) => {
                self.error = None;
                self.refused = None;
                self.delete_refused = None;
                self.note = note;
                self.version += 1;
                self.respawn = true;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }
}

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins(super::gizmo::plugin);
    #[cfg(not(target_arch = "wasm32"))]
    app.add_plugins(super::browse::plugin);
    #[cfg(target_arch = "wasm32")]
    app.add_plugins(super::remote::plugin);
    app.init_resource::<Editor>().add_systems(
        Update,
        (
            start_when_asked,
            follow_the_file,
            keys,
            respawn_if_changed,
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
/// deleted, or such an edit undone), or its bindings or templates are not
/// those the twin subscribed with, the scene asset becomes the edited
/// scene, which spawns it anew as a reload of the file would (the
/// selection stays, the copy just made is selected; ingest subscribes
/// again with the edited scene's topics).
fn respawn_if_changed(
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
    let mut shown: Vec<&str> = twins.iter().map(|t| &*t.id).collect();
    edited.sort_unstable();
    shown.sort_unstable();
    let Some(old) = scenes.get(&active.handle) else {
        return;
    };
    // A new binding or template takes effect at once: the scene spawned
    // anew subscribes with the edited scene's router.
    if edited == shown && routing(&old.def) == routing(session.scene()) {
        return;
    }
    let new = SceneAsset {
        def: std::sync::Arc::new(session.scene().clone()),
        models: old.models.clone(),
        map: old.map.clone(),
    };
    let _ = scenes.insert(&active.handle, new);
    if let Some(id) = editor.select.take() {
        commands.insert_resource(crate::view::InitialSelection(id));
    }
}

/// What decides where readings go: each sensor's binding and the
/// templates, as text.
fn routing(scene: &crate::scene::format::SceneDef) -> (Vec<String>, String) {
    let bindings = scene
        .sensors()
        .map(|(twin, sensor)| format!("{}/{}: {:?}", twin.id, sensor.name, sensor.binding))
        .collect();
    (bindings, format!("{:?}", scene.templates))
}

/// After each change of the session, every twin stands where the edited
/// scene puts it, with its name, and its sensors' limits (and the alarm
/// rules made from them) are the edited scene's, before any save.
fn follow_session(
    editor: Res<Editor>,
    mut seen: Local<u64>,
    mut twins: Query<(&mut Twin, &mut Transform, Option<&crate::twin::Sensors>)>,
    mut sensors: Query<(&mut Sensor, Option<&mut AlarmWatch>)>,
) {
    if editor.version == *seen {
        return;
    }
    *seen = editor.version;
    let Some(session) = &editor.session else {
        return;
    };
    let defs: std::collections::HashMap<&str, &crate::scene::format::TwinDef> = session
        .scene()
        .twins
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    for (mut twin, mut transform, list) in &mut twins {
        let Some(def) = defs.get(&*twin.id) else {
            continue;
        };
        let wanted = crate::scene::twin_transform(&def.transform);
        if *transform != wanted {
            *transform = wanted;
        }
        if twin.name != def.name {
            twin.name.clone_from(&def.name);
        }
        for &entity in list.map_or(&[][..], |l| l.entities()) {
            if let Ok((sensor, watch)) = sensors.get_mut(entity) {
                follow_limits(def, sensor, watch);
            }
        }
    }
}

/// A sensor's warn and alarm limits as `twin` has them, its rules anew when
/// they changed.
fn follow_limits(
    twin: &crate::scene::format::TwinDef,
    mut sensor: Mut<Sensor>,
    watch: Option<Mut<AlarmWatch>>,
) {
    let Some(s) = twin.sensors.iter().find(|s| *s.name == *sensor.name) else {
        return;
    };
    if (sensor.warn, sensor.alarm) != (s.warn, s.alarm) {
        sensor.warn = s.warn;
        sensor.alarm = s.alarm;
        if let Some(mut watch) = watch {
            watch.set_rules(crate::alarms::Rules::of(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::Rules;
    use crate::twin::SensorOf;

    /// An edit of a name or a limit reaches the twin on screen and its
    /// alarm rules at once, before any save.
    /// An editing session over a copy of the shipped factory in a folder
    /// of its own (`name`): the editor and the copy's path.
    pub(super) fn editing_factory(name: &str) -> (Editor, PathBuf) {
        let dir = std::env::temp_dir().join(format!("twinscape-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("factory.scene.ron");
        std::fs::write(&file, crate::editor::shipped_factory()).unwrap();
        let mut editor = Editor::default();
        editor.start(&file);
        (editor, file)
    }

    #[test]
    fn names_and_limits_follow_the_session_before_a_save() {
        let (mut editor, file) = editing_factory("follow");
        let dir = file.parent().unwrap().to_path_buf();
        let def = editor.session.as_ref().unwrap().scene().twins[2].clone();
        assert_eq!(def.id, "cnc-1");
        let s = &def.sensors[0];
        let mut app = App::new();
        app.add_systems(Update, follow_session);
        let twin = app
            .world_mut()
            .spawn((
                Twin {
                    id: def.id.as_str().into(),
                    name: def.name.clone(),
                    kind: def.kind.as_str().into(),
                },
                Transform::default(),
            ))
            .id();
        let sensor = Sensor {
            index: 0,
            name: s.name.as_str().into(),
            unit: s.unit.as_str().into(),
            topic: None,
            range: s.range,
            warn: s.warn,
            alarm: s.alarm,
        };
        let mut watch = AlarmWatch::default();
        watch.set_rules(Rules::of(s));
        let sensor = app.world_mut().spawn((sensor, watch, SensorOf(twin))).id();
        let place = |f: &str| f.parse::<Place>().unwrap();
        editor.set(&place("cnc-1.name"), "\"Mill one\"");
        editor.set(&place("cnc-1/temperature.warn"), "Some(50.0)");
        assert_eq!(editor.error, None);
        app.insert_resource(editor);
        app.update();
        let world = app.world();
        assert_eq!(world.get::<Twin>(twin).unwrap().name, "Mill one");
        // 75 °C in the shipped file, 50 now: the sensor and its rules.
        assert_eq!(world.get::<Sensor>(sensor).unwrap().warn, Some(50.0));
        assert_eq!(
            world
                .get::<AlarmWatch>(sensor)
                .unwrap()
                .rules
                .as_ref()
                .unwrap()
                .warn,
            Some(50.0)
        );
        // The file itself is not written until a save.
        let on_disk = std::fs::read_to_string(&file).unwrap();
        assert!(on_disk.contains("CNC mill 1") && !on_disk.contains("Mill one"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod respawn_tests {
    use super::tests::editing_factory;
    use super::*;

    /// A binding edited in the session replaces the scene asset at once
    /// (which spawns it anew and subscribes with its topics); a name edit
    /// does not.
    #[test]
    fn a_new_binding_respawns_the_scene_and_a_name_does_not() {
        let (mut editor, _) = editing_factory("respawn");
        let def = editor.session.as_ref().unwrap().scene().clone();
        let mut app = App::new();
        app.add_plugins(AssetPlugin::default())
            .init_asset::<SceneAsset>()
            .add_systems(Update, respawn_if_changed);
        let handle = app
            .world_mut()
            .resource_mut::<Assets<SceneAsset>>()
            .add(SceneAsset {
                def: std::sync::Arc::new(def.clone()),
                models: Default::default(),
                map: None,
            });
        app.insert_resource(ActiveScene {
            handle: handle.clone(),
            spawned: Some(def.name.clone()),
            error: None,
        });
        for t in &def.twins {
            app.world_mut().spawn(Twin {
                id: t.id.as_str().into(),
                name: t.name.clone(),
                kind: t.kind.as_str().into(),
            });
        }
        let topic_now = |app: &App| {
            let scenes = app.world().resource::<Assets<SceneAsset>>();
            let def = &scenes.get(&handle).unwrap().def;
            let cnc = def.twins.iter().find(|t| t.id == "cnc-1").unwrap();
            cnc.sensors[0].binding.as_ref().map(|b| b.topic.clone())
        };
        let place = |f: &str| f.parse::<Place>().unwrap();
        editor.set(&place("cnc-1.name"), "\"Mill one\"");
        app.insert_resource(editor);
        app.update();
        let scenes = app.world().resource::<Assets<SceneAsset>>();
        assert_eq!(
            scenes.get(&handle).unwrap().def.twins[2].name,
            "CNC mill 1",
            "respawned for a name"
        );
        assert_eq!(topic_now(&app).as_deref(), Some("sensor/temperature"));
        app.world_mut().resource_mut::<Editor>().set(
            &place("cnc-1/temperature.binding"),
            "(topic: \"lab/mill-1/temp\")",
        );
        app.update();
        assert_eq!(topic_now(&app).as_deref(), Some("lab/mill-1/temp"));
    }
}

//! The page: starts the viewer on its canvas and keeps the JSON that
//! `window.twinscape.snapshot()` returns: the headless snapshot plus
//! `frames`, `first_frame_ms` (from navigation start to the first rendered
//! frame), `first_twin_frame_ms` (to the first frame with the scene's twins),
//! `editor` (edit mode: on, unsaved edits, the last note or error) and
//! `error` (why the page could not start); and `window.twinscape.edit(place,
//! value)`, which sets a value of the scene being edited as the editor's
//! fields do (for tools and tests).

use std::cell::RefCell;
use std::path::PathBuf;

use bevy::prelude::*;
use serde_json::{Value, json};

use super::config::{PageConfig, resolve};
use crate::app::Options;
use crate::editor::Place;
use crate::editor::plugin::{Editor, SceneFile};
use crate::editor::remote::RemoteScene;
use crate::scene::index::SceneIndex;
use crate::telemetry::TelemetrySource;

/// How often the page's snapshot is retaken (ms of page time).
const SNAPSHOT_EVERY_MS: f64 = 100.0;

thread_local! {
    /// The latest snapshot as JSON text.
    static SNAPSHOT: RefCell<String> = RefCell::new(json!({"frames": 0}).to_string());
    /// Edits asked for by `edit`, for the next frame.
    static EDITS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Starts the app. Arguments as `config::resolve` takes them, and the login
/// the page asked for (when `config.json` says the broker takes one). A bad
/// configuration is returned (the page shows it) and kept in the snapshot.
pub fn start(
    defaults_json: &str,
    query: &str,
    hostname: &str,
    login: Option<(String, String)>,
) -> Result<(), String> {
    let config = match resolve(defaults_json, query, hostname) {
        Ok(config) => config,
        Err(e) => {
            let error = e.to_string();
            SNAPSHOT.with(|s| *s.borrow_mut() = json!({"frames": 0, "error": error}).to_string());
            return Err(error);
        }
    };
    crate::telemetry::browser::set_login(login);
    let opts = Options {
        scene: PathBuf::from(&config.scene),
        source: TelemetrySource::WebSocket(config.broker.clone()),
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = crate::view::web_app(&opts);
    app.insert_resource(SceneFile(PathBuf::from(&config.scene)))
        .insert_resource(RemoteScene {
            url: config.scene.clone(),
            can_save: config.edit,
        })
        .add_systems(Update, take_edits.in_set(crate::TwinSet::Ingest));
    app.insert_resource(Page {
        config,
        frames: 0,
        first_frame_ms: None,
        first_twin_frame_ms: None,
        taken_ms: f64::NEG_INFINITY,
    })
    .add_systems(Last, keep_snapshot);
    app.run();
    Ok(())
}

/// The snapshot, as JSON text.
pub fn snapshot_json() -> String {
    SNAPSHOT.with(|s| s.borrow().clone())
}

/// Sets the value at `place` (`TWIN.FIELD…` or `TWIN/SENSOR.FIELD…`) to
/// `value` (RON text) in the scene being edited, as the editor's fields do:
/// refused edits show in the snapshot's `editor.error`.
pub fn edit(place: &str, value: &str) {
    EDITS.with(|e| e.borrow_mut().push((place.to_string(), value.to_string())));
}

fn take_edits(mut editor: ResMut<Editor>) {
    for (place, value) in EDITS.with(|e| std::mem::take(&mut *e.borrow_mut())) {
        if editor.session.is_none() {
            editor.error = Some(format!("{place}: not editing (E starts edit mode)"));
            continue;
        }
        match place.parse::<Place>() {
            Ok(place) => editor.set(&place, &value),
            Err(e) => editor.error = Some(e.to_string()),
        }
    }
}

/// The page's timer: keepalive and reconnects of the MQTT link.
pub fn tick() {
    crate::telemetry::browser::tick();
}

#[derive(Resource)]
struct Page {
    config: PageConfig,
    frames: u64,
    first_frame_ms: Option<f64>,
    first_twin_frame_ms: Option<f64>,
    taken_ms: f64,
}

/// Milliseconds since navigation started.
fn page_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn keep_snapshot(world: &mut World) {
    let now = page_ms();
    let has_twins = world.get_resource::<SceneIndex>().is_some();
    let Some(mut page) = world.get_resource_mut::<Page>() else {
        return;
    };
    page.frames += 1;
    page.first_frame_ms.get_or_insert(now);
    if has_twins {
        page.first_twin_frame_ms.get_or_insert(now);
    }
    if now - page.taken_ms < SNAPSHOT_EVERY_MS {
        return;
    }
    page.taken_ms = now;
    let extra = json!({
        "frames": page.frames,
        "first_frame_ms": page.first_frame_ms,
        "first_twin_frame_ms": page.first_twin_frame_ms,
        "config": {
            "scene": page.config.scene,
            "broker": page.config.broker,
            "login": page.config.login,
            "edit": page.config.edit,
        },
    });
    let mut snapshot = serde_json::to_value(crate::snapshot::take(world)).unwrap_or(Value::Null);
    if let (Value::Object(map), Value::Object(extra)) = (&mut snapshot, extra) {
        map.extend(extra);
        map.insert("editor".into(), editor_state(world));
    }
    SNAPSHOT.with(|s| *s.borrow_mut() = snapshot.to_string());
}

/// Edit mode as the page's tools see it.
fn editor_state(world: &World) -> Value {
    let Some(editor) = world.get_resource::<Editor>() else {
        return Value::Null;
    };
    json!({
        "on": editor.on,
        "open": editor.session.is_some(),
        "dirty": editor.session.as_ref().is_some_and(|s| s.is_dirty()),
        "note": editor.note,
        "error": editor.error,
        "conflict": editor.conflict,
    })
}

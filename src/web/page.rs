//! The page: starts the viewer on its canvas and keeps the JSON that
//! `window.twinscape.snapshot()` returns: the headless snapshot plus
//! `frames`, `first_frame_ms` (from navigation start to the first rendered
//! frame), `first_twin_frame_ms` (to the first frame with the scene's twins)
//! and `error` (why the page could not start).

use std::cell::RefCell;
use std::path::PathBuf;

use bevy::prelude::*;
use serde_json::{Value, json};

use super::config::{PageConfig, resolve};
use crate::app::Options;
use crate::scene::index::SceneIndex;
use crate::telemetry::TelemetrySource;

/// How often the page's snapshot is retaken (ms of page time).
const SNAPSHOT_EVERY_MS: f64 = 100.0;

thread_local! {
    /// The latest snapshot as JSON text.
    static SNAPSHOT: RefCell<String> = RefCell::new(json!({"frames": 0}).to_string());
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
        "config": {"scene": page.config.scene, "broker": page.config.broker, "login": page.config.login},
    });
    let mut snapshot = serde_json::to_value(crate::snapshot::take(world)).unwrap_or(Value::Null);
    if let (Value::Object(map), Value::Object(extra)) = (&mut snapshot, extra) {
        map.extend(extra);
    }
    SNAPSHOT.with(|s| *s.borrow_mut() = snapshot.to_string());
}

//! The topic browser's side of edit mode: while the editor is open on a
//! twin fed by an MQTT broker, a topic scout (`telemetry::scout`) keeps
//! what the broker carries; the "Topics" window (`view/panels/topics.rs`)
//! lists it and binds the selected twin's sensor to a topic it picks.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use super::plugin::Editor;
use crate::TwinSet;
use crate::telemetry::TelemetrySource;
use crate::telemetry::scout::{ScoutView, TopicScout};

/// What the "Topics" window shows and the scout behind it.
#[derive(Resource, Default)]
pub struct TopicBrowser {
    /// What was carried; `None` without a broker (a replay, a test feeds it).
    pub view: Option<Arc<Mutex<ScoutView>>>,
    scout: Option<TopicScout>,
    /// The topic picked in the list, and the sensor and JSON field to bind.
    pub chosen: Option<String>,
    pub sensor: Option<String>,
    pub field: Option<Option<String>>,
}

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<TopicBrowser>()
        .add_systems(Update, scout_while_editing.in_set(TwinSet::Present));
}

/// The scout runs while edit mode is on and the twin has an MQTT broker.
fn scout_while_editing(
    editor: Res<Editor>,
    source: Option<Res<TelemetrySource>>,
    mut browser: ResMut<TopicBrowser>,
) {
    let broker = match source.as_deref() {
        Some(TelemetrySource::Mqtt(url)) => Some(url),
        _ => None,
    };
    match (editor.on, broker, browser.scout.is_some()) {
        (true, Some(url), false) => {
            let scout = TopicScout::spawn(url);
            browser.view = Some(scout.view.clone());
            browser.scout = Some(scout);
        }
        (false, _, true) => {
            browser.scout = None;
            browser.view = None;
        }
        _ => {}
    }
}

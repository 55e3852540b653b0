//! twinscape: a digital twin you can see.
//!
//! Live sensor data arrives over MQTT and drives 3D machines (a factory) or
//! city blocks in a Bevy app. Each step of the data path is a plugin, ordered
//! by `TwinSet`: telemetry ingests, the twin rates what it holds, and the view
//! (feature `viewer`) and the snapshot present it.

pub mod alarms;
pub mod analytics;
pub mod app;
pub mod backtest;
pub mod city;
pub mod flow;
pub mod recording;
pub mod scene;
pub mod sim;
pub mod snapshot;
pub mod telemetry;
mod topic_filter;
pub mod twin;
pub mod web;
pub mod whatif;

pub mod editor;
#[cfg(not(target_arch = "wasm32"))]
pub mod plant;

#[cfg(feature = "viewer")]
pub mod view;

#[cfg(test)]
mod proptests;

use bevy::prelude::*;

/// The steps of a frame, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TwinSet {
    Ingest,
    Analyze,
    Simulate,
    Present,
}

/// The twin without any window: scenes, telemetry, twin state and snapshots.
/// The viewer adds its plugin on top of this.
pub fn twin_plugin(app: &mut App) {
    app.configure_sets(
        Update,
        (
            TwinSet::Ingest,
            TwinSet::Analyze,
            TwinSet::Simulate,
            TwinSet::Present,
        )
            .chain(),
    )
    .add_plugins((
        scene::plugin,
        telemetry::plugin,
        recording::plugin::plugin,
        twin::plugin,
        alarms::plugin::plugin,
        snapshot::plugin,
        whatif::plugin,
        flow::plugin,
        city::plugin::plugin,
    ));
}

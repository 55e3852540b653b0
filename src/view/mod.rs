//! The 3D viewer (feature "viewer"): the stage (camera, lights, floor), the
//! twins drawn from their parts and moved by their values, picking and the
//! selection, alarm rings, the flow's looks, the egui panels, and the
//! `--screenshot` mode. Each of those is a file with its own small plugin;
//! this one only composes them and builds the viewer app.

mod alarm_rings;
mod camera;
pub(crate) mod city;
mod city_palette;
pub(crate) mod district;
mod flow_look;
mod panels;
mod screenshot;
mod selection;
pub(crate) mod shapes;
mod stage;

use bevy::picking::mesh_picking::MeshPickingPlugin;
use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::EguiPlugin;

use crate::app::{Options, add_twin, assets_dir, register_scene_source};

pub use city_palette::{CityPalette, CitySlot};
pub use district::District;
pub use panels::BacktestScores;
pub use screenshot::ScreenshotPlan;
pub use selection::InitialSelection;
pub use selection::Selected;

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins((EguiPlugin::default(), MeshPickingPlugin))
        // egui's context lives on its own camera (the stage spawns it).
        .insert_resource(bevy_egui::EguiGlobalSettings {
            auto_create_primary_context: false,
            ..default()
        })
        // The what-if window's state (whatif runs what it asks for), and
        // physics that keeps pace with slow frames (the flow steps it).
        .init_resource::<crate::whatif::WhatIfPanel>()
        .insert_resource(crate::flow::KeepPace)
        // Registration order decides where Bevy places systems with no order
        // between them; this one keeps the executable order of before the split.
        .add_plugins((
            stage::plugin,
            shapes::plugin,
            camera::plugin,
            selection::plugin,
            alarm_rings::plugin,
            city::plugin,
            city_palette::plugin,
            district::plugin,
            flow_look::plugin,
            panels::plugin,
            screenshot::plugin,
            crate::editor::plugin::plugin,
        ));
}

/// The viewer app: a window, the twin, and this plugin.
pub fn viewer_app(opts: &Options, screenshot: Option<ScreenshotPlan>) -> App {
    let window = Window {
        title: "twinscape".into(),
        resolution: WindowResolution::new(1280, 720),
        ..default()
    };
    let assets = AssetPlugin {
        file_path: assets_dir(),
        ..default()
    };
    let mut app = windowed_app(opts, window, assets);
    #[cfg(not(target_arch = "wasm32"))]
    app.insert_resource(crate::editor::plugin::SceneFile(opts.scene.clone()));
    if let Some(plan) = screenshot {
        app.insert_resource(plan);
    }
    app
}

/// The same viewer in a web page: drawn on the page's `<canvas id="twinscape">`,
/// which it fills, with its scene and assets fetched over HTTP beside the page.
pub fn web_app(opts: &Options) -> App {
    let window = Window {
        title: "twinscape".into(),
        canvas: Some("#twinscape".into()),
        fit_canvas_to_parent: true,
        ..default()
    };
    let assets = AssetPlugin {
        file_path: "assets".into(),
        // The server has no `.meta` files: asking for each is a 404 per asset.
        meta_check: bevy::asset::AssetMetaCheck::Never,
        ..default()
    };
    let mut app = windowed_app(opts, window, assets);
    app.init_resource::<crate::whatif::WhatIfPlan>();
    app
}

fn windowed_app(opts: &Options, window: Window, assets: AssetPlugin) -> App {
    let mut app = App::new();
    let scene_asset = register_scene_source(&mut app, &opts.scene);
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(window),
                ..default()
            })
            .set(assets)
            .set(bevy::log::LogPlugin {
                filter: "info,wgpu=error,naga=warn,rumqttd=off,rumqttc=warn,bevy_render=warn,bevy_egui=warn"
                    .into(),
                ..default()
            }),
    );
    add_twin(&mut app, opts, scene_asset);
    app.add_plugins(plugin);
    app
}

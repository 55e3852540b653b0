//! The browser build's one font. egui's default set (a proportional and a
//! monospace font and two emoji fonts, about 1 MB of the bundle) comes with
//! the `fonts` feature; without it the panels use Ubuntu Light for both
//! families. egui applies fonts from its next pass, so the panels wait one.

use bevy::prelude::*;
#[cfg(not(feature = "fonts"))]
use bevy_egui::{EguiContexts, egui};

/// Set once the panels' fonts are in place.
#[derive(Resource)]
pub(super) struct FontsReady;

#[cfg(feature = "fonts")]
pub(super) fn install(mut commands: Commands) {
    commands.insert_resource(FontsReady);
}

#[cfg(not(feature = "fonts"))]
pub(super) fn install(mut commands: Commands, mut contexts: EguiContexts, mut done: Local<bool>) {
    if *done {
        commands.insert_resource(FontsReady);
        return;
    }
    let Ok(ctx) = contexts.ctx_mut() else { return };
    const UBUNTU_LIGHT: &[u8] = include_bytes!("../../../assets/fonts/Ubuntu-Light.ttf");
    let mut fonts = egui::FontDefinitions::empty();
    fonts.font_data.insert(
        "Ubuntu-Light".into(),
        std::sync::Arc::new(egui::FontData::from_static(UBUNTU_LIGHT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.insert(family, vec!["Ubuntu-Light".into()]);
    }
    ctx.set_fonts(fonts);
    *done = true;
}

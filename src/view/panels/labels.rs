//! Painted over the 3D view, behind the windows: the value of every labelled
//! sensor floating above its machine, and a warning sign above every machine
//! in warning or alarm, so a problem shows without opening a window.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;

use super::{format_value, health_color};
use crate::twin::{Health, Sensor, SensorOf, SensorValue, Twin};
use crate::view::camera::OrbitCamera;
use crate::view::shapes::{Bounds, Labelled};

/// How far above a machine's top its value label floats, in metres.
const LABEL_ABOVE_M: f32 = 0.4;
/// How far above a machine's top its warning sign floats (clear of the label), in metres.
const SIGN_ABOVE_M: f32 = 1.6;

/// What the labels and signs read: the camera, where the machines are, and
/// their sensors and status.
#[derive(SystemParam)]
pub(super) struct MachineLabels<'w, 's> {
    cameras: Query<'w, 's, (&'static Camera, &'static GlobalTransform), With<OrbitCamera>>,
    labelled:
        Query<'w, 's, (&'static Sensor, &'static SensorValue, &'static SensorOf), With<Labelled>>,
    bounds: Query<'w, 's, (&'static GlobalTransform, &'static Bounds)>,
    twins: Query<'w, 's, (Entity, &'static Twin, &'static Health)>,
}

impl MachineLabels<'_, '_> {
    /// Paints on the background layer, under every window.
    pub(super) fn paint(&self, ctx: &egui::Context) {
        let Some((camera, cam_tf)) = self.cameras.iter().next() else {
            return;
        };
        // The screen point `above` metres over the top of a twin's drawn extent.
        let over = |twin: Entity, above: f32| {
            let (tf, b) = self.bounds.get(twin).ok()?;
            let top = tf.transform_point(b.center + Vec3::Y * (b.half.y + above));
            let p = camera.world_to_viewport(cam_tf, top).ok()?;
            Some(egui::pos2(p.x, p.y))
        };
        let painter = ctx.layer_painter(egui::LayerId::background());
        for (sensor, value, of) in &self.labelled {
            if let Some(pos) = over(of.0, LABEL_ABOVE_M) {
                value_label(&painter, pos, format_value(value.value, &sensor.unit));
            }
        }
        // In name order, as the list shows them: overlapping signs stack in that order.
        // (Only those in warning or alarm are sorted: a city has 100,000 twins.)
        let mut list: Vec<_> = self
            .twins
            .iter()
            .filter(|(_, _, health)| **health >= Health::Warn)
            .collect();
        list.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        for (entity, _, health) in list {
            if let Some(pos) = over(entity, SIGN_ABOVE_M) {
                warning_sign(&painter, pos, health_color(*health));
            }
        }
    }
}

/// White text on a dark rounded box, centred on `at`.
fn value_label(painter: &egui::Painter, at: egui::Pos2, text: String) {
    let galley =
        painter.layout_no_wrap(text, egui::FontId::proportional(13.0), egui::Color32::WHITE);
    let rect = egui::Rect::from_center_size(at, galley.size()).expand2(egui::vec2(5.0, 2.0));
    painter.rect_filled(rect, 4.0, egui::Color32::from_black_alpha(170));
    painter.galley(
        rect.min + egui::vec2(5.0, 2.0),
        galley,
        egui::Color32::WHITE,
    );
}

/// A filled triangle with an exclamation mark, centred on `at`.
fn warning_sign(painter: &egui::Painter, at: egui::Pos2, colour: egui::Color32) {
    let (w, h) = (22.0, 19.0);
    let points = vec![
        at + egui::vec2(0.0, -h / 2.0),
        at + egui::vec2(w / 2.0, h / 2.0),
        at + egui::vec2(-w / 2.0, h / 2.0),
    ];
    painter.add(egui::Shape::convex_polygon(
        points,
        colour,
        egui::Stroke::new(1.5, egui::Color32::from_black_alpha(200)),
    ));
    painter.text(
        at + egui::vec2(0.0, 2.5),
        egui::Align2::CENTER_CENTER,
        "!",
        egui::FontId::proportional(14.0),
        egui::Color32::BLACK,
    );
}

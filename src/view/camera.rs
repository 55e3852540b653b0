//! The orbit camera: drag to rotate, wheel to zoom, right-drag to pan.

use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use crate::TwinSet;

/// How close and how far the wheel zooms, metres: a machine's panel up
/// close, a whole city from above.
const MIN_DISTANCE_M: f32 = 3.0;
const MAX_DISTANCE_M: f32 = 4_000.0;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, orbit.in_set(TwinSet::Present));
}

#[derive(Component, Debug, Clone, Copy)]
pub(crate) struct OrbitCamera {
    pub focus: Vec3,
    pub distance: f32,
    pub yaw: f32,
    pub pitch: f32,
}

impl OrbitCamera {
    pub(crate) fn transform(&self) -> Transform {
        let rotation = Quat::from_euler(EulerRot::YXZ, self.yaw, -self.pitch, 0.0);
        let eye = self.focus + rotation * Vec3::new(0.0, 0.0, self.distance);
        Transform::from_translation(eye).looking_at(self.focus, Vec3::Y)
    }
}

pub(crate) fn orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    egui_input: Option<Res<EguiWantsInput>>,
    mut cameras: Query<(&mut OrbitCamera, &mut Transform)>,
) {
    let over_ui = egui_input.is_some_and(|e| e.wants_any_pointer_input());
    for (mut orbit, mut transform) in &mut cameras {
        if !over_ui {
            let delta = motion.delta;
            if buttons.pressed(MouseButton::Left) {
                orbit.yaw -= delta.x * 0.006;
                orbit.pitch = (orbit.pitch + delta.y * 0.006).clamp(0.05, 1.5);
            }
            if buttons.pressed(MouseButton::Right) || buttons.pressed(MouseButton::Middle) {
                let right = transform.right();
                let forward = Vec3::new(transform.forward().x, 0.0, transform.forward().z)
                    .normalize_or_zero();
                let scale = orbit.distance * 0.0015;
                orbit.focus += (-right * delta.x + forward * delta.y) * scale;
            }
            let lines = match scroll.unit {
                MouseScrollUnit::Line => scroll.delta.y,
                MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
            };
            if lines != 0.0 {
                orbit.distance =
                    (orbit.distance * (1.0 - lines * 0.1)).clamp(MIN_DISTANCE_M, MAX_DISTANCE_M);
            }
        }
        let target = orbit.transform();
        if *transform != target {
            *transform = target;
        }
    }
}

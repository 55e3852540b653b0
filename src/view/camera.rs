//! The orbit camera: drag to rotate, wheel to zoom towards the point under
//! the cursor, right-drag to pan, `T` to look straight down (a map's view)
//! and back.

use bevy::ecs::system::SystemParam;
use bevy::gizmos::transform_gizmo::TransformGizmoState;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use crate::TwinSet;

/// How close and how far the wheel zooms, metres: a machine's panel up
/// close, a whole city from above.
const MIN_DISTANCE_M: f32 = 3.0;
const MAX_DISTANCE_M: f32 = 4_000.0;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, (top_down, orbit).chain().in_set(TwinSet::Present));
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

    /// Zooms by `factor` (the new distance over the old) towards `point` on
    /// the ground: the focus moves towards it by `1 − factor`, so the eye
    /// moves on the line through the point and the point stays where it is
    /// on the screen.
    pub(crate) fn zoom_towards(&mut self, point: Vec3, factor: f32) {
        self.focus += (point - self.focus) * (1.0 - factor);
        self.distance *= factor;
    }
}

/// The pitch of the top-down view (radians, the orbit's steepest).
const TOP_DOWN_PITCH: f32 = 1.5;

/// `T`: look straight down, and back to the pitch before.
fn top_down(
    keys: Res<ButtonInput<KeyCode>>,
    egui_input: Option<Res<EguiWantsInput>>,
    mut cameras: Query<&mut OrbitCamera>,
    mut before: Local<Option<f32>>,
) {
    let typing = egui_input.is_some_and(|e| e.wants_any_keyboard_input());
    if typing || !keys.just_pressed(KeyCode::KeyT) {
        return;
    }
    let back = before.take();
    for mut orbit in &mut cameras {
        match back {
            Some(pitch) => orbit.pitch = pitch,
            None => {
                *before = Some(orbit.pitch);
                orbit.pitch = TOP_DOWN_PITCH;
            }
        }
    }
}

/// What else may own the mouse: an egui window under the pointer, or a
/// drag of the editor's transform gizmo.
#[derive(SystemParam)]
pub(crate) struct OtherPointerUsers<'w, 's> {
    egui: Option<Res<'w, EguiWantsInput>>,
    gizmo: Option<Res<'w, TransformGizmoState>>,
    left_on_gizmo: Local<'s, bool>,
}

impl OtherPointerUsers<'_, '_> {
    fn over_ui(&self) -> bool {
        self.egui
            .as_ref()
            .is_some_and(|e| e.wants_any_pointer_input())
    }

    /// A left drag that began on the gizmo (or one under way) moves the
    /// twin, not the eye.
    fn gizmo_drag(&mut self, buttons: &ButtonInput<MouseButton>) -> bool {
        let gizmo = self.gizmo.as_ref();
        if buttons.just_pressed(MouseButton::Left) {
            *self.left_on_gizmo = gizmo.is_some_and(|g| g.active || g.hovered_axis.is_some());
        }
        *self.left_on_gizmo || gizmo.is_some_and(|g| g.active)
    }
}

pub(crate) fn orbit(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    mut others: OtherPointerUsers,
    windows: Query<&Window>,
    mut cameras: Query<(&mut OrbitCamera, &mut Transform, &Camera, &GlobalTransform)>,
) {
    let over_ui = others.over_ui();
    let gizmo_drag = others.gizmo_drag(&buttons);
    let cursor = windows.iter().next().and_then(Window::cursor_position);
    for (mut orbit, mut transform, camera, global) in &mut cameras {
        if !over_ui {
            let delta = motion.delta;
            // Shift + left drag marks a district (`district`), not a turn.
            let marking = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
            if buttons.pressed(MouseButton::Left) && !gizmo_drag && !marking {
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
                let wanted =
                    (orbit.distance * (1.0 - lines * 0.1)).clamp(MIN_DISTANCE_M, MAX_DISTANCE_M);
                let factor = wanted / orbit.distance;
                // The ground under the cursor, else the focus (zoom straight in).
                let point = cursor
                    .and_then(|c| camera.viewport_to_world(global, c).ok())
                    .and_then(|ray| {
                        let d = ray.intersect_plane(Vec3::ZERO, InfinitePlane3d::new(Vec3::Y))?;
                        Some(ray.get_point(d))
                    })
                    .unwrap_or(orbit.focus);
                orbit.zoom_towards(point, factor);
            }
        }
        let target = orbit.transform();
        if *transform != target {
            *transform = target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a world point lands on a 1280 × 720 screen (a 45° vertical
    /// field of view), from the orbit's eye, in normalised device units.
    fn on_screen(orbit: &OrbitCamera, p: Vec3) -> Vec2 {
        let view = orbit.transform().to_matrix().inverse();
        let proj = Mat4::perspective_rh(std::f32::consts::FRAC_PI_4, 1280.0 / 720.0, 0.1, 1e5);
        let clip = proj * view * p.extend(1.0);
        Vec2::new(clip.x / clip.w, clip.y / clip.w)
    }

    #[test]
    fn zooming_towards_a_point_keeps_it_under_the_cursor() {
        let mut orbit = OrbitCamera {
            focus: Vec3::new(10.0, 0.0, -20.0),
            distance: 1500.0,
            yaw: 0.4,
            pitch: 1.0,
        };
        let (point, other) = (Vec3::new(300.0, 0.0, 150.0), Vec3::ZERO);
        let before = on_screen(&orbit, point);
        let apart = before.distance(on_screen(&orbit, other));
        orbit.zoom_towards(point, 0.25);
        assert!((orbit.distance - 375.0).abs() < 1e-3);
        // Three quarters of the way from the focus to the point.
        assert!(orbit.focus.distance(Vec3::new(227.5, 0.0, 107.5)) < 1e-3);
        let after = on_screen(&orbit, point);
        assert!(before.distance(after) < 1e-4, "{before} → {after}");
        // The view is magnified about that point: another ground point is
        // about four times as far from it on the screen.
        let ratio = after.distance(on_screen(&orbit, other)) / apart;
        assert!((3.0..5.0).contains(&ratio), "{ratio}");
    }
}

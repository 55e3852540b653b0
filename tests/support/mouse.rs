//! A mouse for tests that run the real viewer: it writes what winit writes
//! for a real one (the window's cursor position, the window events that
//! picking and egui read, the input messages that `ButtonInput` and the
//! orbit camera read), and a view of the editor's transform gizmo to aim at.
#![allow(dead_code)]

use bevy::ecs::system::SystemParam;
use bevy::gizmos::transform_gizmo::{
    AXIS_START_OFFSET, TransformGizmoAxis, TransformGizmoCamera, TransformGizmoFocus,
    TransformGizmoSettings, TransformGizmoState,
};
use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput, NativeKey};
use bevy::input::mouse::{MouseButtonInput, MouseMotion};
use bevy::prelude::*;
use bevy::window::{CursorMoved, PrimaryWindow, WindowEvent};
use twinscape::editor::plugin::Editor;

#[derive(SystemParam)]
pub struct Mouse<'w, 's> {
    window: Query<'w, 's, (Entity, &'static mut Window), With<PrimaryWindow>>,
    events: MessageWriter<'w, WindowEvent>,
    moved: MessageWriter<'w, CursorMoved>,
    buttons: MessageWriter<'w, MouseButtonInput>,
    motion: MessageWriter<'w, MouseMotion>,
    keys: MessageWriter<'w, KeyboardInput>,
}

impl Mouse<'_, '_> {
    /// The pointer to `at` (logical pixels), the mouse having moved `delta`.
    pub fn move_to(&mut self, at: Vec2, delta: Vec2) {
        let Ok((window, mut w)) = self.window.single_mut() else {
            return;
        };
        w.set_cursor_position(Some(at));
        let moved = CursorMoved {
            window,
            position: at,
            delta: Some(delta),
        };
        self.events.write(WindowEvent::CursorMoved(moved.clone()));
        self.moved.write(moved);
        if delta != Vec2::ZERO {
            self.motion.write(MouseMotion { delta });
            self.events
                .write(WindowEvent::MouseMotion(MouseMotion { delta }));
        }
    }

    /// Key `code` down (`true`) or up, as the window's keyboard reports it.
    pub fn key(&mut self, code: KeyCode, down: bool) {
        let Ok((window, _)) = self.window.single() else {
            return;
        };
        let input = KeyboardInput {
            key_code: code,
            logical_key: Key::Unidentified(NativeKey::Unidentified),
            state: if down {
                ButtonState::Pressed
            } else {
                ButtonState::Released
            },
            text: None,
            repeat: false,
            window,
        };
        self.events.write(WindowEvent::KeyboardInput(input.clone()));
        self.keys.write(input);
    }

    /// The left button down (`true`) or up.
    pub fn left(&mut self, down: bool) {
        let Ok((window, _)) = self.window.single() else {
            return;
        };
        let input = MouseButtonInput {
            button: MouseButton::Left,
            state: if down {
                ButtonState::Pressed
            } else {
                ButtonState::Released
            },
            window,
        };
        self.events.write(WindowEvent::MouseButtonInput(input));
        self.buttons.write(input);
    }
}

/// The editor and its gizmo as the test sees them.
#[derive(SystemParam)]
pub struct GizmoView<'w, 's> {
    pub editor: Res<'w, Editor>,
    pub state: Res<'w, TransformGizmoState>,
    settings: Res<'w, TransformGizmoSettings>,
    camera: Query<'w, 's, (&'static Camera, &'static GlobalTransform), With<TransformGizmoCamera>>,
    places: Query<'w, 's, &'static GlobalTransform>,
    focus: Query<'w, 's, Entity, With<TransformGizmoFocus>>,
}

impl GizmoView<'_, '_> {
    /// The middle of `twin`'s gizmo x arrow on the screen, and the screen
    /// point `metres` further along x (where a drag must end to move it so far).
    pub fn x_arrow(&self, twin: Entity, metres: f32) -> Option<(Vec2, Vec2)> {
        let (camera, eye) = self.camera.single().ok()?;
        let at = self.places.get(twin).ok()?.translation();
        // The gizmo keeps its size on screen: its length grows with distance.
        let scale = (eye.translation() - at).length() * self.settings.screen_scale_factor;
        let along = (AXIS_START_OFFSET + self.settings.axis_length) / 2.0 * scale;
        let grab = at + Vec3::X * along;
        let from = camera.world_to_viewport(eye, grab).ok()?;
        let to = camera
            .world_to_viewport(eye, grab + Vec3::X * metres)
            .ok()?;
        Some((from, to))
    }

    /// The point of `twin`'s green (vertical) turning ring at `deg` from
    /// +x towards +z, on the screen.
    pub fn y_ring(&self, twin: Entity, deg: f32) -> Option<Vec2> {
        let (camera, eye) = self.camera.single().ok()?;
        let at = self.places.get(twin).ok()?.translation();
        let scale = (eye.translation() - at).length() * self.settings.screen_scale_factor;
        let r = self.settings.rotate_ring_radius * scale;
        let (sin, cos) = deg.to_radians().sin_cos();
        camera
            .world_to_viewport(eye, at + Vec3::new(cos, 0.0, sin) * r)
            .ok()
    }

    pub fn hovered_y(&self) -> bool {
        self.state.hovered_axis == Some(TransformGizmoAxis::Y)
    }

    pub fn hovered_x(&self) -> bool {
        self.state.hovered_axis == Some(TransformGizmoAxis::X)
    }

    pub fn eye(&self) -> Option<GlobalTransform> {
        self.camera.single().ok().map(|(_, eye)| *eye)
    }

    /// The twin the gizmo is on.
    pub fn focused(&self) -> Option<Entity> {
        self.focus.iter().next()
    }
}

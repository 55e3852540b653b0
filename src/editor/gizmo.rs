//! Moving and turning the selected twin in edit mode with Bevy's own
//! transform gizmo (`bevy::gizmos::transform_gizmo`): arrows move it along
//! x, y or z (the white ring in the view's plane), the green ring turns it
//! about the vertical, the only turn a scene keeps (`rotation_y_deg`), so
//! the rings that would tilt it are hidden and cannot be grabbed. Snapping
//! moves in steps of `SNAP_MOVE_M` and turns in steps of `SNAP_TURN_DEG`.
//! A drag is one edit (one undo entry), taken when the button is released.
//!
//! The gizmo reads the mouse itself: it is kept from starting a drag while
//! the pointer is over an egui window, the orbit camera leaves a drag that
//! began on the gizmo alone, and a click on it does not change the
//! selection (`view/selection.rs`). Its overlay camera (drawn after the
//! scene, on top) draws only in edit mode.

use bevy::camera::visibility::RenderLayers;
use bevy::gizmos::transform_gizmo::{
    TransformGizmoAxis, TransformGizmoFocus, TransformGizmoMeshMarker, TransformGizmoMode,
    TransformGizmoPlugin, TransformGizmoSettings, TransformGizmoState, TransformGizmoSystems,
};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use super::Place;
use super::placing::{SNAP_MOVE_M, SNAP_TURN_DEG, position_text, turn_text};
use super::plugin::Editor;
use crate::TwinSet;
use crate::twin::Twin;
use crate::view::Selected;

/// The render layer of the gizmo's overlay camera (bevy_gizmos_render's
/// private `GIZMO_RENDER_LAYER`): how that camera is told from ours.
const GIZMO_LAYER: usize = 15;

/// What a drag of the gizmo does: move or turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    #[default]
    Move,
    Turn,
}

pub(crate) fn plugin(app: &mut App) {
    app.add_plugins(TransformGizmoPlugin)
        .add_systems(
            Update,
            (
                settings_follow_editor,
                focus_the_selected,
                overlay_while_editing,
                take_the_drag,
            )
                .chain()
                .in_set(TwinSet::Present),
        )
        .add_systems(
            PostUpdate,
            (
                not_through_windows.before(TransformGizmoSystems),
                turn_about_vertical_only.after(TransformGizmoSystems),
                // After the gizmo's drag (which runs after the transforms
                // are propagated, so the twin is drawn there next frame).
                into_the_parents_frame.after(TransformGizmoSystems),
                hide_tilting_rings.after(bevy::app::TransformGizmoRenderStep),
            ),
        );
}

fn settings_follow_editor(editor: Res<Editor>, mut settings: ResMut<TransformGizmoSettings>) {
    if !editor.is_changed() {
        return;
    }
    settings.mode = match editor.tool {
        Tool::Move => TransformGizmoMode::Translate,
        Tool::Turn => TransformGizmoMode::Rotate,
    };
    settings.snap_translate = editor.snap.then_some(SNAP_MOVE_M);
    settings.snap_rotate = editor.snap.then_some(SNAP_TURN_DEG.to_radians());
    // The pointer stays free: a confined cursor would hold the window's
    // pointer in a drag that the test driver and remote desktops start.
    settings.confine_cursor = false;
}

/// The gizmo sits on the selected twin while editing, if the scene file
/// writes that twin (a city's buildings come from its map).
fn focus_the_selected(
    mut commands: Commands,
    editor: Res<Editor>,
    selected: Res<Selected>,
    twins: Query<&Twin>,
    focused: Query<Entity, With<TransformGizmoFocus>>,
) {
    let wanted = selected.0.filter(|&e| {
        editor.on
            && twins
                .get(e)
                .is_ok_and(|t| editor.session.as_ref().is_some_and(|s| s.is_written(&t.id)))
    });
    for entity in &focused {
        if Some(entity) != wanted {
            commands.entity(entity).remove::<TransformGizmoFocus>();
        }
    }
    if let Some(entity) = wanted
        && !focused.contains(entity)
    {
        commands.entity(entity).insert(TransformGizmoFocus);
    }
}

/// The gizmo's overlay camera draws only in edit mode (outside it, it is a
/// pass over the whole window for nothing), on a texture of its own
/// cleared transparent, which Bevy then blends over the scene's image. (As
/// spawned, it shares the scene's multisampled texture and clears it to the
/// clear colour: only the gizmo and the windows were left on screen.)
fn overlay_while_editing(
    editor: Res<Editor>,
    mut cameras: Query<(&mut Camera, &RenderLayers, &mut Msaa)>,
) {
    let overlay = RenderLayers::layer(GIZMO_LAYER);
    for (mut camera, layers, mut msaa) in &mut cameras {
        if *layers != overlay {
            continue;
        }
        if camera.is_active != editor.on {
            camera.is_active = editor.on;
        }
        if !matches!(camera.clear_color, ClearColorConfig::Custom(c) if c == Color::NONE) {
            camera.clear_color = ClearColorConfig::Custom(Color::NONE);
        }
        if *msaa != Msaa::Off {
            *msaa = Msaa::Off;
        }
    }
}

/// A drag that has just ended becomes one edit of the scene: the twin's new
/// place or turn, written short. Whatever the edit's fate, the twins are
/// then put where the edited scene says (`follow_session`).
fn take_the_drag(
    state: Res<TransformGizmoState>,
    mut editor: ResMut<Editor>,
    twins: Query<(&Twin, &Transform)>,
    mut dragging: Local<Option<Entity>>,
) {
    if state.active {
        *dragging = state.entity;
        return;
    }
    let Some(entity) = dragging.take() else {
        return;
    };
    let Ok((twin, transform)) = twins.get(entity) else {
        return;
    };
    let Some(def) = editor
        .session
        .as_ref()
        .and_then(|s| s.scene().twins.iter().find(|t| *t.id == *twin.id))
        .map(|d| d.transform.clone())
    else {
        return;
    };
    let field = |f: &[&str]| Place::at(&twin.id, None, f);
    let position = position_text(transform.translation.to_array());
    if position != position_text(def.translation) {
        editor.set(&field(&["transform", "translation"]), &position);
    }
    let (yaw, _, _) = transform.rotation.to_euler(EulerRot::YXZ);
    let turn = turn_text(f64::from(yaw.to_degrees()));
    if turn != turn_text(f64::from(def.rotation_y_deg)) {
        editor.set(&field(&["transform", "rotation_y_deg"]), &turn);
    }
    editor.version += 1;
}

/// While the pointer is over a window, the gizmo under it is not grabbed
/// (a drag already under way goes on).
fn not_through_windows(
    egui_input: Option<Res<EguiWantsInput>>,
    mut state: ResMut<TransformGizmoState>,
) {
    if !state.active && egui_input.is_some_and(|e| e.wants_any_pointer_input()) {
        state.hovered_axis = None;
    }
}

/// Bevy's gizmo moves a twin by the drag's offset in the world added to
/// its `Transform`, which is relative to its parent: a child of a turned (or
/// scaled) parent went off along the parent's axes, not the arrow dragged.
/// The offset is put into the parent's frame. (Turns need nothing: a scene
/// turns twins about the vertical only, and such turns commute.)
fn into_the_parents_frame(
    state: Res<TransformGizmoState>,
    settings: Res<TransformGizmoSettings>,
    mut children: Query<(&mut Transform, &ChildOf)>,
    parents: Query<&GlobalTransform>,
    mut written: Local<Option<Vec3>>,
) {
    if !state.active || settings.mode != TransformGizmoMode::Translate {
        *written = None;
        return;
    }
    let Some(Ok((mut transform, child_of))) = state.entity.map(|e| children.get_mut(e)) else {
        return;
    };
    // The gizmo wrote nothing since the last frame's correction.
    if *written == Some(transform.translation) {
        return;
    }
    let Ok(parent) = parents.get(child_of.parent()) else {
        return;
    };
    let start = state.start_transform.translation;
    let in_world = transform.translation - start;
    transform.translation = start + parent.affine().inverse().transform_vector3(in_world);
    *written = Some(transform.translation);
}

/// In Turn, only the vertical (green) ring may be grabbed.
fn turn_about_vertical_only(
    settings: Res<TransformGizmoSettings>,
    mut state: ResMut<TransformGizmoState>,
) {
    if settings.mode == TransformGizmoMode::Rotate
        && state
            .hovered_axis
            .is_some_and(|a| a != TransformGizmoAxis::Y)
    {
        state.hovered_axis = None;
    }
}

/// …and the rings that would tilt the twin are not drawn.
fn hide_tilting_rings(mut parts: Query<(&TransformGizmoMeshMarker, &mut Visibility)>) {
    for (part, mut visibility) in &mut parts {
        if part.mode == TransformGizmoMode::Rotate
            && part.axis != TransformGizmoAxis::Y
            && *visibility != Visibility::Hidden
        {
            *visibility = Visibility::Hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child of a parent turned a quarter about the vertical and scaled
    /// twice, dragged 3 m along the world's x arrow: it moves 3 m along the
    /// world's x, however its parent stands.
    #[test]
    fn a_child_of_a_turned_parent_follows_the_arrow_dragged() {
        let mut app = App::new();
        app.init_resource::<TransformGizmoState>()
            .init_resource::<TransformGizmoSettings>()
            .add_systems(Update, into_the_parents_frame);
        let parent_at = Transform::from_xyz(5.0, 0.0, -2.0)
            .with_rotation(Quat::from_rotation_y(90f32.to_radians()))
            .with_scale(Vec3::splat(2.0));
        let parent_global = GlobalTransform::from(parent_at);
        let parent = app.world_mut().spawn((parent_at, parent_global)).id();
        let start = Transform::from_xyz(1.0, 0.5, 0.0);
        // As the gizmo leaves it mid-drag: the start plus the world offset.
        let dragged = Transform::from_translation(start.translation + Vec3::new(3.0, 0.0, 0.0));
        let child = app.world_mut().spawn((dragged, ChildOf(parent))).id();
        {
            let mut state = app.world_mut().resource_mut::<TransformGizmoState>();
            state.active = true;
            state.entity = Some(child);
            state.start_transform = start;
        }
        let world_offset = |app: &App| {
            let now = app.world().get::<Transform>(child).unwrap().translation;
            parent_global.transform_point(now) - parent_global.transform_point(start.translation)
        };
        app.update();
        let moved = world_offset(&app);
        assert!(
            (moved - Vec3::new(3.0, 0.0, 0.0)).length() < 1e-5,
            "{moved}"
        );
        // A frame in which the gizmo wrote nothing changes nothing.
        app.update();
        assert!((world_offset(&app) - moved).length() < 1e-6);
        // A twin without a parent is left as the gizmo put it.
        let alone = app.world_mut().spawn(dragged).id();
        app.world_mut().resource_mut::<TransformGizmoState>().entity = Some(alone);
        app.update();
        assert_eq!(app.world().get::<Transform>(alone).unwrap(), &dragged);
    }
}

//! Which twin the user picked: a click on any of its parts selects it,
//! `--select ID[/SENSOR]` picks one (and the sensor to plot) at start once it
//! exists, and the selected twin gets a cyan box around its drawn extent.

use bevy::gizmos::transform_gizmo::TransformGizmoState;
use bevy::prelude::*;

use super::panels::PlotSensor;
use super::shapes::{Bounds, PartOf};
use crate::TwinSet;
use crate::twin::{Sensor, Sensors, Twin};

/// The selection box: this much larger than the twin's extent (metres), in cyan.
const OUTLINE_MARGIN_M: f32 = 0.3;
const OUTLINE_COLOUR: Color = Color::srgb(0.3, 0.85, 1.0);
/// Frames a selection by id waits, once twins are drawn, for its twin.
const GIVE_UP_FRAMES: u32 = 30;

/// The twin the user picked.
#[derive(Resource, Default, Debug)]
pub struct Selected(pub Option<Entity>);

/// `--select ID[/SENSOR]`: the twin selected (and the sensor plotted) at
/// start, once it exists.
#[derive(Resource, Debug, Clone)]
pub struct InitialSelection(pub String);

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Selected>()
        .add_systems(
            Update,
            (keep_across_reloads, select_initial, outline_selected)
                .chain()
                .in_set(TwinSet::Present),
        )
        .add_observer(select_on_click);
}

fn select_initial(
    mut commands: Commands,
    initial: Option<Res<InitialSelection>>,
    twins: Query<(Entity, &Twin, Option<&Sensors>), With<Bounds>>,
    sensors: Query<&Sensor>,
    mut selected: ResMut<Selected>,
    mut plot: ResMut<PlotSensor>,
    mut waited: Local<u32>,
) {
    let Some(initial) = initial else {
        *waited = 0;
        return;
    };
    let (id, sensor) = initial.0.split_once('/').unwrap_or((&initial.0, ""));
    if let Some((entity, _, list)) = twins.iter().find(|(_, t, _)| &*t.id == id) {
        selected.0 = Some(entity);
        plot.0 = list.and_then(|l| {
            l.entities()
                .iter()
                .copied()
                .find(|&e| sensors.get(e).is_ok_and(|s| &*s.name == sensor))
        });
        commands.remove_resource::<InitialSelection>();
    } else if !twins.is_empty() {
        // Twins drawn, and none of them is it (deleted in the editor, or
        // gone from the file): give up rather than wait for ever.
        *waited += 1;
        if *waited > GIVE_UP_FRAMES {
            commands.remove_resource::<InitialSelection>();
        }
    }
}

/// A reload of the scene (its file saved, by the editor or anyone) spawns
/// the twins anew: the same twin, and the same plotted sensor, stay selected.
fn keep_across_reloads(
    mut commands: Commands,
    mut selected: ResMut<Selected>,
    pending: Option<Res<InitialSelection>>,
    plot: Res<PlotSensor>,
    twins: Query<&Twin>,
    sensors: Query<&Sensor>,
    mut last: Local<Option<String>>,
) {
    let Some(entity) = selected.0 else {
        *last = None;
        return;
    };
    match twins.get(entity) {
        Ok(twin) => {
            let sensor = plot.0.and_then(|e| sensors.get(e).ok());
            *last = Some(match sensor {
                Some(s) => format!("{}/{}", twin.id, s.name),
                None => twin.id.to_string(),
            });
        }
        Err(_) => {
            // Kept, not taken: a save can reload the scene twice in a row,
            // before the twin picked after the first is seen here.
            // One already asked for (the editor's new copy) goes first.
            selected.0 = None;
            if let (Some(id), None) = (last.clone(), pending) {
                commands.insert_resource(InitialSelection(id));
            }
        }
    }
}

fn select_on_click(
    click: On<Pointer<Click>>,
    parts: Query<&PartOf>,
    gizmo: Option<Res<TransformGizmoState>>,
    mut selected: ResMut<Selected>,
) {
    // A click on the editor's gizmo (under way, or over one of its handles)
    // is the gizmo's, not a pick of what lies behind it.
    let on_gizmo = gizmo.is_some_and(|g| g.active || g.hovered_axis.is_some());
    if click.button != PointerButton::Primary || on_gizmo {
        return;
    }
    if let Ok(part) = parts.get(click.entity) {
        selected.0 = Some(part.0);
    }
}

fn outline_selected(
    selected: Res<Selected>,
    twins: Query<(&GlobalTransform, &Bounds)>,
    mut gizmos: Gizmos,
) {
    let Some((tf, b)) = selected.0.and_then(|e| twins.get(e).ok()) else {
        return;
    };
    let (scale, rotation, translation) = tf.to_scale_rotation_translation();
    let center = translation + rotation * (b.center * scale);
    let size = (b.half * 2.0 + Vec3::splat(OUTLINE_MARGIN_M)) * scale;
    gizmos.cube(
        Transform::from_translation(center)
            .with_rotation(rotation)
            .with_scale(size),
        OUTLINE_COLOUR,
    );
}

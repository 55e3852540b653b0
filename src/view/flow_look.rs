//! How the flow of parts looks: meshes and materials for its bodies (belt,
//! rails, chute, bin, parts) as they appear, and the photo-eye's beam across
//! the belt, red, flashing green when it counts a part. The flow itself
//! (ledger, physics) is the flow feature's; this only draws it.

use bevy::prelude::*;

use crate::TwinSet;
use crate::flow::{Flow, Look, LookKind, PhotoEye};

/// How long the beam stays green after a count, in seconds.
const COUNT_FLASH_S: f64 = 0.3;
/// How far the beam's posts stand outside the belt's edge, in metres.
const POST_OUTSIDE_BELT_M: f32 = 0.1;
/// The posts reach this far below and above the beam, in metres.
const POST_BELOW_M: f32 = 0.3;
const POST_ABOVE_M: f32 = 0.1;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (dress_flow, photo_eye_beam).in_set(TwinSet::Present),
    );
}

/// Meshes for the flow's bodies as they appear: belt, rails, chute, bin, parts.
fn dress_flow(
    mut commands: Commands,
    added: Query<(Entity, &Look), Added<Look>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    // One material per kind, shared by every body of that kind.
    mut palette: Local<Vec<(LookKind, Handle<StandardMaterial>)>>,
) {
    for (entity, look) in &added {
        let material = match palette.iter().find(|(k, _)| *k == look.kind) {
            Some((_, m)) => m.clone(),
            None => {
                let m = materials.add(material_for(look.kind));
                palette.push((look.kind, m.clone()));
                m
            }
        };
        commands.entity(entity).insert((
            Mesh3d(meshes.add(Cuboid::from_size(look.half * 2.0))),
            MeshMaterial3d(material),
        ));
    }
}

/// Dark rubber belts, brushed-steel rails and chutes, blue bins, cardboard parts.
fn material_for(kind: LookKind) -> StandardMaterial {
    let (colour, metallic, roughness) = match kind {
        LookKind::Belt => (Color::srgb(0.13, 0.14, 0.16), 0.0, 0.95),
        LookKind::Rail | LookKind::Chute => (Color::srgb(0.62, 0.66, 0.71), 0.8, 0.35),
        LookKind::Bin => (Color::srgb(0.16, 0.42, 0.75), 0.1, 0.6),
        LookKind::Part => (Color::srgb(0.78, 0.6, 0.38), 0.0, 0.85),
    };
    StandardMaterial {
        base_color: colour,
        metallic,
        perceptual_roughness: roughness,
        ..default()
    }
}

/// The photo-eye's beam across the belt: red, green for a moment after it counts.
fn photo_eye_beam(
    eyes: Query<&GlobalTransform, With<PhotoEye>>,
    flow: Res<Flow>,
    time: Res<Time<Real>>,
    // The count last seen, and when it changed (seconds).
    mut last: Local<(u64, f64)>,
    mut gizmos: Gizmos,
) {
    let Some(def) = &flow.def else { return };
    let now = time.elapsed_secs_f64();
    if flow.counted != last.0 {
        *last = (flow.counted, now);
    }
    let colour = if now - last.1 < COUNT_FLASH_S {
        Color::srgb(0.2, 1.0, 0.3)
    } else {
        Color::srgb(1.0, 0.1, 0.1)
    };
    for tf in &eyes {
        let half = def.belt_width / 2.0 + POST_OUTSIDE_BELT_M;
        let across = tf.rotation() * Vec3::Z * half;
        gizmos.line(tf.translation() - across, tf.translation() + across, colour);
        for end in [-1.0, 1.0] {
            let post = tf.translation() + across * end;
            gizmos.line(
                post - Vec3::Y * POST_BELOW_M,
                post + Vec3::Y * POST_ABOVE_M,
                Color::srgb(0.3, 0.3, 0.35),
            );
        }
    }
}

//! A ring on the floor around every machine in warning (steady, orange) or
//! alarm (pulsing red, twice a second), so a problem shows from any camera
//! angle.

use bevy::prelude::*;

use super::shapes::Bounds;
use crate::TwinSet;
use crate::twin::{Health, Twin};

/// How often an alarm ring pulses, per second.
const PULSE_HZ: f32 = 2.0;
/// The ring's clearance around the machine's footprint, in metres...
const MARGIN_M: f32 = 0.5;
/// ...how far an alarm ring grows at the top of its pulse, in metres...
const PULSE_GROWTH_M: f32 = 0.6;
/// ...the gap to its second, outer circle, in metres...
const DOUBLE_GAP_M: f32 = 0.12;
/// ...and its height above the floor, in metres, so the floor does not hide it.
const ABOVE_FLOOR_M: f32 = 0.05;

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, alarm_rings.in_set(TwinSet::Present));
}

fn alarm_rings(
    time: Res<Time<Real>>,
    twins: Query<(&GlobalTransform, &Bounds, &Health), With<Twin>>,
    mut gizmos: Gizmos,
) {
    let pulse = 0.5 + 0.5 * (time.elapsed_secs() * std::f32::consts::TAU * PULSE_HZ).sin();
    for (tf, b, health) in &twins {
        let (colour, grow) = match health {
            Health::Alarm => (Color::srgb(1.0, 0.15, 0.1), pulse),
            Health::Warn => (Color::srgb(1.0, 0.55, 0.05), 0.0),
            _ => continue,
        };
        let scale = tf.scale();
        let radius =
            b.half.x.max(b.half.z) * scale.x.max(scale.z) + MARGIN_M + PULSE_GROWTH_M * grow;
        let centre = tf.transform_point(b.center);
        let iso = Isometry3d::new(
            Vec3::new(centre.x, ABOVE_FLOOR_M, centre.z),
            Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
        );
        gizmos.circle(iso, radius, colour);
        gizmos.circle(iso, radius + DOUBLE_GAP_M, colour);
    }
}

//! Carries: a part moved kinematically (a pick-and-place arc, not colliding
//! on its way) from a machine to a belt, a belt to a machine, or a machine
//! to the outfeed; and the parts machines hold while they work.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;

use super::physics::{lifted, loose, on_buffer_belt, part_body};
use super::{Flow, Part, Riding};

/// How fast a carried part moves between a belt and a machine (m/s).
const CARRY_SPEED_M_S: f32 = 4.0;

/// Shortest and longest carry (s).
const CARRY_MIN_S: f32 = 0.5;
const CARRY_MAX_S: f32 = 3.0;

/// How high a carry arcs over the straight line (m), and how much higher
/// per metre it travels.
const ARC_RISE_M: f32 = 0.4;
const ARC_RISE_PER_M: f32 = 0.1;

/// A part being carried (kinematically) from one place to another.
#[derive(Component, Debug, Clone, Copy)]
pub struct Carry {
    from: Vec3,
    to: Vec3,
    rotation: Quat,
    pub(crate) elapsed: f32,
    duration: f32,
    pub(crate) then: Then,
}

/// Where a carried part ends up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Then {
    /// Land on this belt and ride it.
    Ride(Riding),
    /// Stay in this machine (a twin) while it works.
    Park(Entity),
}

/// A part a machine holds while working on it.
#[derive(Component, Debug, Clone, Copy)]
pub struct Parked {
    /// The machine's twin.
    pub machine: Entity,
    pub(crate) order: u64,
}

impl Carry {
    pub(crate) fn new(from: Vec3, to: Vec3, rotation: Quat, then: Then) -> Carry {
        Carry {
            from,
            to,
            rotation,
            elapsed: 0.0,
            duration: (from.distance(to) / CARRY_SPEED_M_S).clamp(CARRY_MIN_S, CARRY_MAX_S),
            then,
        }
    }
}

/// The part a machine finished, ready to be carried (its `Carry` still to
/// be given): the one it holds (`held`), no longer parked; else a new part
/// of half size `h` inside the machine at `from`. Returns the part, where
/// it is and its rotation.
pub(crate) fn send_made(
    commands: &mut Commands,
    flow: &mut super::FlowLine,
    held: Option<(Entity, Vec3, Quat)>,
    from: Option<Vec3>,
    h: f32,
) -> Option<(Entity, Vec3, Quat)> {
    if let Some((part, at, rotation)) = held {
        commands.entity(part).remove::<Parked>();
        return Some((part, at, rotation));
    }
    let from = from?;
    let serial = flow.next_serial();
    let part = commands
        .spawn((
            Part { serial },
            part_body(h),
            Transform::from_translation(from),
        ))
        .insert(lifted())
        .id();
    Some((part, from, Quat::IDENTITY))
}

/// Moves carried parts along their arc; at its end a part lands on its belt
/// (and becomes a dynamic body again) or stays in its machine.
pub(super) fn carry_parts(
    mut commands: Commands,
    steps: Res<super::Steps>,
    mut flow: ResMut<Flow>,
    mut parts: Query<(Entity, &mut Carry, &mut Transform, &mut Velocity)>,
) {
    for (part, mut carry, mut tf, mut v) in &mut parts {
        carry.elapsed += steps.seconds();
        let s = (carry.elapsed / carry.duration).min(1.0);
        let eased = s * s * (3.0 - 2.0 * s);
        let peak = ARC_RISE_M + ARC_RISE_PER_M * carry.from.distance(carry.to);
        tf.translation =
            carry.from.lerp(carry.to, eased) + Vec3::Y * peak * 4.0 * eased * (1.0 - eased);
        tf.rotation = tf.rotation.slerp(carry.rotation, s);
        if s < 1.0 {
            continue;
        }
        let mut part = commands.entity(part);
        part.remove::<Carry>();
        match carry.then {
            Then::Ride(route) => {
                *v = Velocity::zero();
                let iterations = match route {
                    Riding::Buffer(_) => on_buffer_belt(),
                    Riding::Outfeed => loose(),
                };
                part.remove::<ColliderDisabled>()
                    .insert((RigidBody::Dynamic, route, iterations));
            }
            Then::Park(machine) => {
                flow.line.parked += 1;
                part.insert(Parked {
                    machine,
                    order: flow.line.parked,
                });
            }
        }
    }
}

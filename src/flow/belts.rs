//! Belts: where a belt lies, and how it carries the parts lying on it.
//!
//! A belt is a slippery fixed slab; the carrying is done here by pulling
//! each part's velocity towards the belt's, which keeps rapier's solver
//! simple and stable. Queued parts are held still (zero-pressure
//! accumulation), so queues come to rest and sleep.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;

use super::{Flow, Riding, Settled};
use crate::scene::format::FlowDef;

/// Gap (m) behind the part ahead within which a part counts as queued.
const QUEUE_REACH_M: f32 = 0.04;

/// Share of the difference to the belt's speed that one physics step
/// leaves (the drive takes the rest: a quarter a step).
const DRIVE_KEEP_PER_STEP: f32 = 0.75;

/// A part within this (m/s) of the belt's speed is left alone, so it can sleep.
const AT_SPEED_M_S: f32 = 0.01;

/// How high over the belt (in part sizes) a part still lies on it.
const ON_BELT_PART_SIZES: f32 = 1.2;

/// The belt's frame: origin at `belt_from`, `axis` along it, `across` to its left.
#[derive(Debug, Clone, Copy)]
pub struct BeltFrame {
    pub from: Vec3,
    pub axis: Vec3,
    pub across: Vec3,
    pub length: f32,
    pub rotation: Quat,
}

impl BeltFrame {
    /// The outfeed belt.
    pub(crate) fn of(def: &FlowDef) -> BeltFrame {
        BeltFrame::between(def.belt_from, def.belt_to)
    }

    pub fn between(from: [f32; 3], to: [f32; 3]) -> BeltFrame {
        let (from, to) = (Vec3::from(from), Vec3::from(to));
        let flat = Vec3::new(to.x - from.x, 0.0, to.z - from.z);
        let length = flat.length();
        let axis = flat / length.max(f32::EPSILON);
        let across = Vec3::Y.cross(axis);
        let rotation = Quat::from_rotation_arc(Vec3::X, axis);
        BeltFrame {
            from,
            axis,
            across,
            length,
            rotation,
        }
    }

    /// A point `along` the belt, `side` metres across, `up` above its surface.
    pub fn at(&self, along: f32, side: f32, up: f32) -> Vec3 {
        self.from + self.axis * along + self.across * side + Vec3::Y * up
    }

    /// How far along the belt a point is.
    pub(crate) fn along(&self, p: Vec3) -> f32 {
        (p - self.from).dot(self.axis)
    }
}

/// Belts carry what lies on them (`drive_belt` on each).
pub(super) fn drive_belts(
    flow: Res<Flow>,
    steps: Res<super::Steps>,
    mut parts: Query<(&Transform, &mut Velocity, &Riding), Settled>,
) {
    let Some(def) = &flow.def else { return };
    let mut outfeed = Vec::new();
    let mut buffers: Vec<Vec<(Vec3, Mut<Velocity>)>> =
        (0..flow.line.belts.len()).map(|_| Vec::new()).collect();
    for (tf, v, riding) in &mut parts {
        match riding {
            Riding::Outfeed => outfeed.push((tf.translation, v)),
            Riding::Buffer(i) => {
                if let Some(on) = buffers.get_mut(*i) {
                    on.push((tf.translation, v));
                }
            }
        }
    }
    let size = def.part_size;
    let outfeed_belt = (def.belt_width / 2.0, def.belt_speed);
    drive_belt(
        &BeltFrame::of(def),
        outfeed_belt,
        size,
        steps.0,
        false,
        &mut outfeed,
    );
    for (b, mut on) in flow.line.belts.iter().zip(buffers) {
        let belt = (b.half_width, b.speed);
        drive_belt(&b.frame, belt, size, steps.0, true, &mut on);
    }
}

/// The parts lying on one belt of (half width, speed), front first once
/// sorted. Like a zero-pressure accumulating conveyor, a part right behind
/// another (or, with `stop`, at the stop at the belt's end) sits on stopped
/// rollers: it is driven towards standing still, so it stops against the
/// queue without pushing it, the queue comes to rest and rapier puts it to
/// sleep; every other part is driven at the belt's speed (`drive`).
pub fn drive_belt(
    belt: &BeltFrame,
    (half_w, speed): (f32, f32),
    part_size: f32,
    steps: u32,
    stop: bool,
    parts: &mut [(Vec3, Mut<Velocity>)],
) {
    parts.sort_by(|a, b| belt.along(b.0).total_cmp(&belt.along(a.0)));
    let reach = part_size + QUEUE_REACH_M;
    let mut ahead = if stop {
        belt.length + part_size / 2.0
    } else {
        f32::INFINITY
    };
    for (at, v) in parts.iter_mut() {
        let here = belt.along(*at);
        let queued = ahead - here < reach;
        ahead = here;
        // A queued part sits on stopped rollers.
        let speed = if queued { 0.0 } else { speed };
        drive(belt, (half_w, speed), part_size, steps, *at, v);
    }
}

/// One part on a belt of (half width, speed): its speed along the belt
/// pulled a quarter of the way towards the belt's for each physics step this
/// frame, its sideways drift damped likewise (nothing happens to a part that
/// is not lying on the belt).
pub fn drive(
    belt: &BeltFrame,
    (half_w, speed): (f32, f32),
    part_size: f32,
    steps: u32,
    at: Vec3,
    v: &mut Mut<Velocity>,
) {
    let rel = at - belt.from;
    let along = rel.dot(belt.axis);
    let side = rel.dot(belt.across);
    let up = rel.y;
    let on_belt = (0.0..=belt.length).contains(&along)
        && side.abs() <= half_w
        && (0.0..part_size * ON_BELT_PART_SIZES).contains(&up);
    if !on_belt {
        return;
    }
    let grip = 1.0 - DRIVE_KEEP_PER_STEP.powi(steps.min(64) as i32);
    let along_v = v.linear.dot(belt.axis);
    let side_v = v.linear.dot(belt.across);
    // Already at the belt's speed: left alone, and not marked changed, so a
    // part at rest can fall asleep.
    if (speed - along_v).abs() < AT_SPEED_M_S && side_v.abs() < AT_SPEED_M_S {
        return;
    }
    v.linear += belt.axis * (speed - along_v) * grip - belt.across * side_v * grip;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drive_pulls_harder_over_more_steps_and_leaves_queued_parts_alone() {
        let belt = BeltFrame::between([0.0, 1.0, 0.0], [10.0, 1.0, 0.0]);
        let mut world = World::new();
        let ids: Vec<Entity> = [9.84f32, 9.52, 5.0, 2.0]
            .iter()
            .map(|x| {
                world
                    .spawn((Transform::from_xyz(*x, 1.15, 0.0), Velocity::zero()))
                    .id()
            })
            .collect();
        let mut q = world.query::<(&Transform, &mut Velocity)>();
        let mut on: Vec<(Vec3, Mut<Velocity>)> = q
            .iter_mut(&mut world)
            .map(|(tf, v)| (tf.translation, v))
            .collect();
        // The first part sits at the stop, the second right behind it: a
        // queue, left alone. The other two ride; one physics step pulls them
        // a quarter of the way to 0.8 m/s.
        drive_belt(&belt, (0.45, 0.8), 0.3, 1, true, &mut on);
        drop(on);
        let speed = |e: Entity| world.get::<Velocity>(e).unwrap().linear.x;
        assert_eq!([speed(ids[0]), speed(ids[1])], [0.0, 0.0]);
        assert!((speed(ids[2]) - 0.2).abs() < 1e-6, "{}", speed(ids[2]));
        assert!((speed(ids[3]) - 0.2).abs() < 1e-6);
        // Thirty steps in one frame pull nearly all the way: 1 - 0.75^30.
        let mut v = world.get_mut::<Velocity>(ids[3]).unwrap();
        v.linear = Vec3::ZERO;
        drive(
            &belt,
            (0.45, 0.8),
            0.3,
            30,
            Vec3::new(2.0, 1.15, 0.0),
            &mut v,
        );
        assert!(v.linear.x > 0.79 && v.linear.x <= 0.8, "{}", v.linear.x);
    }
}

//! Counting: the photo-eye counts parts passing it; the tally counts parts
//! in the bin, on the belts and at the machines, and swaps a full bin.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;

use super::carry::{Carry, Parked, Then};
use super::{BeltFrame, Flow, Part, PhotoEye, Riding, Settled};

/// A part lies in the bin up to this many bin heights over its floor (a pile).
const BIN_PILE_HEIGHTS: f32 = 3.0;
/// A part lies on the outfeed up to this high over its surface (m).
const ON_OUTFEED_M: f32 = 0.5;

/// A part the photo-eye has counted.
#[derive(Component, Debug)]
pub(super) struct Counted;

pub(super) fn count_at_eye(
    mut commands: Commands,
    mut events: MessageReader<CollisionEvent>,
    eyes: Query<(), With<PhotoEye>>,
    parts: Query<(), (With<Part>, Without<Counted>)>,
    mut flow: ResMut<Flow>,
) {
    for event in events.read() {
        let CollisionEvent::Started(a, b, _) = *event else {
            continue;
        };
        let part = if eyes.contains(a) {
            b
        } else if eyes.contains(b) {
            a
        } else {
            continue;
        };
        if parts.contains(part) {
            flow.counted += 1;
            commands.entity(part).insert(Counted);
        }
    }
}

/// Counts the parts in the bin and on the belt; swaps a full bin for an
/// empty one (its parts leave the scene).
pub(super) fn tally(
    mut commands: Commands,
    mut flow: ResMut<Flow>,
    parts: Query<(Entity, &Transform, &Riding), Settled>,
    carried: Query<&Carry>,
    parked: Query<(), With<Parked>>,
) {
    let Some(def) = &flow.def else { return };
    let (belt, at, size, holds) = (
        BeltFrame::of(def),
        Vec3::from(def.bin_at),
        Vec3::from(def.bin_size),
        def.bin_holds.max(1) as u64,
    );
    let (mut in_bin, mut on_belt) = (0, 0);
    let mut binned = Vec::new();
    for tally in &mut flow.buffers {
        (tally.on_belt, tally.arriving) = (0, 0);
    }
    let mut at_machines = parked.iter().count() as u64;
    for c in &carried {
        match c.then {
            Then::Ride(Riding::Buffer(i)) => {
                if let Some(t) = flow.buffers.get_mut(i) {
                    t.arriving += 1;
                }
            }
            Then::Park(_) => at_machines += 1,
            Then::Ride(Riding::Outfeed) => {}
        }
    }
    flow.at_machines = at_machines;
    for (e, tf, riding) in &parts {
        if let Riding::Buffer(i) = riding {
            if let Some(t) = flow.buffers.get_mut(*i) {
                t.on_belt += 1;
            }
            continue;
        }
        let p = tf.translation;
        let d = p - at;
        // Inside the bin's walls, on its floor or on the pile.
        if d.x.abs() <= size.x / 2.0
            && d.z.abs() <= size.z / 2.0
            && d.y >= 0.0
            && d.y <= size.y * BIN_PILE_HEIGHTS
        {
            in_bin += 1;
            binned.push(e);
        }
        let up = p.y - belt.from.y;
        if (0.0..=belt.length).contains(&belt.along(p)) && (0.0..ON_OUTFEED_M).contains(&up) {
            on_belt += 1;
        }
    }
    if in_bin >= holds {
        for e in binned {
            commands.entity(e).despawn();
        }
        flow.bins_swapped += 1;
        in_bin = 0;
    }
    flow.in_bin = in_bin;
    flow.on_belt = on_belt;
}

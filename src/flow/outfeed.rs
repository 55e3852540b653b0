//! The outfeed: each part the line ships leaves the last station for the
//! outfeed belt, one at a time as the ledger spaces them.

use bevy::prelude::*;

use super::carry::{Carry, Parked, Then};
use super::physics::part_body;
use super::{BeltFrame, Flow, Part, Riding, Steps};
use crate::twin::SensorValue;

/// Where a part lands on a belt: this far along it (m), and this high over
/// it when carried there, or dropped there new.
pub(super) const LANDING_ALONG_M: f32 = 0.3;
pub(super) const LANDING_UP_M: f32 = 0.05;
const DROP_UP_M: f32 = 0.25;

/// Releases a part onto the outfeed for every step up of the counter
/// sensor, as the ledger spaces them: the part a machine of the last
/// station holds, if one does, else a new part dropped on the belt.
pub(super) fn release_parts(
    mut commands: Commands,
    steps: Res<Steps>,
    mut flow: ResMut<Flow>,
    values: Query<&SensorValue>,
    parked: Query<(Entity, &Parked, &Transform)>,
) {
    let flow = flow.as_mut();
    let Some(def) = &flow.def else { return };
    let line = &mut flow.line;
    if let Some(count) = line
        .counter
        .and_then(|e| values.get(e).ok())
        .and_then(|v| v.value)
    {
        line.outfeed.read(count);
    }
    let release = line.outfeed.release(steps.0);
    flow.pending = line.outfeed.pending;
    if !release {
        return;
    }
    flow.released += 1;
    let belt = BeltFrame::of(def);
    let h = def.part_size / 2.0;
    // A little sideways scatter, the same every run.
    let side = ((flow.released * 37 % 11) as f32 / 10.0 - 0.5) * (def.belt_width / 2.0 - h);
    let held = parked
        .iter()
        .filter(|(_, p, _)| line.shippers.contains(&p.machine))
        .min_by_key(|(_, p, _)| p.order);
    if let Some((part, _, tf)) = held {
        let to = belt.at(LANDING_ALONG_M + h, side, h + LANDING_UP_M);
        let carry = Carry::new(
            tf.translation,
            to,
            belt.rotation,
            Then::Ride(Riding::Outfeed),
        );
        commands.entity(part).remove::<Parked>().insert(carry);
        flow.transfers += 1;
        return;
    }
    let serial = line.next_serial();
    let at = belt.at(LANDING_ALONG_M + h, side, h + DROP_UP_M);
    commands.spawn((
        Part { serial },
        Riding::Outfeed,
        part_body(h),
        Transform::from_translation(at).with_rotation(belt.rotation),
    ));
}

//! Parts as rigid bodies (bevy_rapier3d), in step with the line's process
//! model as the twin hears it over MQTT:
//!
//! - each buffer between two stations is an accumulating belt: parts ride to
//!   its end and queue against a stop, as many as the buffer's level sensor
//!   reports. When a machine's count of parts made rises, it puts its part
//!   on the belt after it; when the level says the next station took one, a
//!   machine of that station takes the front part off and holds it while it
//!   works on it (`buffers`).
//! - every part the line ships (its counter sensor) goes from the last
//!   station onto the outfeed belt, rides past a photo-eye that counts it and
//!   falls into a bin where parts pile up (`outfeed`, `tally`).
//!
//! What to do is decided by the pure `ledger` from the counters and levels;
//! the systems here only carry it out. Transfers between belts and machines
//! are kinematic carries (`carry`); on belts and in the bin parts are
//! dynamic bodies driven by `belts`. Physics steps at a fixed 1/60 s per
//! frame, with or without a window (`physics`).

mod belts;
mod buffers;
mod carry;
mod fixtures;
pub(crate) mod ledger;
mod outfeed;
mod physics;
mod tally;

use bevy::prelude::*;
use serde::Serialize;

use crate::TwinSet;
use crate::scene::format::FlowDef;

pub use belts::{BeltFrame, drive, drive_belt};
pub use carry::{Carry, Parked};
pub use fixtures::{FlowFixture, Look, LookKind, PhotoEye};
pub use physics::{
    KeepPace, LOOSE_EXTRA_ITERATIONS, MAX_STEPS, SOLVER_ITERATIONS, STEP_S, Steps, keep_pace,
    on_buffer_belt, part_body, physics, steps_for,
};

pub(crate) fn plugin(app: &mut App) {
    physics(app);
    app.init_resource::<Flow>().add_systems(
        Update,
        (
            fixtures::build_flow,
            outfeed::release_parts,
            buffers::follow_buffers,
            carry::carry_parts,
            belts::drive_belts,
            tally::count_at_eye,
            tally::tally,
        )
            .chain()
            .in_set(TwinSet::Simulate),
    );
}

/// A part on its way; `serial` orders them by when they were made.
#[derive(Component, Debug)]
pub struct Part {
    pub serial: u64,
}

/// Which belt a part is on, or is being carried to.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Riding {
    /// The belt of the flow's `buffers[i]`.
    Buffer(usize),
    Outfeed,
}

/// What the flow has done, for the panels and the snapshot.
#[derive(Resource, Debug, Default, Clone, Serialize)]
pub struct Flow {
    /// Parts released onto the belt.
    pub released: u64,
    /// Parts the photo-eye saw pass.
    pub counted: u64,
    /// Parts lying in the bin now, and on the belt now.
    pub in_bin: u64,
    pub on_belt: u64,
    /// Parts waiting to be released.
    pub pending: u64,
    /// Full bins swapped for empty ones.
    pub bins_swapped: u64,
    /// The buffer belts, in the scene's order.
    pub buffers: Vec<BufferTally>,
    /// Parts carried between a belt and a machine so far.
    pub transfers: u64,
    /// Parts machines hold now (being worked on or waiting to go on).
    pub at_machines: u64,
    #[serde(skip)]
    pub def: Option<FlowDef>,
    #[serde(skip)]
    pub(crate) line: FlowLine,
}

/// The flow's running state: the ledger and what its sensors and machines
/// are in the spawned scene (looked up once, when the flow is built).
#[derive(Debug, Default, Clone)]
pub(crate) struct FlowLine {
    pub(crate) outfeed: ledger::Outfeed,
    /// The line's shipped counter.
    pub(crate) counter: Option<Entity>,
    pub(crate) belts: Vec<buffers::BufferBelt>,
    /// Machines of the last station: shipped parts come from them.
    pub(crate) shippers: Vec<Entity>,
    /// Parts made so far (the last serial), and parts parked so far.
    pub(crate) made: u64,
    pub(crate) parked: u64,
}

impl FlowLine {
    pub(crate) fn next_serial(&mut self) -> u64 {
        self.made += 1;
        self.made
    }
}

/// One buffer belt, for the panels and the snapshot.
#[derive(Debug, Default, Clone, Serialize)]
pub struct BufferTally {
    /// The station whose parts wait on it.
    pub station: String,
    /// The buffer's level sensor reading, once there is one.
    pub level: Option<f64>,
    /// Parts on the belt now, and being carried onto it.
    pub on_belt: u64,
    pub arriving: u64,
}

/// Parts not being carried: on a belt, in the bin or wherever they fell.
type Settled = (With<Part>, Without<Carry>);

//! Buffer belts: parts go on as the machines before a buffer report them
//! made, queue at the belt's end, and are taken off to the next station's
//! machines as the buffer's level says they were taken (the ledger decides;
//! this system moves the bodies).

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

use super::carry::{Carry, Parked, Then, send_made};
use super::outfeed::{LANDING_ALONG_M, LANDING_UP_M};
use super::physics::{lifted, on_buffer_belt, part_body};
use super::{BeltFrame, Flow, FlowLine, Part, Riding, Settled, Steps, ledger};
use crate::scene::format::SensorRole;
use crate::scene::index::SceneIndex;
use crate::sim::line::MachineState;
use crate::twin::SensorValue;

/// Room on a buffer belt: one part per this many part sizes of its length.
const QUEUE_PITCH_PART_SIZES: f32 = 1.15;
/// Parts already waiting at the first reading are laid this many part
/// sizes apart, from this far (m) before the stop.
const FILL_PITCH_PART_SIZES: f32 = 1.1;
const FILL_GAP_M: f32 = 0.02;

/// A buffer belt as the flow runs it.
#[derive(Debug, Clone)]
pub(crate) struct BufferBelt {
    pub(crate) station: String,
    pub(crate) frame: BeltFrame,
    pub(crate) half_width: f32,
    pub(crate) speed: f32,
    /// The buffer's level sensor.
    pub(crate) level: Option<Entity>,
    /// The machines that put parts on it, and those that take them off.
    pub(crate) feeders: Vec<Feeder>,
    pub(crate) takers: Vec<Option<Entity>>,
    pub(crate) ledger: ledger::Buffer,
}

/// A machine that feeds a buffer belt, and its count of parts made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Feeder {
    pub(crate) machine: Option<Entity>,
    pub(crate) made: Option<Entity>,
}

/// The bodies the buffer belts move.
#[derive(SystemParam)]
pub(super) struct Bodies<'w, 's> {
    riding: Query<'w, 's, (Entity, &'static Riding, &'static Transform), Settled>,
    carried: Query<'w, 's, (Entity, &'static mut Carry, &'static Transform)>,
    parked: Query<'w, 's, (Entity, &'static Parked, &'static Transform)>,
    places: Query<'w, 's, &'static GlobalTransform>,
}

/// What one frame has already done: parts given a new place, and how many
/// parts each machine holds or is about to.
#[derive(Default)]
struct Frame {
    moved: Vec<Entity>,
    load: Vec<(Entity, usize)>,
    down: Vec<Entity>,
    h: f32,
    park_height: f32,
}

impl Frame {
    fn add_load(&mut self, m: Entity) {
        match self.load.iter_mut().find(|(e, _)| *e == m) {
            Some((_, n)) => *n += 1,
            None => self.load.push((m, 1)),
        }
    }

    fn load_of(&self, m: Entity) -> usize {
        self.load
            .iter()
            .find(|(e, _)| *e == m)
            .map_or(0, |(_, n)| *n)
    }
}

/// Moves parts on and off the buffer belts as the line reports them made
/// and taken.
pub(super) fn follow_buffers(
    mut commands: Commands,
    steps: Res<Steps>,
    mut flow: ResMut<Flow>,
    index: Option<Res<SceneIndex>>,
    values: Query<&SensorValue>,
    mut bodies: Bodies,
) {
    let flow = flow.as_mut();
    let (Some(def), Some(index)) = (&flow.def, index) else {
        return;
    };
    let read = |e: Option<Entity>| {
        e.and_then(|e| values.get(e).ok())
            .and_then(|v| v.value)
            .filter(|v| v.is_finite())
    };
    let mut frame = Frame {
        // Machines the process reports down get parts last.
        down: index
            .with_role(SensorRole::MachineState)
            .filter(|s| {
                read(Some(s.entity)).and_then(MachineState::from_code) == Some(MachineState::Down)
            })
            .map(|s| s.twin)
            .collect(),
        h: def.part_size / 2.0,
        park_height: def.park_height,
        ..Frame::default()
    };
    for (_, p, _) in &bodies.parked {
        frame.add_load(p.machine);
    }
    for (_, c, _) in &bodies.carried {
        if let Then::Park(m) = c.then {
            frame.add_load(m);
        }
    }
    let room = |belt: &BufferBelt| {
        (belt.frame.length / (def.part_size * QUEUE_PITCH_PART_SIZES))
            .floor()
            .max(0.0) as usize
    };
    let line = &mut flow.line;
    for i in 0..line.belts.len() {
        let level = read(line.belts[i].level);
        flow.buffers[i].level = level;
        let belt = &mut line.belts[i];
        for f in 0..belt.feeders.len() {
            if let Some(now) = read(belt.feeders[f].made) {
                belt.ledger.read_made(f, now);
            }
        }
        // Nothing moves until the level is known.
        let Some(level) = level else { continue };
        let room = room(belt);
        let moves = belt.ledger.read_level(level, room);
        if let Some(target) = moves.fill {
            fill(&mut commands, line, i, target, &bodies, &frame);
        }
        if moves.take && take(&mut commands, line, i, &mut bodies, &mut frame) {
            flow.transfers += 1;
        }
        if let Some(f) = line.belts[i].ledger.put(steps.0) {
            put(&mut commands, line, i, f, &bodies, &mut frame);
            flow.transfers += 1;
        }
    }
}

/// Parts on belt `i` not yet moved this frame: (part, how far along, where, rotation).
fn on_belt(
    belt: &BeltFrame,
    i: usize,
    bodies: &Bodies,
    frame: &Frame,
) -> Vec<(Entity, f32, Vec3, Quat)> {
    bodies
        .riding
        .iter()
        .filter(|(e, r, _)| **r == Riding::Buffer(i) && !frame.moved.contains(e))
        .map(|(e, _, tf)| (e, belt.along(tf.translation), tf.translation, tf.rotation))
        .collect()
}

/// The first level reading: the parts already waiting, queued at the end.
fn fill(
    commands: &mut Commands,
    line: &mut FlowLine,
    i: usize,
    target: usize,
    bodies: &Bodies,
    frame: &Frame,
) {
    let belt = line.belts[i].frame;
    let h = frame.h;
    for k in on_belt(&belt, i, bodies, frame).len()..target {
        let along = belt.length - FILL_GAP_M - h - k as f32 * 2.0 * h * FILL_PITCH_PART_SIZES;
        let serial = line.next_serial();
        commands
            .spawn((
                Part { serial },
                Riding::Buffer(i),
                part_body(h),
                Transform::from_translation(belt.at(along, 0.0, h + 0.01))
                    .with_rotation(belt.rotation),
            ))
            .insert(on_buffer_belt());
    }
}

/// Where feeder `f` of belt `i` holds its part.
fn place_of(line: &FlowLine, i: usize, f: usize, bodies: &Bodies, frame: &Frame) -> Option<Vec3> {
    let m = line.belts[i].feeders.get(f)?.machine?;
    let tf = bodies.places.get(m).ok()?;
    Some(tf.translation() + Vec3::Y * frame.park_height)
}

/// Where a part put on belt `i` by feeder `f` comes from: the part its
/// machine holds, or one another machine of the station holds (which took
/// it was a guess), or none (then a new one: the first station makes them).
fn source(
    line: &FlowLine,
    i: usize,
    f: usize,
    bodies: &Bodies,
    frame: &Frame,
) -> Option<(Entity, Vec3, Quat)> {
    let feeders = &line.belts[i].feeders;
    let own = feeders.get(f).and_then(|fd| fd.machine);
    let free = |e: &Entity| !frame.moved.contains(e);
    let oldest = |of: &dyn Fn(Entity) -> bool| {
        bodies
            .parked
            .iter()
            .filter(|(e, p, _)| of(p.machine) && free(e))
            .min_by_key(|(_, p, _)| p.order)
            .map(|(e, _, tf)| (e, tf.translation, tf.rotation))
    };
    oldest(&|m| Some(m) == own)
        .or_else(|| oldest(&|m| feeders.iter().any(|fd| fd.machine == Some(m))))
}

/// The next station took a part off belt `i`: the front part on the belt,
/// else one on its way to it, else the next one made (straight from its
/// machine) goes to the machine whose turn it is. Whether a machine got one.
fn take(
    commands: &mut Commands,
    line: &mut FlowLine,
    i: usize,
    bodies: &mut Bodies,
    frame: &mut Frame,
) -> bool {
    let takers = line.belts[i].takers.clone();
    let picked = line.belts[i].ledger.pick(takers.len(), |k| {
        let m = takers[k]?;
        bodies
            .places
            .contains(m)
            .then(|| (frame.down.contains(&m), frame.load_of(m)))
    });
    let Some(m) = picked.and_then(|k| takers[k]) else {
        return false;
    };
    let Ok(place) = bodies.places.get(m) else {
        return false;
    };
    let park = place.translation() + Vec3::Y * frame.park_height;
    let belt = line.belts[i].frame;
    let front = on_belt(&belt, i, bodies, frame)
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let arriving = bodies
        .carried
        .iter()
        .filter(|(e, c, _)| {
            matches!(c.then, Then::Ride(Riding::Buffer(j)) if j == i) && !frame.moved.contains(e)
        })
        .max_by(|a, b| a.1.elapsed.total_cmp(&b.1.elapsed))
        .map(|(e, _, _)| e);
    if let Some((part, _, at, rotation)) = front {
        let carry = Carry::new(at, park, rotation, Then::Park(m));
        commands
            .entity(part)
            .remove::<Riding>()
            .insert((lifted(), carry));
        frame.moved.push(part);
    } else if let Some(part) = arriving
        && let Ok((_, mut carry, tf)) = bodies.carried.get_mut(part)
    {
        *carry = Carry::new(tf.translation, park, tf.rotation, Then::Park(m));
        frame.moved.push(part);
    } else if let Some(f) = line.belts[i].ledger.take_made() {
        let from = place_of(line, i, f, bodies, frame);
        let held = source(line, i, f, bodies, frame);
        if let Some((part, at, rotation)) = send_made(commands, line, held, from, frame.h) {
            commands
                .entity(part)
                .insert(Carry::new(at, park, rotation, Then::Park(m)));
            frame.moved.push(part);
        }
    }
    frame.add_load(m);
    true
}

/// Feeder `f`'s finished part goes onto belt `i`.
fn put(
    commands: &mut Commands,
    line: &mut FlowLine,
    i: usize,
    f: usize,
    bodies: &Bodies,
    frame: &mut Frame,
) {
    let belt = line.belts[i].frame;
    let landing = belt.at(LANDING_ALONG_M + frame.h, 0.0, frame.h + LANDING_UP_M);
    let from = place_of(line, i, f, bodies, frame);
    let held = source(line, i, f, bodies, frame);
    if let Some((part, at, _)) = send_made(commands, line, held, from, frame.h) {
        let carry = Carry::new(at, landing, belt.rotation, Then::Ride(Riding::Buffer(i)));
        commands.entity(part).insert(carry);
        frame.moved.push(part);
    }
}

//! The flow's fixed bodies, built when a scene spawns: the hall floor, the
//! outfeed belt with its photo-eye, the chute and bin, and a belt with a
//! stop for each buffer between stations. Also resolves, once, which
//! sensors and machines of the spawned scene the flow follows.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;

use super::buffers::{BufferBelt, Feeder};
use super::{BeltFrame, BufferTally, Flow, FlowLine, Part, ledger};
use crate::scene::SceneSpawned;
use crate::scene::format::{FlowDef, SceneDef, SensorRef};
use crate::scene::index::SceneIndex;

/// Half thickness of a belt's slab (m); its top is the belt surface.
const SLAB_HALF_M: f32 = 0.05;
/// A side rail's half thickness and half height (m).
const RAIL_HALF_M: f32 = 0.03;
const RAIL_HALF_HEIGHT_M: f32 = 0.08;
/// The stop across a buffer belt's end: half height, and how far it
/// reaches past the rails (m).
const STOP_HALF_HEIGHT_M: f32 = 0.1;
const STOP_OVERHANG_M: f32 = 0.06;
/// The photo-eye's beam: this far before the outfeed's end, this high over
/// the belt, this thick and half as tall as `EYE_HALF_HEIGHT_M` (m).
const EYE_BEFORE_END_M: f32 = 0.4;
const EYE_HEIGHT_M: f32 = 0.2;
const EYE_HALF_THICK_M: f32 = 0.02;
const EYE_HALF_HEIGHT_M: f32 = 0.2;
/// The bin's wall thickness (m).
const BIN_WALL_M: f32 = 0.06;
/// The chute ends this high over the bin's floor (share of the bin's
/// height) and this far short of its middle (share of its smaller side),
/// so parts fly on and spread instead of stacking against the near wall.
const CHUTE_END_HEIGHT: f32 = 0.9;
const CHUTE_END_SHORT: f32 = 0.25;
/// Friction of the floor and bin, and of the chute's slide.
const FIXTURE_FRICTION: f32 = 0.8;
const CHUTE_FRICTION: f32 = 0.02;

/// The belt, rails, bin and photo-eye of the current scene.
#[derive(Component, Debug)]
pub struct FlowFixture;

/// How a flow body looks: a box of these half extents (the viewer draws it).
#[derive(Component, Debug, Clone, Copy)]
pub struct Look {
    pub half: Vec3,
    pub kind: LookKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookKind {
    Belt,
    Rail,
    Bin,
    Chute,
    Part,
}

#[derive(Component, Debug)]
pub struct PhotoEye;

/// Anything the flow spawned.
type FlowBody = Or<(With<FlowFixture>, With<Part>)>;

fn fixed_box(
    commands: &mut Commands,
    centre: Vec3,
    rotation: Quat,
    half: Vec3,
    kind: LookKind,
    drawn: bool,
) -> Entity {
    // The belt and its rails are slippery: the belt drive does the carrying
    // (a static slab with friction would hold parts back instead).
    let friction = match kind {
        LookKind::Belt | LookKind::Rail => Friction {
            coefficient: 0.0,
            combine_rule: CoefficientCombineRule::Min,
        },
        LookKind::Chute => Friction {
            coefficient: CHUTE_FRICTION,
            combine_rule: CoefficientCombineRule::Min,
        },
        _ => Friction::coefficient(FIXTURE_FRICTION),
    };
    let mut fixture = commands.spawn((
        FlowFixture,
        RigidBody::Fixed,
        Collider::cuboid(half.x, half.y, half.z),
        friction,
        Transform::from_translation(centre).with_rotation(rotation),
    ));
    if drawn {
        fixture.insert(Look { half, kind });
    }
    fixture.id()
}

/// A belt: a slab whose top is the belt surface, with low side rails, and a
/// stop across its end if parts are to queue there.
fn belt_fixture(commands: &mut Commands, belt: &BeltFrame, half_w: f32, drawn: bool, stop: bool) {
    let mid = belt.length / 2.0;
    let slab = Vec3::new(mid, SLAB_HALF_M, half_w);
    let at = belt.at(mid, 0.0, -SLAB_HALF_M);
    fixed_box(commands, at, belt.rotation, slab, LookKind::Belt, drawn);
    for side in [-1.0, 1.0] {
        let at = belt.at(mid, side * (half_w + RAIL_HALF_M), RAIL_HALF_HEIGHT_M);
        let rail = Vec3::new(mid, RAIL_HALF_HEIGHT_M, RAIL_HALF_M);
        fixed_box(commands, at, belt.rotation, rail, LookKind::Rail, drawn);
    }
    if stop {
        let at = belt.at(belt.length + RAIL_HALF_M, 0.0, STOP_HALF_HEIGHT_M);
        let half = Vec3::new(RAIL_HALF_M, STOP_HALF_HEIGHT_M, half_w + STOP_OVERHANG_M);
        fixed_box(commands, at, belt.rotation, half, LookKind::Rail, true);
    }
}

/// Sets up the belts, bin and photo-eye of a newly spawned scene, and what
/// the flow follows in it.
pub(super) fn build_flow(
    mut commands: Commands,
    mut spawned: MessageReader<SceneSpawned>,
    index: Option<Res<SceneIndex>>,
    old: Query<Entity, FlowBody>,
    mut flow: ResMut<Flow>,
) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    for e in &old {
        commands.entity(e).despawn();
    }
    *flow = Flow {
        def: scene.flow.clone(),
        ..Flow::default()
    };
    let (Some(def), Some(index)) = (&scene.flow, index) else {
        return;
    };
    // The hall floor, so nothing falls for ever.
    commands.spawn((
        FlowFixture,
        RigidBody::Fixed,
        Collider::halfspace(Vec3::Y).expect("up is a unit vector"),
        Friction::coefficient(FIXTURE_FRICTION),
        Transform::default(),
    ));
    outfeed_fixtures(&mut commands, def);
    let line = follow(&mut commands, scene, def, &index);
    flow.buffers = line
        .belts
        .iter()
        .map(|b| BufferTally {
            station: b.station.clone(),
            ..BufferTally::default()
        })
        .collect();
    flow.line = line;
}

/// What the flow follows in the spawned scene: the shipped counter, the
/// last station's machines, and a belt (spawned here) for each buffer.
fn follow(
    commands: &mut Commands,
    scene: &SceneDef,
    def: &FlowDef,
    index: &SceneIndex,
) -> FlowLine {
    let step = super::STEP_S;
    let mut line = FlowLine {
        outfeed: ledger::Outfeed::new(ledger::spacing_steps(def.part_size, def.belt_speed, step)),
        counter: index.sensor(&def.counter),
        ..FlowLine::default()
    };
    // The buffers between stations, each fed by one station and emptied by
    // the next (validation made sure both exist).
    let stations = scene.process.as_ref().map_or(&[][..], |p| &p.stations[..]);
    for b in &def.buffers {
        let Some(k) = stations.iter().position(|s| s.name == b.station) else {
            continue;
        };
        let (Some(sensor), Some(next)) = (&stations[k].buffer_sensor, stations.get(k + 1)) else {
            continue;
        };
        let frame = BeltFrame::between(b.from, b.to);
        let half_width = b.width.unwrap_or(def.belt_width) / 2.0;
        let speed = b.speed.unwrap_or(def.belt_speed);
        belt_fixture(commands, &frame, half_width, b.draw, true);
        let feeders: Vec<Feeder> = stations[k]
            .machines
            .iter()
            .map(|id| Feeder {
                machine: index.twin(id),
                made: index.sensor(&SensorRef::new(id, &def.made_sensor)),
            })
            .collect();
        line.belts.push(BufferBelt {
            station: b.station.clone(),
            frame,
            half_width,
            speed,
            level: index.sensor(sensor),
            ledger: ledger::Buffer::new(
                feeders.len(),
                ledger::spacing_steps(def.part_size, speed, step),
            ),
            feeders,
            takers: next.machines.iter().map(|id| index.twin(id)).collect(),
        });
    }
    line.shippers = stations.last().map_or(Vec::new(), |s| {
        s.machines.iter().filter_map(|id| index.twin(id)).collect()
    });
    line
}

/// The outfeed belt, its photo-eye, and the chute down into the bin.
fn outfeed_fixtures(commands: &mut Commands, def: &FlowDef) {
    let belt = BeltFrame::of(def);
    let half_w = def.belt_width / 2.0;
    belt_fixture(commands, &belt, half_w, true, false);
    // The photo-eye: a thin beam across the belt near its end.
    commands.spawn((
        FlowFixture,
        PhotoEye,
        Collider::cuboid(EYE_HALF_THICK_M, EYE_HALF_HEIGHT_M, half_w),
        Sensor,
        ActiveEvents::COLLISION_EVENTS,
        Transform::from_translation(belt.at(belt.length - EYE_BEFORE_END_M, 0.0, EYE_HEIGHT_M))
            .with_rotation(belt.rotation),
    ));
    let (at, size) = (Vec3::from(def.bin_at), Vec3::from(def.bin_size));
    // A chute from the belt's end down to the middle of the bin.
    let top = belt.at(belt.length, 0.0, -0.02);
    let bottom = Vec3::new(at.x, at.y + size.y * CHUTE_END_HEIGHT, at.z)
        - belt.axis * (size.x.min(size.z) * CHUTE_END_SHORT);
    let dir = (bottom - top).normalize_or(belt.axis);
    let chute_rot = Quat::from_rotation_arc(belt.axis, dir) * belt.rotation;
    let chute_len = top.distance(bottom);
    let chute_mid = (top + bottom) / 2.0;
    let chute_up = chute_rot * Vec3::Y;
    let slide = Vec3::new(chute_len / 2.0, RAIL_HALF_M, half_w);
    let at_slide = chute_mid - chute_up * RAIL_HALF_M;
    fixed_box(commands, at_slide, chute_rot, slide, LookKind::Chute, true);
    for side in [-1.0, 1.0] {
        let rail = Vec3::new(chute_len / 2.0, RAIL_HALF_HEIGHT_M, RAIL_HALF_M);
        let at_rail =
            chute_mid + belt.across * side * (half_w + RAIL_HALF_M) + chute_up * RAIL_HALF_HEIGHT_M;
        fixed_box(commands, at_rail, chute_rot, rail, LookKind::Rail, true);
    }
    bin_fixtures(commands, at, size);
}

/// The bin: a floor and four walls around its inner `size` (m), its floor
/// centre at `at`.
fn bin_fixtures(commands: &mut Commands, at: Vec3, size: Vec3) {
    let t = BIN_WALL_M;
    let floor = Vec3::new(size.x / 2.0 + t, t, size.z / 2.0 + t);
    fixed_box(
        commands,
        at - Vec3::Y * t,
        Quat::IDENTITY,
        floor,
        LookKind::Bin,
        true,
    );
    for (dx, dz, hx, hz) in [
        (size.x / 2.0 + t, 0.0, t, size.z / 2.0 + t),
        (-size.x / 2.0 - t, 0.0, t, size.z / 2.0 + t),
        (0.0, size.z / 2.0 + t, size.x / 2.0 + t, t),
        (0.0, -size.z / 2.0 - t, size.x / 2.0 + t, t),
    ] {
        let centre = at + Vec3::new(dx, size.y / 2.0, dz);
        let half = Vec3::new(hx, size.y / 2.0, hz);
        fixed_box(commands, centre, Quat::IDENTITY, half, LookKind::Bin, true);
    }
}

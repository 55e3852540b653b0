//! Parts as rigid bodies (bevy_rapier3d), in step with the line's process
//! model as the twin hears it over MQTT:
//!
//! - each buffer between two stations is an accumulating belt: parts ride to
//!   its end and queue against a stop, as many as the buffer's level sensor
//!   reports. When the level rises, a machine of the station before it puts
//!   a part on (the part it was working on, or a new one for the first
//!   station); when it falls, a machine of the next station takes the front
//!   part off and holds it while it works on it.
//! - every part the line ships (its counter sensor) goes from the last
//!   station onto the outfeed belt, rides past a photo-eye that counts it and
//!   falls into a bin where parts pile up.
//!
//! Transfers between belts and machines are kinematic carries (a pick and
//! place arc, the part not colliding on its way); on belts and in the bin
//! parts are dynamic bodies. Physics steps at a fixed 1/60 s per frame, with
//! or without a window.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;
use serde::Serialize;

use crate::TwinSet;
use crate::scene::SceneSpawned;
use crate::scene::format::FlowDef;
use crate::twin::{Sensor, SensorOf, SensorValue, Twin};

/// The physics step, once per frame.
pub const STEP_S: f32 = 1.0 / 60.0;

pub fn plugin(app: &mut App) {
    physics(app);
    app.init_resource::<Flow>().add_systems(
        Update,
        (
            build_flow,
            release_parts,
            follow_buffers,
            carry_parts,
            drive_belts,
            count_at_eye,
            tally,
        )
            .chain()
            .in_set(TwinSet::Simulate),
    );
}

/// Solver iterations per step for parts riding or queued on a buffer belt:
/// a row of boxes on a flat belt converges in one.
pub const SOLVER_ITERATIONS: usize = 1;

/// Extra solver substeps for loose parts (falling, in the bin, on the
/// floor): piles need them to come to rest (4 in all, rapier's default
/// count; with 1 or 2 a pile of 5,000 never slept).
pub const LOOSE_EXTRA_ITERATIONS: usize = 3;

/// Rapier at a fixed step of `STEP_S`, once per frame unless `keep_pace`
/// says more.
pub fn physics(app: &mut App) {
    let integration_parameters = bevy_rapier3d::rapier::dynamics::IntegrationParameters {
        num_solver_iterations: SOLVER_ITERATIONS,
        ..default()
    };
    app.add_plugins(
        RapierPhysicsPlugin::<NoUserData>::default().with_custom_initialization(
            RapierContextInitialization::InitializeDefaultRapierContext {
                integration_parameters,
                rapier_configuration: RapierConfiguration::new(1.0),
            },
        ),
    )
    .init_resource::<Steps>()
    .insert_resource(TimestepMode::Fixed {
        dt: STEP_S,
        substeps: 1,
    });
}

/// Physics steps of `STEP_S` this frame: one headless (so runs are the same
/// frame for frame), in the viewer as many as the frame took.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Steps(pub u32);

impl Default for Steps {
    fn default() -> Self {
        Steps(1)
    }
}

impl Steps {
    /// Physics time this frame.
    pub fn seconds(self) -> f32 {
        self.0 as f32 * STEP_S
    }
}

/// Most steps one frame catches up (half a second of physics).
pub const MAX_STEPS: u32 = 30;

/// Steps of `STEP_S` that make up a frame of `delta_s` seconds, at least
/// one and at most `MAX_STEPS`.
pub fn steps_for(delta_s: f32) -> u32 {
    if !delta_s.is_finite() {
        return 1;
    }
    (delta_s / STEP_S).round().clamp(1.0, MAX_STEPS as f32) as u32
}

/// For the viewer: step physics as long as the last frame took (up to
/// `MAX_STEPS` steps of `STEP_S`), so parts keep pace with the plant and
/// its clock when frames are slow (software rendering, a weak GPU).
pub fn keep_pace(
    time: Res<Time<bevy::time::Real>>,
    mut steps: ResMut<Steps>,
    mut mode: ResMut<TimestepMode>,
) {
    let n = steps_for(time.delta_secs());
    if n != steps.0 {
        steps.0 = n;
        *mode = TimestepMode::Fixed {
            dt: n as f32 * STEP_S,
            substeps: n as usize,
        };
    }
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

/// A part being carried (kinematically) from one place to another.
#[derive(Component, Debug, Clone, Copy)]
pub struct Carry {
    from: Vec3,
    to: Vec3,
    rotation: Quat,
    elapsed: f32,
    duration: f32,
    then: Then,
}

#[derive(Debug, Clone, Copy)]
enum Then {
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
    order: u64,
}

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

/// A part the photo-eye has counted.
#[derive(Component, Debug)]
struct Counted;

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
    belts: Vec<BufferBelt>,
    /// Machines of the last station: shipped parts come from them.
    #[serde(skip)]
    shippers: Vec<String>,
    /// Parts made so far (the next serial), and parts parked so far.
    #[serde(skip)]
    made: u64,
    #[serde(skip)]
    parked: u64,
    #[serde(skip)]
    counter: Option<Entity>,
    #[serde(skip)]
    last_count: Option<f64>,
    #[serde(skip)]
    since_release: u32,
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

/// A buffer belt as the flow runs it.
#[derive(Debug, Clone)]
struct BufferBelt {
    frame: BeltFrame,
    half_width: f32,
    speed: f32,
    level_sensor: (String, String),
    level: Option<Entity>,
    /// Twin ids of the machines that put parts on it and take them off.
    feeders: Vec<String>,
    takers: Vec<String>,
    /// Each feeder's count of parts made: its sensor and last reading.
    made: Vec<(Option<Entity>, Option<f64>)>,
    /// Parts made and not yet put on the belt, by feeder (index into `feeders`).
    to_put: std::collections::VecDeque<usize>,
    /// Parts the next station has taken (made before, less waiting) when
    /// all counts were first known, and taken off the belt since.
    taken_base: Option<f64>,
    taken: f64,
    /// Frames a take has been owed (one frame may see a count change before
    /// the level that goes with it).
    owing: u32,
    /// Whether the level has been read once (the first reading fills it).
    filled: bool,
    since_feed: u32,
    turn: usize,
}

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
    pub fn of(def: &FlowDef) -> BeltFrame {
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
}

fn fixed_box(
    commands: &mut Commands,
    centre: Vec3,
    rotation: Quat,
    half: Vec3,
    kind: LookKind,
    drawn: bool,
) -> Entity {
    // The belt and its rails are slippery: `drive_belt` does the carrying
    // (a static slab with friction would hold parts back instead).
    let friction = match kind {
        LookKind::Belt | LookKind::Rail => Friction {
            coefficient: 0.0,
            combine_rule: CoefficientCombineRule::Min,
        },
        LookKind::Chute => Friction {
            coefficient: 0.02,
            combine_rule: CoefficientCombineRule::Min,
        },
        _ => Friction::coefficient(0.8),
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
    fixed_box(
        commands,
        belt.at(belt.length / 2.0, 0.0, -0.05),
        belt.rotation,
        Vec3::new(belt.length / 2.0, 0.05, half_w),
        LookKind::Belt,
        drawn,
    );
    for side in [-1.0, 1.0] {
        fixed_box(
            commands,
            belt.at(belt.length / 2.0, side * (half_w + 0.03), 0.08),
            belt.rotation,
            Vec3::new(belt.length / 2.0, 0.08, 0.03),
            LookKind::Rail,
            drawn,
        );
    }
    if stop {
        fixed_box(
            commands,
            belt.at(belt.length + 0.03, 0.0, 0.1),
            belt.rotation,
            Vec3::new(0.03, 0.1, half_w + 0.06),
            LookKind::Rail,
            true,
        );
    }
}

/// Anything the flow spawned.
type FlowBody = Or<(With<FlowFixture>, With<Part>)>;

/// Sets up the belt, rails, bin and photo-eye of a newly spawned scene.
fn build_flow(
    mut commands: Commands,
    mut spawned: MessageReader<SceneSpawned>,
    old: Query<Entity, FlowBody>,
    sensors: Query<(Entity, &Sensor, &SensorOf)>,
    twins: Query<&Twin>,
    mut flow: ResMut<Flow>,
) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        if flow.def.is_some() && flow.counter.is_none() {
            flow.counter = find_counter(&flow, &sensors, &twins);
        }
        return;
    };
    for e in &old {
        commands.entity(e).despawn();
    }
    *flow = Flow {
        def: scene.flow.clone(),
        ..Flow::default()
    };
    let Some(def) = &scene.flow else { return };
    let belt = BeltFrame::of(def);
    // The hall floor, so nothing falls for ever.
    commands.spawn((
        FlowFixture,
        RigidBody::Fixed,
        Collider::halfspace(Vec3::Y).expect("up is a unit vector"),
        Friction::coefficient(0.8),
        Transform::default(),
    ));
    let half_w = def.belt_width / 2.0;
    belt_fixture(&mut commands, &belt, half_w, true, false);
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
        belt_fixture(&mut commands, &frame, half_width, b.draw, true);
        flow.buffers.push(BufferTally {
            station: b.station.clone(),
            ..BufferTally::default()
        });
        flow.belts.push(BufferBelt {
            frame,
            half_width,
            speed: b.speed.unwrap_or(def.belt_speed),
            level_sensor: sensor.clone(),
            level: None,
            feeders: stations[k].machines.clone(),
            takers: next.machines.clone(),
            made: vec![(None, None); stations[k].machines.len()],
            to_put: Default::default(),
            taken_base: None,
            taken: 0.0,
            owing: 0,
            filled: false,
            since_feed: u32::MAX,
            turn: 0,
        });
    }
    flow.shippers = stations.last().map_or(Vec::new(), |s| s.machines.clone());
    // The photo-eye: a thin beam across the belt near its end.
    commands.spawn((
        FlowFixture,
        PhotoEye,
        Collider::cuboid(0.02, 0.2, half_w),
        Sensor,
        ActiveEvents::COLLISION_EVENTS,
        Transform::from_translation(belt.at(belt.length - 0.4, 0.0, 0.2))
            .with_rotation(belt.rotation),
    ));
    // The bin: a floor and four walls around its inner size.
    let (at, size) = (Vec3::from(def.bin_at), Vec3::from(def.bin_size));
    // A chute from the belt's end down to the middle of the bin, so parts
    // spread over the bin instead of stacking against its near wall.
    let top = belt.at(belt.length, 0.0, -0.02);
    // It ends high over the bin's middle, so parts fly on and spread.
    let bottom =
        Vec3::new(at.x, at.y + size.y * 0.9, at.z) - belt.axis * (size.x.min(size.z) * 0.25);
    let dir = (bottom - top).normalize_or(belt.axis);
    let chute_rot = Quat::from_rotation_arc(belt.axis, dir) * belt.rotation;
    let chute_len = top.distance(bottom);
    let chute_mid = (top + bottom) / 2.0;
    let chute_up = chute_rot * Vec3::Y;
    fixed_box(
        &mut commands,
        chute_mid - chute_up * 0.03,
        chute_rot,
        Vec3::new(chute_len / 2.0, 0.03, half_w),
        LookKind::Chute,
        true,
    );
    for side in [-1.0, 1.0] {
        fixed_box(
            &mut commands,
            chute_mid + belt.across * side * (half_w + 0.03) + chute_up * 0.08,
            chute_rot,
            Vec3::new(chute_len / 2.0, 0.08, 0.03),
            LookKind::Rail,
            true,
        );
    }
    let t = 0.06;
    fixed_box(
        &mut commands,
        at - Vec3::Y * t,
        Quat::IDENTITY,
        Vec3::new(size.x / 2.0 + t, t, size.z / 2.0 + t),
        LookKind::Bin,
        true,
    );
    for (dx, dz, hx, hz) in [
        (size.x / 2.0 + t, 0.0, t, size.z / 2.0 + t),
        (-size.x / 2.0 - t, 0.0, t, size.z / 2.0 + t),
        (0.0, size.z / 2.0 + t, size.x / 2.0 + t, t),
        (0.0, -size.z / 2.0 - t, size.x / 2.0 + t, t),
    ] {
        fixed_box(
            &mut commands,
            at + Vec3::new(dx, size.y / 2.0, dz),
            Quat::IDENTITY,
            Vec3::new(hx, size.y / 2.0, hz),
            LookKind::Bin,
            true,
        );
    }
    flow.counter = find_counter(&flow, &sensors, &twins);
}

fn find_counter(
    flow: &Flow,
    sensors: &Query<(Entity, &Sensor, &SensorOf)>,
    twins: &Query<&Twin>,
) -> Option<Entity> {
    find_sensor(&flow.def.as_ref()?.counter, sensors, twins)
}

fn find_sensor(
    (twin, name): &(String, String),
    sensors: &Query<(Entity, &Sensor, &SensorOf)>,
    twins: &Query<&Twin>,
) -> Option<Entity> {
    sensors
        .iter()
        .find(|(_, s, of)| &s.name == name && twins.get(of.0).is_ok_and(|t| &t.id == twin))
        .map(|(e, _, _)| e)
}

/// A part's body: a dynamic box of half size `h`, solved as a loose part
/// (used by the flow and by the physics benchmark alike).
pub fn part_body(h: f32) -> impl Bundle {
    (
        Look {
            half: Vec3::splat(h),
            kind: LookKind::Part,
        },
        RigidBody::Dynamic,
        Collider::cuboid(h, h, h),
        Friction::coefficient(0.7),
        Restitution::coefficient(0.05),
        Velocity::default(),
        AdditionalSolverIterations(LOOSE_EXTRA_ITERATIONS),
    )
}

/// What a part on a buffer belt is solved with (see `SOLVER_ITERATIONS`).
pub fn on_buffer_belt() -> AdditionalSolverIterations {
    AdditionalSolverIterations(0)
}

/// How fast a carried part moves between a belt and a machine (m/s).
const CARRY_SPEED: f32 = 4.0;

impl Carry {
    fn new(from: Vec3, to: Vec3, rotation: Quat, then: Then) -> Carry {
        Carry {
            from,
            to,
            rotation,
            elapsed: 0.0,
            duration: (from.distance(to) / CARRY_SPEED).clamp(0.5, 3.0),
            then,
        }
    }
}

/// What makes a part carried: moved by hand, through everything.
fn lifted() -> impl Bundle {
    (RigidBody::KinematicPositionBased, ColliderDisabled)
}

impl Flow {
    fn next_serial(&mut self) -> u64 {
        self.made += 1;
        self.made
    }
}

/// Parts not being carried: on a belt, in the bin or wherever they fell.
type Settled = (With<Part>, Without<Carry>);

/// The twins' entities and places, for finding machines by id.
type Machines<'w, 's> = Query<'w, 's, (Entity, &'static Twin, &'static GlobalTransform)>;

fn machine(twins: &Machines, id: &str) -> Option<(Entity, Vec3)> {
    twins
        .iter()
        .find(|(_, t, _)| t.id == id)
        .map(|(e, _, tf)| (e, tf.translation()))
}

/// Releases a part onto the outfeed for every step up of the counter
/// sensor, one every few frames: the part a machine of the last station
/// holds, if one does, else a new part dropped on the belt.
fn release_parts(
    mut commands: Commands,
    steps: Res<Steps>,
    mut flow: ResMut<Flow>,
    values: Query<&SensorValue>,
    parked: Query<(Entity, &Parked, &Transform)>,
    twins: Machines,
) {
    let Some(def) = &flow.def else { return };
    let (belt, part_size, belt_speed, half_width) = (
        BeltFrame::of(def),
        def.part_size,
        def.belt_speed,
        def.belt_width / 2.0,
    );
    // A counter entity that is gone (the scene was replaced) is looked up again.
    if flow.counter.is_some_and(|e| !values.contains(e)) {
        flow.counter = None;
    }
    if let Some(count) = flow
        .counter
        .and_then(|e| values.get(e).ok())
        .and_then(|v| v.value)
    {
        match flow.last_count {
            // The first reading only sets where counting starts.
            None => flow.last_count = Some(count),
            Some(last) if count > last => {
                // A jump of thousands is a bad reading or a reset plant, not
                // parts to show: at most 64 at a time.
                flow.pending += (count - last).round().min(64.0) as u64;
                flow.last_count = Some(count);
            }
            // A counter that went back (a restarted plant) starts again.
            Some(last) if count < last => flow.last_count = Some(count),
            Some(_) => {}
        }
    }
    flow.since_release = flow.since_release.saturating_add(steps.0);
    // Parts leave one and a half part lengths apart, so none lands on another.
    let every = (1.5 * part_size / belt_speed.max(0.05) / STEP_S).ceil() as u32;
    if flow.pending == 0 || flow.since_release < every {
        return;
    }
    flow.pending -= 1;
    flow.since_release = 0;
    flow.released += 1;
    let h = part_size / 2.0;
    // A little sideways scatter, the same every run.
    let side = ((flow.released * 37 % 11) as f32 / 10.0 - 0.5) * (half_width - h);
    let shippers: Vec<Entity> = flow
        .shippers
        .iter()
        .filter_map(|id| machine(&twins, id).map(|(e, _)| e))
        .collect();
    let held = parked
        .iter()
        .filter(|(_, p, _)| shippers.contains(&p.machine))
        .min_by_key(|(_, p, _)| p.order);
    if let Some((part, _, tf)) = held {
        let to = belt.at(0.3 + h, side, h + 0.05);
        commands.entity(part).remove::<Parked>().insert(Carry::new(
            tf.translation,
            to,
            belt.rotation,
            Then::Ride(Riding::Outfeed),
        ));
        flow.transfers += 1;
        return;
    }
    let serial = flow.next_serial();
    commands.spawn((
        Part { serial },
        Riding::Outfeed,
        part_body(h),
        Transform::from_translation(belt.at(0.3 + h, side, h + 0.25)).with_rotation(belt.rotation),
    ));
}

/// Moves parts on and off the buffer belts as the line reports them made
/// and taken. A machine's `made` count going up puts its part on the belt
/// after it; the next station has taken as many parts as were made less
/// those still waiting (the level sensor), and each one it took is the
/// belt's front part, carried to one of its machines.
#[allow(clippy::too_many_arguments)]
fn follow_buffers(
    mut commands: Commands,
    steps: Res<Steps>,
    mut flow: ResMut<Flow>,
    values: Query<&SensorValue>,
    sensors: Query<(Entity, &Sensor, &SensorOf)>,
    twin_ids: Query<&Twin>,
    twins: Machines,
    riding: Query<(Entity, &Riding, &Transform), Settled>,
    mut carried: Query<(Entity, &mut Carry, &Transform)>,
    parked: Query<(Entity, &Parked, &Transform)>,
) {
    let Some(def) = &flow.def else { return };
    let (part_size, park_height, made_name) =
        (def.part_size, def.park_height, def.made_sensor.clone());
    let h = part_size / 2.0;
    let read = |e: Option<Entity>| {
        e.and_then(|e| values.get(e).ok())
            .and_then(|v| v.value)
            .filter(|v| v.is_finite())
    };
    // Machines the process reports down (state 3) get no parts.
    let down: Vec<Entity> = sensors
        .iter()
        .filter(|(e, s, _)| s.name == "state" && read(Some(*e)).is_some_and(|v| v > 2.5))
        .map(|(_, _, of)| of.0)
        .collect();
    // How many parts each machine holds or is about to.
    let mut load: Vec<(Entity, usize)> = Vec::new();
    let add_load =
        |load: &mut Vec<(Entity, usize)>, m: Entity| match load.iter_mut().find(|(e, _)| *e == m) {
            Some((_, n)) => *n += 1,
            None => load.push((m, 1)),
        };
    for (_, p, _) in &parked {
        add_load(&mut load, p.machine);
    }
    for (_, c, _) in &carried {
        if let Then::Park(m) = c.then {
            add_load(&mut load, m);
        }
    }
    // Parts already given a new place this frame.
    let mut moved: Vec<Entity> = Vec::new();
    let flow = flow.as_mut();
    for i in 0..flow.belts.len() {
        let belt = &mut flow.belts[i];
        if belt.level.is_some_and(|e| !values.contains(e)) {
            belt.level = None;
        }
        if belt.level.is_none() {
            belt.level = find_sensor(&belt.level_sensor, &sensors, &twin_ids);
        }
        let level = read(belt.level);
        flow.buffers[i].level = level;
        // Parts made since the last frame, by machine.
        for (f, id) in belt.feeders.iter().enumerate() {
            let (sensor, seen) = &mut belt.made[f];
            if sensor.is_some_and(|e| !values.contains(e)) {
                *sensor = None;
            }
            if sensor.is_none() {
                *sensor = find_sensor(&(id.clone(), made_name.clone()), &sensors, &twin_ids);
            }
            let Some(now) = read(*sensor) else { continue };
            match *seen {
                Some(last) if now > last => {
                    let n = (now - last).round().min(64.0) as usize;
                    belt.to_put.extend(std::iter::repeat_n(f, n));
                }
                // A count that went back (a restarted plant) starts the
                // accounting again.
                Some(last) if now < last => {
                    belt.taken_base = None;
                    belt.taken = 0.0;
                }
                // The first reading only sets where counting starts.
                _ => {}
            }
            *seen = Some(now);
        }
        let Some(level) = level else { continue };
        let room = (belt.frame.length / (part_size * 1.15)).floor().max(0.0);
        let on: Vec<(Entity, f32, Vec3, Quat)> = riding
            .iter()
            .filter(|(e, r, _)| **r == Riding::Buffer(i) && !moved.contains(e))
            .map(|(e, _, tf)| {
                let along = (tf.translation - belt.frame.from).dot(belt.frame.axis);
                (e, along, tf.translation, tf.rotation)
            })
            .collect();
        if !belt.filled {
            // The first reading: the parts already waiting, queued at the end.
            belt.filled = true;
            let target = level.round().clamp(0.0, f64::from(room)) as usize;
            for k in on.len()..target {
                let along = belt.frame.length - 0.02 - h - k as f32 * part_size * 1.1;
                flow.made += 1;
                commands
                    .spawn((
                        Part { serial: flow.made },
                        Riding::Buffer(i),
                        part_body(h),
                        Transform::from_translation(belt.frame.at(along, 0.0, h + 0.01))
                            .with_rotation(belt.frame.rotation),
                    ))
                    .insert(on_buffer_belt());
            }
        }
        // Taken so far by the next station: made, less what still waits.
        let made: Option<f64> = belt.made.iter().map(|(_, m)| *m).sum();
        let owed = match (made, belt.taken_base) {
            (Some(made), None) => {
                belt.taken_base = Some(made - level);
                0.0
            }
            (Some(made), Some(base)) => made - level - base - belt.taken,
            (None, _) => 0.0,
        };
        belt.owing = if owed >= 0.5 { belt.owing + 1 } else { 0 };
        let feeders: Vec<Entity> = belt
            .feeders
            .iter()
            .filter_map(|id| machine(&twins, id).map(|(e, _)| e))
            .collect();
        // Where a machine holds its part.
        let place_of = |m: Option<&Entity>| {
            m.and_then(|e| twins.get(*e).ok())
                .map(|(_, _, tf)| tf.translation() + Vec3::Y * park_height)
        };
        // Where a part put on this belt comes from: the part its machine
        // holds, or one another machine of the station holds (which took
        // it was a guess), or a new one (the first station makes them).
        let source = |f: usize, moved: &[Entity]| {
            let own = feeders.get(f).copied();
            parked
                .iter()
                .filter(|(e, p, _)| Some(p.machine) == own && !moved.contains(e))
                .min_by_key(|(_, p, _)| p.order)
                .or_else(|| {
                    parked
                        .iter()
                        .filter(|(e, p, _)| feeders.contains(&p.machine) && !moved.contains(e))
                        .min_by_key(|(_, p, _)| p.order)
                })
                .map(|(e, _, tf)| (e, tf.translation, tf.rotation))
        };
        if belt.owing >= 2 {
            belt.taken += 1.0;
            belt.owing = 0;
            let load_of = |m: Entity| load.iter().find(|(e, _)| *e == m).map_or(0, |(_, n)| *n);
            if let Some((m, at)) =
                pick_machine(&belt.takers, &mut belt.turn, &twins, &down, &load_of)
            {
                let park = at + Vec3::Y * park_height;
                // The front part on the belt; else one on its way to it;
                // else the next one made, straight from its machine.
                let front = on.iter().max_by(|a, b| a.1.total_cmp(&b.1));
                let arriving = carried
                    .iter()
                    .filter(|(e, c, _)| {
                        matches!(c.then, Then::Ride(Riding::Buffer(j)) if j == i)
                            && !moved.contains(e)
                    })
                    .max_by(|a, b| a.1.elapsed.total_cmp(&b.1.elapsed))
                    .map(|(e, _, _)| e);
                if let Some(&(part, _, at, rotation)) = front {
                    commands
                        .entity(part)
                        .remove::<Riding>()
                        .insert((lifted(), Carry::new(at, park, rotation, Then::Park(m))));
                    moved.push(part);
                } else if let Some(part) = arriving
                    && let Ok((_, mut carry, tf)) = carried.get_mut(part)
                {
                    *carry = Carry::new(tf.translation, park, tf.rotation, Then::Park(m));
                    moved.push(part);
                } else if let Some(f) = belt.to_put.pop_front() {
                    let from = place_of(feeders.get(f));
                    let part = send_made(&mut commands, &mut flow.made, source(f, &moved), from, h);
                    moved.extend(part.map(|(part, at, rotation)| {
                        commands
                            .entity(part)
                            .insert(Carry::new(at, park, rotation, Then::Park(m)));
                        part
                    }));
                }
                add_load(&mut load, m);
                flow.transfers += 1;
            }
        }
        // Parts made go onto the belt, one every 1.5 part lengths of travel.
        belt.since_feed = belt.since_feed.saturating_add(steps.0);
        let every = (1.5 * part_size / belt.speed.max(0.05) / STEP_S).ceil() as u32;
        if belt.since_feed < every {
            continue;
        }
        let Some(f) = belt.to_put.pop_front() else {
            continue;
        };
        belt.since_feed = 0;
        let landing = belt.frame.at(0.3 + h, 0.0, h + 0.05);
        let then = Then::Ride(Riding::Buffer(i));
        let from = place_of(feeders.get(f));
        let part = send_made(&mut commands, &mut flow.made, source(f, &moved), from, h);
        moved.extend(part.map(|(part, at, _)| {
            let carry = Carry::new(at, landing, belt.frame.rotation, then);
            commands.entity(part).insert(carry);
            part
        }));
        flow.transfers += 1;
    }
}

/// The part a machine finished, ready to be carried (its `Carry` still to
/// be given): the one it holds (`held`), no longer parked; else a new part
/// inside the machine at `from`. Returns the part, where it is and its
/// rotation.
fn send_made(
    commands: &mut Commands,
    made: &mut u64,
    held: Option<(Entity, Vec3, Quat)>,
    from: Option<Vec3>,
    h: f32,
) -> Option<(Entity, Vec3, Quat)> {
    if let Some((part, at, rotation)) = held {
        commands.entity(part).remove::<Parked>();
        return Some((part, at, rotation));
    }
    let from = from?;
    *made += 1;
    let part = commands
        .spawn((
            Part { serial: *made },
            part_body(h),
            Transform::from_translation(from),
        ))
        .insert(lifted())
        .id();
    Some((part, from, Quat::IDENTITY))
}

/// The next machine to get a part, in turn among those named: one that is
/// up before one that is down, the least loaded first.
fn pick_machine(
    ids: &[String],
    turn: &mut usize,
    twins: &Machines,
    down: &[Entity],
    load: &dyn Fn(Entity) -> usize,
) -> Option<(Entity, Vec3)> {
    let n = ids.len();
    let best = (0..n)
        .filter_map(|k| machine(twins, &ids[(*turn + k) % n]))
        .min_by_key(|(e, _)| (down.contains(e), load(*e)))?;
    *turn = turn.wrapping_add(1);
    Some(best)
}

/// Moves carried parts along their arc; at its end a part lands on its belt
/// (and becomes a dynamic body again) or stays in its machine.
fn carry_parts(
    mut commands: Commands,
    steps: Res<Steps>,
    mut flow: ResMut<Flow>,
    mut parts: Query<(Entity, &mut Carry, &mut Transform, &mut Velocity)>,
) {
    for (part, mut carry, mut tf, mut v) in &mut parts {
        carry.elapsed += steps.seconds();
        let s = (carry.elapsed / carry.duration).min(1.0);
        let eased = s * s * (3.0 - 2.0 * s);
        let peak = 0.4 + 0.1 * carry.from.distance(carry.to);
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
                    Riding::Outfeed => AdditionalSolverIterations(LOOSE_EXTRA_ITERATIONS),
                };
                part.remove::<ColliderDisabled>()
                    .insert((RigidBody::Dynamic, route, iterations));
            }
            Then::Park(machine) => {
                flow.parked += 1;
                part.insert(Parked {
                    machine,
                    order: flow.parked,
                });
            }
        }
    }
}

/// Belts carry what lies on them (`drive_belt` on each).
fn drive_belts(
    flow: Res<Flow>,
    steps: Res<Steps>,
    mut parts: Query<(&Transform, &mut Velocity, &Riding), Settled>,
) {
    let Some(def) = &flow.def else { return };
    let mut outfeed = Vec::new();
    let mut buffers: Vec<Vec<(Vec3, Mut<Velocity>)>> =
        (0..flow.belts.len()).map(|_| Vec::new()).collect();
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
    let belt = BeltFrame::of(def);
    let size = def.part_size;
    let outfeed_belt = (def.belt_width / 2.0, def.belt_speed);
    drive_belt(&belt, outfeed_belt, size, steps.0, false, &mut outfeed);
    for (b, mut on) in flow.belts.iter().zip(buffers) {
        drive_belt(
            &b.frame,
            (b.half_width, b.speed),
            size,
            steps.0,
            true,
            &mut on,
        );
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
    let along = |p: Vec3| (p - belt.from).dot(belt.axis);
    parts.sort_by(|a, b| along(b.0).total_cmp(&along(a.0)));
    let reach = part_size + 0.04;
    let mut ahead = if stop {
        belt.length + part_size / 2.0
    } else {
        f32::INFINITY
    };
    for (at, v) in parts.iter_mut() {
        let here = along(*at);
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
        && (0.0..part_size * 1.2).contains(&up);
    if !on_belt {
        return;
    }
    let grip = 1.0 - 0.75f32.powi(steps.min(64) as i32);
    let along_v = v.linear.dot(belt.axis);
    let side_v = v.linear.dot(belt.across);
    // Already at the belt's speed (within 1 cm/s): left alone, and not
    // marked changed, so a part at rest can fall asleep.
    if (speed - along_v).abs() < 0.01 && side_v.abs() < 0.01 {
        return;
    }
    v.linear += belt.axis * (speed - along_v) * grip - belt.across * side_v * grip;
}

fn count_at_eye(
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
fn tally(
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
            && d.y <= size.y * 3.0
        {
            in_bin += 1;
            binned.push(e);
        }
        let along = (p - belt.from).dot(belt.axis);
        if (0.0..=belt.length).contains(&along)
            && (p.y - belt.from.y) >= 0.0
            && (p.y - belt.from.y) < 0.5
        {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_frames_take_more_steps_within_bounds() {
        assert_eq!(steps_for(1.0 / 60.0), 1);
        assert_eq!(steps_for(0.001), 1);
        assert_eq!(steps_for(1.0 / 20.0), 3);
        assert_eq!(steps_for(0.5), 30);
        assert_eq!(steps_for(4.0), MAX_STEPS);
        assert_eq!(steps_for(f32::NAN), 1);
    }

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
        // Thirty steps in one frame pull nearly all the way.
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

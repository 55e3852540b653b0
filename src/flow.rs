//! Parts as rigid bodies (bevy_rapier3d): every part the line reports made
//! (its counter sensor, fed over MQTT by the process model) drops onto the
//! outfeed belt, rides it past a photo-eye that counts it, and falls into a
//! bin where parts pile up. Physics steps at a fixed 1/60 s per frame, with or
//! without a window.

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
        (build_flow, release_parts, drive_belt, count_at_eye, tally)
            .chain()
            .in_set(TwinSet::Simulate),
    );
}

/// Rapier at a fixed step of `STEP_S` per frame.
pub fn physics(app: &mut App) {
    app.add_plugins(RapierPhysicsPlugin::<NoUserData>::default())
        .insert_resource(TimestepMode::Fixed {
            dt: STEP_S,
            substeps: 1,
        });
}

/// A part on its way; `serial` orders them by release.
#[derive(Component, Debug)]
pub struct Part {
    pub serial: u64,
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
    #[serde(skip)]
    pub def: Option<FlowDef>,
    #[serde(skip)]
    counter: Option<Entity>,
    #[serde(skip)]
    last_count: Option<f64>,
    #[serde(skip)]
    since_release: u32,
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
    pub fn of(def: &FlowDef) -> BeltFrame {
        let (from, to) = (Vec3::from(def.belt_from), Vec3::from(def.belt_to));
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
    commands
        .spawn((
            FlowFixture,
            Look { half, kind },
            RigidBody::Fixed,
            Collider::cuboid(half.x, half.y, half.z),
            friction,
            Transform::from_translation(centre).with_rotation(rotation),
        ))
        .id()
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
    // The belt: a slab whose top is the belt surface, with low side rails.
    fixed_box(
        &mut commands,
        belt.at(belt.length / 2.0, 0.0, -0.05),
        belt.rotation,
        Vec3::new(belt.length / 2.0, 0.05, half_w),
        LookKind::Belt,
    );
    for side in [-1.0, 1.0] {
        fixed_box(
            &mut commands,
            belt.at(belt.length / 2.0, side * (half_w + 0.03), 0.08),
            belt.rotation,
            Vec3::new(belt.length / 2.0, 0.08, 0.03),
            LookKind::Rail,
        );
    }
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
    );
    for side in [-1.0, 1.0] {
        fixed_box(
            &mut commands,
            chute_mid + belt.across * side * (half_w + 0.03) + chute_up * 0.08,
            chute_rot,
            Vec3::new(chute_len / 2.0, 0.08, 0.03),
            LookKind::Rail,
        );
    }
    let t = 0.06;
    fixed_box(
        &mut commands,
        at - Vec3::Y * t,
        Quat::IDENTITY,
        Vec3::new(size.x / 2.0 + t, t, size.z / 2.0 + t),
        LookKind::Bin,
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
        );
    }
    flow.counter = find_counter(&flow, &sensors, &twins);
}

fn find_counter(
    flow: &Flow,
    sensors: &Query<(Entity, &Sensor, &SensorOf)>,
    twins: &Query<&Twin>,
) -> Option<Entity> {
    let def = flow.def.as_ref()?;
    let (twin, name) = &def.counter;
    sensors
        .iter()
        .find(|(_, s, of)| &s.name == name && twins.get(of.0).is_ok_and(|t| &t.id == twin))
        .map(|(e, _, _)| e)
}

/// A part's body: a dynamic box of half size `h` (used by the flow and by
/// the physics benchmark alike).
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
    )
}

/// Releases a part for every step up of the counter sensor, one every few frames.
fn release_parts(mut commands: Commands, mut flow: ResMut<Flow>, values: Query<&SensorValue>) {
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
                flow.pending += (count - last).round() as u64;
                flow.last_count = Some(count);
            }
            // A counter that went back (a restarted plant) starts again.
            Some(last) if count < last => flow.last_count = Some(count),
            Some(_) => {}
        }
    }
    flow.since_release = flow.since_release.saturating_add(1);
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
    commands.spawn((
        Part {
            serial: flow.released,
        },
        part_body(h),
        Transform::from_translation(belt.at(0.3 + h, side, h + 0.25)).with_rotation(belt.rotation),
    ));
}

/// The belt carries what lies on it: like friction, each part's speed along
/// the belt is pulled towards the belt's and its sideways drift damped.
fn drive_belt(flow: Res<Flow>, mut parts: Query<(&Transform, &mut Velocity), With<Part>>) {
    let Some(def) = &flow.def else { return };
    let belt = BeltFrame::of(def);
    let half_w = def.belt_width / 2.0;
    for (tf, mut v) in &mut parts {
        let rel = tf.translation - belt.from;
        let along = rel.dot(belt.axis);
        let side = rel.dot(belt.across);
        let up = rel.y;
        let on_belt = (0.0..=belt.length).contains(&along)
            && side.abs() <= half_w
            && (0.0..def.part_size * 1.2).contains(&up);
        if !on_belt {
            continue;
        }
        let grip = 0.25;
        let along_v = v.linear.dot(belt.axis);
        let side_v = v.linear.dot(belt.across);
        v.linear += belt.axis * (def.belt_speed - along_v) * grip - belt.across * side_v * grip;
    }
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
    parts: Query<(Entity, &Transform), With<Part>>,
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
    for (e, tf) in &parts {
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

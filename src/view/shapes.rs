//! Drawing the twins: meshes from the scene's parts, and the systems that
//! map sensor values onto them (tint, spin, lift, scale).

use std::collections::HashMap;

use bevy::prelude::*;
use bevy::world_serialization::WorldAssetRoot;

use crate::TwinSet;
use crate::scene::SceneSpawned;
use crate::scene::format::{Axis, PartDef, Prim, ShapeDef, ShowDef, parse_hex_color};
use crate::twin::{Health, Sensor, SensorValue, Sensors, Twin};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (
            // A new scene's twins are drawn, then the camera frames it.
            (draw_twins, super::stage::frame_scene).chain(),
            tint_by_value,
            move_by_value,
        )
            .in_set(TwinSet::Present),
    );
}

/// A drawn part of a twin; clicking it selects the twin.
#[derive(Component, Debug)]
pub(crate) struct PartOf(pub Entity);

/// A part that takes its twin's status colour.
#[derive(Component, Debug)]
pub(crate) struct Tinted {
    pub twin: Entity,
}

/// The sensor whose value sets a twin's colour.
#[derive(Component, Debug)]
pub(crate) struct ColorSource(pub Entity);

/// A twin's drawn extent, for the selection box and labels.
#[derive(Component, Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub center: Vec3,
    pub half: Vec3,
}

/// A sensor whose value shows as a floating label.
#[derive(Component, Debug)]
pub(crate) struct Labelled;

#[derive(Component, Debug)]
pub(crate) struct Spin {
    pub sensor: Entity,
    pub axis: Vec3,
    pub max_rps: f32,
}

#[derive(Component, Debug)]
pub(crate) struct Lift {
    pub sensor: Entity,
    pub axis: Vec3,
    pub distance: f32,
    pub base: Vec3,
}

#[derive(Component, Debug)]
pub(crate) struct Travel {
    pub sensor: Entity,
    pub axis: Vec3,
    pub length: f32,
    pub max_speed: f32,
}

#[derive(Component, Debug)]
pub(crate) struct Stretch {
    pub sensor: Entity,
    pub axis: Vec3,
    pub min: f32,
    pub max: f32,
    pub base: Vec3,
}

fn axis(a: Axis) -> Vec3 {
    match a {
        Axis::X => Vec3::X,
        Axis::Y => Vec3::Y,
        Axis::Z => Vec3::Z,
    }
}

fn mesh_of(prim: Prim) -> (Mesh, Vec3) {
    match prim {
        Prim::Cuboid { size } => (
            Cuboid::new(size[0], size[1], size[2]).into(),
            Vec3::from(size) / 2.0,
        ),
        Prim::Cylinder { radius, height } => (
            Cylinder::new(radius, height).into(),
            Vec3::new(radius, height / 2.0, radius),
        ),
        Prim::Sphere { radius } => (Sphere::new(radius).mesh().uv(24, 16), Vec3::splat(radius)),
        Prim::Capsule { radius, length } => (
            Capsule3d::new(radius, length).into(),
            Vec3::new(radius, length / 2.0 + radius, radius),
        ),
        Prim::Cone { radius, height } => (
            Cone { radius, height }.into(),
            Vec3::new(radius, height / 2.0, radius),
        ),
        Prim::Torus { minor, major } => (
            Torus::new(major - minor, major + minor).into(),
            Vec3::new(major + minor, minor, major + minor),
        ),
    }
}

fn srgb(hex: &str) -> Color {
    let [r, g, b] = parse_hex_color(hex).unwrap_or([200, 200, 200]);
    Color::srgb_u8(r, g, b)
}

/// Builds the meshes of every twin in a freshly spawned scene and attaches
/// the value effects its sensors ask for.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_twins(
    mut commands: Commands,
    mut spawned: MessageReader<SceneSpawned>,
    twins: Query<(Entity, &Twin, Option<&Sensors>)>,
    sensors: Query<&Sensor>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    server: Res<AssetServer>,
    roots: Query<Entity, With<crate::scene::SceneRoot>>,
) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    for root in &roots {
        commands.entity(root).insert(Visibility::default());
    }
    let defs: HashMap<&str, &crate::scene::format::TwinDef> =
        scene.twins.iter().map(|t| (t.id.as_str(), t)).collect();
    for (entity, twin, sensor_list) in &twins {
        let Some(def) = defs.get(&*twin.id) else {
            continue;
        };
        commands.entity(entity).insert(Visibility::default());
        if let ShapeDef::Gltf(path) = &def.shape {
            commands
                .entity(entity)
                .with_child(WorldAssetRoot(server.load(path.clone())));
            commands.entity(entity).insert(Bounds {
                center: Vec3::Y,
                half: Vec3::ONE,
            });
        }
        let part_defs = scene.parts_of(def);
        let parts = draw_parts(
            &mut commands,
            entity,
            part_defs,
            &mut meshes,
            &mut materials,
        );
        let (mut lo, mut hi) = (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN));
        for (_, _, center, half) in &parts {
            lo = lo.min(*center - *half);
            hi = hi.max(*center + *half);
        }
        if !parts.is_empty() {
            commands.entity(entity).insert(Bounds {
                center: (lo + hi) / 2.0,
                half: (hi - lo) / 2.0,
            });
        }
        // Effects move parts in their parent's frame, from where the scene put them.
        let named: HashMap<&str, (Entity, Vec3)> = parts
            .iter()
            .zip(part_defs)
            .filter_map(|((name, e, _, _), def)| name.map(|n| (n, (*e, Vec3::from(def.at)))))
            .collect();
        let sensor_entities = sensor_list.map(|l| l.entities()).unwrap_or(&[]);
        for (sensor_def, &sensor_entity) in def.sensors.iter().zip(sensor_entities) {
            if sensors
                .get(sensor_entity)
                .map(|s| *s.name != *sensor_def.name)
                .unwrap_or(true)
            {
                continue;
            }
            for show in &sensor_def.show {
                apply_show(&mut commands, entity, sensor_entity, show, &named);
            }
        }
    }
}

/// Spawns the parts as children of `twin`; returns (name, entity, centre, half extent) of each.
fn draw_parts<'a>(
    commands: &mut Commands,
    twin: Entity,
    parts: &'a [PartDef],
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) -> Vec<(Option<&'a str>, Entity, Vec3, Vec3)> {
    let mut tint_material: Option<Handle<StandardMaterial>> = None;
    let mut drawn: Vec<(Option<&'a str>, Entity, Vec3, Vec3)> = Vec::with_capacity(parts.len());
    for part in parts {
        {
            let (mesh, half) = mesh_of(part.prim);
            let [rx, ry, rz] = part.rotate_deg.map(f32::to_radians);
            let rotation = Quat::from_euler(EulerRot::XYZ, rx, ry, rz);
            let material = if part.tint {
                tint_material
                    .get_or_insert_with(|| {
                        materials.add(StandardMaterial {
                            base_color: srgb(&part.color),
                            perceptual_roughness: 0.45,
                            ..default()
                        })
                    })
                    .clone()
            } else {
                materials.add(StandardMaterial {
                    base_color: srgb(&part.color),
                    metallic: part.metallic,
                    perceptual_roughness: part.roughness,
                    ..default()
                })
            };
            let local = Vec3::from(part.at);
            // A part hung from another is placed relative to it; its extent is
            // counted at rest, as if the parent were unrotated.
            let (parent, offset) = part
                .parent
                .as_deref()
                .and_then(|p| drawn.iter().find(|d| d.0 == Some(p)))
                .map_or((twin, Vec3::ZERO), |d| (d.1, d.2));
            let mut e = commands.spawn((
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(material),
                Transform::from_translation(local).with_rotation(rotation),
                PartOf(twin),
                ChildOf(parent),
            ));
            if part.tint {
                e.insert(Tinted { twin });
            }
            drawn.push((
                part.name.as_deref(),
                e.id(),
                offset + local,
                (rotation * half).abs(),
            ));
        }
    }
    drawn
}

fn apply_show(
    commands: &mut Commands,
    twin: Entity,
    sensor: Entity,
    show: &ShowDef,
    named: &HashMap<&str, (Entity, Vec3)>,
) {
    match show {
        ShowDef::Color => {
            commands.entity(twin).insert(ColorSource(sensor));
        }
        ShowDef::Label => {
            commands.entity(sensor).insert(Labelled);
        }
        ShowDef::Spin {
            part,
            axis: a,
            max_rps,
        } => {
            if let Some((e, _)) = named.get(part.as_str()) {
                commands.entity(*e).insert(Spin {
                    sensor,
                    axis: axis(*a),
                    max_rps: *max_rps,
                });
            }
        }
        ShowDef::Lift {
            part,
            axis: a,
            distance,
        } => {
            if let Some((e, base)) = named.get(part.as_str()) {
                commands.entity(*e).insert(Lift {
                    sensor,
                    axis: axis(*a),
                    distance: *distance,
                    base: *base,
                });
            }
        }
        ShowDef::Travel {
            part,
            axis: a,
            length,
            max_speed,
        } => {
            if let Some((e, _)) = named.get(part.as_str()) {
                commands.entity(*e).insert(Travel {
                    sensor,
                    axis: axis(*a),
                    length: *length,
                    max_speed: *max_speed,
                });
            }
        }
        ShowDef::Scale {
            part,
            axis: a,
            min,
            max,
        } => {
            if let Some((e, _)) = named.get(part.as_str()) {
                commands.entity(*e).insert(Stretch {
                    sensor,
                    axis: axis(*a),
                    min: *min,
                    max: *max,
                    base: Vec3::ONE,
                });
            }
        }
    }
}

/// The colour of a value: cool blue at the bottom of the normal range,
/// green in the middle, amber at the top; orange at warn, red at alarm
/// (pulsing); grey before any data.
pub(crate) fn status_color(
    sensor: Option<(&Sensor, &SensorValue)>,
    health: Health,
    t: f32,
) -> Color {
    let fraction = sensor.and_then(|(s, v)| v.value.map(|x| s.fraction(x)));
    health_color(fraction, health, t)
}

/// A twin's colour by its health, and in health by `fraction`, its value's
/// place on the ramp (the middle when it has none).
pub(crate) fn health_color(fraction: Option<f64>, health: Health, t: f32) -> Color {
    match health {
        Health::Alarm => {
            let pulse = 0.5 + 0.5 * (t * 6.0).sin();
            Color::srgb(0.85 + 0.15 * pulse, 0.08 + 0.1 * pulse, 0.06)
        }
        Health::Warn => Color::srgb(1.0, 0.55, 0.05),
        Health::NoData => Color::srgb(0.45, 0.47, 0.5),
        Health::Normal => ramp(fraction.unwrap_or(0.5) as f32),
    }
}

/// The value ramp over the normal range (0 = its bottom, 1 = its top): cool
/// blue, green in the middle, amber at the top.
pub(crate) fn ramp(f: f32) -> Color {
    let f = f.clamp(0.0, 1.0);
    let cool = Vec3::new(0.15, 0.45, 0.95);
    let good = Vec3::new(0.15, 0.8, 0.35);
    let high = Vec3::new(0.95, 0.85, 0.2);
    let c = if f < 0.5 {
        cool.lerp(good, f * 2.0)
    } else {
        good.lerp(high, (f - 0.5) * 2.0)
    };
    Color::srgb(c.x, c.y, c.z)
}

pub(crate) fn tint_by_value(
    time: Res<Time>,
    twins: Query<(&Health, Option<&ColorSource>), With<Twin>>,
    sensors: Query<(&Sensor, &SensorValue)>,
    parts: Query<(&Tinted, &MeshMaterial3d<StandardMaterial>)>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let t = time.elapsed_secs();
    let mut done = std::collections::HashSet::new();
    for (tinted, material) in &parts {
        if !done.insert(material.0.id()) {
            continue;
        }
        let Ok((health, source)) = twins.get(tinted.twin) else {
            continue;
        };
        let sensor = source.and_then(|s| sensors.get(s.0).ok());
        let color = status_color(sensor, *health, t);
        if let Some(mut m) = materials.get_mut(&material.0)
            && m.base_color != color
        {
            {
                m.base_color = color;
                m.emissive = if *health == Health::Alarm {
                    LinearRgba::from(color) * 0.6
                } else {
                    LinearRgba::BLACK
                };
            }
        }
    }
}

fn fraction(sensors: &Query<(&Sensor, &SensorValue)>, sensor: Entity) -> f32 {
    sensors
        .get(sensor)
        .ok()
        .and_then(|(s, v)| v.value.map(|x| s.fraction(x) as f32))
        .unwrap_or(0.0)
}

#[allow(clippy::type_complexity)]
pub(crate) fn move_by_value(
    time: Res<Time>,
    sensors: Query<(&Sensor, &SensorValue)>,
    mut spins: Query<(&Spin, &mut Transform), (Without<Lift>, Without<Stretch>)>,
    mut lifts: Query<(&Lift, &mut Transform), (Without<Spin>, Without<Stretch>)>,
    mut stretches: Query<(&Stretch, &mut Transform), (Without<Spin>, Without<Lift>)>,
    mut travels: Query<(&Travel, &mut Transform), (Without<Spin>, Without<Lift>, Without<Stretch>)>,
) {
    let dt = time.delta_secs();
    for (spin, mut transform) in &mut spins {
        let rps = spin.max_rps * fraction(&sensors, spin.sensor).clamp(0.0, 1.5);
        transform.rotate_local_axis(
            Dir3::new(spin.axis).unwrap_or(Dir3::Y),
            rps * std::f32::consts::TAU * dt,
        );
    }
    for (lift, mut transform) in &mut lifts {
        let f = fraction(&sensors, lift.sensor).clamp(0.0, 1.0);
        let target = lift.base + lift.axis * lift.distance * f;
        transform.translation = transform.translation.lerp(target, (dt * 8.0).min(1.0));
    }
    for (travel, mut transform) in &mut travels {
        let speed = travel.max_speed * fraction(&sensors, travel.sensor).clamp(0.0, 1.5);
        let along = transform.translation.dot(travel.axis) + speed * dt;
        let wrapped = (along + travel.length / 2.0).rem_euclid(travel.length) - travel.length / 2.0;
        let current = transform.translation.dot(travel.axis);
        transform.translation += travel.axis * (wrapped - current);
    }
    for (stretch, mut transform) in &mut stretches {
        let f = fraction(&sensors, stretch.sensor).clamp(0.0, 1.0);
        let k = stretch.min + (stretch.max - stretch.min) * f;
        let target = stretch.base + stretch.axis * (k - 1.0);
        transform.scale = transform.scale.lerp(target, (dt * 8.0).min(1.0));
    }
}

//! The 3D viewer: the stage (camera, lights, floor), the twins drawn from
//! their parts and moved by their values, picking, the egui panels, and the
//! `--screenshot` mode.

pub mod camera;
pub mod panels;
pub mod shapes;

use std::path::PathBuf;

use bevy::picking::mesh_picking::MeshPickingPlugin;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::window::WindowResolution;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};

use crate::TwinSet;
use crate::app::{Options, add_twin, assets_dir, register_scene_source};
use crate::scene::SceneSpawned;
use camera::OrbitCamera;
use shapes::{Bounds, PartOf};

/// The twin the user picked.
#[derive(Resource, Default, Debug)]
pub struct Selected(pub Option<Entity>);

/// `--select ID[/SENSOR]`: the twin selected (and the sensor plotted) at
/// start, once it exists.
#[derive(Resource, Debug, Clone)]
pub struct InitialSelection(pub String);

/// `--screenshot FILE --frames N`: save the window after N frames, then exit.
#[derive(Resource, Debug, Clone)]
pub struct ScreenshotPlan {
    pub path: PathBuf,
    pub frames: u32,
}

pub fn plugin(app: &mut App) {
    app.add_plugins((EguiPlugin::default(), MeshPickingPlugin))
        .init_resource::<Selected>()
        .init_resource::<panels::PlotSensor>()
        .init_resource::<crate::whatif::WhatIfPanel>()
        .add_systems(
            Update,
            crate::whatif::run_requested.in_set(TwinSet::Simulate),
        )
        // Slow frames step physics more, so parts keep pace with the plant.
        .add_systems(PreUpdate, crate::flow::keep_pace)
        .init_resource::<panels::Rate>()
        .insert_resource(ClearColor(Color::srgb(0.055, 0.062, 0.075)))
        .add_systems(Startup, stage)
        .add_systems(
            Update,
            (
                (shapes::draw_twins, frame_scene).chain(),
                shapes::tint_by_value,
                shapes::move_by_value,
                camera::orbit,
                (select_initial, outline_selected).chain(),
                alarm_rings,
                dress_flow,
                photo_eye_beam,
                panels::measure_rate,
                take_screenshot,
            )
                .in_set(TwinSet::Present),
        )
        .add_systems(
            EguiPrimaryContextPass,
            (
                panels::panels,
                panels::plot_panel,
                panels::alarm_panel,
                panels::replay_panel,
                panels::what_if_panel,
            ),
        )
        .add_observer(select_on_click);
}

/// The viewer app: a window, the twin, and this plugin.
pub fn viewer_app(opts: &Options, screenshot: Option<ScreenshotPlan>) -> App {
    let mut app = App::new();
    let scene_asset = register_scene_source(&mut app, &opts.scene);
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: "twinscape".into(),
                    resolution: WindowResolution::new(1280, 720),
                    ..default()
                }),
                ..default()
            })
            .set(AssetPlugin { file_path: assets_dir(), ..default() })
            .set(bevy::log::LogPlugin {
                filter: "info,wgpu=error,naga=warn,rumqttd=off,rumqttc=warn,bevy_render=warn,bevy_egui=warn"
                    .into(),
                ..default()
            }),
    );
    add_twin(&mut app, opts, scene_asset);
    app.add_plugins(plugin);
    if let Some(plan) = screenshot {
        app.insert_resource(plan);
    }
    app
}

fn stage(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let orbit = OrbitCamera {
        focus: Vec3::ZERO,
        distance: 40.0,
        yaw: 0.6,
        pitch: 0.6,
    };
    commands.spawn((Camera3d::default(), orbit.transform(), orbit, Msaa::Sample4));
    commands.insert_resource(GlobalAmbientLight {
        color: Color::srgb(0.75, 0.8, 1.0),
        brightness: 350.0,
        ..default()
    });
    commands.spawn((
        DirectionalLight {
            illuminance: 9_000.0,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_xyz(-20.0, 40.0, 25.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    // The hall floor and its painted walkways.
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(160.0, 160.0))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(0.17, 0.18, 0.2),
            perceptual_roughness: 0.9,
            ..default()
        })),
        Transform::from_xyz(0.0, -0.01, 0.0),
    ));
    let paint = materials.add(StandardMaterial {
        base_color: Color::srgb(0.85, 0.7, 0.1),
        perceptual_roughness: 0.7,
        ..default()
    });
    let stripe = meshes.add(Cuboid::new(70.0, 0.02, 0.18));
    for z in [-6.0, 6.0] {
        commands.spawn((
            Mesh3d(stripe.clone()),
            MeshMaterial3d(paint.clone()),
            Transform::from_xyz(0.0, 0.0, z),
        ));
    }
}

/// Points the camera at the scene's own view, or at its twins' centre.
fn frame_scene(mut spawned: MessageReader<SceneSpawned>, mut cameras: Query<&mut OrbitCamera>) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    let Some(def) = &scene.camera else { return };
    for mut orbit in &mut cameras {
        orbit.focus = Vec3::from(def.focus);
        orbit.distance = def.distance;
        orbit.yaw = def.yaw_deg.to_radians();
        orbit.pitch = def.pitch_deg.to_radians();
    }
}

fn select_initial(
    mut commands: Commands,
    initial: Option<Res<InitialSelection>>,
    twins: Query<(Entity, &crate::twin::Twin, Option<&crate::twin::Sensors>), With<Bounds>>,
    sensors: Query<&crate::twin::Sensor>,
    mut selected: ResMut<Selected>,
    mut plot: ResMut<panels::PlotSensor>,
) {
    let Some(initial) = initial else { return };
    let (id, sensor) = initial.0.split_once('/').unwrap_or((&initial.0, ""));
    if let Some((entity, _, list)) = twins.iter().find(|(_, t, _)| t.id == id) {
        selected.0 = Some(entity);
        plot.0 = list.and_then(|l| {
            l.entities()
                .iter()
                .copied()
                .find(|&e| sensors.get(e).is_ok_and(|s| s.name == sensor))
        });
        commands.remove_resource::<InitialSelection>();
    }
}

fn select_on_click(
    click: On<Pointer<Click>>,
    parts: Query<&PartOf>,
    mut selected: ResMut<Selected>,
) {
    if click.button != PointerButton::Primary {
        return;
    }
    if let Ok(part) = parts.get(click.entity) {
        selected.0 = Some(part.0);
    }
}

fn outline_selected(
    selected: Res<Selected>,
    twins: Query<(&GlobalTransform, &Bounds)>,
    mut gizmos: Gizmos,
) {
    let Some((tf, b)) = selected.0.and_then(|e| twins.get(e).ok()) else {
        return;
    };
    let (scale, rotation, translation) = tf.to_scale_rotation_translation();
    let center = translation + rotation * (b.center * scale);
    let size = (b.half * 2.0 + Vec3::splat(0.3)) * scale;
    gizmos.cube(
        Transform::from_translation(center)
            .with_rotation(rotation)
            .with_scale(size),
        Color::srgb(0.3, 0.85, 1.0),
    );
}

/// A ring on the floor around every machine in warning (steady) or alarm
/// (pulsing, twice a second), so a problem shows from any camera angle.
fn alarm_rings(
    time: Res<Time<Real>>,
    twins: Query<(&GlobalTransform, &Bounds, &crate::twin::Health), With<crate::twin::Twin>>,
    mut gizmos: Gizmos,
) {
    use crate::twin::Health;
    let pulse = 0.5 + 0.5 * (time.elapsed_secs() * std::f32::consts::TAU * 2.0).sin();
    for (tf, b, health) in &twins {
        let (colour, grow) = match health {
            Health::Alarm => (Color::srgb(1.0, 0.15, 0.1), pulse),
            Health::Warn => (Color::srgb(1.0, 0.55, 0.05), 0.0),
            _ => continue,
        };
        let scale = tf.scale();
        let radius = b.half.x.max(b.half.z) * scale.x.max(scale.z) + 0.5 + 0.6 * grow;
        let centre = tf.transform_point(b.center);
        let iso = Isometry3d::new(
            Vec3::new(centre.x, 0.05, centre.z),
            Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
        );
        gizmos.circle(iso, radius, colour);
        gizmos.circle(iso, radius + 0.12, colour);
    }
}

/// Meshes for the flow's bodies as they appear: belt, rails, chute, bin, parts.
fn dress_flow(
    mut commands: Commands,
    added: Query<(Entity, &crate::flow::Look), Added<crate::flow::Look>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut palette: Local<Vec<(crate::flow::LookKind, Handle<StandardMaterial>)>>,
) {
    use crate::flow::LookKind;
    for (entity, look) in &added {
        let material = match palette.iter().find(|(k, _)| *k == look.kind) {
            Some((_, m)) => m.clone(),
            None => {
                let (colour, metallic, roughness) = match look.kind {
                    LookKind::Belt => (Color::srgb(0.13, 0.14, 0.16), 0.0, 0.95),
                    LookKind::Rail | LookKind::Chute => (Color::srgb(0.62, 0.66, 0.71), 0.8, 0.35),
                    LookKind::Bin => (Color::srgb(0.16, 0.42, 0.75), 0.1, 0.6),
                    LookKind::Part => (Color::srgb(0.78, 0.6, 0.38), 0.0, 0.85),
                };
                let m = materials.add(StandardMaterial {
                    base_color: colour,
                    metallic,
                    perceptual_roughness: roughness,
                    ..default()
                });
                palette.push((look.kind, m.clone()));
                m
            }
        };
        commands.entity(entity).insert((
            Mesh3d(meshes.add(Cuboid::from_size(look.half * 2.0))),
            MeshMaterial3d(material),
        ));
    }
}

/// The photo-eye's beam across the belt: red, green for a moment after it counts.
fn photo_eye_beam(
    eyes: Query<&GlobalTransform, With<crate::flow::PhotoEye>>,
    flow: Res<crate::flow::Flow>,
    time: Res<Time<Real>>,
    mut last: Local<(u64, f64)>,
    mut gizmos: Gizmos,
) {
    let Some(def) = &flow.def else { return };
    let now = time.elapsed_secs_f64();
    if flow.counted != last.0 {
        *last = (flow.counted, now);
    }
    let colour = if now - last.1 < 0.3 {
        Color::srgb(0.2, 1.0, 0.3)
    } else {
        Color::srgb(1.0, 0.1, 0.1)
    };
    for tf in &eyes {
        let half = def.belt_width / 2.0 + 0.1;
        let across = tf.rotation() * Vec3::Z * half;
        gizmos.line(tf.translation() - across, tf.translation() + across, colour);
        for end in [-1.0, 1.0] {
            let post = tf.translation() + across * end;
            gizmos.line(
                post - Vec3::Y * 0.3,
                post + Vec3::Y * 0.1,
                Color::srgb(0.3, 0.3, 0.35),
            );
        }
    }
}

fn take_screenshot(
    mut commands: Commands,
    plan: Option<Res<ScreenshotPlan>>,
    mut frame: Local<u32>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(plan) = plan else { return };
    *frame += 1;
    if *frame == plan.frames {
        info!("saving screenshot to {}", plan.path.display());
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(plan.path.clone()));
    }
    // The file appears a few frames after the request; wait for it, but not forever.
    if *frame > plan.frames && (plan.path.exists() || *frame > plan.frames + 120) {
        if !plan.path.exists() {
            error!("the screenshot {} was not written", plan.path.display());
            exit.write(AppExit::from_code(1));
        } else {
            exit.write(AppExit::Success);
        }
    }
}

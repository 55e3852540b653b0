//! The stage the twins stand on: the clear colour, the camera at its start
//! pose, the lights, the hall floor with its painted walkways, and pointing
//! the camera at the scene's own view once a scene is spawned.

use bevy::prelude::*;

use super::camera::OrbitCamera;
use crate::scene::SceneSpawned;

/// The dark blue-grey behind everything.
const CLEAR_COLOUR: Color = Color::srgb(0.055, 0.062, 0.075);
/// Where the camera starts, before a scene says otherwise: 40 m out, yaw
/// and pitch in radians.
const START_VIEW: OrbitCamera = OrbitCamera {
    focus: Vec3::ZERO,
    distance: 40.0,
    yaw: 0.6,
    pitch: 0.6,
};
/// The sun, in lux, and the sky's fill light (cd/m², bluish).
const SUN_LUX: f32 = 9_000.0;
/// egui draws from a camera of its own, after the scene's (0) and the
/// editor gizmo's overlay (1), so the windows stay on top of the gizmo. It
/// draws on a texture of its own, cleared transparent each frame (else
/// every frame's labels pile up on it), which is then blended over the
/// window with egui's premultiplied alpha.
const EGUI_CAMERA_ORDER: isize = 2;
const AMBIENT_BRIGHTNESS: f32 = 350.0;
/// The floor's side, in metres.
const FLOOR_SIZE_M: f32 = 160.0;
/// The two painted walkway lines: length and width in metres, and where
/// they run (z, metres).
const STRIPE_LENGTH_M: f32 = 70.0;
const STRIPE_WIDTH_M: f32 = 0.18;
const STRIPES_AT_Z_M: [f32; 2] = [-6.0, 6.0];

/// Bevy's default tonemapper reads lookup tables (the `luts` feature, about
/// 0.7 MB); without them, one that needs none.
#[cfg(feature = "luts")]
const TONEMAPPING: bevy::core_pipeline::tonemapping::Tonemapping =
    bevy::core_pipeline::tonemapping::Tonemapping::TonyMcMapface;
#[cfg(not(feature = "luts"))]
const TONEMAPPING: bevy::core_pipeline::tonemapping::Tonemapping =
    bevy::core_pipeline::tonemapping::Tonemapping::AcesFitted;

/// egui's camera: as before where the tables exist; without them none (a
/// 2D camera's default, TonyMcMapface, would run on a missing table).
#[cfg(feature = "luts")]
const EGUI_TONEMAPPING: bevy::core_pipeline::tonemapping::Tonemapping =
    bevy::core_pipeline::tonemapping::Tonemapping::TonyMcMapface;
#[cfg(not(feature = "luts"))]
const EGUI_TONEMAPPING: bevy::core_pipeline::tonemapping::Tonemapping =
    bevy::core_pipeline::tonemapping::Tonemapping::None;

pub(crate) fn plugin(app: &mut App) {
    // `frame_scene` runs right after the twins are drawn: the shapes' plugin
    // registers the two together.
    app.insert_resource(ClearColor(CLEAR_COLOUR))
        .add_systems(Startup, stage);
    #[cfg(not(feature = "luts"))]
    app.add_systems(PostUpdate, tonemap_every_camera);
}

/// Without the lookup tables, a 3D camera spawned by someone else (the
/// transform gizmo's overlay camera) gets the tonemapper that needs none
/// instead of Bevy's default, which would run on a missing table.
#[cfg(not(feature = "luts"))]
fn tonemap_every_camera(
    mut added: Query<&mut bevy::core_pipeline::tonemapping::Tonemapping, Added<Camera3d>>,
) {
    for mut tonemapping in &mut added {
        if *tonemapping != TONEMAPPING {
            *tonemapping = TONEMAPPING;
        }
    }
}

/// The factory hall's floor and walkway paint: hidden under a city.
#[derive(Component, Debug)]
pub(crate) struct HallFloor;

fn stage(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let orbit = START_VIEW;
    commands.spawn((
        Camera3d::default(),
        orbit.transform(),
        orbit,
        // The editor's gizmo projects through this camera, not the others.
        bevy::gizmos::transform_gizmo::TransformGizmoCamera,
        Msaa::Sample4,
        TONEMAPPING,
    ));
    commands.spawn((
        Camera2d,
        Camera {
            order: EGUI_CAMERA_ORDER,
            clear_color: ClearColorConfig::Custom(Color::NONE),
            output_mode: bevy::camera::CameraOutputMode::Write {
                blend_state: Some(
                    bevy::render::render_resource::BlendState::PREMULTIPLIED_ALPHA_BLENDING,
                ),
                clear_color: ClearColorConfig::None,
            },
            ..default()
        },
        Msaa::Off,
        EGUI_TONEMAPPING,
        // It draws egui only: no twin is in its (empty) set of layers.
        bevy::camera::visibility::RenderLayers::none(),
        bevy_egui::PrimaryEguiContext,
    ));
    commands.insert_resource(GlobalAmbientLight {
        color: Color::srgb(0.75, 0.8, 1.0),
        brightness: AMBIENT_BRIGHTNESS,
        ..default()
    });
    commands.spawn((
        DirectionalLight {
            illuminance: SUN_LUX,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_xyz(-20.0, 40.0, 25.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    // The hall floor and its painted walkways.
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(FLOOR_SIZE_M, FLOOR_SIZE_M))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(0.17, 0.18, 0.2),
            perceptual_roughness: 0.9,
            ..default()
        })),
        Transform::from_xyz(0.0, -0.01, 0.0),
        HallFloor,
    ));
    let paint = materials.add(StandardMaterial {
        base_color: Color::srgb(0.85, 0.7, 0.1),
        perceptual_roughness: 0.7,
        ..default()
    });
    let stripe = meshes.add(Cuboid::new(STRIPE_LENGTH_M, 0.02, STRIPE_WIDTH_M));
    for z in STRIPES_AT_Z_M {
        commands.spawn((
            Mesh3d(stripe.clone()),
            MeshMaterial3d(paint.clone()),
            Transform::from_xyz(0.0, 0.0, z),
            HallFloor,
        ));
    }
}

/// Points the camera at the scene's own view, or at its twins' centre.
pub(super) fn frame_scene(
    mut spawned: MessageReader<SceneSpawned>,
    mut cameras: Query<&mut OrbitCamera>,
) {
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

//! The city drawn: each building of the scene's map extruded to its height
//! and each street a ribbon as wide as its lanes, packed many to a mesh
//! (`city::batch`) and coloured per block through the palette
//! (`city_palette`), so the draws do not grow with the blocks; a ground
//! under the map; the camera's far plane and the hall floor set for a
//! scene kilometres wide. The solids come from the pure `city::mesh`.

use std::collections::HashMap;

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

use std::sync::Arc;

use super::city_palette::{CityMaterial, CityPalette, CitySlot, FloorArea, Rebuild};
use super::shapes::{Bounds, ColorSource};
use super::stage::HallFloor;
use crate::TwinSet;
use crate::city::asset::CityFile;
use crate::city::mesh::{Solid, building, street};
use crate::city::{batch, intensity};
use crate::scene::format::{BUILDING_KIND, STREET_KIND, SceneKind};
use crate::scene::{CityMap, SceneRoot, SceneSpawned};
use crate::twin::{Sensor, Sensors, Twin};

/// The palette's colour before its first painting (the same frame).
const BUILDING_COLOUR: Color = Color::srgb(0.78, 0.8, 0.83);
/// The ground under a city and how far it reaches past the map, metres.
const GROUND_COLOUR: Color = Color::srgb(0.16, 0.19, 0.18);
const GROUND_MARGIN_M: f32 = 400.0;
/// The camera's far plane over a city, metres: the whole map from any
/// zoom the orbit camera allows.
const CITY_FAR_M: f32 = 20_000.0;
/// The far plane elsewhere (Bevy's default), metres.
const HALL_FAR_M: f32 = 1_000.0;

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<CityMetric>().add_systems(
        Update,
        (draw_city, recolour.run_if(resource_changed::<CityMetric>))
            .chain()
            .after(super::shapes::draw_twins)
            .in_set(TwinSet::Present),
    );
}

/// The sensor (by name) whose value colours every building, and every
/// street: the city window's picker sets it.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub(crate) struct CityMetric {
    pub building: Option<String>,
    pub street: Option<String>,
    /// Buildings by their value per m² of floor (`city::intensity`).
    pub building_per_m2: bool,
}

/// Points each building's and street's colour at the picked sensor.
fn recolour(
    mut commands: Commands,
    metric: Res<CityMetric>,
    twins: Query<(Entity, &Twin, &Sensors)>,
    sensors: Query<&Sensor>,
) {
    for (entity, twin, list) in &twins {
        let wanted = match &*twin.kind {
            BUILDING_KIND => metric.building.as_deref(),
            STREET_KIND => metric.street.as_deref(),
            _ => None,
        };
        let Some(wanted) = wanted else { continue };
        let found = list
            .entities()
            .iter()
            .find(|&&s| sensors.get(s).is_ok_and(|s| &*s.name == wanted));
        if let Some(&sensor) = found {
            commands.entity(entity).insert(ColorSource(sensor));
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_city(
    mut commands: Commands,
    mut spawned: MessageReader<SceneSpawned>,
    map: Option<Res<CityMap>>,
    twins: Query<(Entity, &Twin, &Transform)>,
    roots: Query<Entity, With<SceneRoot>>,
    mut floors: Query<&mut Visibility, With<HallFloor>>,
    mut cameras: Query<&mut Projection, With<Camera3d>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut city_materials: ResMut<Assets<CityMaterial>>,
    mut images: ResMut<Assets<Image>>,
    mut metric: ResMut<CityMetric>,
) {
    let Some(SceneSpawned { scene }) = spawned.read().last() else {
        return;
    };
    let city = scene.kind == SceneKind::City || scene.city.is_some();
    for mut v in &mut floors {
        *v = if city {
            Visibility::Hidden
        } else {
            Visibility::Inherited
        };
    }
    for mut projection in &mut cameras {
        if let Projection::Perspective(p) = &mut *projection {
            p.far = if city { CITY_FAR_M } else { HALL_FAR_M };
        }
    }
    let Some((city_map, map)) = map.and_then(|m| m.map.clone().map(|map| (m, map))) else {
        commands.remove_resource::<CityPalette>();
        return;
    };
    if let Some(def) = &city_map.city {
        // The metric each kind is coloured by: the first sensor shown in
        // colour, else the first.
        let pick = |sensors: &[crate::scene::format::SensorDef]| {
            sensors
                .iter()
                .find(|s| {
                    s.show
                        .iter()
                        .any(|e| matches!(e, crate::scene::format::ShowDef::Color))
                })
                .or(sensors.first())
                .map(|s| s.name.clone())
        };
        *metric = CityMetric {
            building: pick(&def.buildings),
            street: pick(&def.streets),
            building_per_m2: false,
        };
    }
    let (solids, slots, floors) = blocks(&map, &twins);
    let mut palette = CityPalette::new(
        solids.len(),
        BUILDING_COLOUR,
        &mut images,
        &mut city_materials,
    );
    for (slot, (entity, solid)) in solids.iter().enumerate() {
        let (lo, hi) = solid.extent();
        let (lo, hi) = (Vec3::from(lo), Vec3::from(hi));
        let origin = twins
            .get(*entity)
            .map_or(Vec3::ZERO, |(_, _, t)| t.translation);
        commands.entity(*entity).insert((
            Bounds {
                center: (lo + hi) / 2.0 - origin,
                half: (hi - lo) / 2.0,
            },
            CitySlot(slot as u32),
        ));
        if let Some(f) = floors[slot] {
            commands.entity(*entity).insert(FloorArea(f));
        }
    }
    palette.median_floor_m2 = intensity::median(floors.iter().flatten().copied());
    let chunks = batch::pack(
        solids
            .iter()
            .enumerate()
            .map(|(i, (_, solid))| (i as u32, solid)),
        batch::CHUNK_VERTICES,
    );
    palette.solids = slots;
    for root in &roots {
        for chunk in &chunks {
            commands.spawn((
                Mesh3d(meshes.add(chunk_mesh(chunk))),
                MeshMaterial3d(palette.material.clone()),
                Transform::default(),
                Pickable::IGNORE,
                ChildOf(root),
            ));
        }
    }
    info!("city: {} blocks in {} meshes", solids.len(), chunks.len());
    commands.insert_resource(palette);
    let [x0, y0] = map.head.bounds.min;
    let [x1, y1] = map.head.bounds.max;
    let size = Vec2::new((x1 - x0) as f32, (y1 - y0) as f32) + 2.0 * GROUND_MARGIN_M;
    let centre = Vec3::new((x0 + x1) as f32 / 2.0, -0.05, -(y0 + y1) as f32 / 2.0);
    for root in &roots {
        commands.spawn((
            Mesh3d(meshes.add(Plane3d::default().mesh().size(size.x, size.y))),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: GROUND_COLOUR,
                perceptual_roughness: 0.95,
                ..default()
            })),
            Transform::from_translation(centre),
            ChildOf(root),
        ));
    }
}

/// Every building's and street's solid in scene coordinates, with its twin,
/// in slot order; and for each slot a way to build its solid again (for a
/// click) and, for a building, its floor area (m²).
#[allow(clippy::type_complexity)]
fn blocks(
    map: &Arc<CityFile>,
    twins: &Query<(Entity, &Twin, &Transform)>,
) -> (Vec<(Entity, Solid)>, Vec<Rebuild>, Vec<Option<f64>>) {
    let buildings: HashMap<&str, usize> = map
        .buildings
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id.as_str(), i))
        .collect();
    let streets: HashMap<&str, usize> = map
        .streets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut solids = vec![];
    let mut again: Vec<Rebuild> = vec![];
    let mut floors = vec![];
    for (entity, twin, _) in twins {
        let id = &*twin.id;
        let m = map.clone();
        let (solid, rebuild, floor): (Solid, Rebuild, _) = if let Some(&i) = buildings.get(id) {
            let b = &map.buildings[i];
            let floor = intensity::floor_area_m2(b.area_m2, b.height_m);
            let rebuild = move || building(&m.buildings[i], [0.0; 3]);
            (rebuild(), Box::new(rebuild), Some(floor))
        } else if let Some(&i) = streets.get(id) {
            let rebuild = move || street(&m.streets[i], [0.0; 3]);
            (rebuild(), Box::new(rebuild), None)
        } else {
            continue;
        };
        if solid.indices.is_empty() {
            continue;
        }
        solids.push((entity, solid));
        again.push(rebuild);
        floors.push(floor);
    }
    (solids, again, floors)
}

/// A chunk of blocks as a mesh: each vertex's first UV is its block's slot.
fn chunk_mesh(chunk: &batch::Chunk) -> Mesh {
    let slots: Vec<[f32; 2]> = chunk.slots.iter().map(|&s| [s as f32, 0.0]).collect();
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, chunk.positions.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, chunk.normals.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, slots)
    .with_inserted_indices(Indices::U32(chunk.indices.clone()))
}

//! The city's colours: every building and street has a slot in a palette
//! texture, and the city's few big meshes (`city::batch`) read their
//! blocks' colours from it in the `city_blocks` shader. Painting a frame
//! writes the texels of the blocks whose value, health or metric changed
//! (and of alarming ones, which pulse) and uploads the palette once;
//! nothing per block reaches the render world. A click on the map picks the
//! block under the pointer by its box and then its own triangles.

use bevy::asset::RenderAssetUsages;
use bevy::pbr::{ExtendedMaterial, MaterialExtension, MaterialPlugin};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, Extent3d, TextureDimension, TextureFormat};
use bevy::shader::ShaderRef;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::camera::OrbitCamera;
use super::selection::Selected;
use super::shapes::{Bounds, ColorSource, health_color};
use crate::TwinSet;
use crate::city::batch::{self, PALETTE_WIDTH};
use crate::city::intensity;
use crate::city::mesh::Solid;
use crate::twin::{Health, Sensor, SensorValue};

/// The shader, built into the binary (the page has it too).
const SHADER: &str = "embedded://twinscape/view/shaders/city_blocks.wgsl";
/// A press and release closer than this (pixels) is a click, not a drag.
const CLICK_SLOP_PX: f32 = 5.0;

/// The city's material: the standard one, coloured per block.
pub(crate) type CityMaterial = ExtendedMaterial<StandardMaterial, CityColours>;

/// The palette the city's meshes read their blocks' colours from.
#[derive(Asset, AsBindGroup, TypePath, Debug, Clone)]
pub(crate) struct CityColours {
    #[texture(100)]
    pub(crate) palette: Handle<Image>,
}

impl MaterialExtension for CityColours {
    fn fragment_shader() -> ShaderRef {
        SHADER.into()
    }
}

pub(crate) fn plugin(app: &mut App) {
    bevy::asset::embedded_asset!(app, "shaders/city_blocks.wgsl");
    app.add_plugins(MaterialPlugin::<CityMaterial>::default())
        .add_systems(
            Update,
            (paint, pick)
                .after(super::city::draw_city)
                .in_set(TwinSet::Present),
        );
}

/// Builds one block's solid again (for a click).
pub(crate) type Rebuild = Box<dyn Fn() -> Solid + Send + Sync>;

/// A city block's slot, health and colouring sensor, as painting reads them.
type Block<'a> = (
    &'a CitySlot,
    Ref<'a, Health>,
    Option<Ref<'a, ColorSource>>,
    Option<&'a FloorArea>,
);

/// A building's floor area, m² (`city::intensity`): what its value is
/// divided by when the city is coloured per m².
#[derive(Component, Debug, Clone, Copy)]
pub(crate) struct FloorArea(pub(crate) f64);

/// A city twin's place in the palette.
#[derive(Component, Debug, Clone, Copy)]
pub struct CitySlot(pub(crate) u32);

/// The palette of the city on screen, and what a click needs to find a
/// block's triangles.
#[derive(Resource)]
pub struct CityPalette {
    pub(crate) image: Handle<Image>,
    pub(crate) material: Handle<CityMaterial>,
    /// The colours as last written, a texel a slot.
    texels: Vec<[u8; 4]>,
    /// Paint every slot next frame (a new city, a new metric).
    pub(crate) repaint: bool,
    /// Each slot's solid, rebuilt on demand to test a click against.
    pub(crate) solids: Vec<Rebuild>,
    /// The median floor area of the city's buildings, m².
    pub(crate) median_floor_m2: Option<f64>,
}

impl CityPalette {
    /// The colour the block in `slot` is drawn in now (as last painted).
    pub fn colour(&self, slot: &CitySlot) -> Option<Srgba> {
        let [r, g, b, _] = *self.texels.get(slot.0 as usize)?;
        Some(Srgba::rgb_u8(r, g, b))
    }

    /// A palette of `slots` slots in `colour`, and the material reading it.
    pub(crate) fn new(
        slots: usize,
        colour: Color,
        images: &mut Assets<Image>,
        materials: &mut Assets<CityMaterial>,
    ) -> CityPalette {
        let c = colour.to_srgba();
        let texel = batch::texel([c.red, c.green, c.blue], false);
        let image = images.add(Image::new_fill(
            Extent3d {
                width: PALETTE_WIDTH,
                height: batch::palette_rows(slots),
                depth_or_array_layers: 1,
            },
            TextureDimension::D2,
            &texel,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::default(),
        ));
        let material = materials.add(ExtendedMaterial {
            base: StandardMaterial {
                perceptual_roughness: 0.8,
                double_sided: true,
                cull_mode: None,
                ..default()
            },
            extension: CityColours {
                palette: image.clone(),
            },
        });
        CityPalette {
            image,
            material,
            texels: vec![texel; slots],
            repaint: true,
            solids: vec![],
            median_floor_m2: None,
        }
    }
}

/// Writes the colour of every block that changed into the palette.
fn paint(
    time: Res<Time>,
    palette: Option<ResMut<CityPalette>>,
    blocks: Query<Block>,
    sensors: Query<(&Sensor, Ref<SensorValue>)>,
    metric: Res<super::city::CityMetric>,
    mut images: ResMut<Assets<Image>>,
    mut materials: ResMut<Assets<CityMaterial>>,
) {
    let Some(mut palette) = palette else { return };
    let t = time.elapsed_secs();
    // Per m² ticked or unticked: every building's colour changes.
    let all = std::mem::take(&mut palette.repaint) || metric.is_changed();
    let mut changed = false;
    let median = palette.median_floor_m2.filter(|_| metric.building_per_m2);
    for (slot, health, source, floor) in &blocks {
        let sensor = source.as_ref().and_then(|s| sensors.get(s.0).ok());
        let due = all
            || health.is_changed()
            || *health == Health::Alarm
            || source.as_ref().is_some_and(Ref::is_changed)
            || sensor.as_ref().is_some_and(|(_, v)| v.is_changed());
        if !due {
            continue;
        }
        // Per m²: the value as if the building had the median floor area.
        let scale = median
            .zip(floor)
            .map_or(1.0, |(m, f)| intensity::per_m2_scale(f.0, m));
        let fraction = sensor
            .as_ref()
            .and_then(|(s, v)| v.value.map(|x| s.fraction(x * scale)));
        let colour = health_color(fraction, *health, t);
        let c = colour.to_srgba();
        let texel = batch::texel([c.red, c.green, c.blue], *health == Health::Alarm);
        if let Some(old) = palette.texels.get_mut(slot.0 as usize)
            && *old != texel
        {
            *old = texel;
            changed = true;
        }
    }
    if !changed {
        return;
    }
    if let Some(mut image) = images.get_mut(&palette.image) {
        let size = image.texture_descriptor.size;
        let full = size.width as usize * size.height as usize * 4;
        let bytes = image.data.get_or_insert_with(Vec::new);
        bytes.clear();
        bytes.extend(palette.texels.iter().flatten());
        bytes.resize(full, 0);
    }
    // The material's bind group names the palette's texture: rebuilt with
    // the new one.
    materials.get_mut(&palette.material);
}

/// A left click (not a drag, not on a window) on the map selects the block
/// under the pointer.
#[allow(clippy::too_many_arguments)]
fn pick(
    buttons: Res<ButtonInput<MouseButton>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
    egui: Option<Res<EguiWantsInput>>,
    palette: Option<Res<CityPalette>>,
    blocks: Query<(Entity, &CitySlot, &GlobalTransform, &Bounds)>,
    mut selected: ResMut<Selected>,
    mut pressed_at: Local<Option<Vec2>>,
) {
    let Some(palette) = palette else { return };
    let cursor = windows.single().ok().and_then(Window::cursor_position);
    if buttons.just_pressed(MouseButton::Left) {
        let over_ui = egui.is_some_and(|e| e.wants_any_pointer_input());
        *pressed_at = if over_ui { None } else { cursor };
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(from), Some(to)) = (pressed_at.take(), cursor) else {
        return;
    };
    // A drag, or a click the picking already gave to a twin's part (an
    // air-quality column over the blocks).
    if from.distance(to) > CLICK_SLOP_PX || selected.is_changed() {
        return;
    }
    let Some(ray) = cameras
        .iter()
        .find_map(|(camera, at)| camera.viewport_to_world(at, to).ok())
    else {
        return;
    };
    let (origin, dir) = (ray.origin.to_array(), ray.direction.as_vec3().to_array());
    let mut boxes: Vec<(f32, Entity, u32)> = blocks
        .iter()
        .filter_map(|(e, slot, at, b)| {
            let centre = at.translation() + b.center;
            let lo = (centre - b.half).to_array();
            let hi = (centre + b.half).to_array();
            batch::ray_box(origin, dir, lo, hi).map(|d| (d, e, slot.0))
        })
        .collect();
    boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f32, Entity)> = None;
    for (entry, entity, slot) in boxes {
        if best.is_some_and(|(d, _)| d < entry) {
            break;
        }
        let Some(solid) = palette.solids.get(slot as usize).map(|f| f()) else {
            continue;
        };
        if let Some(d) = batch::ray_solid(origin, dir, &solid)
            && best.is_none_or(|(b, _)| d < b)
        {
            best = Some((d, entity));
        }
    }
    if let Some((_, entity)) = best {
        selected.0 = Some(entity);
    }
}

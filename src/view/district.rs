//! Districts: Shift + left drag on the map marks a rectangle of ground,
//! and the District window shows the blocks whose centres lie in it:
//! how many of each kind, how many in warning and in alarm, and each
//! sensor's total, mean and range over those that report (the pure
//! `city::district`). The figures follow the live values, worked out
//! again every `REFRESH_S`.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::camera::OrbitCamera;
use super::city_palette::CitySlot;
use crate::TwinSet;
use crate::city::district::{Area, Figures};
use crate::twin::{Health, Sensor, SensorValue, Sensors, Twin};

/// How often a district's figures are worked out again, seconds.
const REFRESH_S: f32 = 0.5;
/// The rectangle's colour, and how high over the ground it is drawn (m).
const AREA_COLOUR: Color = Color::srgb(0.3, 0.85, 1.0);
/// The colour of the scene's own districts (`city: (districts: ..)`).
const SCENE_DISTRICT_COLOUR: Color = Color::srgb(1.0, 0.7, 0.2);
const AREA_LIFT_M: f32 = 1.0;
/// A drag shorter than this on either side (m) marks no district.
const MIN_SIDE_M: f32 = 1.0;

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<District>().add_systems(
        Update,
        (mark, work_out, draw)
            .chain()
            .after(super::city::draw_city)
            .in_set(TwinSet::Present),
    );
}

/// The district on the map, if any, and its figures.
#[derive(Resource, Default, Debug)]
pub struct District {
    pub(crate) area: Option<Area>,
    /// Where a Shift + drag began (ground, x and z) and where it is now.
    drag: Option<([f32; 2], [f32; 2])>,
    pub(crate) figures: Option<Figures>,
    /// Seconds since the figures were worked out; none: at once.
    since: Option<f32>,
}

impl District {
    /// Forgets the district (the window's Clear).
    pub(crate) fn clear(&mut self) {
        *self = District::default();
    }

    /// The district's corners on the ground (x, z), once marked.
    pub fn corners(&self) -> Option<([f32; 2], [f32; 2])> {
        self.area.map(|a| (a.a, a.b))
    }

    /// Whether its figures have been worked out.
    pub fn worked_out(&self) -> bool {
        self.figures.is_some()
    }

    /// The blocks of `kind` in the district.
    pub fn blocks(&self, kind: &str) -> usize {
        self.figures.as_ref().map_or(0, |f| f.count(kind))
    }
}

/// Where the pointer meets the ground, x and z.
fn ground(
    windows: &Query<&Window, With<PrimaryWindow>>,
    cameras: &Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
) -> Option<[f32; 2]> {
    let cursor = windows.single().ok()?.cursor_position()?;
    let (camera, at) = cameras.iter().next()?;
    let ray = camera.viewport_to_world(at, cursor).ok()?;
    let d = ray.intersect_plane(Vec3::ZERO, InfinitePlane3d::new(Vec3::Y))?;
    let p = ray.get_point(d);
    Some([p.x, p.z])
}

/// Shift + left drag: the rectangle between press and release.
fn mark(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
    egui: Option<Res<EguiWantsInput>>,
    palette: Option<Res<super::city_palette::CityPalette>>,
    mut district: ResMut<District>,
) {
    if palette.is_none() {
        if district.area.is_some() || district.drag.is_some() {
            district.clear();
        }
        return;
    }
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let over_ui = egui.is_some_and(|e| e.wants_any_pointer_input());
    let here = ground(&windows, &cameras);
    if buttons.just_pressed(MouseButton::Left) && shift && !over_ui {
        district.drag = here.map(|p| (p, p));
    }
    let Some((from, _)) = district.drag else {
        return;
    };
    if let Some(p) = here {
        district.drag = Some((from, p));
    }
    if buttons.just_released(MouseButton::Left) {
        let (from, to) = district.drag.take().expect("a drag");
        let area = Area { a: from, b: to };
        if area.size_m().iter().all(|&s| s >= MIN_SIDE_M) {
            district.area = Some(area);
            district.since = None;
        }
    }
}

/// The district's figures from the blocks' latest values.
fn work_out(
    time: Res<Time>,
    mut district: ResMut<District>,
    blocks: Query<(&Twin, &GlobalTransform, &Health, Option<&Sensors>), With<CitySlot>>,
    sensors: Query<(&Sensor, &SensorValue)>,
) {
    let Some(area) = district.area else { return };
    let since = district
        .since
        .map_or(f32::INFINITY, |s| s + time.delta_secs());
    if since < REFRESH_S {
        district.since = Some(since);
        return;
    }
    let mut figures = Figures::default();
    for (twin, at, health, list) in &blocks {
        let p = at.translation();
        if !area.holds([p.x, p.z]) {
            continue;
        }
        figures.block(
            &twin.kind,
            *health == Health::Warn,
            *health == Health::Alarm,
        );
        for (sensor, value) in list
            .into_iter()
            .flat_map(|l| l.entities().iter())
            .filter_map(|&e| sensors.get(e).ok())
        {
            figures.value(&twin.kind, &sensor.name, &sensor.unit, value.value);
        }
    }
    district.figures = Some(figures);
    district.since = Some(0.0);
}

/// The rectangles on the ground: the scene's districts, and the marked
/// district or the one being dragged.
fn draw(district: Res<District>, map: Option<Res<crate::scene::CityMap>>, mut gizmos: Gizmos) {
    let scene_districts = map
        .iter()
        .flat_map(|m| m.city.iter())
        .flat_map(|c| &c.districts);
    for d in scene_districts {
        outline(&mut gizmos, Area::of(d.area), SCENE_DISTRICT_COLOUR);
    }
    let area = match district.drag {
        Some((a, b)) => Area { a, b },
        None => match district.area {
            Some(area) => area,
            None => return,
        },
    };
    outline(&mut gizmos, area, AREA_COLOUR);
}

fn outline(gizmos: &mut Gizmos, area: Area, colour: Color) {
    let [w, d] = area.size_m();
    let centre = Vec3::new(
        (area.a[0] + area.b[0]) / 2.0,
        AREA_LIFT_M,
        (area.a[1] + area.b[1]) / 2.0,
    );
    gizmos.rect(
        Isometry3d::new(centre, Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2)),
        Vec2::new(w, d),
        colour,
    );
}

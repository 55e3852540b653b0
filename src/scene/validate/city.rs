//! The scene's `city` section: its map named, its sensors valid as those
//! of a building and of a street.

use super::super::format::{
    BUILDING_KIND, CityDef, DistrictDef, STREET_KIND, SceneDef, SceneError, ShapeDef, TwinDef,
};
use super::check_sensors;

/// A city's sensors, as those of a twin of each kind: bound by templates
/// (one topic per building, never one for all), shown without parts.
pub(super) fn check_city(
    scene: &SceneDef,
    city: &CityDef,
    err: &impl Fn(&str, usize, String) -> SceneError,
) -> Result<(), SceneError> {
    if city.map.trim().is_empty() {
        return Err(err(
            "map:",
            0,
            "city: `map` must name a city file under assets/".into(),
        ));
    }
    for (kind, sensors) in [
        (BUILDING_KIND, &city.buildings),
        (STREET_KIND, &city.streets),
    ] {
        if let Some(s) = sensors.iter().find(|s| s.binding.is_some()) {
            return Err(err(
                &format!("name: \"{}\"", s.name),
                0,
                format!(
                    "city {kind} sensor \"{}\": city sensors are bound by `templates` with a {{twin}} level, not by a `binding`",
                    s.name
                ),
            ));
        }
        let every = TwinDef {
            id: format!("every {kind}"),
            name: kind.into(),
            kind: kind.into(),
            transform: Default::default(),
            shape: ShapeDef::Empty,
            parent: None,
            sensors: sensors.clone().into(),
        };
        check_sensors(scene, &every, err)?;
    }
    let mut ids = std::collections::HashSet::new();
    for (n, d) in city.districts.iter().enumerate() {
        let at = format!("id: \"{}\"", d.id);
        if d.id.trim().is_empty() {
            return Err(err(
                "districts:",
                0,
                "city district: `id` must not be empty".into(),
            ));
        }
        // The second of two districts with one id.
        if !ids.insert(d.id.as_str()) {
            return Err(err(
                &at,
                1,
                format!("city district \"{}\": two districts have that id", d.id),
            ));
        }
        // The district's, after the twin's (twins usually come first).
        if scene.twins.iter().any(|t| t.id == d.id) {
            return Err(err(
                &at,
                1,
                format!("city district \"{}\": a twin has that id too", d.id),
            ));
        }
        // Every district has one `area:`: the nth is this one's.
        check_district(scene, city, d).map_err(|(needle, why)| match needle {
            Some(Needle::Area) => err("area:", n, why),
            Some(Needle::Text(text)) => err(&text, 0, why),
            None => err(&at, 0, why),
        })?;
        check_sensors(scene, &d.twin(), err)?;
    }
    Ok(())
}

/// Where a district's error points: its area, a text, or (none) its id.
enum Needle {
    Area,
    Text(String),
}

/// A district's area and figures: the area a real rectangle, each figure
/// of a sensor the city's blocks have, its own sensor unbound. The error
/// is where to point and why.
fn check_district(
    scene: &SceneDef,
    city: &CityDef,
    d: &DistrictDef,
) -> Result<(), (Option<Needle>, String)> {
    let id = &d.id;
    let ((x0, z0), (x1, z1)) = d.area;
    if ![x0, z0, x1, z1].iter().all(|v| v.is_finite())
        || (x0 - x1).abs() < MIN_DISTRICT_SIDE_M
        || (z0 - z1).abs() < MIN_DISTRICT_SIDE_M
    {
        return Err((
            Some(Needle::Area),
            format!(
                "city district \"{id}\": area ({x0}, {z0}) to ({x1}, {z1}) must be finite with sides of at least {MIN_DISTRICT_SIDE_M} m"
            ),
        ));
    }
    if d.figures.is_empty() {
        return Err((None, format!("city district \"{id}\" has no figures")));
    }
    for f in &d.figures {
        let quoted = format!("\"{}\"", f.of);
        let at = Some(Needle::Text(format!("of: {quoted}")));
        let (kind, sensor, sensors) = match f.of.split_once('/') {
            Some((BUILDING_KIND, sensor)) => (BUILDING_KIND, sensor, &city.buildings),
            Some((STREET_KIND, sensor)) => (STREET_KIND, sensor, &city.streets),
            _ => {
                return Err((
                    at,
                    format!(
                        "city district \"{id}\": figure of {quoted} must be \"building/SENSOR\" or \"street/SENSOR\""
                    ),
                ));
            }
        };
        if !sensors.iter().any(|s| s.name == sensor) {
            return Err((
                at,
                format!("city district \"{id}\": no city {kind} sensor is named \"{sensor}\""),
            ));
        }
        let name = &f.sensor.name;
        if f.sensor.binding.is_some() || scene.templates.iter().any(|t| &t.sensor == name) {
            // At the district's id: the sensor's name is likely a city
            // sensor's too, earlier in the file.
            return Err((
                None,
                format!(
                    "city district \"{id}\" sensor \"{name}\": a district works out its figures; it takes no binding, and no template may bind its name"
                ),
            ));
        }
    }
    Ok(())
}

/// A district's sides must be at least this long, metres.
const MIN_DISTRICT_SIDE_M: f64 = 1.0;

//! The scene's `city` section: its map named, its sensors valid as those
//! of a building and of a street.

use super::super::format::{
    BUILDING_KIND, CityDef, STREET_KIND, SceneDef, SceneError, ShapeDef, TwinDef,
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
            sensors: sensors.clone(),
        };
        check_sensors(scene, &every, err)?;
    }
    Ok(())
}

//! A scene's city: a map file (`twinscape import`'s output, under
//! `assets/`) whose buildings and streets become twins, each with the
//! sensors listed here, bound through the scene's templates.

use serde::{Deserialize, Serialize};

use super::{SensorDef, ShapeDef, TransformDef, TwinDef};

/// `city: (map: "city/helsinki.city.json", buildings: [..], streets: [..])`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityDef {
    /// The city file, a path under `assets/`.
    pub map: String,
    /// The sensors every building has (bound by `templates`, e.g.
    /// `"city/building/{twin}"`).
    #[serde(default)]
    pub buildings: Vec<SensorDef>,
    /// The sensors every street segment has.
    #[serde(default)]
    pub streets: Vec<SensorDef>,
    /// Named areas of the map, each a twin of its own whose sensors are
    /// figures over the blocks inside (a total, a mean, …), with limits
    /// and alarms like any sensor's.
    #[serde(default)]
    pub districts: Vec<DistrictDef>,
}

/// `(id: "d-kamppi", name: "Kamppi", area: ((-300.0, -50.0), (0.0, 250.0)),
/// figures: [..])`: the blocks whose centres lie in `area` make the
/// district.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictDef {
    /// The twin's id (unique in the scene).
    pub id: String,
    pub name: String,
    /// Two opposite corners, scene metres (x east, z south), in any order.
    pub area: ((f64, f64), (f64, f64)),
    pub figures: Vec<FigureDef>,
}

impl DistrictDef {
    /// The twin it becomes: at the middle of its area, with its figures'
    /// sensors.
    pub fn twin(&self) -> TwinDef {
        let ((x0, z0), (x1, z1)) = self.area;
        TwinDef {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: DISTRICT_KIND.into(),
            transform: TransformDef {
                translation: [((x0 + x1) / 2.0) as f32, 0.0, ((z0 + z1) / 2.0) as f32],
                ..Default::default()
            },
            shape: ShapeDef::Empty,
            parent: None,
            sensors: self.figures.iter().map(|f| f.sensor.clone()).collect(),
        }
    }
}

/// One of a district's sensors: `figure` of the latest values of sensor
/// `of` (`"building/energy"`: kind, then sensor) over the district's
/// blocks that report one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureDef {
    pub of: String,
    pub figure: Figure,
    /// The district's sensor that carries it: name, unit, range, limits
    /// (no binding: the twin works it out).
    pub sensor: SensorDef,
}

/// What a district figure makes of its blocks' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Figure {
    Total,
    Mean,
    Min,
    Max,
}

/// The `kind` of the twins a city's buildings become.
pub const BUILDING_KIND: &str = "building";
/// The `kind` of the twins a city's streets become.
pub const STREET_KIND: &str = "street";
/// The `kind` of the twins a city's districts become.
pub const DISTRICT_KIND: &str = "district";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_district_becomes_a_twin_at_the_middle_of_its_area() {
        let district: DistrictDef = ron::from_str(
            r#"(id: "d", name: "D", area: ((30, 0), (-10, 40)), figures: [
                (of: "building/energy", figure: Total,
                 sensor: (name: "energy", unit: "kW", range: (0, 100)))])"#,
        )
        .unwrap();
        let twin = district.twin();
        assert_eq!((twin.id.as_str(), twin.kind.as_str()), ("d", DISTRICT_KIND));
        assert_eq!(twin.transform.translation, [10.0, 0.0, 20.0]);
        assert_eq!(twin.transform.scale, 1.0);
        assert_eq!(twin.sensors.len(), 1);
        assert_eq!(twin.sensors[0].name, "energy");
    }
}

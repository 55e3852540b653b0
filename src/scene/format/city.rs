//! A scene's city: a map file (`twinscape import`'s output, under
//! `assets/`) whose buildings and streets become twins, each with the
//! sensors listed here, bound through the scene's templates.

use serde::{Deserialize, Serialize};

use super::SensorDef;

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
}

/// The `kind` of the twins a city's buildings become.
pub const BUILDING_KIND: &str = "building";
/// The `kind` of the twins a city's streets become.
pub const STREET_KIND: &str = "street";

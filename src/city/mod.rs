//! The city twin's map: buildings and streets imported from OpenStreetMap
//! (`.osm.pbf`) or GeoJSON into a city file in local metres
//! (`assets/city/NAME.city.json`, see docs/city.md) that the viewer can
//! draw and bind sensors to without a map library.
//!
//! Reading (`osm`, `geojson`) gives the same features in longitude and
//! latitude (`MapFeatures`); `assemble` projects them (`project`), crops,
//! triangulates the footprints (`footprint`) and lays out the file
//! (`asset`). All of it but `plugin` (the districts' figures in the ECS)
//! is plain Rust without Bevy types; only `import` touches files, and it
//! writes nothing unless the whole map is good.

pub(crate) mod assemble;
pub(crate) mod asset;
pub(crate) mod batch;
pub(crate) mod district;
pub(crate) mod footprint;
pub(crate) mod geojson;
pub(crate) mod intensity;
pub(crate) mod mesh;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod multipolygon;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod osm;
pub(crate) mod plugin;
pub(crate) mod project;
pub(crate) mod scene;
pub(crate) mod streets;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod synthetic;

use footprint::{Height, Shape};
use project::LonLat;
use streets::{StreetClass, Tagged};

pub use assemble::Summary;
pub use project::Crop;
#[cfg(not(target_arch = "wasm32"))]
pub use scene::expand_from_disk;

/// Why a map could not be imported; each says which file, and which
/// feature where one is to blame.
#[derive(Debug, thiserror::Error)]
pub enum CityError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a map file: {why}")]
    NotAMap { path: String, why: String },
    #[error("{path}: {feature}: {why}")]
    Feature {
        path: String,
        feature: String,
        why: String,
    },
    #[error("{path}: {why}")]
    Empty { path: String, why: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl CityError {
    /// The map was fine but this machine could not write the city file.
    pub fn is_write(&self) -> bool {
        matches!(self, CityError::Write { .. })
    }
}

/// A building as the map gives it, in longitude/latitude.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapBuilding {
    /// `b-w123` (a way), `b-r987` (a relation), `b-f4` (the fifth feature
    /// of a GeoJSON file without OSM ids).
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) height: Height,
    pub(crate) shapes: Vec<Shape<LonLat>>,
    /// From a multipolygon relation or a GeoJSON MultiPolygon.
    pub(crate) multipolygon: bool,
}

/// A street as the map gives it: one way's centre line, in one or more
/// stretches (a way cut by the extract, a GeoJSON MultiLineString).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapStreet {
    /// `s-w4567`.
    pub(crate) id: String,
    pub(crate) name: Option<String>,
    pub(crate) class: &'static StreetClass,
    pub(crate) lanes: (u32, Tagged),
    pub(crate) maxspeed_kmh: (f64, Tagged),
    pub(crate) lines: Vec<Vec<LonLat>>,
}

/// What a reader left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Skipped {
    /// Buildings with a node or member way the file does not hold (cut by
    /// the extract's edge): their shape is unknown.
    pub(crate) incomplete_buildings: usize,
    /// Streets with no two known nodes in a row.
    pub(crate) incomplete_streets: usize,
    /// Streets kept without the nodes the file does not hold.
    pub(crate) trimmed_streets: usize,
    /// Ways tagged `building` that are the outer ring of a building
    /// multipolygon: the building is the multipolygon.
    pub(crate) merged_ways: usize,
    /// GeoJSON buildings that are not polygons (a point) and streets that
    /// are not lines.
    pub(crate) without_geometry: usize,
}

/// The buildings and streets of a map file, in longitude/latitude.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MapFeatures {
    pub(crate) buildings: Vec<MapBuilding>,
    pub(crate) streets: Vec<MapStreet>,
    pub(crate) skipped: Skipped,
}

/// Imports a map file (`.osm.pbf` or `.geojson`, recognised by its
/// content) into the city file `out`, written atomically: on any error
/// nothing is written.
#[cfg(not(target_arch = "wasm32"))]
pub fn import(
    input: &std::path::Path,
    crop: Option<Crop>,
    out: &std::path::Path,
) -> Result<Summary, CityError> {
    let path = input.display().to_string();
    let bytes = std::fs::read(input).map_err(|source| CityError::Read {
        path: path.clone(),
        source,
    })?;
    let (text, summary) = convert(&bytes, &path, crop, &city_name(out))?;
    asset::write_atomic(out, &text)?;
    Ok(summary)
}

/// The credit and licence of a generated city: no map data in it.
#[cfg(not(target_arch = "wasm32"))]
const SYNTHETIC_ATTRIBUTION: &str = "generated city (no map data)";
#[cfg(not(target_arch = "wasm32"))]
const SYNTHETIC_LICENSE: &str = "CC0-1.0";

/// Generates a city of `buildings` buildings on a grid of blocks with
/// their streets (`synthetic`) into the city file `out`, written
/// atomically: for measuring scale.
#[cfg(not(target_arch = "wasm32"))]
pub fn synthetic(buildings: usize, seed: u64, out: &std::path::Path) -> Result<Summary, CityError> {
    let path = out.display().to_string();
    if buildings == 0 {
        return Err(CityError::Empty {
            path,
            why: "--synthetic needs at least one building".into(),
        });
    }
    let source = format!("synthetic {buildings} buildings, seed {seed}");
    let features = synthetic::features(buildings, seed);
    let (mut file, mut summary) =
        assemble::assemble(features, None, &path, &city_name(out), &source)?;
    file.head.attribution = SYNTHETIC_ATTRIBUTION.into();
    file.head.license = SYNTHETIC_LICENSE.into();
    let text = asset::to_json(&file);
    summary.bytes = text.len();
    asset::write_atomic(out, &text)?;
    Ok(summary)
}

/// The city file's text (named `name`) for the bytes of the map file at
/// `path`, and its summary; touches no files, so the browser can do it
/// too (GeoJSON only there: `osmpbf` is native).
pub fn convert(
    bytes: &[u8],
    path: &str,
    crop: Option<Crop>,
    name: &str,
) -> Result<(String, Summary), CityError> {
    let map = read_map(bytes, path)?;
    let source = std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
    let (file, mut summary) = assemble::assemble(map, crop, path, name, &source)?;
    let text = asset::to_json(&file);
    summary.bytes = text.len();
    Ok((text, summary))
}

/// The features of a map file's bytes: an OSM PBF (by its header) or
/// GeoJSON (by a `.geojson`/`.json` name or a leading `{`).
fn read_map(bytes: &[u8], path: &str) -> Result<MapFeatures, CityError> {
    let not_a_map = |why: &str| CityError::NotAMap {
        path: path.to_string(),
        why: why.to_string(),
    };
    if looks_like_pbf(bytes) {
        #[cfg(not(target_arch = "wasm32"))]
        return osm::features(&osm::read_pbf(bytes, path)?, path);
        #[cfg(target_arch = "wasm32")]
        return Err(not_a_map(
            "OSM PBF is read by the native build only; use GeoJSON",
        ));
    }
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".pbf") {
        return Err(not_a_map(
            "it is named .pbf but does not start with an OSM PBF header (OSMHeader)",
        ));
    }
    let looks_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !(looks_json || lower.ends_with(".geojson") || lower.ends_with(".json")) {
        return Err(not_a_map(
            "it is neither an OSM PBF (.osm.pbf) nor GeoJSON (.geojson)",
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| not_a_map(&format!("it is not UTF-8 text ({e})")))?;
    geojson::features(text, path)
}

/// Whether the file starts as an OSM PBF does: a blob header (after its
/// 4-byte length) whose first field is the type "OSMHeader".
fn looks_like_pbf(start: &[u8]) -> bool {
    start.len() >= 15 && start[4..6] == [0x0a, 9] && &start[6..15] == b"OSMHeader"
}

/// `helsinki` for `assets/city/helsinki.city.json`.
#[cfg(not(target_arch = "wasm32"))]
fn city_name(out: &std::path::Path) -> String {
    let file = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.strip_suffix(".city.json")
        .or_else(|| file.split('.').next())
        .unwrap_or(&file)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pbf_is_recognised_by_its_first_block_header() {
        let bytes = include_bytes!("../../tests/fixtures/city/block.osm.pbf");
        assert!(super::looks_like_pbf(bytes));
        assert!(!super::looks_like_pbf(b"{\"type\": \"FeatureCollection\"}"));
        assert!(!super::looks_like_pbf(b""));
    }
}

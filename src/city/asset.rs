//! The city file (`assets/city/NAME.city.json`, docs/city.md): what the
//! viewer draws and binds sensors to, in local metres around an origin.
//!
//! Design: JSON through serde, one building or street per line, so the
//! file diffs line by line when the map is imported again and stays small
//! (coordinates to the centimetre, no indentation). Rings are stored open
//! (the last point joins the first), outer rings counter-clockwise and
//! holes clockwise with x east and y north, so a wall's outside is on its
//! right; a part's triangles index its outer ring's points, then each
//! hole's, as earcut returns them. Written to a temporary file in the same
//! folder, then renamed over the target: a reader never sees half a file.

use serde::{Deserialize, Serialize};

use super::footprint::HeightFrom;
use super::project::Crop;

/// `format` of every city file.
pub(crate) const FORMAT: &str = "twinscape-city";
/// `version` of the layout below.
pub(crate) const VERSION: u32 = 1;
/// The credit OSM's licence asks for wherever the map is shown.
pub(crate) const ATTRIBUTION: &str = "© OpenStreetMap contributors";
/// The map data's licence (SPDX).
pub(crate) const LICENSE: &str = "ODbL-1.0";
/// How `origin` becomes local metres (docs/city.md).
pub(crate) const PROJECTION: &str =
    "equirectangular on the WGS84 radii of curvature at the origin; x east, y north, metres";

/// A city file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CityFile {
    #[serde(flatten)]
    pub(crate) head: Head,
    pub(crate) buildings: Vec<Building>,
    pub(crate) streets: Vec<Street>,
}

/// Everything but the features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Head {
    pub(crate) format: String,
    pub(crate) version: u32,
    pub(crate) name: String,
    /// The map file's name.
    pub(crate) source: String,
    pub(crate) attribution: String,
    pub(crate) license: String,
    pub(crate) projection: String,
    /// Longitude/latitude of local (0, 0), degrees.
    pub(crate) origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) crop: Option<Crop>,
    /// The corners of everything in the file, local metres.
    pub(crate) bounds: Bounds,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Origin {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Bounds {
    pub(crate) min: [f64; 2],
    pub(crate) max: [f64; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Building {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    pub(crate) height_m: f64,
    pub(crate) height_from: HeightFrom,
    /// The parts' areas, holes taken away, square metres.
    pub(crate) area_m2: f64,
    pub(crate) parts: Vec<Part>,
}

/// One polygon of a building: most buildings have one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Part {
    pub(crate) outer: Vec<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) holes: Vec<Vec<[f64; 2]>>,
    pub(crate) triangles: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Street {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// The `highway` class.
    pub(crate) class: String,
    pub(crate) lanes: u32,
    pub(crate) maxspeed_kmh: f64,
    /// Which of `lanes`, `maxspeed_kmh` are the class's defaults rather
    /// than the map's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) defaults: Vec<String>,
    /// The centre line, in one or more stretches.
    pub(crate) lines: Vec<Vec<[f64; 2]>>,
}

impl CityFile {
    /// Gives back the room its lists were read with: a list read from JSON
    /// grows by doubling from four, so a building's one part held room for
    /// four (288 B) and a five-point ring for eight. The map is kept for as
    /// long as the city is drawn and picked.
    pub(crate) fn compact(&mut self) {
        self.buildings.shrink_to_fit();
        for b in &mut self.buildings {
            b.parts.shrink_to_fit();
            for p in &mut b.parts {
                p.outer.shrink_to_fit();
                p.holes.shrink_to_fit();
                p.holes.iter_mut().for_each(Vec::shrink_to_fit);
                p.triangles.shrink_to_fit();
            }
        }
        self.streets.shrink_to_fit();
        for s in &mut self.streets {
            s.lines.shrink_to_fit();
            s.lines.iter_mut().for_each(Vec::shrink_to_fit);
        }
    }
}

/// The file's text: the head's fields, then one building or street a line.
pub(crate) fn to_json(file: &CityFile) -> String {
    let mut text = serde_json::to_string(&file.head).expect("the head serialises");
    text.pop(); // its closing brace: the features follow
    text.push_str(",\n\"buildings\":[\n");
    text.push_str(&one_a_line(&file.buildings));
    text.push_str("\n],\n\"streets\":[\n");
    text.push_str(&one_a_line(&file.streets));
    text.push_str("\n]}\n");
    text
}

fn one_a_line<T: Serialize>(items: &[T]) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|item| serde_json::to_string(item).expect("a feature serialises"))
        .collect();
    lines.join(",\n")
}

/// Writes `text` to `out` through a temporary file in the same folder and
/// a rename, creating the folder if needed.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn write_atomic(out: &std::path::Path, text: &str) -> Result<(), super::CityError> {
    use std::io::Write;
    let failed = |source| super::CityError::Write {
        path: out.display().to_string(),
        source,
    };
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(failed)?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, out));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> CityFile {
        CityFile {
            head: Head {
                format: FORMAT.into(),
                version: VERSION,
                name: "block".into(),
                source: "block.geojson".into(),
                attribution: ATTRIBUTION.into(),
                license: LICENSE.into(),
                projection: PROJECTION.into(),
                origin: Origin {
                    lon: 24.9384,
                    lat: 60.1699,
                },
                crop: None,
                bounds: Bounds {
                    min: [-10.0, -10.0],
                    max: [10.0, 10.0],
                },
            },
            buildings: vec![Building {
                id: "b-w1".into(),
                name: Some("Talo \"A\"".into()),
                height_m: 9.6,
                height_from: HeightFrom::Default,
                area_m2: 50.0,
                parts: vec![Part {
                    outer: vec![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]],
                    holes: vec![],
                    triangles: vec![1, 2, 0],
                }],
            }],
            streets: vec![Street {
                id: "s-w2".into(),
                name: None,
                class: "residential".into(),
                lanes: 2,
                maxspeed_kmh: 30.0,
                defaults: vec!["lanes".into()],
                lines: vec![vec![[-10.0, -10.0], [10.0, 10.0]]],
            }],
        }
    }

    /// A map read from its file keeps no spare room in its lists (read from
    /// JSON, a list of one part had room for four).
    #[test]
    fn a_map_read_back_holds_no_spare_room() {
        let text = to_json(&small());
        let map = crate::city::scene::read_map(text.as_bytes(), "block.city.json").unwrap();
        assert_eq!(map, small());
        let b = &map.buildings[0];
        let p = &b.parts[0];
        let s = &map.streets[0];
        assert_eq!(
            [
                b.parts.capacity(),
                p.outer.capacity(),
                p.triangles.capacity()
            ],
            [1, 3, 3]
        );
        assert_eq!([s.lines.capacity(), s.lines[0].capacity()], [1, 2]);
        assert_eq!([map.buildings.capacity(), map.streets.capacity()], [1, 1]);
    }

    #[test]
    fn the_file_reads_back_as_written_one_feature_a_line() {
        let file = small();
        let text = to_json(&file);
        assert_eq!(serde_json::from_str::<CityFile>(&text).unwrap(), file);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with(r#"{"format":"twinscape-city","version":1,"name":"block""#));
        assert!(lines[2].starts_with(r#"{"id":"b-w1","name":"Talo \"A\"","height_m":9.6"#));
        assert!(
            lines[5].starts_with(r#"{"id":"s-w2","class":"residential""#),
            "{text}"
        );
        assert_eq!(text.lines().count(), 7, "{text}");
    }

    #[test]
    fn an_empty_city_is_still_json() {
        let mut file = small();
        file.buildings.clear();
        file.streets.clear();
        assert_eq!(
            serde_json::from_str::<CityFile>(&to_json(&file)).unwrap(),
            file
        );
    }

    #[test]
    fn writing_replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("city-asset-{}", std::process::id()));
        let out = dir.join("deeper/x.city.json");
        write_atomic(&out, "first").unwrap();
        write_atomic(&out, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "second");
        let names: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

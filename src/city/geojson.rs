//! GeoJSON maps (RFC 7946: longitude/latitude on WGS84), as exported from
//! OpenStreetMap by overpass turbo, osmtogeojson or QGIS: buildings are
//! features with a `building` property and a Polygon or MultiPolygon,
//! streets features with a street-class `highway` and a LineString or
//! MultiLineString; the same tags as OSM (`height`, `building:levels`,
//! `lanes`, `maxspeed`, `name`) as properties.
//!
//! Design: a feature's OSM id (`"id": "way/123"`, or the `@id` property;
//! also `w123`/`r123`) makes its stable id (`b-w123`); without one the
//! feature's index in the file does (`b-f4`), stable only while the file
//! is. GeoJSON rings repeat their first position last, so a ring that does
//! not, or has fewer than 3 distinct positions, is an error naming the
//! feature; so is a position that is not longitude/latitude (a file in a
//! projected system such as EPSG:3067 metres).

use ::geojson::{Feature, GeoJson, GeometryValue, JsonObject, Position, feature::Id};

use super::footprint::{Shape, height, open_ring};
use super::project::LonLat;
use super::streets::{class_of, lanes, maxspeed_kmh};
use super::{CityError, MapBuilding, MapFeatures, MapStreet};

/// The buildings and streets of a GeoJSON text.
pub(crate) fn features(text: &str, path: &str) -> Result<MapFeatures, CityError> {
    let not_a_map = |why: String| CityError::NotAMap {
        path: path.to_string(),
        why,
    };
    let features = match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(c)) => c.features,
        Ok(GeoJson::Feature(f)) => vec![f],
        Ok(GeoJson::Geometry(_)) => {
            return Err(not_a_map(
                "it is a bare GeoJSON geometry; the city needs features with properties (building, highway)".into(),
            ));
        }
        Err(e) => return Err(not_a_map(format!("it is not GeoJSON ({e})"))),
    };
    let mut map = MapFeatures::default();
    for (index, f) in features.iter().enumerate() {
        read_feature(&mut map, index, f, path)?;
    }
    Ok(map)
}

/// One feature, as the errors and ids name it.
struct Named<'a> {
    /// `w123`, `r987` or `f4`.
    key: String,
    /// `feature 4 (way/123)`.
    label: String,
    props: Option<&'a JsonObject>,
    path: &'a str,
}

impl Named<'_> {
    fn prop(&self, key: &str) -> Option<String> {
        match self.props?.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(true) => Some("yes".into()),
            _ => None,
        }
    }

    fn bad(&self, why: String) -> CityError {
        CityError::Feature {
            path: self.path.to_string(),
            feature: self.label.clone(),
            why,
        }
    }

    fn lon_lat(&self, p: &Position) -> Result<LonLat, CityError> {
        let (lon, lat) = (p[0], p[1]);
        if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) {
            Ok([lon, lat])
        } else {
            Err(self.bad(format!(
                "position ({lon}, {lat}) is not longitude/latitude (GeoJSON is WGS84 degrees)"
            )))
        }
    }

    /// A polygon ring, checked and without its closing position.
    fn ring(&self, ring: &[Position], what: &str) -> Result<Vec<LonLat>, CityError> {
        let points = ring
            .iter()
            .map(|p| self.lon_lat(p))
            .collect::<Result<Vec<_>, _>>()?;
        open_ring(&points, |p| format!("({}, {})", p[0], p[1]))
            .map_err(|why| self.bad(format!("{what}: {why}")))
    }

    fn polygon(&self, rings: &[Vec<Position>], n: usize) -> Result<Shape<LonLat>, CityError> {
        let Some((outer, holes)) = rings.split_first() else {
            return Err(self.bad(format!("polygon {n} has no rings")));
        };
        Ok(Shape {
            outer: self.ring(outer, &format!("polygon {n}'s outer ring"))?,
            holes: holes
                .iter()
                .enumerate()
                .map(|(h, hole)| self.ring(hole, &format!("polygon {n}'s hole {h}")))
                .collect::<Result<_, _>>()?,
        })
    }

    fn line(&self, line: &[Position], n: usize) -> Result<Vec<LonLat>, CityError> {
        if line.len() < 2 {
            let why = format!(
                "line {n} has {} position(s); a street needs at least 2",
                line.len()
            );
            return Err(self.bad(why));
        }
        line.iter().map(|p| self.lon_lat(p)).collect()
    }
}

/// `way/123`, `relation/987`, `node/5` or `w123`, `r987`, `n5` → `w123`.
fn osm_key(id: &str) -> Option<String> {
    let (kind, number) = match id.split_once('/') {
        Some(("way", n)) => ('w', n),
        Some(("relation", n)) => ('r', n),
        Some(("node", n)) => ('n', n),
        Some(_) => return None,
        None => {
            let kind = id.chars().next().filter(|c| matches!(c, 'w' | 'r' | 'n'))?;
            (kind, &id[1..])
        }
    };
    number.parse::<i64>().ok().map(|n| format!("{kind}{n}"))
}

fn named<'a>(index: usize, f: &'a Feature, path: &'a str) -> Named<'a> {
    let props = f.properties.as_ref();
    let given = match &f.id {
        Some(Id::String(s)) => Some(s.clone()),
        _ => props
            .and_then(|p| p.get("@id"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
    };
    match given.as_deref().and_then(osm_key) {
        Some(key) => Named {
            label: format!("feature {index} ({})", given.unwrap_or_default()),
            key,
            props,
            path,
        },
        None => Named {
            key: format!("f{index}"),
            label: format!("feature {index}"),
            props,
            path,
        },
    }
}

fn read_feature(
    map: &mut MapFeatures,
    index: usize,
    f: &Feature,
    path: &str,
) -> Result<(), CityError> {
    let feature = named(index, f, path);
    let geometry = f.geometry.as_ref().map(|g| &g.value);
    if feature.prop("building").is_some_and(|b| b != "no") {
        let (shapes, multipolygon) = match geometry {
            Some(GeometryValue::Polygon { coordinates }) => {
                (vec![feature.polygon(coordinates, 0)?], false)
            }
            Some(GeometryValue::MultiPolygon { coordinates }) => (
                coordinates
                    .iter()
                    .enumerate()
                    .map(|(n, p)| feature.polygon(p, n))
                    .collect::<Result<_, _>>()?,
                true,
            ),
            _ => {
                map.skipped.without_geometry += 1;
                return Ok(());
            }
        };
        map.buildings.push(MapBuilding {
            id: format!("b-{}", feature.key),
            name: feature.prop("name"),
            height: height(
                feature.prop("height").as_deref(),
                feature.prop("building:levels").as_deref(),
            ),
            multipolygon: multipolygon || feature.key.starts_with('r'),
            shapes,
        });
    } else if let Some(class) = feature.prop("highway").as_deref().and_then(class_of) {
        let lines = match geometry {
            Some(GeometryValue::LineString { coordinates }) => vec![feature.line(coordinates, 0)?],
            Some(GeometryValue::MultiLineString { coordinates }) => coordinates
                .iter()
                .enumerate()
                .map(|(n, l)| feature.line(l, n))
                .collect::<Result<_, _>>()?,
            _ => {
                map.skipped.without_geometry += 1;
                return Ok(());
            }
        };
        map.streets.push(MapStreet {
            id: format!("s-{}", feature.key),
            name: feature.prop("name"),
            class,
            lanes: lanes(feature.prop("lanes").as_deref(), class),
            maxspeed_kmh: maxspeed_kmh(feature.prop("maxspeed").as_deref(), class),
            lines,
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "geojson_tests.rs"]
mod tests;

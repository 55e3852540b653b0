//! From map features in longitude/latitude to the city file: the origin,
//! local metres, the crop, the triangles, and a summary of what was made
//! and what was left out.
//!
//! Design: the origin is the crop's centre, or else the centre of the
//! features' longitude/latitude box, so local coordinates stay small
//! (within a few kilometres, where the projection's error is below a
//! metre). Coordinates are rounded to the centimetre before triangulating,
//! so the triangles fit the stored points exactly. With `--crop`, a
//! building stays when the mean of its outer rings' points lies within the
//! radius (whole, never cut), and a street is cut at the circle.

use std::collections::HashSet;

use super::asset::{self, Bounds, Building, CityFile, Head, Origin, Part, Street};
use super::footprint::{HeightFrom, Shape, triangulate};
use super::project::{Crop, Local, LonLat, Projection, clip_line};
use super::streets::Tagged;
use super::{CityError, MapBuilding, MapFeatures, MapStreet, Skipped};

/// Coordinates are stored to the centimetre: steps per metre.
const STORED_STEPS_PER_M: f64 = 100.0;
/// The origin is stored to OSM's precision, 1e-7° (about 1 cm): steps per degree.
const ORIGIN_STEPS_PER_DEGREE: f64 = 1e7;
/// A footprint whose triangles miss its area by more than this fraction is
/// counted as poorly triangulated (a ring that touches or crosses itself).
const POOR_TRIANGULATION: f64 = 0.01;

/// What an import made and left out, printed by `twinscape import`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub(crate) buildings: usize,
    pub(crate) multipolygons: usize,
    pub(crate) with_holes: usize,
    pub(crate) streets: usize,
    pub(crate) triangles: usize,
    pub(crate) size_m: [f64; 2],
    pub(crate) origin: LonLat,
    pub(crate) from_height: usize,
    pub(crate) from_levels: usize,
    pub(crate) unreadable_heights: usize,
    pub(crate) lanes_tagged: usize,
    pub(crate) maxspeed_tagged: usize,
    pub(crate) unreadable_street_tags: usize,
    pub(crate) poor_triangulations: usize,
    pub(crate) skipped: Skipped,
    pub(crate) cropped_buildings: usize,
    pub(crate) cropped_streets: usize,
    pub(crate) cut_streets: usize,
    pub(crate) bytes: usize,
}

impl Summary {
    /// The city file's size.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Buildings in the city file.
    pub fn buildings(&self) -> usize {
        self.buildings
    }

    /// Street segments in the city file.
    pub fn streets(&self) -> usize {
        self.streets
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} buildings ({} multipolygons, {} with holes), {} streets, {} triangles",
            self.buildings, self.multipolygons, self.with_holes, self.streets, self.triangles
        )?;
        writeln!(
            f,
            "area {:.0} m × {:.0} m (east × north) around {:.7}, {:.7} (lon, lat)",
            self.size_m[0], self.size_m[1], self.origin[0], self.origin[1]
        )?;
        let default = self.buildings - self.from_height - self.from_levels;
        write!(
            f,
            "heights: {} from height, {} from building:levels, {default} default ({} m); \
             streets: {} with lanes, {} with maxspeed (the others: their class's default)",
            self.from_height,
            self.from_levels,
            super::footprint::DEFAULT_HEIGHT_M,
            self.lanes_tagged,
            self.maxspeed_tagged
        )?;
        let s = &self.skipped;
        let notes = [
            (s.incomplete_buildings, "buildings cut by the file's edge"),
            (
                s.merged_ways,
                "building ways that are their multipolygon's outer ring",
            ),
            (s.incomplete_streets, "streets cut by the file's edge"),
            (
                s.trimmed_streets,
                "streets trimmed at the file's edge (kept)",
            ),
            (
                s.without_geometry,
                "buildings or streets without a polygon or line",
            ),
            (self.cropped_buildings, "buildings outside --crop"),
            (self.cropped_streets, "streets outside --crop"),
            (self.cut_streets, "streets cut at the --crop circle (kept)"),
            (
                self.unreadable_heights,
                "buildings with an unreadable height or building:levels",
            ),
            (
                self.unreadable_street_tags,
                "unreadable lanes or maxspeed tags",
            ),
            (
                self.poor_triangulations,
                "footprints whose triangles miss their area by over 1 %",
            ),
        ];
        let said: Vec<String> = notes
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if !said.is_empty() {
            write!(f, "\nleft out or noted: {}", said.join("; "))?;
        }
        Ok(())
    }
}

fn stored(v: f64) -> f64 {
    // + 0.0 turns -0.0 into 0.0.
    (v * STORED_STEPS_PER_M).round() / STORED_STEPS_PER_M + 0.0
}

fn place(projection: &Projection, points: &[LonLat]) -> Vec<Local> {
    points
        .iter()
        .map(|p| projection.local(*p).map(stored))
        .collect()
}

/// The features' longitude/latitude box: (min, max).
fn extent(map: &MapFeatures) -> Option<(LonLat, LonLat)> {
    let outers = map
        .buildings
        .iter()
        .flat_map(|b| &b.shapes)
        .map(|s| &s.outer);
    let lines = map.streets.iter().flat_map(|s| &s.lines);
    let mut points = outers.chain(lines).flatten();
    let first = *points.next()?;
    Some(points.fold((first, first), |(lo, hi), p| {
        (
            [lo[0].min(p[0]), lo[1].min(p[1])],
            [hi[0].max(p[0]), hi[1].max(p[1])],
        )
    }))
}

/// The city file for the map's features, and its summary (`bytes` unset).
pub(crate) fn assemble(
    map: MapFeatures,
    crop: Option<Crop>,
    path: &str,
    name: &str,
    source: &str,
) -> Result<(CityFile, Summary), CityError> {
    let empty = |why: String| CityError::Empty {
        path: path.to_string(),
        why,
    };
    let Some((lo, hi)) = extent(&map) else {
        return Err(empty(format!(
            "the file holds no complete buildings or streets ({} buildings and {} streets cut by its edge)",
            map.skipped.incomplete_buildings, map.skipped.incomplete_streets
        )));
    };
    let origin = match crop {
        Some(c) => [c.lon, c.lat],
        None => [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0]
            .map(|d| (d * ORIGIN_STEPS_PER_DEGREE).round() / ORIGIN_STEPS_PER_DEGREE),
    };
    let projection = Projection::new(origin);
    let mut summary = Summary {
        skipped: map.skipped,
        origin,
        ..Summary::default()
    };
    let buildings = place_buildings(&map.buildings, &projection, crop, &mut summary);
    let streets = place_streets(&map.streets, &projection, crop, &mut summary);
    if buildings.is_empty() && streets.is_empty() {
        let within = crop.map_or_else(
            || "with a usable shape".to_string(),
            |c| format!("within {} m of {}, {}", c.radius_m, c.lon, c.lat),
        );
        return Err(empty(format!(
            "no buildings or streets {within} (the file's features lie within longitude {:.5}..{:.5}, latitude {:.5}..{:.5})",
            lo[0], hi[0], lo[1], hi[1]
        )));
    }
    unique_ids(&buildings, &streets, path)?;
    let bounds = bounds(&buildings, &streets);
    summary.size_m = [bounds.max[0] - bounds.min[0], bounds.max[1] - bounds.min[1]].map(stored);
    let head = Head {
        format: asset::FORMAT.into(),
        version: asset::VERSION,
        name: name.into(),
        source: source.into(),
        attribution: asset::ATTRIBUTION.into(),
        license: asset::LICENSE.into(),
        projection: asset::PROJECTION.into(),
        origin: Origin {
            lon: origin[0],
            lat: origin[1],
        },
        crop,
        bounds,
    };
    let file = CityFile {
        head,
        buildings,
        streets,
    };
    Ok((file, summary))
}

fn place_buildings(
    list: &[MapBuilding],
    projection: &Projection,
    crop: Option<Crop>,
    summary: &mut Summary,
) -> Vec<Building> {
    let mut earcut = earcut::Earcut::new();
    let mut out = Vec::with_capacity(list.len());
    for b in list {
        let shapes: Vec<Shape<Local>> = b
            .shapes
            .iter()
            .map(|s| Shape {
                outer: place(projection, &s.outer),
                holes: s.holes.iter().map(|h| place(projection, h)).collect(),
            })
            .collect();
        if let Some(c) = crop {
            let outer: Vec<&Local> = shapes.iter().flat_map(|s| &s.outer).collect();
            let n = outer.len() as f64;
            let mean = outer
                .iter()
                .fold([0.0, 0.0], |m, p| [m[0] + p[0] / n, m[1] + p[1] / n]);
            if mean[0].hypot(mean[1]) > c.radius_m {
                summary.cropped_buildings += 1;
                continue;
            }
        }
        let parts: Vec<_> = shapes
            .into_iter()
            .map(|s| triangulate(&mut earcut, s))
            .collect();
        summary.buildings += 1;
        summary.multipolygons += usize::from(b.multipolygon);
        summary.with_holes += usize::from(parts.iter().any(|p| !p.shape.holes.is_empty()));
        summary.triangles += parts.iter().map(|p| p.triangles.len() / 3).sum::<usize>();
        summary.poor_triangulations +=
            usize::from(parts.iter().any(|p| p.deviation > POOR_TRIANGULATION));
        summary.from_height += usize::from(b.height.from == HeightFrom::Height);
        summary.from_levels += usize::from(b.height.from == HeightFrom::Levels);
        summary.unreadable_heights += usize::from(b.height.unreadable);
        out.push(Building {
            id: b.id.clone(),
            name: b.name.clone(),
            height_m: stored(b.height.m),
            height_from: b.height.from,
            area_m2: stored(parts.iter().map(|p| p.area_m2).sum()),
            parts: parts
                .into_iter()
                .map(|p| Part {
                    outer: p.shape.outer,
                    holes: p.shape.holes,
                    triangles: p.triangles,
                })
                .collect(),
        });
    }
    out
}

fn place_streets(
    list: &[MapStreet],
    projection: &Projection,
    crop: Option<Crop>,
    summary: &mut Summary,
) -> Vec<Street> {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        let mut lines: Vec<Vec<Local>> = s.lines.iter().map(|l| place(projection, l)).collect();
        if let Some(c) = crop {
            let cut: Vec<Vec<Local>> = lines
                .iter()
                .flat_map(|l| clip_line(l, c.radius_m))
                .collect();
            if cut.is_empty() {
                summary.cropped_streets += 1;
                continue;
            }
            if cut != lines {
                summary.cut_streets += 1;
                lines = cut
                    .into_iter()
                    .map(|l| l.into_iter().map(|p| p.map(stored)).collect())
                    .collect();
            }
        }
        for line in &mut lines {
            line.dedup();
        }
        lines.retain(|l| l.len() >= 2);
        if lines.is_empty() {
            continue; // shorter than a centimetre
        }
        let (lanes, lanes_tagged) = s.lanes;
        let (maxspeed_kmh, maxspeed_tagged) = s.maxspeed_kmh;
        let mut defaults = Vec::new();
        for (tagged, field) in [(lanes_tagged, "lanes"), (maxspeed_tagged, "maxspeed_kmh")] {
            match tagged {
                Tagged::Yes => {}
                Tagged::Missing => defaults.push(field.to_string()),
                Tagged::Unreadable => {
                    summary.unreadable_street_tags += 1;
                    defaults.push(field.to_string());
                }
            }
        }
        summary.streets += 1;
        summary.lanes_tagged += usize::from(lanes_tagged == Tagged::Yes);
        summary.maxspeed_tagged += usize::from(maxspeed_tagged == Tagged::Yes);
        out.push(Street {
            id: s.id.clone(),
            name: s.name.clone(),
            class: s.class.name.to_string(),
            lanes,
            maxspeed_kmh: (maxspeed_kmh * 10.0).round() / 10.0,
            defaults,
            lines,
        });
    }
    out
}

/// Two features with one id (a GeoJSON file can say so) would bind sensors
/// ambiguously.
fn unique_ids(buildings: &[Building], streets: &[Street], path: &str) -> Result<(), CityError> {
    let mut seen = HashSet::new();
    let ids = buildings
        .iter()
        .map(|b| &b.id)
        .chain(streets.iter().map(|s| &s.id));
    for id in ids {
        if !seen.insert(id) {
            return Err(CityError::Feature {
                path: path.to_string(),
                feature: id.clone(),
                why: "two features have this id; ids must be unique".into(),
            });
        }
    }
    Ok(())
}

fn bounds(buildings: &[Building], streets: &[Street]) -> Bounds {
    let outers = buildings
        .iter()
        .flat_map(|b| &b.parts)
        .flat_map(|p| &p.outer);
    let lines = streets.iter().flat_map(|s| &s.lines).flatten();
    let mut bounds = Bounds {
        min: [f64::INFINITY; 2],
        max: [f64::NEG_INFINITY; 2],
    };
    for p in outers.chain(lines) {
        bounds.min = [bounds.min[0].min(p[0]), bounds.min[1].min(p[1])];
        bounds.max = [bounds.max[0].max(p[0]), bounds.max[1].max(p[1])];
    }
    bounds
}

#[cfg(test)]
#[path = "assemble_tests.rs"]
mod tests;

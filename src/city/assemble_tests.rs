//! The fixture block in local metres: areas against geodesic areas
//! computed elsewhere, triangle counts by earcut's rule, the crop, and the
//! errors an assembled city can still meet.

use super::*;
use crate::city::geojson;

const BLOCK: &str = include_str!("../../tests/fixtures/city/block.geojson");

fn block() -> MapFeatures {
    geojson::features(BLOCK, "block.geojson").unwrap()
}

fn crop(lon: f64, lat: f64, radius_m: f64) -> Option<Crop> {
    Some(Crop { lon, lat, radius_m })
}

#[test]
fn areas_match_the_geodesic_areas_of_the_footprints() {
    let (file, _) = assemble(block(), None, "block.geojson", "block", "block.geojson").unwrap();
    // geographiclib (Python): Geodesic.WGS84.Polygon() over each ring, the
    // courtyards' areas taken away (scripts/city_reference.py prints them).
    let geodesic = [
        ("b-w100", 989.601),
        ("b-r987", 5195.358),
        ("b-r989", 5690.151),
        ("b-f3", 494.803),
    ];
    for (building, (id, expected)) in file.buildings.iter().zip(geodesic) {
        assert_eq!(building.id, id);
        // The projection is off by under 0.01 % this close to the origin
        // (0.5 m² of the largest); rounding corners to the centimetre
        // changes a rectangle's sides by at most 1 cm, so an area by at
        // most half its perimeter × 1 cm (2.3 m² for the courtyard
        // building's 467 m of walls).
        assert!(
            (building.area_m2 - expected).abs() < 2.8,
            "{id}: {} m², geodesic {expected} m²",
            building.area_m2
        );
    }
}

#[test]
fn triangles_follow_earcuts_count_and_cover_the_area() {
    let (file, summary) =
        assemble(block(), None, "block.geojson", "block", "block.geojson").unwrap();
    // n + 2h − 2 per footprint: square 4 + 0 − 2 = 2; courtyard 4 + 4 + 2 − 2
    // = 8; relation 989, 4 + 3 + 2 − 2 = 7; kiosk 3 − 2 = 1.
    let counts: Vec<usize> = file
        .buildings
        .iter()
        .map(|b| b.parts[0].triangles.len() / 3)
        .collect();
    assert_eq!(counts, [2, 8, 7, 1]);
    assert_eq!(summary.triangles, 18);
    assert_eq!(
        (summary.buildings, summary.with_holes, summary.multipolygons),
        (4, 2, 2)
    );
    assert_eq!(
        (
            summary.streets,
            summary.lanes_tagged,
            summary.maxspeed_tagged
        ),
        (2, 1, 1)
    );
    assert_eq!((summary.from_height, summary.from_levels), (1, 2));
    assert_eq!(summary.poor_triangulations, 0);
}

#[test]
fn the_origin_is_the_centre_of_the_features_and_the_file_says_so() {
    let (file, summary) =
        assemble(block(), None, "x/block.geojson", "block", "block.geojson").unwrap();
    // Longitudes 24.94 … 24.9464, latitudes 60.17 … 60.173.
    assert_eq!(summary.origin, [24.9432, 60.1715]);
    assert_eq!(
        (file.head.origin.lon, file.head.origin.lat),
        (24.9432, 60.1715)
    );
    assert_eq!(file.head.attribution, "© OpenStreetMap contributors");
    assert_eq!(file.head.source, "block.geojson");
    // 0.0064° of longitude at 60.17°N ≈ 355 m, 0.003° of latitude ≈ 334 m.
    let [w, h] = summary.size_m;
    assert!(
        (w - 355.0).abs() < 2.0 && (h - 334.0).abs() < 2.0,
        "{w} × {h}"
    );
    let residential = &file.streets[1];
    assert_eq!(residential.defaults, ["lanes", "maxspeed_kmh"]);
    assert_eq!((residential.lanes, residential.maxspeed_kmh), (2, 30.0));
}

#[test]
fn a_crop_keeps_whole_buildings_whose_centre_is_inside() {
    // Around the square's centre, 30 m: the courtyard is 128 m east.
    let (file, summary) = assemble(block(), crop(24.9402, 60.1702, 30.0), "b", "b", "b").unwrap();
    let ids: Vec<&str> = file.buildings.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["b-w100"]);
    assert!(file.streets.is_empty());
    assert_eq!((summary.cropped_buildings, summary.cropped_streets), (3, 2));
    // Whole, though its corners lie 25 m from the centre.
    assert_eq!(file.buildings[0].parts[0].outer.len(), 4);
    assert_eq!(file.head.origin.lon, 24.9402);
}

#[test]
fn a_building_stays_or_goes_by_the_mean_of_its_corners() {
    // From the square's centre, the courtyard building's corners average
    // 23 grid units east and 3 north: 127.7 m and 33.4 m (N·cos φ0 and M
    // at 60.17°N, 3,181,325 m and 6,383,619 m per radian), 132.0 m away,
    // though its west wall is only 100 m away.
    let kept = |radius_m| {
        let (file, _) = assemble(block(), crop(24.9402, 60.1702, radius_m), "b", "b", "b").unwrap();
        file.buildings.iter().any(|b| b.id == "b-r987")
    };
    assert!(!kept(131.0));
    assert!(kept(133.0));
}

#[test]
fn a_crop_cuts_streets_at_its_circle() {
    // On the primary street's middle node, 50 m.
    let (file, summary) = assemble(block(), crop(24.942, 60.172, 50.0), "b", "b", "b").unwrap();
    assert!(file.buildings.is_empty());
    assert_eq!(file.streets.len(), 1);
    let line = &file.streets[0].lines[0];
    assert_eq!(line.len(), 3, "{line:?}");
    assert_eq!(line[1], [0.0, 0.0]);
    for end in [line[0], line[2]] {
        assert!((end[0].hypot(end[1]) - 50.0).abs() < 0.01, "{end:?}");
    }
    assert_eq!(summary.cut_streets, 1);
}

#[test]
fn an_empty_crop_is_an_error_that_says_where_the_map_is() {
    let err = assemble(block(), crop(25.0, 61.0, 100.0), "block.geojson", "b", "b")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "block.geojson: no buildings or streets within 100 m of 25, 61 \
         (the file's features lie within longitude 24.94000..24.94640, latitude 60.17000..60.17300)"
    );
}

#[test]
fn a_map_without_features_is_an_error() {
    let err = assemble(MapFeatures::default(), None, "none.geojson", "n", "n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("none.geojson: the file holds no complete buildings or streets"),
        "{err}"
    );
}

#[test]
fn two_features_with_one_id_are_an_error() {
    let mut map = block();
    let copy = map.buildings[0].clone();
    map.buildings.push(copy);
    let err = assemble(map, None, "twice.geojson", "t", "t")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "twice.geojson: b-w100: two features have this id; ids must be unique"
    );
}

#[test]
fn the_summary_reads_as_sentences() {
    let (_, summary) = assemble(block(), None, "b", "b", "b").unwrap();
    let text = summary.to_string();
    assert!(
        text.starts_with("4 buildings (2 multipolygons, 2 with holes), 2 streets, 18 triangles\n"),
        "{text}"
    );
    assert!(
        text.contains("heights: 1 from height, 2 from building:levels, 1 default (9.6 m)"),
        "{text}"
    );
    assert!(
        text.ends_with("left out or noted: 1 buildings or streets without a polygon or line"),
        "{text}"
    );
}

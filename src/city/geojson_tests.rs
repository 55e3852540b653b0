//! GeoJSON features: the fixture block (the same buildings and streets as
//! block.osm.pbf, ids given the ways GeoJSON exporters write them), and
//! the files and rings that must stop an import.

use super::*;
use crate::city::footprint::HeightFrom;
use crate::city::streets::Tagged;

const BLOCK: &str = include_str!("../../tests/fixtures/city/block.geojson");

fn one_building(geometry: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"way/42","properties":{{"building":"yes"}},"geometry":{geometry}}}]}}"#
    )
}

#[test]
fn the_block_gives_buildings_and_streets_with_ids_from_their_osm_ids() {
    let map = features(BLOCK, "block.geojson").unwrap();
    let ids: Vec<&str> = map.buildings.iter().map(|b| b.id.as_str()).collect();
    // The fourth feature has no OSM id: its index names it.
    assert_eq!(ids, ["b-w100", "b-r987", "b-r989", "b-f3"]);
    let streets: Vec<&str> = map.streets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(streets, ["s-w300", "s-w301"]);
    assert_eq!(
        map.skipped.without_geometry, 1,
        "the building given as a point"
    );
    let courtyard = &map.buildings[1];
    assert_eq!(
        (courtyard.height.m, courtyard.height.from),
        (18.0, HeightFrom::Height)
    );
    assert_eq!(courtyard.name.as_deref(), Some("Courtyard"));
    assert_eq!(
        courtyard.shapes[0].outer.len(),
        4,
        "stored without the closing point"
    );
    assert_eq!(courtyard.shapes[0].holes.len(), 1);
    assert!(courtyard.multipolygon, "a relation's id");
    assert!(!map.buildings[0].multipolygon);
    assert_eq!(map.buildings[3].height.from, HeightFrom::Default);
    let primary = &map.streets[0];
    assert_eq!(
        (primary.lanes, primary.maxspeed_kmh),
        ((3, Tagged::Yes), (40.0, Tagged::Yes))
    );
    assert_eq!(map.streets[1].lines.len(), 1);
}

#[test]
fn a_ring_that_does_not_close_names_the_feature_and_its_ends() {
    let text = one_building(
        r#"{"type":"Polygon","coordinates":[[[24.94,60.17],[24.95,60.17],[24.95,60.18],[24.94,60.18]]]}"#,
    );
    let err = features(&text, "bad.geojson").unwrap_err().to_string();
    assert_eq!(
        err,
        "bad.geojson: feature 0 (way/42): polygon 0's outer ring: the ring does not close: \
         it starts at (24.94, 60.17) and ends at (24.94, 60.18)"
    );
}

#[test]
fn a_ring_of_two_points_names_the_feature() {
    let text = one_building(
        r#"{"type":"Polygon","coordinates":[[[24.94,60.17],[24.95,60.17],[24.94,60.17]]]}"#,
    );
    let err = features(&text, "bad.geojson").unwrap_err().to_string();
    assert!(err.starts_with("bad.geojson: feature 0 (way/42): polygon 0's outer ring: the ring has 2 distinct points"), "{err}");
}

#[test]
fn a_broken_hole_is_named_too() {
    let text = one_building(
        r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.1,5.1],[5.2,5.1]]]]}"#,
    );
    let err = features(&text, "bad.geojson").unwrap_err().to_string();
    assert!(
        err.contains("feature 0 (way/42): polygon 1's hole 0: the ring does not close"),
        "{err}"
    );
}

#[test]
fn metres_are_not_degrees() {
    // ETRS-TM35FIN (EPSG:3067) metres, as a Finnish GIS might export.
    let text = one_building(
        r#"{"type":"Polygon","coordinates":[[[385000,6672000],[385010,6672000],[385010,6672010],[385000,6672000]]]}"#,
    );
    let err = features(&text, "tm35.geojson").unwrap_err().to_string();
    assert!(
        err.contains("position (385000, 6672000) is not longitude/latitude"),
        "{err}"
    );
}

#[test]
fn a_street_needs_two_positions() {
    let text = r#"{"type":"Feature","properties":{"highway":"primary"},"geometry":{"type":"LineString","coordinates":[[24.9,60.1]]}}"#;
    let err = features(text, "one.geojson").unwrap_err().to_string();
    assert_eq!(
        err,
        "one.geojson: feature 0: line 0 has 1 position(s); a street needs at least 2"
    );
}

#[test]
fn what_is_not_geojson_says_so() {
    let err = features("{\"type\": \"Feature\", oops", "x.geojson")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("x.geojson is not a map file: it is not GeoJSON"),
        "{err}"
    );
    let err = features(r#"{"type":"Point","coordinates":[24.9,60.1]}"#, "p.geojson")
        .unwrap_err()
        .to_string();
    assert!(err.contains("a bare GeoJSON geometry"), "{err}");
}

#[test]
fn osm_ids_come_in_several_spellings() {
    assert_eq!(osm_key("way/123").as_deref(), Some("w123"));
    assert_eq!(osm_key("relation/9").as_deref(), Some("r9"));
    assert_eq!(osm_key("w123").as_deref(), Some("w123"));
    assert_eq!(osm_key("node/5").as_deref(), Some("n5"));
    assert_eq!(osm_key("123"), None);
    assert_eq!(osm_key("way/x"), None);
    assert_eq!(osm_key("area/5"), None);
    assert_eq!(osm_key("west"), None);
}

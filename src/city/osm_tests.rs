//! OSM elements built by hand (the same as scripts/city_fixture.py writes
//! into tests/fixtures/city/block.osm.pbf) turned into buildings and
//! streets, and the broken rings that must stop an import.

use super::*;
use crate::city::Skipped;
use crate::city::footprint::HeightFrom;
use crate::city::streets::Tagged;

/// Grid units of 1e-4° from 24.94°E, 60.17°N.
fn at(x: f64, y: f64) -> LonLat {
    [24.94 + x * 1e-4, 60.17 + y * 1e-4]
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn way(id: i64, refs: &[i64], t: &[(&str, &str)]) -> OsmWay {
    OsmWay {
        id,
        refs: refs.to_vec(),
        tags: tags(t),
    }
}

fn relation(id: i64, members: &[(i64, &str)], t: &[(&str, &str)]) -> OsmRelation {
    OsmRelation {
        id,
        members: members
            .iter()
            .map(|(id, role)| Member {
                is_way: true,
                id: *id,
                role: role.to_string(),
            })
            .collect(),
        tags: tags(t),
    }
}

/// The fixture block: a square (way 100), a building cut by the file's
/// edge (101), a multipolygon whose outer ring is two ways (relation 987),
/// one whose outer way is itself tagged building (989), a primary street,
/// a residential street missing a node, and a footway.
fn block() -> OsmData {
    let grid: &[(i64, f64, f64)] = &[
        (1, 0., 0.),
        (2, 4., 0.),
        (3, 4., 4.),
        (4, 0., 4.),
        (5, 10., 0.),
        (6, 14., 0.),
        (10, 20., 0.),
        (11, 30., 0.),
        (12, 30., 10.),
        (13, 20., 10.),
        (20, 23., 3.),
        (21, 27., 3.),
        (22, 27., 7.),
        (23, 23., 7.),
        (30, 40., 0.),
        (31, 50., 0.),
        (32, 50., 10.),
        (33, 40., 10.),
        (34, 43., 3.),
        (35, 47., 3.),
        (36, 47., 7.),
        (40, 0., 20.),
        (41, 20., 20.),
        (42, 40., 20.),
        (50, 0., 30.),
        (52, 20., 30.),
        (53, 30., 30.),
    ];
    OsmData {
        nodes: grid.iter().map(|&(id, x, y)| (id, at(x, y))).collect(),
        ways: vec![
            way(
                100,
                &[1, 2, 3, 4, 1],
                &[
                    ("building", "yes"),
                    ("name", "Talo"),
                    ("building:levels", "5"),
                ],
            ),
            way(101, &[5, 6, 99, 5], &[("building", "yes")]),
            way(201, &[10, 11, 12], &[]),
            way(202, &[12, 13, 10], &[]),
            way(203, &[20, 21, 22, 23, 20], &[]),
            way(
                204,
                &[30, 31, 32, 33, 30],
                &[("building", "yes"), ("name", "Old")],
            ),
            way(205, &[34, 35, 36, 34], &[]),
            way(
                300,
                &[40, 41, 42],
                &[
                    ("highway", "primary"),
                    ("name", "Mannerheimintie"),
                    ("lanes", "3"),
                    ("maxspeed", "40"),
                ],
            ),
            way(301, &[50, 51, 52, 53], &[("highway", "residential")]),
            way(302, &[40, 41], &[("highway", "footway")]),
        ],
        relations: vec![
            relation(
                987,
                &[(201, "outer"), (202, "outer"), (203, "inner")],
                &[
                    ("type", "multipolygon"),
                    ("building", "yes"),
                    ("height", "18"),
                    ("name", "Courtyard"),
                ],
            ),
            relation(
                989,
                &[(204, "outer"), (205, "inner")],
                &[
                    ("type", "multipolygon"),
                    ("building", "apartments"),
                    ("building:levels", "4"),
                ],
            ),
        ],
    }
}

fn ids(map: &MapFeatures) -> (Vec<&str>, Vec<&str>) {
    (
        map.buildings.iter().map(|b| b.id.as_str()).collect(),
        map.streets.iter().map(|s| s.id.as_str()).collect(),
    )
}

#[test]
fn the_block_gives_its_buildings_and_streets_with_ids_from_osm() {
    let map = features(&block(), "block.osm.pbf").unwrap();
    assert_eq!(
        ids(&map),
        (vec!["b-w100", "b-r987", "b-r989"], vec!["s-w300", "s-w301"])
    );
    assert_eq!(
        map.skipped,
        Skipped {
            incomplete_buildings: 1, // way 101: node 99 is not in the file
            merged_ways: 1,          // way 204 is relation 989's outer ring
            trimmed_streets: 1,      // way 301 without node 51
            ..Skipped::default()
        }
    );
    let square = &map.buildings[0];
    assert_eq!(square.name.as_deref(), Some("Talo"));
    assert_eq!(
        (square.height.m, square.height.from),
        (16.0, HeightFrom::Levels)
    );
    assert_eq!(
        square.shapes[0].outer,
        vec![at(0., 0.), at(4., 0.), at(4., 4.), at(0., 4.)]
    );
    assert!(!square.multipolygon);
}

#[test]
fn a_multipolygon_relation_is_assembled_from_its_two_outer_ways() {
    let map = features(&block(), "block.osm.pbf").unwrap();
    let courtyard = &map.buildings[1];
    assert!(courtyard.multipolygon);
    assert_eq!(courtyard.name.as_deref(), Some("Courtyard"));
    assert_eq!(
        (courtyard.height.m, courtyard.height.from),
        (18.0, HeightFrom::Height)
    );
    assert_eq!(
        courtyard.shapes,
        vec![Shape {
            // way 201 (10, 11, 12) then way 202 (12, 13, 10)
            outer: vec![at(20., 0.), at(30., 0.), at(30., 10.), at(20., 10.)],
            holes: vec![vec![at(23., 3.), at(27., 3.), at(27., 7.), at(23., 7.)]],
        }]
    );
    let merged = &map.buildings[2];
    assert_eq!(merged.shapes[0].holes.len(), 1);
    assert_eq!(merged.height.m, 12.8);
}

#[test]
fn streets_carry_their_tags_or_their_class_defaults() {
    let map = features(&block(), "block.osm.pbf").unwrap();
    let primary = &map.streets[0];
    assert_eq!(primary.name.as_deref(), Some("Mannerheimintie"));
    assert_eq!(
        (primary.class.name, primary.lanes, primary.maxspeed_kmh),
        ("primary", (3, Tagged::Yes), (40.0, Tagged::Yes))
    );
    assert_eq!(
        primary.lines,
        vec![vec![at(0., 20.), at(20., 20.), at(40., 20.)]]
    );
    let residential = &map.streets[1];
    assert_eq!(
        (residential.lanes, residential.maxspeed_kmh),
        ((2, Tagged::Missing), (30.0, Tagged::Missing))
    );
    // Node 51 is missing: node 50 alone is no line; 52 → 53 is.
    assert_eq!(residential.lines, vec![vec![at(20., 30.), at(30., 30.)]]);
}

fn broken(change: impl FnOnce(&mut OsmData)) -> String {
    let mut data = block();
    change(&mut data);
    features(&data, "x.osm.pbf").unwrap_err().to_string()
}

#[test]
fn a_building_way_that_does_not_close_is_an_error_naming_it() {
    let err = broken(|d| d.ways[0].refs = vec![1, 2, 3, 4]);
    assert_eq!(
        err,
        "x.osm.pbf: way 100 (a building): the ring does not close: it starts at node 1 and ends at node 4"
    );
}

#[test]
fn a_building_way_with_two_points_is_an_error_naming_it() {
    let err = broken(|d| d.ways[0].refs = vec![1, 2, 1]);
    assert!(
        err.starts_with("x.osm.pbf: way 100 (a building): the ring has 2 distinct points"),
        "{err}"
    );
}

#[test]
fn outer_ways_that_leave_a_gap_are_an_error_naming_the_relation_and_ways() {
    let err = broken(|d| d.ways[3].refs = vec![12, 13]); // way 202 stops short of node 10
    assert_eq!(
        err,
        "x.osm.pbf: relation 987 (a building multipolygon): outer ways 201, 202 do not close into a ring: \
         it ends at node 13, where no other member way starts or ends"
    );
}

#[test]
fn a_courtyard_outside_its_building_is_an_error() {
    let err = broken(|d| {
        for n in 20..=23 {
            d.nodes.get_mut(&n).unwrap()[0] += 0.01;
        }
    });
    assert!(
        err.contains("relation 987") && err.contains("inner ring of way 203 lies outside"),
        "{err}"
    );
}

#[test]
fn a_street_of_one_node_is_an_error_and_a_missing_member_way_is_skipped() {
    let err = broken(|d| d.ways[7].refs = vec![40]);
    assert_eq!(
        err,
        "x.osm.pbf: way 300 (a street): a street needs at least 2 nodes; it has 1"
    );
    let mut data = block();
    data.ways.retain(|w| w.id != 202);
    let map = features(&data, "x").unwrap();
    assert_eq!(ids(&map).0, vec!["b-w100", "b-r989"]);
    assert_eq!(map.skipped.incomplete_buildings, 2);
}

#[test]
fn reading_the_fixture_pbf_gives_the_hand_built_block() {
    let bytes = include_bytes!("../../tests/fixtures/city/block.osm.pbf");
    let read = features(
        &read_pbf(&bytes[..], "block.osm.pbf").unwrap(),
        "block.osm.pbf",
    )
    .unwrap();
    let built = features(&block(), "block.osm.pbf").unwrap();
    // PBF stores 1e-7° steps; compare positions to that.
    let round = |mut m: MapFeatures| {
        let r = |p: &mut LonLat| *p = p.map(|v| (v * 1e7).round() / 1e7);
        for b in &mut m.buildings {
            for s in &mut b.shapes {
                s.outer.iter_mut().for_each(r);
                s.holes.iter_mut().flatten().for_each(r);
            }
        }
        for s in &mut m.streets {
            s.lines.iter_mut().flatten().for_each(r);
        }
        m
    };
    assert_eq!(round(read), round(built));
}

#[test]
fn text_is_not_a_pbf() {
    let err = read_pbf(&b"\0\0\0\x0d\x0a\x09OSMHeader garbage"[..], "bad.osm.pbf").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("bad.osm.pbf is not a map file: it is not a readable OSM PBF"),
        "{err}"
    );
}

#[test]
fn a_way_cut_by_the_extract_keeps_its_known_runs() {
    let runs = known_runs([
        Some(1),
        Some(2),
        None,
        Some(3),
        None,
        Some(4),
        Some(5),
        Some(6),
    ]);
    assert_eq!(runs, vec![vec![1, 2], vec![4, 5, 6]]);
    assert!(known_runs([None, Some(1), None]).is_empty());
}

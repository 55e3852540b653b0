//! OpenStreetMap data: the elements the city needs, read from a PBF
//! extract (`osmpbf`), then turned into buildings and streets.
//!
//! Design: reading keeps every node's position and every way's nodes (a
//! multipolygon's member ways are often untagged, and relations come last
//! in a PBF), but only the tags the city uses; the whole extract sits in
//! memory, which suits a city district, not a country. Turning elements
//! into features is separate and pure, so tests build `OsmData` by hand.
//! An extract cut by a bounding box holds ways whose nodes lie partly
//! outside it: such a building is skipped and counted (its shape is not
//! known), such a street keeps its known stretches. A ring that the file
//! itself gets wrong (a building way that does not close, member ways that
//! leave a gap) is an error that names the way or relation.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::footprint::{Shape, height, open_ring};
use super::multipolygon::{JoinedRing, join_rings, nest, way_list};
use super::project::LonLat;
use super::streets::{StreetClass, class_of, lanes, maxspeed_kmh};
use super::{CityError, MapBuilding, MapFeatures, MapStreet};

/// The tags the city reads; the others are dropped while reading.
const KEPT_TAGS: &[&str] = &[
    "building",
    "building:levels",
    "height",
    "name",
    "highway",
    "lanes",
    "maxspeed",
    "type",
];

pub(crate) type Tags = BTreeMap<String, String>;

/// The parts of an OSM file the city needs.
#[derive(Debug, Default)]
pub(crate) struct OsmData {
    pub(crate) nodes: HashMap<i64, LonLat>,
    pub(crate) ways: Vec<OsmWay>,
    pub(crate) relations: Vec<OsmRelation>,
}

#[derive(Debug, Clone)]
pub(crate) struct OsmWay {
    pub(crate) id: i64,
    pub(crate) refs: Vec<i64>,
    pub(crate) tags: Tags,
}

#[derive(Debug, Clone)]
pub(crate) struct OsmRelation {
    pub(crate) id: i64,
    pub(crate) members: Vec<Member>,
    pub(crate) tags: Tags,
}

/// A relation's member; only ways matter to the city.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) is_way: bool,
    pub(crate) id: i64,
    pub(crate) role: String,
}

/// Reads the nodes, ways and relations of an OSM PBF.
pub(crate) fn read_pbf(
    reader: impl std::io::Read + Send,
    path: &str,
) -> Result<OsmData, CityError> {
    use osmpbf::Element;
    let kept = |tags: &mut dyn Iterator<Item = (&str, &str)>| -> Tags {
        tags.filter(|(k, _)| KEPT_TAGS.contains(k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut data = OsmData::default();
    osmpbf::ElementReader::new(reader)
        .for_each(|element| match element {
            Element::Node(n) => {
                data.nodes.insert(n.id(), [n.lon(), n.lat()]);
            }
            Element::DenseNode(n) => {
                data.nodes.insert(n.id(), [n.lon(), n.lat()]);
            }
            Element::Way(w) => data.ways.push(OsmWay {
                id: w.id(),
                refs: w.refs().collect(),
                tags: kept(&mut w.tags()),
            }),
            Element::Relation(r) => data.relations.push(OsmRelation {
                id: r.id(),
                members: r
                    .members()
                    .map(|m| Member {
                        is_way: m.member_type == osmpbf::RelMemberType::Way,
                        id: m.member_id,
                        role: m.role().unwrap_or_default().to_string(),
                    })
                    .collect(),
                tags: kept(&mut r.tags()),
            }),
        })
        .map_err(|e| CityError::NotAMap {
            path: path.to_string(),
            why: format!("it is not a readable OSM PBF ({e})"),
        })?;
    Ok(data)
}

fn tag<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.get(key).map(String::as_str)
}

fn is_building(tags: &Tags) -> bool {
    tag(tags, "building").is_some_and(|v| v != "no")
}

fn bad(path: &str, feature: String, why: String) -> CityError {
    CityError::Feature {
        path: path.to_string(),
        feature,
        why,
    }
}

/// The buildings (closed ways and multipolygon relations tagged
/// `building`) and streets (ways of a street class) of the data, in file
/// order, multipolygons after ways.
pub(crate) fn features(data: &OsmData, path: &str) -> Result<MapFeatures, CityError> {
    let ways: HashMap<i64, &OsmWay> = data.ways.iter().map(|w| (w.id, w)).collect();
    let mut map = MapFeatures::default();
    let mut multipolygons = Vec::new();
    let mut outer_ways = HashSet::new();
    for r in &data.relations {
        if tag(&r.tags, "type") != Some("multipolygon") || !is_building(&r.tags) {
            continue;
        }
        match relation_building(r, &ways, &data.nodes, path)? {
            Some((building, outers)) => {
                multipolygons.push(building);
                outer_ways.extend(outers);
            }
            None => map.skipped.incomplete_buildings += 1,
        }
    }
    for w in &data.ways {
        if is_building(&w.tags) {
            if outer_ways.contains(&w.id) {
                map.skipped.merged_ways += 1;
            } else if let Some(b) = way_building(w, &data.nodes, path)? {
                map.buildings.push(b);
            } else {
                map.skipped.incomplete_buildings += 1;
            }
        } else if let Some(class) = tag(&w.tags, "highway").and_then(class_of) {
            let street = street(w, class, &data.nodes, path)?;
            match street {
                Some(s) => {
                    if w.refs.iter().any(|n| !data.nodes.contains_key(n)) {
                        map.skipped.trimmed_streets += 1;
                    }
                    map.streets.push(s);
                }
                None => map.skipped.incomplete_streets += 1,
            }
        }
    }
    map.buildings.extend(multipolygons);
    Ok(map)
}

fn building(
    id: String,
    tags: &Tags,
    shapes: Vec<Shape<LonLat>>,
    multipolygon: bool,
) -> MapBuilding {
    MapBuilding {
        id,
        name: tag(tags, "name").map(str::to_string),
        height: height(tag(tags, "height"), tag(tags, "building:levels")),
        shapes,
        multipolygon,
    }
}

/// A closed way tagged `building`; `None` when a node is not in the file.
fn way_building(
    w: &OsmWay,
    nodes: &HashMap<i64, LonLat>,
    path: &str,
) -> Result<Option<MapBuilding>, CityError> {
    let ring = open_ring(&w.refs, |n| format!("node {n}"))
        .map_err(|why| bad(path, format!("way {} (a building)", w.id), why))?;
    let Some(outer) = ring.iter().map(|n| nodes.get(n).copied()).collect() else {
        return Ok(None);
    };
    let shape = Shape {
        outer,
        holes: Vec::new(),
    };
    Ok(Some(building(
        format!("b-w{}", w.id),
        &w.tags,
        vec![shape],
        false,
    )))
}

/// A multipolygon relation tagged `building`, its rings joined from its
/// `outer` (or unnamed) and `inner` member ways, with those outer ways;
/// `None` when a member way or node is not in the file.
fn relation_building(
    r: &OsmRelation,
    ways: &HashMap<i64, &OsmWay>,
    nodes: &HashMap<i64, LonLat>,
    path: &str,
) -> Result<Option<(MapBuilding, Vec<i64>)>, CityError> {
    let feature = || format!("relation {} (a building multipolygon)", r.id);
    let (mut outers, mut inners) = (Vec::new(), Vec::new());
    for m in r.members.iter().filter(|m| m.is_way) {
        let Some(w) = ways.get(&m.id) else {
            return Ok(None);
        };
        match m.role.as_str() {
            "outer" | "" => outers.push((w.id, w.refs.clone())),
            "inner" => inners.push((w.id, w.refs.clone())),
            _ => {}
        }
    }
    if outers.is_empty() {
        return Err(bad(path, feature(), "it has no outer member way".into()));
    }
    let join = |members: &[(i64, Vec<i64>)], role: &str| {
        join_rings(members).map_err(|why| bad(path, feature(), format!("{role} {why}")))
    };
    let (outer_rings, inner_rings) = (join(&outers, "outer")?, join(&inners, "inner")?);
    let place = |rings: &[JoinedRing]| -> Option<Vec<Vec<LonLat>>> {
        rings
            .iter()
            .map(|ring| {
                let open = &ring.nodes[..ring.nodes.len() - 1];
                open.iter().map(|n| nodes.get(n).copied()).collect()
            })
            .collect()
    };
    let (Some(outer_points), Some(inner_points)) = (place(&outer_rings), place(&inner_rings))
    else {
        return Ok(None);
    };
    let shapes = nest(outer_points, inner_points).map_err(|i| {
        let ways = way_list(&inner_rings[i].ways);
        bad(
            path,
            feature(),
            format!("the inner ring of {ways} lies outside every outer ring"),
        )
    })?;
    let id = format!("b-r{}", r.id);
    let outer_ids = outers.iter().map(|(id, _)| *id).collect();
    Ok(Some((building(id, &r.tags, shapes, true), outer_ids)))
}

/// A way of a street class; `None` when fewer than two of its nodes in a
/// row are in the file.
fn street(
    w: &OsmWay,
    class: &'static StreetClass,
    nodes: &HashMap<i64, LonLat>,
    path: &str,
) -> Result<Option<MapStreet>, CityError> {
    if w.refs.len() < 2 {
        let why = format!("a street needs at least 2 nodes; it has {}", w.refs.len());
        return Err(bad(path, format!("way {} (a street)", w.id), why));
    }
    let lines = known_runs(w.refs.iter().map(|n| nodes.get(n).copied()));
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(MapStreet {
        id: format!("s-w{}", w.id),
        name: tag(&w.tags, "name").map(str::to_string),
        class,
        lanes: lanes(tag(&w.tags, "lanes"), class),
        maxspeed_kmh: maxspeed_kmh(tag(&w.tags, "maxspeed"), class),
        lines,
    }))
}

/// The runs of a way's nodes whose positions are known, each with at least
/// two points: a street that leaves the extract keeps the parts inside.
fn known_runs<P: Copy>(points: impl IntoIterator<Item = Option<P>>) -> Vec<Vec<P>> {
    let mut runs = vec![Vec::new()];
    for p in points {
        match p {
            Some(p) => runs.last_mut().expect("one run at least").push(p),
            None => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| r.len() >= 2);
    runs
}

#[cfg(test)]
#[path = "osm_tests.rs"]
mod tests;

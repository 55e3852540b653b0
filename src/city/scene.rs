//! A scene's city made twins: every building and street of its map (a city
//! file, `asset`) becomes a twin with the sensors the scene's `city`
//! section lists, placed at its centre in scene coordinates (x east, y up,
//! z south; the map's y is north). Pure: the loader and `scene check` read
//! the map's bytes and call this.

use std::sync::Arc;

use super::asset::{CityFile, FORMAT, VERSION};
use crate::scene::format::{
    BUILDING_KIND, DistrictDef, STREET_KIND, SceneDef, SensorDef, ShapeDef, TransformDef, TwinDef,
};

/// A city file's bytes, checked: JSON of the expected format and version.
/// The error says what is wrong and where in the file.
pub(crate) fn read_map(bytes: &[u8], name: &str) -> Result<CityFile, String> {
    let mut map: CityFile = serde_json::from_slice(bytes)
        .map_err(|e| format!("{name}:{}:{}: {e}", e.line(), e.column()))?;
    if map.head.format != FORMAT || map.head.version != VERSION {
        return Err(format!(
            "{name}: not a city file of this version (format \"{}\" version {}, expected \"{FORMAT}\" version {VERSION}; re-import it with `twinscape import`)",
            map.head.format, map.head.version
        ));
    }
    map.compact();
    Ok(map)
}

/// Appends a twin per building and street of `map` to the scene, each with
/// the city section's sensors, and one per district with its figures'
/// sensors. A hand-written twin or a district whose id a map feature also
/// has is an error (the map's ids are `b-w123`, `s-w456`, …).
pub(crate) fn expand(scene: &mut SceneDef, map: &CityFile) -> Result<(), String> {
    let Some(city) = scene.city.clone() else {
        return Ok(());
    };
    let taken: std::collections::HashSet<&str> = scene
        .twins
        .iter()
        .map(|t| t.id.as_str())
        .chain(city.districts.iter().map(|d| d.id.as_str()))
        .collect();
    let clash = map
        .buildings
        .iter()
        .map(|b| &b.id)
        .chain(map.streets.iter().map(|s| &s.id))
        .find(|id| taken.contains(id.as_str()));
    if let Some(id) = clash {
        return Err(format!(
            "twin \"{id}\" is also a feature of the city map {}",
            city.map
        ));
    }
    let mut twins = Vec::with_capacity(map.buildings.len() + map.streets.len());
    // One list of sensors for every building, one for every street.
    let buildings: Arc<[SensorDef]> = city.buildings.clone().into();
    let streets: Arc<[SensorDef]> = city.streets.clone().into();
    for b in &map.buildings {
        let points = b.parts.iter().flat_map(|p| p.outer.iter());
        let name = b
            .name
            .clone()
            .unwrap_or_else(|| format!("Building {}", b.id));
        twins.push(twin(&buildings, BUILDING_KIND, &b.id, name, centre(points)));
    }
    for s in &map.streets {
        let points = s.lines.iter().flatten();
        let name = s
            .name
            .clone()
            .unwrap_or_else(|| format!("{} {}", s.class, s.id));
        twins.push(twin(&streets, STREET_KIND, &s.id, name, centre(points)));
    }
    twins.extend(city.districts.iter().map(DistrictDef::twin));
    scene.twins.extend(twins);
    Ok(())
}

fn twin(sensors: &Arc<[SensorDef]>, kind: &str, id: &str, name: String, at: [f64; 2]) -> TwinDef {
    TwinDef {
        id: id.into(),
        name,
        kind: kind.into(),
        transform: TransformDef {
            translation: scene_point(at, 0.0),
            ..Default::default()
        },
        shape: ShapeDef::Empty,
        parent: None,
        sensors: sensors.clone(),
    }
}

/// Reads the map (`bytes`, as the caller fetched them: the asset server,
/// or the disk) and expands the scene with it. Errors name the scene file
/// and the map.
pub(crate) fn expand_with(
    scene: &mut SceneDef,
    scene_file: &str,
    name: &str,
    bytes: Result<Vec<u8>, String>,
) -> Result<CityFile, String> {
    let bytes = bytes.map_err(|e| format!("{scene_file}: city map {name}: {e}"))?;
    let map = read_map(&bytes, name).map_err(|e| format!("{scene_file}: city map {e}"))?;
    expand(scene, &map).map_err(|e| format!("{scene_file}: {e}"))?;
    Ok(map)
}

/// `expand` with the map read from `assets` (the command line's way: the
/// app reads it through its asset server).
#[cfg(not(target_arch = "wasm32"))]
pub fn expand_from_disk(
    scene: &mut SceneDef,
    scene_file: &str,
    assets: &std::path::Path,
) -> Result<(), String> {
    let Some(name) = scene.city.as_ref().map(|c| c.map.clone()) else {
        return Ok(());
    };
    let bytes = std::fs::read(assets.join(&name)).map_err(|e| e.to_string());
    expand_with(scene, scene_file, &name, bytes).map(|_| ())
}

/// The middle of a set of map points (the mean of their corners' box).
fn centre<'a>(points: impl Iterator<Item = &'a [f64; 2]>) -> [f64; 2] {
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in points {
        for i in 0..2 {
            lo[i] = lo[i].min(p[i]);
            hi[i] = hi[i].max(p[i]);
        }
    }
    if lo[0] > hi[0] {
        return [0.0, 0.0];
    }
    [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0]
}

/// A map point (x east, y north, metres) at height `up` in scene
/// coordinates (x east, y up, z south).
pub(crate) fn scene_point(p: [f64; 2], up: f64) -> [f32; 3] {
    [p[0] as f32, up as f32, -p[1] as f32]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::parse;

    const MAP: &str = r#"{"format":"twinscape-city","version":1,"name":"t","source":"t.geojson","attribution":"© OpenStreetMap contributors","license":"ODbL-1.0","projection":"p","origin":{"lon":24.9,"lat":60.1},"bounds":{"min":[0,0],"max":[30,20]},
"buildings":[{"id":"b-w1","name":"Hall","height_m":12.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[0,0],[20,0],[20,10],[0,10]],"triangles":[0,1,2,0,2,3]}]}],
"streets":[{"id":"s-w2","class":"residential","lanes":2,"maxspeed_kmh":30.0,"lines":[[[0,20],[30,20]]]}]}"#;

    fn scene(extra_twin: &str) -> SceneDef {
        let text = format!(
            r#"(name: "c", kind: City, twins: [{extra_twin}],
               templates: [(topic: "city/building/{{twin}}", sensor: "energy", decode: Json("energy_kw"))],
               city: (map: "city/t.city.json",
                 buildings: [(name: "energy", unit: "kW", range: (0.0, 100.0), show: [Color])],
                 streets: [(name: "speed", unit: "km/h", range: (0.0, 50.0))]))"#
        );
        parse(&text, "c.scene.ron").unwrap()
    }

    #[test]
    fn every_building_and_street_becomes_a_twin_with_the_section_s_sensors() {
        let map = read_map(MAP.as_bytes(), "t.city.json").unwrap();
        let mut s = scene("");
        expand(&mut s, &map).unwrap();
        let ids: Vec<(&str, &str, &str)> = s
            .twins
            .iter()
            .map(|t| (t.id.as_str(), t.name.as_str(), t.kind.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("b-w1", "Hall", "building"),
                ("s-w2", "residential s-w2", "street")
            ]
        );
        // The hall's box is 0..20 east, 0..10 north: its middle is 10 m east,
        // 5 m north, which is z = -5 in the scene.
        assert_eq!(s.twins[0].transform.translation, [10.0, 0.0, -5.0]);
        assert_eq!(s.twins[1].transform.translation, [15.0, 0.0, -20.0]);
        assert_eq!(s.twins[0].sensors[0].name, "energy");
        assert_eq!(s.twins[1].sensors[0].name, "speed");
        // Bound through the template, with the twin's id in the topic.
        let (topic, _) = s.binding_of(&s.twins[0], &s.twins[0].sensors[0]).unwrap();
        assert_eq!(topic, "city/building/b-w1");
    }

    #[test]
    fn a_hand_written_twin_with_a_map_id_is_an_error() {
        let map = read_map(MAP.as_bytes(), "t.city.json").unwrap();
        let mut s = scene(r#"(id: "s-w2", name: "x", kind: "k")"#);
        let err = expand(&mut s, &map).unwrap_err();
        assert_eq!(
            err,
            "twin \"s-w2\" is also a feature of the city map city/t.city.json"
        );
    }

    #[test]
    fn a_broken_or_foreign_map_says_where_or_what() {
        let err = read_map(
            b"{\"format\": \"twinscape-city\",\n \"version\": }",
            "m.json",
        )
        .unwrap_err();
        assert!(err.starts_with("m.json:2:13: "), "{err}");
        let other = MAP.replace("\"version\":1", "\"version\":7");
        let err = read_map(other.as_bytes(), "m.json").unwrap_err();
        assert!(
            err.contains("version 7, expected \"twinscape-city\" version 1"),
            "{err}"
        );
    }

    #[test]
    fn a_city_sensor_with_its_own_binding_is_refused_with_where() {
        let text = r#"(name: "c", twins: [],
  city: (map: "m.json",
    buildings: [(name: "energy", unit: "kW", range: (0.0, 1.0), binding: (topic: "a/b"))]))"#;
        let err = parse(text, "c.scene.ron").unwrap_err().to_string();
        assert!(
            err.starts_with("c.scene.ron:3:18: city building sensor \"energy\": city sensors are bound by `templates`"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_district_is_refused_with_where() {
        let scene = |district: &str| {
            format!(
                r#"(name: "c", twins: [(id: "pump", name: "p", kind: "k")],
  templates: [(topic: "e/{{twin}}", sensor: "energy")],
  city: (map: "m.json",
    buildings: [(name: "energy", unit: "kW", range: (0.0, 1.0))],
    districts: [
      {district}]))"#
            )
        };
        let figure = r#"figures: [(of: "building/energy", figure: Total, sensor: (name: "total", unit: "kW", range: (0.0, 9.0)))]"#;
        for (district, want) in [
            (
                format!(r#"(id: "d", name: "D", area: ((0.0, 0.0), (0.5, 9.0)), {figure})"#),
                "c.scene.ron:6:28: city district \"d\": area (0, 0) to (0.5, 9) must be finite with sides of at least 1 m",
            ),
            (
                // The second district's area, not the first's.
                format!(
                    "(id: \"a\", name: \"A\", area: ((0.0, 0.0), (9.0, 9.0)), {figure}),\n      (id: \"b\", name: \"B\", area: ((0.0, 0.0), (0.5, 9.0)), {figure})"
                ),
                "c.scene.ron:7:28: city district \"b\": area (0, 0) to (0.5, 9) must be finite with sides of at least 1 m",
            ),
            (
                format!(r#"(id: "pump", name: "D", area: ((0.0, 0.0), (9.0, 9.0)), {figure})"#),
                "c.scene.ron:6:8: city district \"pump\": a twin has that id too",
            ),
            (
                format!(
                    r#"(id: "d", name: "D", area: ((0.0, 0.0), (9.0, 9.0)), {})"#,
                    figure.replace("building/energy", "building/power")
                ),
                "c.scene.ron:6:71: city district \"d\": no city building sensor is named \"power\"",
            ),
            (
                format!(
                    r#"(id: "d", name: "D", area: ((0.0, 0.0), (9.0, 9.0)), {})"#,
                    figure.replace("building/energy", "energy")
                ),
                "c.scene.ron:6:71: city district \"d\": figure of \"energy\" must be \"building/SENSOR\" or \"street/SENSOR\"",
            ),
            (
                format!(
                    r#"(id: "d", name: "D", area: ((0.0, 0.0), (9.0, 9.0)), {})"#,
                    figure.replace("name: \"total\"", "name: \"energy\"")
                ),
                "c.scene.ron:6:8: city district \"d\" sensor \"energy\": a district works out its figures; it takes no binding, and no template may bind its name",
            ),
        ] {
            let err = parse(&scene(&district), "c.scene.ron")
                .unwrap_err()
                .to_string();
            assert_eq!(err, want);
        }
        // The sides are measured corner to corner, whichever corner comes
        // first: 1 m is enough, in x and in z; a thin side in z is refused
        // as one in x is.
        let area = |a: &str| format!(r#"(id: "d", name: "D", area: {a}, {figure})"#);
        for ok in [
            "((0.0, 0.0), (1.0, 9.0))",
            "((0.0, 4.0), (9.0, -4.5))",
            "((5.0, 0.0), (4.0, 1.0))",
        ] {
            parse(&scene(&area(ok)), "c.scene.ron").expect(ok);
        }
        let err = parse(&scene(&area("((0.0, 0.0), (9.0, 0.5))")), "c.scene.ron").unwrap_err();
        assert!(
            err.to_string()
                .contains("must be finite with sides of at least 1 m"),
            "{err}"
        );
    }
}

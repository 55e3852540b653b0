//! A district's figures (no Bevy types): the blocks whose centres lie in
//! an area of the map, counted by kind and by health, and for each sensor
//! the total, mean, lowest and highest of the latest values of the blocks
//! that report one. The view feeds it the blocks inside a rectangle the
//! user drags on the map; a scene's own districts (`city: (districts: ..)`)
//! are planned here once (which sensors make each figure) and worked out
//! by the city plugin.

use crate::scene::format::{DISTRICT_KIND, Figure, SceneDef};

/// Two corners of a rectangle on the ground (x east, z south, metres), in
/// any order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Area {
    pub(crate) a: [f32; 2],
    pub(crate) b: [f32; 2],
}

impl Area {
    /// Whether the ground point `p` lies inside (edges included).
    pub(crate) fn holds(&self, p: [f32; 2]) -> bool {
        (0..2).all(|i| {
            let (lo, hi) = (self.a[i].min(self.b[i]), self.a[i].max(self.b[i]));
            (lo..=hi).contains(&p[i])
        })
    }

    /// Its sides, metres (east–west, north–south).
    pub(crate) fn size_m(&self) -> [f32; 2] {
        [(self.a[0] - self.b[0]).abs(), (self.a[1] - self.b[1]).abs()]
    }
}

/// One sensor's figures over a district.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SensorFigures {
    /// The kind of block it belongs to (`building`, `street`).
    pub(crate) kind: String,
    pub(crate) sensor: String,
    pub(crate) unit: String,
    /// Blocks of that kind with a value.
    pub(crate) reporting: usize,
    pub(crate) total: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl SensorFigures {
    fn new(kind: &str, sensor: &str, unit: &str) -> SensorFigures {
        SensorFigures {
            kind: kind.to_string(),
            sensor: sensor.to_string(),
            unit: unit.to_string(),
            reporting: 0,
            total: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// One block's latest value (nothing when it has none or it is not a
    /// number).
    fn add(&mut self, value: Option<f64>) {
        let Some(v) = value.filter(|v| v.is_finite()) else {
            return;
        };
        self.reporting += 1;
        self.total += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub(crate) fn mean(&self) -> Option<f64> {
        (self.reporting > 0).then(|| self.total / self.reporting as f64)
    }
}

/// A district's figures, built block by block.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Figures {
    /// Blocks by kind, in the order first seen.
    pub(crate) blocks: Vec<(String, usize)>,
    pub(crate) warning: usize,
    pub(crate) alarm: usize,
    pub(crate) sensors: Vec<SensorFigures>,
}

impl Figures {
    /// One block of `kind`, in warning and/or alarm.
    pub(crate) fn block(&mut self, kind: &str, warning: bool, alarm: bool) {
        match self.blocks.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => self.blocks.push((kind.to_string(), 1)),
        }
        self.warning += usize::from(warning && !alarm);
        self.alarm += usize::from(alarm);
    }

    /// One block's latest value of a sensor (nothing when it has none).
    pub(crate) fn value(&mut self, kind: &str, sensor: &str, unit: &str, value: Option<f64>) {
        let at = match self
            .sensors
            .iter()
            .position(|s| s.kind == kind && s.sensor == sensor)
        {
            Some(i) => i,
            None => {
                self.sensors.push(SensorFigures::new(kind, sensor, unit));
                self.sensors.len() - 1
            }
        };
        self.sensors[at].add(value);
    }

    /// Blocks of `kind` in the district.
    pub(crate) fn count(&self, kind: &str) -> usize {
        self.blocks
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

impl Area {
    /// A scene district's area, `((x, z), (x, z))`.
    pub(crate) fn of(((x0, z0), (x1, z1)): ((f64, f64), (f64, f64))) -> Area {
        Area {
            a: [x0 as f32, z0 as f32],
            b: [x1 as f32, z1 as f32],
        }
    }
}

impl SensorFigures {
    /// The figure a scene district asks for, once a block reports.
    pub(crate) fn figure(&self, figure: Figure) -> Option<f64> {
        (self.reporting > 0).then_some(match figure {
            Figure::Total => self.total,
            Figure::Mean => self.total / self.reporting as f64,
            Figure::Min => self.min,
            Figure::Max => self.max,
        })
    }
}

/// A scene district's figure of its blocks' latest values (none until one
/// reports).
pub(crate) fn work_out(
    figure: Figure,
    values: impl IntoIterator<Item = Option<f64>>,
) -> Option<f64> {
    let mut tally = SensorFigures::new("", "", "");
    for v in values {
        tally.add(v);
    }
    tally.figure(figure)
}

/// One sensor of a scene district and the sensors whose latest values
/// make it, by number (their place in the scene's order of sensors).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    pub(crate) sensor: u32,
    pub(crate) figure: Figure,
    pub(crate) members: Vec<u32>,
}

/// Every scene district's figures, each with the blocks' sensors in it:
/// sensor `of`'s of each twin of that kind whose centre (x, z) lies in the
/// area. `scene` is the expanded scene (its districts are twins).
pub(crate) fn plan(scene: &SceneDef) -> Vec<Planned> {
    let Some(city) = &scene.city else {
        return vec![];
    };
    // (area, kind, sensor) of each figure, in districts' order.
    let wanted: Vec<(Area, &str, &str)> = city
        .districts
        .iter()
        .flat_map(|d| {
            d.figures.iter().map(|f| {
                let (kind, sensor) = f.of.split_once('/').unwrap_or((&f.of, ""));
                (Area::of(d.area), kind, sensor)
            })
        })
        .collect();
    let mut planned: Vec<Planned> = city
        .districts
        .iter()
        .flat_map(|d| d.figures.iter())
        .map(|f| Planned {
            sensor: u32::MAX,
            figure: f.figure,
            members: vec![],
        })
        .collect();
    for (n, (twin, sensor)) in scene.sensors().enumerate() {
        let n = n as u32;
        if twin.kind == DISTRICT_KIND {
            let mut at = 0;
            for d in &city.districts {
                for f in &d.figures {
                    if d.id == twin.id && f.sensor.name == sensor.name {
                        planned[at].sensor = n;
                    }
                    at += 1;
                }
            }
            continue;
        }
        let [x, _, z] = twin.transform.translation;
        for (i, (area, kind, name)) in wanted.iter().enumerate() {
            if twin.kind == *kind && sensor.name == *name && area.holds([x, z]) {
                planned[i].members.push(n);
            }
        }
    }
    planned.retain(|p| p.sensor != u32::MAX);
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rectangle_holds_its_inside_and_edges_whichever_corner_comes_first() {
        let area = Area {
            a: [10.0, -5.0],
            b: [-10.0, 5.0],
        };
        assert!(area.holds([0.0, 0.0]));
        assert!(area.holds([10.0, 5.0]));
        assert!(!area.holds([10.1, 0.0]));
        assert!(!area.holds([0.0, -5.1]));
        assert_eq!(area.size_m(), [20.0, 10.0]);
    }

    #[test]
    fn totals_and_means_count_only_blocks_that_report() {
        let mut f = Figures::default();
        // Three buildings (one silent, one in alarm) and a street.
        for (energy, warn, alarm) in [
            (Some(380.0), false, false),
            (Some(20.0), true, true),
            (None, false, false),
        ] {
            f.block("building", warn, alarm);
            f.value("building", "energy", "kW", energy);
        }
        f.block("street", true, false);
        f.value("street", "speed", "km/h", Some(31.5));
        f.value("street", "speed", "km/h", Some(f64::NAN));
        assert_eq!(f.count("building"), 3);
        assert_eq!(f.count("street"), 1);
        assert_eq!(f.count("car park"), 0);
        assert_eq!((f.warning, f.alarm), (1, 1));
        let energy = &f.sensors[0];
        assert_eq!((energy.reporting, energy.total), (2, 400.0));
        assert_eq!(energy.mean(), Some(200.0));
        assert_eq!((energy.min, energy.max), (20.0, 380.0));
        let speed = &f.sensors[1];
        assert_eq!(
            (speed.kind.as_str(), speed.reporting, speed.mean()),
            ("street", 1, Some(31.5))
        );
    }

    #[test]
    fn a_sensor_nobody_reports_has_no_mean() {
        let mut f = Figures::default();
        f.block("building", false, false);
        f.value("building", "energy", "kW", None);
        assert_eq!(f.sensors[0].reporting, 0);
        assert_eq!(f.sensors[0].mean(), None);
    }

    const MAP: &str = r#"{"format":"twinscape-city","version":1,"name":"t","source":"t.geojson","attribution":"a","license":"l","projection":"p","origin":{"lon":24.9,"lat":60.1},"bounds":{"min":[0,0],"max":[520,20]},
"buildings":[
 {"id":"b-1","height_m":10.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[0,0],[20,0],[20,10],[0,10]],"triangles":[0,1,2,0,2,3]}]},
 {"id":"b-2","height_m":10.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[40,0],[60,0],[60,10],[40,10]],"triangles":[0,1,2,0,2,3]}]},
 {"id":"b-3","height_m":10.0,"height_from":"height","area_m2":200.0,"parts":[{"outer":[[490,0],[510,0],[510,10],[490,10]],"triangles":[0,1,2,0,2,3]}]}],
"streets":[{"id":"s-1","class":"residential","lanes":2,"maxspeed_kmh":30.0,"lines":[[[0,20],[30,20]]]}]}"#;

    #[test]
    fn a_scene_district_plans_the_blocks_whose_centres_it_holds() {
        // Centres, scene x and z (z is minus the map's north): b-1 (10, -5),
        // b-2 (50, -5), b-3 (500, -5), s-1 (15, -20) on the area's edge.
        let text = r#"(name: "c", twins: [],
          templates: [(topic: "e/{twin}", sensor: "energy"), (topic: "s/{twin}", sensor: "speed")],
          city: (map: "t.city.json",
            buildings: [(name: "energy", unit: "kW", range: (0.0, 100.0))],
            streets: [(name: "speed", unit: "km/h", range: (0.0, 50.0))],
            districts: [(id: "d-1", name: "One", area: ((60.0, 10.0), (0.0, -20.0)), figures: [
              (of: "building/energy", figure: Total, sensor: (name: "energy_total", unit: "kW", range: (0.0, 200.0))),
              (of: "street/speed", figure: Mean, sensor: (name: "mean_speed", unit: "km/h", range: (0.0, 50.0))),
            ])]))"#;
        let mut scene = crate::scene::format::parse(text, "c.scene.ron").unwrap();
        let map = crate::city::scene::read_map(MAP.as_bytes(), "t.city.json").unwrap();
        crate::city::scene::expand(&mut scene, &map).unwrap();
        let d = scene.twins.last().unwrap();
        assert_eq!((d.id.as_str(), d.kind.as_str()), ("d-1", "district"));
        assert_eq!(d.transform.translation, [30.0, 0.0, -5.0]);
        // Sensors in scene order: b-1, b-2, b-3 energy (0–2), s-1 speed (3),
        // then the district's two (4, 5).
        assert_eq!(
            plan(&scene),
            [
                Planned {
                    sensor: 4,
                    figure: Figure::Total,
                    members: vec![0, 1]
                },
                Planned {
                    sensor: 5,
                    figure: Figure::Mean,
                    members: vec![3]
                },
            ]
        );
    }

    #[test]
    fn a_district_figure_is_the_total_mean_or_range_of_the_blocks_that_report() {
        let mut f = Figures::default();
        for v in [Some(100.0), None, Some(300.0), Some(f64::NAN)] {
            f.value("building", "energy", "kW", v);
        }
        let s = &f.sensors[0];
        assert_eq!(s.figure(Figure::Total), Some(400.0));
        assert_eq!(s.figure(Figure::Mean), Some(200.0));
        assert_eq!(s.figure(Figure::Min), Some(100.0));
        assert_eq!(s.figure(Figure::Max), Some(300.0));
        assert_eq!(work_out(Figure::Total, [None, None]), None);
        assert_eq!(
            work_out(Figure::Max, [Some(-3.0), None, Some(-7.5)]),
            Some(-3.0)
        );
    }
}

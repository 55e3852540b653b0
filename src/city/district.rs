//! A district's figures (no Bevy types): the blocks whose centres lie in
//! an area of the map, counted by kind and by health, and for each sensor
//! the total, mean, lowest and highest of the latest values of the blocks
//! that report one. The view feeds it the blocks inside a rectangle the
//! user drags on the map.

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
                self.sensors.push(SensorFigures {
                    kind: kind.to_string(),
                    sensor: sensor.to_string(),
                    unit: unit.to_string(),
                    reporting: 0,
                    total: 0.0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                });
                self.sensors.len() - 1
            }
        };
        let Some(v) = value.filter(|v| v.is_finite()) else {
            return;
        };
        let s = &mut self.sensors[at];
        s.reporting += 1;
        s.total += v;
        s.min = s.min.min(v);
        s.max = s.max.max(v);
    }

    /// Blocks of `kind` in the district.
    pub(crate) fn count(&self, kind: &str) -> usize {
        self.blocks
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n)
    }
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
}

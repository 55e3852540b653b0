//! Predictors: how a sensor's near future is projected. Each sensor picks one
//! in its scene entry; the linear trend of the window is the default, Holt's
//! double exponential smoothing follows a changing trend faster. A later model
//! only has to implement `Predictor`.

use super::Series;

/// A straight line into the future: `value + slope * (t - time)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    pub time: f64,
    pub value: f64,
    /// Units per second.
    pub slope: f64,
}

impl Projection {
    pub(crate) fn at(&self, t: f64) -> f64 {
        self.value + self.slope * (t - self.time)
    }

    /// Seconds after `self.time` until the line reaches `limit`, if it is heading there.
    pub(crate) fn time_to(&self, limit: f64) -> Option<f64> {
        let ahead = limit - self.value;
        (self.slope != 0.0 && ahead.signum() == self.slope.signum()).then(|| ahead / self.slope)
    }
}

pub trait Predictor: Send + Sync + std::fmt::Debug {
    /// Sees every sample, after the series has it.
    fn observe(&mut self, time: f64, value: f64);
    /// Where the sensor is heading, from its latest sample.
    fn project(&self, series: &Series) -> Option<Projection>;
    /// Half-width of the ~95% prediction interval at time `t`, where the model has one.
    fn interval(&self, _series: &Series, _t: f64) -> Option<f64> {
        None
    }
    fn name(&self) -> &'static str;
}

/// Ordinary least squares over the series' window (the default).
#[derive(Debug, Default, Clone)]
pub(crate) struct LinearTrend;

impl Predictor for LinearTrend {
    fn observe(&mut self, _: f64, _: f64) {}

    fn project(&self, series: &Series) -> Option<Projection> {
        let trend = series.trend()?;
        let (time, _) = series.last()?;
        Some(Projection {
            time,
            value: trend.at(time),
            slope: trend.slope,
        })
    }

    fn interval(&self, series: &Series, t: f64) -> Option<f64> {
        series.trend().map(|tr| tr.prediction_half_width(t))
    }

    fn name(&self) -> &'static str {
        "linear"
    }
}

/// Holt's linear (double exponential) smoothing, for samples at any spacing:
/// `level` follows the value with weight `alpha`, `trend` (per second) follows
/// the level's change with weight `beta`.
#[derive(Debug, Clone)]
pub(crate) struct Holt {
    pub alpha: f64,
    pub beta: f64,
    state: Option<(f64, f64, f64)>,
    samples: u64,
}

impl Holt {
    pub(crate) fn new(alpha: f64, beta: f64) -> Holt {
        Holt {
            alpha: alpha.clamp(0.0, 1.0),
            beta: beta.clamp(0.0, 1.0),
            state: None,
            samples: 0,
        }
    }
}

impl Predictor for Holt {
    fn observe(&mut self, time: f64, value: f64) {
        self.samples += 1;
        let (a, b) = (self.alpha, self.beta);
        self.state = Some(match self.state {
            None => (time, value, 0.0),
            // Start from the line through the first two samples.
            Some((t0, level, _)) if self.samples == 2 && time > t0 => {
                (time, value, (value - level) / (time - t0))
            }
            Some((t0, level, trend)) if time > t0 => {
                let dt = time - t0;
                let new_level = a * value + (1.0 - a) * (level + trend * dt);
                (
                    time,
                    new_level,
                    b * (new_level - level) / dt + (1.0 - b) * trend,
                )
            }
            // A sample at the same time only moves the level.
            Some((t0, level, trend)) => (t0, a * value + (1.0 - a) * level, trend),
        });
    }

    fn project(&self, _: &Series) -> Option<Projection> {
        let (time, value, slope) = self.state?;
        (self.samples >= 2).then_some(Projection { time, value, slope })
    }

    fn name(&self) -> &'static str {
        "holt"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::SeriesConfig;

    fn feed(p: &mut dyn Predictor, s: &mut Series, points: impl Iterator<Item = (f64, f64)>) {
        for (t, v) in points {
            s.push(t, v);
            p.observe(t, v);
        }
    }

    #[test]
    fn both_follow_a_straight_line_exactly() {
        for p in [
            &mut LinearTrend as &mut dyn Predictor,
            &mut Holt::new(0.5, 0.3),
        ] {
            let mut s = Series::new(SeriesConfig::default());
            feed(
                p,
                &mut s,
                (0..50).map(|i| (i as f64 * 0.5, 10.0 + 0.2 * i as f64 * 0.5)),
            );
            let pr = p.project(&s).unwrap();
            assert!(
                (pr.slope - 0.2).abs() < 1e-9,
                "{}: slope {}",
                p.name(),
                pr.slope
            );
            assert!(
                (pr.at(34.5) - 16.9).abs() < 1e-9,
                "{}: {}",
                p.name(),
                pr.at(34.5)
            );
            assert!(
                (pr.time_to(20.0).unwrap() - (20.0 - 14.9) / 0.2).abs() < 1e-6,
                "{}",
                p.name()
            );
            assert_eq!(pr.time_to(0.0), None, "{}: heading away", p.name());
        }
    }

    #[test]
    fn holt_follows_a_change_of_trend_faster_than_the_window() {
        let mut s = Series::new(SeriesConfig::default());
        let (mut lin, mut holt) = (LinearTrend, Holt::new(0.5, 0.5));
        // Flat for 500 samples, then rising 1 per second for 20.
        let points: Vec<(f64, f64)> = (0..520)
            .map(|i| {
                (
                    i as f64,
                    if i < 500 {
                        50.0
                    } else {
                        50.0 + (i - 499) as f64
                    },
                )
            })
            .collect();
        for &(t, v) in &points {
            s.push(t, v);
            lin.observe(t, v);
            holt.observe(t, v);
        }
        let (l, h) = (
            lin.project(&s).unwrap().slope,
            holt.project(&s).unwrap().slope,
        );
        assert!(
            h > 0.9 && l < 0.2,
            "holt {h} should see the new slope of 1, the 600-sample window {l} barely"
        );
    }

    #[test]
    fn holt_follows_its_recurrence_step_by_step_on_noisy_uneven_samples() {
        // alpha 0.5, beta 0.4; samples (t, v): (0, 10) (1, 12) (2, 11)
        // (3, 15) (5, 14). Worked by hand from the recurrence
        //   level' = a v + (1 - a)(level + trend dt)
        //   trend' = b (level' - level) / dt + (1 - b) trend:
        // start from the line through the first two: level 12, trend 2;
        // t=2: level 0.5*11 + 0.5*(12 + 2) = 12.5, trend 0.4*0.5 + 0.6*2 = 1.4;
        // t=3: level 7.5 + 0.5*13.9 = 14.45, trend 0.4*1.95 + 0.6*1.4 = 1.62;
        // t=5 (dt 2): level 7 + 0.5*(14.45 + 3.24) = 15.845,
        //   trend 0.4*1.395/2 + 0.6*1.62 = 1.251.
        let mut s = Series::new(SeriesConfig::default());
        let mut h = Holt::new(0.5, 0.4);
        let steps = [
            (1.0, 12.0, 2.0),
            (2.0, 12.5, 1.4),
            (3.0, 14.45, 1.62),
            (5.0, 15.845, 1.251),
        ];
        feed(&mut h, &mut s, std::iter::once((0.0, 10.0)));
        for (t, level, trend) in steps {
            let v = [(1.0, 12.0), (2.0, 11.0), (3.0, 15.0), (5.0, 14.0)]
                .iter()
                .find(|p| p.0 == t)
                .unwrap()
                .1;
            feed(&mut h, &mut s, std::iter::once((t, v)));
            let p = h.project(&s).unwrap();
            assert_eq!(p.time, t);
            assert!(
                (p.value - level).abs() < 1e-9,
                "level at {t}: {} not {level}",
                p.value
            );
            assert!(
                (p.slope - trend).abs() < 1e-9,
                "trend at {t}: {} not {trend}",
                p.slope
            );
        }
        // Three seconds on: 15.845 + 3 * 1.251.
        let p = h.project(&s).unwrap();
        assert!((p.at(8.0) - 19.598).abs() < 1e-9, "{}", p.at(8.0));
    }

    #[test]
    fn one_sample_projects_nothing() {
        let mut s = Series::new(SeriesConfig::default());
        let mut h = Holt::new(0.5, 0.5);
        feed(&mut h, &mut s, std::iter::once((0.0, 1.0)));
        assert_eq!(h.project(&s), None);
        assert_eq!(LinearTrend.project(&s), None);
    }
}

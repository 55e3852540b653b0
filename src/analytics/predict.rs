//! Predictors: how a sensor's near future is projected. Each sensor picks one
//! in its scene entry: the linear trend of the window, Holt's double
//! exponential smoothing (follows a changing trend faster), the first-order
//! response (a value settling towards an asymptote: warm-ups, cool-downs,
//! filling tanks), `auto`, which picks among them per sensor by
//! out-of-sample error (see `auto`), or your own ONNX model (`onnx`). A
//! later model only has to implement `Predictor`.

use super::curve::{Curve, Quadratic, Shape, reach_of};
use super::{Series, fit};

pub trait Predictor: Send + Sync + std::fmt::Debug {
    /// Sees every sample, after the series has it.
    fn observe(&mut self, time: f64, value: f64);
    /// Where the sensor is heading from its latest sample, with the spread
    /// of a new reading around it.
    fn curve(&self, series: &Series) -> Option<Curve> {
        self.curve_of(&window(series))
    }
    /// The same model fitted on `samples` alone (oldest first), as it would
    /// have been drawn when the last of them was the latest.
    fn curve_of(&self, samples: &[(f64, f64)]) -> Option<Curve>;
    fn name(&self) -> &'static str;
}

/// The window's samples as one slice (predictors fit over it on demand).
pub(crate) fn window(series: &Series) -> Vec<(f64, f64)> {
    series.samples().collect()
}

/// Ordinary least squares over the series' window.
#[derive(Debug, Default, Clone)]
pub struct LinearTrend;

impl Predictor for LinearTrend {
    fn observe(&mut self, _: f64, _: f64) {}

    fn curve_of(&self, samples: &[(f64, f64)]) -> Option<Curve> {
        Some(Curve {
            time: samples.last()?.0,
            model: self.name(),
            reach_s: reach_of(samples),
            shape: fit::line(samples)?,
            bend: fit::bend(samples),
        })
    }

    fn name(&self) -> &'static str {
        "linear"
    }
}

/// Weight of the newest one-step error (and step length) in Holt's running
/// estimates of their typical size: about the last hundred samples count.
const HOLT_ERROR_WEIGHT: f64 = 0.01;

/// Holt's linear (double exponential) smoothing, for samples at any spacing:
/// `level` follows the value with weight `alpha`, `trend` (per second) follows
/// the level's change with weight `beta`. The spread of its forecast grows
/// from the one-step-ahead errors it has made.
#[derive(Debug, Clone)]
pub struct Holt {
    pub alpha: f64,
    pub beta: f64,
    /// (time, level, trend per second)
    state: Option<(f64, f64, f64)>,
    samples: u64,
    /// Running mean of squared one-step-ahead errors.
    error_var: Option<f64>,
    /// Running mean of the seconds between samples.
    step_s: Option<f64>,
}

impl Holt {
    pub fn new(alpha: f64, beta: f64) -> Holt {
        Holt {
            alpha: alpha.clamp(0.0, 1.0),
            beta: beta.clamp(0.0, 1.0),
            state: None,
            samples: 0,
            error_var: None,
            step_s: None,
        }
    }

    /// Holt run over `samples` from scratch.
    pub(crate) fn over(alpha: f64, beta: f64, samples: &[(f64, f64)]) -> Holt {
        let mut h = Holt::new(alpha, beta);
        for &(t, v) in samples {
            h.observe(t, v);
        }
        h
    }

    fn track_errors(&mut self, time: f64, value: f64) {
        let Some((t0, level, trend)) = self.state else {
            return;
        };
        if self.samples < 2 || time <= t0 {
            return;
        }
        let running = |old: Option<f64>, new: f64| {
            Some(old.map_or(new, |o| o + HOLT_ERROR_WEIGHT * (new - o)))
        };
        let err = value - (level + trend * (time - t0));
        self.error_var = running(self.error_var, err * err);
        self.step_s = running(self.step_s, time - t0);
    }
}

impl Predictor for Holt {
    fn observe(&mut self, time: f64, value: f64) {
        self.track_errors(time, value);
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

    fn curve(&self, series: &Series) -> Option<Curve> {
        let samples = window(series);
        self.curve_with(fit::bend(&samples), reach_of(&samples))
    }

    fn curve_of(&self, samples: &[(f64, f64)]) -> Option<Curve> {
        Holt::over(self.alpha, self.beta, samples).curve_with(fit::bend(samples), reach_of(samples))
    }

    fn name(&self) -> &'static str {
        "holt"
    }
}

impl Holt {
    /// Its line ahead, with `bend` as the window's curvature, trusted
    /// `reach_s` ahead.
    pub(crate) fn curve_with(&self, bend: Option<Quadratic>, reach_s: f64) -> Option<Curve> {
        let (time, value, slope) = self.state?;
        if self.samples < 2 {
            return None;
        }
        Some(Curve {
            time,
            model: self.name(),
            reach_s,
            shape: Shape::Holt {
                value,
                slope,
                sigma: self.error_var.unwrap_or(0.0).sqrt(),
                alpha: self.alpha,
                beta: self.alpha * self.beta,
                step_s: self.step_s.unwrap_or(1.0),
            },
            bend,
        })
    }
}

/// The first-order response fitted over the window: `asymptote + gap *
/// exp(-s / tau)`. A warm-up that levels out below a limit never reaches it.
#[derive(Debug, Default, Clone)]
pub struct FirstOrder;

impl Predictor for FirstOrder {
    fn observe(&mut self, _: f64, _: f64) {}

    fn curve_of(&self, samples: &[(f64, f64)]) -> Option<Curve> {
        Some(Curve {
            time: samples.last()?.0,
            model: self.name(),
            reach_s: reach_of(samples),
            shape: fit::approach(samples)?,
            bend: None,
        })
    }

    fn name(&self) -> &'static str {
        "first-order"
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
            let pr = p.curve(&s).unwrap();
            assert!(
                (pr.slope() - 0.2).abs() < 1e-9,
                "{}: slope {}",
                p.name(),
                pr.slope()
            );
            assert!(
                (pr.mean(34.5) - 16.9).abs() < 1e-9,
                "{}: {}",
                p.name(),
                pr.mean(34.5)
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
            lin.curve(&s).unwrap().slope(),
            holt.curve(&s).unwrap().slope(),
        );
        assert!(
            h > 0.9 && l < 0.2,
            "holt {h} should see the new slope of 1, the 600-sample window {l} barely"
        );
    }

    /// Noisy samples at uneven times, (t, v), for Holt worked by hand.
    const NOISY: [(f64, f64); 5] = [
        (0.0, 10.0),
        (1.0, 12.0),
        (2.0, 11.0),
        (3.0, 15.0),
        (5.0, 14.0),
    ];

    #[test]
    fn holt_follows_its_recurrence_step_by_step_on_noisy_uneven_samples() {
        // alpha 0.5, beta 0.4; the samples `NOISY`. Worked by hand from the recurrence
        //   level' = a v + (1 - a)(level + trend dt)
        //   trend' = b (level' - level) / dt + (1 - b) trend:
        // start from the line through the first two: level 12, trend 2;
        // t=2: level 0.5*11 + 0.5*(12 + 2) = 12.5, trend 0.4*0.5 + 0.6*2 = 1.4;
        // t=3: level 7.5 + 0.5*13.9 = 14.45, trend 0.4*1.95 + 0.6*1.4 = 1.62;
        // t=5 (dt 2): level 7 + 0.5*(14.45 + 3.24) = 15.845,
        //   trend 0.4*1.395/2 + 0.6*1.62 = 1.251.
        let mut s = Series::new(SeriesConfig::default());
        let mut h = Holt::new(0.5, 0.4);
        // (level, trend) after each sample from the second on.
        let steps = [(12.0, 2.0), (12.5, 1.4), (14.45, 1.62), (15.845, 1.251)];
        feed(&mut h, &mut s, std::iter::once(NOISY[0]));
        for (&(t, v), (level, trend)) in NOISY[1..].iter().zip(steps) {
            feed(&mut h, &mut s, std::iter::once((t, v)));
            let p = h.curve(&s).unwrap();
            assert_eq!(p.time, t);
            assert!(
                (p.mean(t) - level).abs() < 1e-9,
                "level at {t}: {} not {level}",
                p.mean(t)
            );
            assert!(
                (p.slope() - trend).abs() < 1e-9,
                "trend at {t}: {} not {trend}",
                p.slope()
            );
        }
        // Three seconds on: 15.845 + 3 * 1.251.
        let p = h.curve(&s).unwrap();
        assert!((p.mean(8.0) - 19.598).abs() < 1e-9, "{}", p.mean(8.0));
    }

    #[test]
    fn holt_s_spread_comes_from_its_one_step_errors_from_the_third_sample_on() {
        // `NOISY`, as in the recurrence test above, alpha 0.5, beta 0.4.
        // The second sample only starts the trend (no forecast was made
        // for it); from the third on, each one-step error e enters a
        // running mean of squares, var += 0.01 (e^2 - var), and each step
        // dt a running mean of steps the same way, by hand:
        // t=2: forecast 12 + 2 = 14, e = -3: var 9, step 1;
        // t=3: forecast 12.5 + 1.4 = 13.9, e = 1.1: var 9 + 0.01 (1.21 - 9)
        //   = 8.9221, step 1;
        // t=5: forecast 14.45 + 2 * 1.62 = 17.69, e = -3.69:
        //   var 8.9221 + 0.01 (13.6161 - 8.9221) = 8.96904, step 1.01.
        let samples = NOISY;
        let h = Holt::over(0.5, 0.4, &samples);
        let curve = h.curve_with(None, 60.0).unwrap();
        let Shape::Holt {
            sigma,
            alpha,
            beta,
            step_s,
            ..
        } = curve.shape
        else {
            panic!("not Holt's shape: {:?}", curve.shape);
        };
        assert!((sigma - 8.96904f64.sqrt()).abs() < 1e-12, "sigma {sigma}");
        assert!((step_s - 1.01).abs() < 1e-12, "step {step_s}");
        assert_eq!((alpha, beta), (0.5, 0.5 * 0.4), "ETS's beta is alpha beta");
        assert_eq!(curve.model, "holt");
        assert_eq!(curve.reach_s, 60.0);
        // The same model fitted on the samples alone (as backtests and
        // `auto` ask it): the recurrence's last step, 15.845 and 1.251.
        let fitted = Holt::new(0.5, 0.4).curve_of(&samples).unwrap();
        assert_eq!(fitted.time, 5.0);
        assert!((fitted.mean(5.0) - 15.845).abs() < 1e-9);
        assert!((fitted.slope() - 1.251).abs() < 1e-9);
        assert!((fitted.sd(5.0) - curve.sd(5.0)).abs() < 1e-12);
        // Two samples make a line but no error yet: no spread.
        let two = Holt::over(0.5, 0.4, &samples[..2]).curve_with(None, 1.0);
        let Some(Shape::Holt { sigma, .. }) = two.map(|c| c.shape) else {
            panic!("two samples make a Holt line");
        };
        assert_eq!(sigma, 0.0);
    }

    #[test]
    fn holt_takes_a_sample_at_the_same_time_into_its_level_only() {
        // alpha 0.5, beta 0.4, by hand. From (10, 10) and (12, 14) the line
        // is level 14, trend (14 - 10) / 2 = 2; a second reading at 12 s,
        // 16, moves the level to 0.5 * 16 + 0.5 * 14 = 15 and leaves the
        // trend (no time passed to divide by).
        let h = Holt::over(0.5, 0.4, &[(10.0, 10.0), (12.0, 14.0), (12.0, 16.0)]);
        let c = h.curve_with(None, 1.0).unwrap();
        assert_eq!((c.time, c.mean(12.0), c.slope()), (12.0, 15.0, 2.0));
        // Two readings at the start, at the same time: level 0.5 * 12 + 0.5
        // * 10 = 11, no trend yet; then (12, 14), dt 2: level 0.5 * 14 +
        // 0.5 * 11 = 12.5, trend 0.4 * 1.5 / 2 + 0.6 * 0 = 0.3.
        let h = Holt::over(0.5, 0.4, &[(10.0, 10.0), (10.0, 12.0)]);
        let c = h.curve_with(None, 1.0).unwrap();
        assert_eq!((c.time, c.mean(10.0), c.slope()), (10.0, 11.0, 0.0));
        let h = Holt::over(0.5, 0.4, &[(10.0, 10.0), (10.0, 12.0), (12.0, 14.0)]);
        let c = h.curve_with(None, 1.0).unwrap();
        assert_eq!(c.time, 12.0);
        assert!((c.mean(12.0) - 12.5).abs() < 1e-12, "{}", c.mean(12.0));
        assert!((c.slope() - 0.3).abs() < 1e-12, "{}", c.slope());
    }

    #[test]
    fn each_predictor_names_itself_as_backtest_s_models_are_named() {
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 2.0 * i as f64)).collect();
        assert_eq!(LinearTrend.curve_of(&line).unwrap().model, "linear");
        assert_eq!(LinearTrend.name(), "linear");
        assert_eq!(Holt::new(0.5, 0.5).name(), "holt");
        assert_eq!(FirstOrder.name(), "first-order");
    }

    #[test]
    fn one_sample_projects_nothing() {
        let mut s = Series::new(SeriesConfig::default());
        let mut h = Holt::new(0.5, 0.5);
        feed(&mut h, &mut s, std::iter::once((0.0, 1.0)));
        assert_eq!(h.curve(&s), None);
        assert_eq!(LinearTrend.curve(&s), None);
    }
}

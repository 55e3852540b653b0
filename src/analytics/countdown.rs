//! "Alarm in …", only when the forecast is sure enough.
//!
//! A countdown to a high limit is shown when the *lower* bound of the
//! one-sided prediction interval at the configured confidence reaches the
//! limit within the horizon: with that confidence a reading will be at or
//! past the limit by then. (The expected curve alone would count down on
//! every warm-up: any rising curve, extended as a line, crosses every limit.)
//! The countdown is the range from when the *upper* bound first reaches the
//! limit (the earliest the alarm is plausible) to when the lower bound does
//! (by then it is expected with that confidence), around the expected curve's
//! own crossing.

use super::curve::Curve;

/// How sure a countdown must be, and how far ahead it may look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountdownRule {
    /// One-sided confidence that the limit is crossed (0.5 to 1).
    pub confidence: f64,
    /// Seconds ahead.
    pub horizon_s: f64,
}

/// Default confidence of a countdown (one-sided).
pub const DEFAULT_CONFIDENCE: f64 = 0.9;
/// Default horizon of a countdown: half an hour, in seconds.
pub const DEFAULT_HORIZON_S: f64 = 1800.0;

impl Default for CountdownRule {
    fn default() -> Self {
        CountdownRule {
            confidence: DEFAULT_CONFIDENCE,
            horizon_s: DEFAULT_HORIZON_S,
        }
    }
}

/// Seconds from now until a limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Countdown {
    /// When the expected curve reaches the limit.
    pub expected_s: f64,
    /// The earliest plausible: when the upper bound does.
    pub low_s: f64,
    /// When the lower bound does (the limit is passed with the rule's confidence).
    pub high_s: f64,
}

/// Under this many seconds a countdown is written in minutes and seconds.
const SHOWN_IN_SECONDS_BELOW_S: f64 = 120.0;

impl Countdown {
    /// How sure it is, in words: `0:40–1:10`, or `4–7 min` from two minutes on.
    pub fn range_label(&self) -> String {
        let (low, high) = (self.low_s.max(0.0), self.high_s.max(0.0));
        if high < SHOWN_IN_SECONDS_BELOW_S {
            let mmss = |s: f64| format!("{}:{:02}", s as u64 / 60, s as u64 % 60);
            return format!("{}–{}", mmss(low), mmss(high));
        }
        let (lo, hi) = ((low / 60.0).floor() as u64, (high / 60.0).ceil() as u64);
        if lo == hi {
            format!("~{lo} min")
        } else {
            format!("{lo}–{hi} min")
        }
    }
}

/// A curve whose residuals are this correlated (`n / n_eff`, see
/// `fit::inflation`; 19 is a lag-1 autocorrelation of 0.9) does not describe
/// its window (a line through a duty cycle's step, a warm-up read as a ramp
/// across a change of load): it does not count down at all.
pub(crate) const MISFIT_INFLATION: f64 = 19.0;

/// A countdown is shown only if the same model, fitted on the window as it
/// was this many seconds ago, counted down too: the first seconds of a
/// machine starting (power jumping from idle to load) look like a steep
/// trend to any model, and are over before this.
pub const HELD_FOR_S: f64 = 10.0;

/// The countdown by `current`, if `earlier` (the same model on the window
/// less its newest `HELD_FOR_S`, drawn only when needed) was already
/// counting down at its own time.
pub fn held<'a>(
    current: &Curve,
    earlier: impl FnOnce() -> Option<&'a Curve>,
    limit: f64,
    now: f64,
    rule: &CountdownRule,
) -> Option<Countdown> {
    let c = countdown(current, limit, now, rule)?;
    let earlier = earlier()?;
    countdown(earlier, limit, earlier.time, rule)?;
    Some(c)
}

/// Steps the horizon is scanned in for each bound's first crossing...
const SCAN_STEPS: usize = 240;
/// ...then halvings of the step it was found in (2^-30 of a step).
const BISECT_STEPS: usize = 30;

/// The countdown to `limit` (a high limit) from `now`, if `curve` reaches it
/// within the rule's horizon (and the curve's reach) with the rule's confidence.
pub fn countdown(curve: &Curve, limit: f64, now: f64, rule: &CountdownRule) -> Option<Countdown> {
    if curve.inflation() > MISFIT_INFLATION {
        return None; // the model's misfit runs in long stretches: it does not describe the data
    }
    let z = z_for(rule.confidence);
    let start = now.max(curve.time);
    if curve.mean(start) >= limit {
        return None; // already there: the limit alarm speaks for itself
    }
    // The rule's horizon, but no further than the model reaches.
    let end = (start + rule.horizon_s).min(curve.time + curve.reach_s);
    if end <= start {
        return None;
    }
    let lower = |t: f64| curve.band(t, z).0;
    let upper = |t: f64| curve.band(t, z).1;
    let high = first_at_or_above(&lower, limit, start, end)?;
    let low = first_at_or_above(&upper, limit, start, high).unwrap_or(start);
    let expected = curve
        .time_to(limit)
        .map_or(high, |s| (curve.time + s).clamp(low, high));
    Some(Countdown {
        expected_s: expected - now,
        low_s: low - now,
        high_s: high - now,
    })
}

/// The first time in `[start, end]` where `f` is at least `limit`.
fn first_at_or_above(f: &dyn Fn(f64) -> f64, limit: f64, start: f64, end: f64) -> Option<f64> {
    if f(start) >= limit {
        return Some(start);
    }
    let step = (end - start) / SCAN_STEPS as f64;
    let mut before = start;
    for i in 1..=SCAN_STEPS {
        let t = start + step * i as f64;
        if f(t) >= limit {
            let (mut lo, mut hi) = (before, t);
            for _ in 0..BISECT_STEPS {
                let mid = (lo + hi) / 2.0;
                if f(mid) >= limit {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            return Some(hi);
        }
        before = t;
    }
    None
}

/// The standard normal quantile: `P(Z <= z_for(p)) = p`, by Acklam's
/// rational approximation (relative error below 1.2e-9) for 0 < p < 1.
pub fn z_for(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const P_LOW: f64 = 0.02425;
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - P_LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::curve::{Curve, Shape};
    use super::{CountdownRule, countdown, first_at_or_above, z_for};

    /// From 10 at 1,000 s rising 1 a second, with a hindsight error growing
    /// as the root of the time ahead: z_0.9 times its sd at s seconds ahead
    /// is 2 sqrt(s) (an error of 2 sqrt(100) / z at 100 s).
    fn rising() -> Curve {
        Curve {
            time: 1000.0,
            model: "onnx",
            reach_s: 1000.0,
            shape: Shape::Learned {
                value: 10.0,
                slope: 1.0,
                rmse: 20.0 / z_for(0.9),
                horizon_s: 100.0,
            },
            bend: None,
        }
    }

    #[test]
    fn a_countdown_runs_from_now_between_its_band_s_crossings() {
        // The limit 58: the curve reaches it 48 s on, the upper bound when
        // s + 2 sqrt(s) = 48 (sqrt(s) = 6: 36 s), the lower one when
        // s - 2 sqrt(s) = 48 (sqrt(s) = 8: 64 s). Asked 10 s after the
        // curve's time, the countdown is 38 s, from 26 to 54 s.
        let rule = |horizon_s| CountdownRule {
            confidence: 0.9,
            horizon_s,
        };
        let c = countdown(&rising(), 58.0, 1010.0, &rule(1800.0)).unwrap();
        for (got, want) in [(c.expected_s, 38.0), (c.low_s, 26.0), (c.high_s, 54.0)] {
            assert!((got - want).abs() < 1e-6, "{c:?}");
        }
        // Only as far as the rule's horizon looks from now: 54 s is past
        // 50 s, within 60 s.
        assert_eq!(countdown(&rising(), 58.0, 1010.0, &rule(50.0)), None);
        assert!(countdown(&rising(), 58.0, 1010.0, &rule(60.0)).is_some());
    }

    #[test]
    fn the_normal_quantile_holds_deep_in_both_tails() {
        // Python's statistics.NormalDist().inv_cdf, for p beyond the
        // published values' 0.001 and 0.999.
        for (p, z) in [
            (1e-6, -4.753424308822899),
            (0.999999, 4.753424308817089),
            (0.02, -2.0537489106318225),
            (0.98, 2.053748910631822),
        ] {
            assert!((z_for(p) - z).abs() < 1e-8, "{p}: {} vs {z}", z_for(p));
        }
        // Certainty (a rule's confidence of 1) is held just short of it:
        // a finite z, that of 1 - 1e-12 (about 7.03).
        let (top, bottom) = (z_for(1.0), z_for(0.0));
        assert_eq!(top, z_for(1.0 - 1e-12));
        assert_eq!(bottom, z_for(1e-12));
        assert!((7.0..7.1).contains(&top), "{top}");
        assert!((-7.1..-7.0).contains(&bottom), "{bottom}");
    }

    #[test]
    fn the_crossing_is_found_between_scan_steps() {
        // Scanned in 10 s steps over 2,400 s, the line crosses 0 at
        // 503.7 s: between the steps at 500 and 510, found by bisection
        // to within 10 s / 2^30.
        let line = |t: f64| 2.0 * (t - 503.7);
        let at = first_at_or_above(&line, 0.0, 0.0, 2400.0).unwrap();
        assert!((at - 503.7).abs() < 1e-6, "crossing at {at}");
        // Already above at the start; never reached in the span.
        assert_eq!(first_at_or_above(&line, -1e4, 0.0, 2400.0), Some(0.0));
        assert_eq!(first_at_or_above(&line, 1e4, 0.0, 2400.0), None);
    }
}

//! Per-sensor analytics: a pure core with no Bevy types.
//!
//! `Series` keeps a bounded history of (time, value) samples and, in O(1) per
//! sample, the running sums that give the window's mean, variance and the
//! ordinary least-squares trend exactly (sums are taken relative to the first
//! time in the window, and rebuilt from the history every few thousand
//! samples, so rounding cannot drift). Quantiles for `describe()` sort a copy
//! of the window and are computed on demand, not per sample.

pub mod auto;
pub mod countdown;
pub mod curve;
pub(crate) mod fit;
pub mod onnx;
pub mod predict;

use std::collections::VecDeque;

/// pandas' `describe()` of the window: sample std (ddof = 1) and quantiles
/// by linear interpolation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Describe {
    pub count: usize,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub max: f64,
}

/// The least-squares line through the window: value = intercept + slope * (t - t_ref).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Units per second.
    pub slope: f64,
    /// The fitted value at `t_ref`.
    pub intercept: f64,
    /// Seconds; the time the intercept is given at.
    pub t_ref: f64,
    /// Residual standard error (n - 2 degrees of freedom).
    pub residual_std: f64,
    n: f64,
    mean_t: f64,
    sxx: f64,
}

impl Trend {
    pub(crate) fn at(&self, t: f64) -> f64 {
        self.intercept + self.slope * (t - self.t_ref)
    }

    /// Seconds from `now` until the line reaches `limit`, if it is heading
    /// there (`None` when flat, moving away, or already past it).
    pub fn time_to(&self, limit: f64, now: f64) -> Option<f64> {
        let ahead = limit - self.at(now);
        (self.slope != 0.0 && ahead.signum() == self.slope.signum()).then(|| ahead / self.slope)
    }
}

/// Data quality, judged at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Quality {
    /// No sample for more than `stale_after` seconds.
    pub stale: bool,
    /// The last value is outside the physical limits.
    pub out_of_range: bool,
    /// The value has not changed for more than `stuck_after` seconds.
    pub stuck: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct SeriesConfig {
    /// Samples kept (the window for describe, trend and anomaly).
    pub window: usize,
    pub stale_after: f64,
    pub stuck_after: f64,
    /// Values outside these are physically impossible (a broken probe).
    pub physical: (f64, f64),
}

impl Default for SeriesConfig {
    fn default() -> Self {
        Self {
            window: 600,
            stale_after: 10.0,
            stuck_after: 60.0,
            physical: (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// A sensor's bounded history with running sums.
#[derive(Debug, Clone)]
pub struct Series {
    config: SeriesConfig,
    samples: VecDeque<(f64, f64)>,
    /// Times in the sums are relative to this.
    origin: f64,
    st: f64,
    sv: f64,
    stt: f64,
    stv: f64,
    svv: f64,
    since_rebuild: usize,
    /// Samples pushed since the start (a key for what was computed from them).
    pushed: u64,
    /// When the value last changed.
    changed_at: f64,
    /// The newest sample's value, kept beside the sums: comparing with it
    /// does not wait for the window's newest slot to come from memory.
    last_value: f64,
}

const REBUILD_EVERY: usize = 4096;

impl Series {
    pub fn new(config: SeriesConfig) -> Series {
        Series {
            config: SeriesConfig {
                window: config.window.max(2),
                ..config
            },
            samples: VecDeque::with_capacity(config.window.max(2)),
            origin: 0.0,
            st: 0.0,
            sv: 0.0,
            stt: 0.0,
            stv: 0.0,
            svv: 0.0,
            since_rebuild: 0,
            pushed: 0,
            changed_at: 0.0,
            last_value: f64::NAN,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Samples pushed since the start.
    pub(crate) fn pushed(&self) -> u64 {
        self.pushed
    }

    pub(crate) fn last(&self) -> Option<(f64, f64)> {
        self.samples.back().copied()
    }

    pub(crate) fn samples(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.samples.iter().copied()
    }

    /// The z-score of `value` against the window before it is added
    /// (0 with fewer than 3 samples or no spread).
    pub(crate) fn z_score(&self, value: f64) -> f64 {
        let n = self.samples.len() as f64;
        if n < 3.0 {
            return 0.0;
        }
        let mean = self.sv / n;
        let var = ((self.svv - self.sv * mean) / (n - 1.0)).max(0.0);
        if var <= f64::EPSILON * mean.abs().max(1.0) {
            0.0
        } else {
            (value - mean) / var.sqrt()
        }
    }

    /// Adds a sample (`time` in seconds, not decreasing) and returns its
    /// z-score against the window before it.
    pub fn push(&mut self, time: f64, value: f64) -> f64 {
        let z = self.z_score(value);
        if self.samples.is_empty() {
            self.origin = time;
            self.changed_at = time;
        } else if self.last_value != value {
            self.changed_at = time;
        }
        self.last_value = value;
        if self.samples.len() == self.config.window {
            let (t, v) = self.samples.pop_front().expect("window is full");
            self.remove_sums(t, v);
        }
        self.samples.push_back((time, value));
        self.add_sums(time, value);
        self.since_rebuild += 1;
        self.pushed += 1;
        if self.since_rebuild >= REBUILD_EVERY {
            self.rebuild();
        }
        z
    }

    fn add_sums(&mut self, t: f64, v: f64) {
        let t = t - self.origin;
        self.st += t;
        self.sv += v;
        self.stt += t * t;
        self.stv += t * v;
        self.svv += v * v;
    }

    fn remove_sums(&mut self, t: f64, v: f64) {
        let t = t - self.origin;
        self.st -= t;
        self.sv -= v;
        self.stt -= t * t;
        self.stv -= t * v;
        self.svv -= v * v;
    }

    /// Recomputes the sums from the window, re-centred on its first time.
    fn rebuild(&mut self) {
        self.origin = self.samples.front().map_or(0.0, |s| s.0);
        (self.st, self.sv, self.stt, self.stv, self.svv) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let samples = std::mem::take(&mut self.samples);
        for &(t, v) in &samples {
            self.add_sums(t, v);
        }
        self.samples = samples;
        self.since_rebuild = 0;
    }

    #[cfg(test)]
    pub(crate) fn mean(&self) -> Option<f64> {
        (!self.samples.is_empty()).then(|| self.sv / self.samples.len() as f64)
    }

    /// The window's statistics, or `None` when it is empty.
    pub(crate) fn describe(&self) -> Option<Describe> {
        let n = self.samples.len();
        if n == 0 {
            return None;
        }
        let mut sorted: Vec<f64> = self.samples.iter().map(|s| s.1).collect();
        sorted.sort_by(f64::total_cmp);
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
        Some(Describe {
            count: n,
            mean,
            std,
            min: sorted[0],
            q25: quantile(&sorted, 0.25),
            q50: quantile(&sorted, 0.5),
            q75: quantile(&sorted, 0.75),
            max: sorted[n - 1],
        })
    }

    /// The least-squares line through the window (needs two distinct times).
    pub fn trend(&self) -> Option<Trend> {
        let n = self.samples.len() as f64;
        if n < 2.0 {
            return None;
        }
        let mean_t = self.st / n;
        let mean_v = self.sv / n;
        let sxx = self.stt - self.st * mean_t;
        if sxx <= 0.0 {
            return None;
        }
        let sxy = self.stv - self.st * mean_v;
        let syy = self.svv - self.sv * mean_v;
        let slope = sxy / sxx;
        let intercept = mean_v - slope * mean_t;
        let sse = (syy - slope * sxy).max(0.0);
        let residual_std = if n > 2.0 {
            (sse / (n - 2.0)).sqrt()
        } else {
            0.0
        };
        Some(Trend {
            slope,
            intercept,
            t_ref: self.origin,
            residual_std,
            n,
            mean_t,
            sxx,
        })
    }

    /// The samples in the window whose z-score against the samples before
    /// them (at least `ANOMALY_MIN_BEFORE`) reaches `ANOMALY_Z`: (time, value, z).
    /// One pass with running sums, for plotting.
    pub(crate) fn anomalies(&self) -> Vec<(f64, f64, f64)> {
        let (mut n, mut sum, mut sum_sq) = (0.0f64, 0.0f64, 0.0f64);
        let mut out = Vec::new();
        // Values relative to the first, so the sums keep their precision.
        let base = self.samples.front().map_or(0.0, |s| s.1);
        for &(t, v) in &self.samples {
            let x = v - base;
            if n >= ANOMALY_MIN_BEFORE as f64 {
                let mean = sum / n;
                let var = ((sum_sq - sum * mean) / (n - 1.0)).max(0.0);
                if var > f64::EPSILON * (mean + base).abs().max(1.0) {
                    let z = (x - mean) / var.sqrt();
                    if z.abs() >= ANOMALY_Z {
                        out.push((t, v, z));
                    }
                }
            }
            n += 1.0;
            sum += x;
            sum_sq += x * x;
        }
        out
    }

    /// Seconds from the last change of value to `now` (0 when empty).
    pub(crate) fn unchanged_for(&self, now: f64) -> f64 {
        if self.samples.is_empty() {
            0.0
        } else {
            (now - self.changed_at).max(0.0)
        }
    }

    pub(crate) fn quality(&self, now: f64) -> Quality {
        let Some((t, v)) = self.last() else {
            return Quality {
                stale: true,
                ..Quality::default()
            };
        };
        Quality {
            stale: now - t > self.config.stale_after,
            out_of_range: v < self.config.physical.0 || v > self.config.physical.1,
            stuck: self.samples.len() > 1 && t - self.changed_at > self.config.stuck_after,
        }
    }
}

/// A sample this many standard deviations from the window's mean is an anomaly.
pub(crate) const ANOMALY_Z: f64 = 3.0;
/// Samples needed before a z-score means anything.
pub(crate) const ANOMALY_MIN_BEFORE: usize = 10;

/// Linear interpolation between closest ranks (pandas' and numpy's default).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod forecast_tests;
#[cfg(test)]
mod tests;

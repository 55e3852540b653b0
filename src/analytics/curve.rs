//! A model's view of a sensor's near future: an expected curve from the
//! latest sample on, and how far a new reading may stray from it (the
//! standard error of one new reading at each time). Predictors draw curves;
//! countdowns, the plot and the snapshot read them.

/// No model is trusted further ahead than this many times the time span of
/// the window it was fitted on: a line through 15 s of a warm-up cannot tell
/// it from a ramp, and says nothing about the next two minutes.
pub(crate) const REACH_SPANS: f64 = 3.0;

/// The z of a two-sided ~95% band (the plot's and the snapshot's interval).
pub(crate) const Z_95: f64 = 1.959963984540054;

/// Where a sensor is heading, as one model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The latest sample's time (seconds): the curve starts here.
    pub time: f64,
    /// The model that drew it: `linear`, `holt` or `first-order`.
    pub model: &'static str,
    /// Seconds after `time` the curve is trusted to (`REACH_SPANS` times
    /// its window's span).
    pub reach_s: f64,
    pub(crate) shape: Shape,
    /// For the straight-line models: the window's own curvature where it is
    /// significant. A straight line cannot follow a bend, so the band then
    /// spans both the line and the parabola through the window.
    pub(crate) bend: Option<Quadratic>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Shape {
    /// A least-squares line: `value + slope * s` at `s` seconds after `time`,
    /// with the textbook prediction interval (leverage about `mean_s`).
    Line {
        value: f64,
        slope: f64,
        /// `n / n_eff` from the residuals' autocorrelation (see `fit::inflation`).
        inflation: f64,
        residual_sd: f64,
        n: f64,
        /// The window's mean time, seconds after `time` (negative).
        mean_s: f64,
        sxx: f64,
    },
    /// Holt's smoothing: a line whose spread grows with the steps ahead as
    /// in ETS(A,A,N) (Hyndman et al., *Forecasting with Exponential
    /// Smoothing*, 2008, table 6.1).
    Holt {
        value: f64,
        slope: f64,
        /// Standard deviation of the one-step-ahead errors.
        sigma: f64,
        alpha: f64,
        /// The trend weight as ETS has it: alpha times Holt's beta.
        beta: f64,
        /// The typical seconds between samples (one step).
        step_s: f64,
    },
    /// A model of the user's (ONNX): straight from the latest value to its
    /// prediction `horizon_s` ahead; its spread grows as the square root of
    /// the time ahead, to its hindsight error `rmse` at `horizon_s`.
    Learned {
        value: f64,
        slope: f64,
        rmse: f64,
        horizon_s: f64,
    },
    /// A first-order response: `asymptote + gap * exp(-s / tau)`, the
    /// prediction interval of the least-squares fit in `x = exp(-s / tau)`
    /// with `tau` held at its fitted value.
    Approach {
        asymptote: f64,
        gap: f64,
        tau: f64,
        inflation: f64,
        residual_sd: f64,
        n: f64,
        mean_x: f64,
        sxx: f64,
    },
}

/// `c0 + c1 u + c2 u^2` with `u = (t - centre) / scale`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Quadratic {
    pub(crate) c: [f64; 3],
    pub(crate) centre: f64,
    pub(crate) scale: f64,
}

impl Quadratic {
    pub(crate) fn at(&self, t: f64) -> f64 {
        let u = (t - self.centre) / self.scale;
        self.c[0] + u * (self.c[1] + u * self.c[2])
    }
}

/// How far ahead a fit over `samples` reaches.
pub(crate) fn reach_of(samples: &[(f64, f64)]) -> f64 {
    match (samples.first(), samples.last()) {
        (Some(a), Some(b)) => REACH_SPANS * (b.0 - a.0),
        _ => 0.0,
    }
}

impl Curve {
    /// The expected value at time `t` (seconds, not before `self.time`).
    pub fn mean(&self, t: f64) -> f64 {
        let s = (t - self.time).max(0.0);
        match self.shape {
            Shape::Line { value, slope, .. }
            | Shape::Holt { value, slope, .. }
            | Shape::Learned { value, slope, .. } => value + slope * s,
            Shape::Approach {
                asymptote,
                gap,
                tau,
                ..
            } => asymptote + gap * (-s / tau).exp(),
        }
    }

    /// How much the residuals' autocorrelation widens the fit's uncertainty
    /// (1 for Holt, which has its own one-step errors).
    pub fn inflation(&self) -> f64 {
        match self.shape {
            Shape::Line { inflation, .. } | Shape::Approach { inflation, .. } => inflation,
            Shape::Holt { .. } | Shape::Learned { .. } => 1.0,
        }
    }

    /// Units per second at the latest sample.
    pub fn slope(&self) -> f64 {
        match self.shape {
            Shape::Line { slope, .. }
            | Shape::Holt { slope, .. }
            | Shape::Learned { slope, .. } => slope,
            Shape::Approach { gap, tau, .. } => -gap / tau,
        }
    }

    /// The standard error of one new reading at `t`.
    pub fn sd(&self, t: f64) -> f64 {
        let s = (t - self.time).max(0.0);
        match self.shape {
            Shape::Line {
                inflation,
                residual_sd,
                n,
                mean_s,
                sxx,
                ..
            } => {
                let leverage = if sxx > 0.0 {
                    (s - mean_s).powi(2) / sxx
                } else {
                    0.0
                };
                residual_sd * (1.0 + inflation * (1.0 / n + leverage)).sqrt()
            }
            Shape::Holt {
                sigma,
                alpha,
                beta,
                step_s,
                ..
            } => {
                let h = (s / step_s).max(1.0);
                let growth =
                    alpha * alpha + alpha * beta * h + beta * beta * h * (2.0 * h - 1.0) / 6.0;
                sigma * (1.0 + (h - 1.0) * growth).sqrt()
            }
            Shape::Learned {
                rmse, horizon_s, ..
            } => rmse * (s / horizon_s).sqrt(),
            Shape::Approach {
                tau,
                inflation,
                residual_sd,
                n,
                mean_x,
                sxx,
                ..
            } => {
                let x = (-s / tau).exp();
                let leverage = if sxx > 0.0 {
                    (x - mean_x).powi(2) / sxx
                } else {
                    0.0
                };
                residual_sd * (1.0 + inflation * (1.0 / n + leverage)).sqrt()
            }
        }
    }

    /// The band a new reading at `t` falls in: `z` standard errors either
    /// side, around both the curve and, for a bent window, the parabola.
    pub fn band(&self, t: f64, z: f64) -> (f64, f64) {
        let mean = self.mean(t);
        let other = self.bend.map_or(mean, |q| q.at(t));
        let spread = z * self.sd(t);
        (mean.min(other) - spread, mean.max(other) + spread)
    }

    /// Seconds after `self.time` until the expected curve reaches `limit`
    /// from below (`None` if it never does).
    pub fn time_to(&self, limit: f64) -> Option<f64> {
        let ahead = limit - self.mean(self.time);
        if ahead <= 0.0 {
            return None;
        }
        match self.shape {
            Shape::Line { slope, .. }
            | Shape::Holt { slope, .. }
            | Shape::Learned { slope, .. } => (slope > 0.0).then(|| ahead / slope),
            Shape::Approach {
                asymptote,
                gap,
                tau,
                ..
            } => {
                // asymptote + gap e^(-s/tau) = limit, approaching from below.
                let ratio = (limit - asymptote) / gap;
                (gap < 0.0 && limit < asymptote && ratio > 0.0).then(|| -tau * ratio.ln())
            }
        }
    }
}

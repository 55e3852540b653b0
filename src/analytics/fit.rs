//! Fits over a slice of (time, value) samples, on demand: the straight line,
//! the parabola that tells a straight line it is bending, and the
//! first-order response. Each returns a `Curve` shape from the slice's last
//! sample on.

use super::curve::{Quadratic, Shape};

/// The parabola's curvature counts as real when it is this many standard
/// errors from zero.
pub(crate) const BEND_T: f64 = 3.0;
/// A first-order fit needs at least this many samples.
pub(crate) const APPROACH_MIN_SAMPLES: usize = 10;
/// Time constants tried, as multiples of the window's time span: from a
/// twentieth (a fast settle) to a hundred spans (practically a straight line).
const TAU_MIN_SPANS: f64 = 0.05;
const TAU_MAX_SPANS: f64 = 100.0;
/// Log-spaced time constants on the first pass...
const TAU_GRID: usize = 30;
/// ...then golden-section steps between the best one's neighbours.
const TAU_REFINE_STEPS: usize = 28;

/// The lag-1 autocorrelation of residuals is held below this (a perfectly
/// correlated misfit would make the inflation infinite).
const MAX_RESIDUAL_RHO: f64 = 0.99;
/// Residuals below this share of the values' size are rounding.
const EXACT_FIT_SHARE: f64 = 1e-9;

/// How much a fit's parameter uncertainty grows because its residuals are
/// not independent: `n / n_eff = (1 + rho) / (1 - rho)` with `rho` the lag-1
/// autocorrelation of the residuals (the effective sample size of Santer et
/// al., 2000). White noise around the right curve gives about 1; a curve
/// laid through a duty cycle's steps, whose misfit runs in long stretches,
/// gives tens, and its extrapolation widens to match.
pub(crate) fn inflation(samples: &[(f64, f64)], curve: impl Fn(f64) -> f64) -> f64 {
    let residuals: Vec<f64> = samples.iter().map(|&(t, v)| v - curve(t)).collect();
    let sum_sq: f64 = residuals.iter().map(|r| r * r).sum();
    let scale = samples.iter().map(|p| p.1.abs()).fold(1.0, f64::max);
    if sum_sq <= (EXACT_FIT_SHARE * scale).powi(2) * samples.len() as f64 {
        return 1.0; // an exact fit: its residuals are rounding, not misfit
    }
    let lag1: f64 = residuals.windows(2).map(|w| w[0] * w[1]).sum();
    let rho = (lag1 / sum_sq).clamp(0.0, MAX_RESIDUAL_RHO);
    (1.0 + rho) / (1.0 - rho)
}

/// Points the time constant of a first-order fit is searched on.
const SEARCH_POINTS: usize = 150;

/// `samples` as at most about `points` means of consecutive runs (time and value).
fn bin_means(samples: &[(f64, f64)], points: usize) -> Vec<(f64, f64)> {
    let per_bin = samples.len().div_ceil(points).max(1);
    samples
        .chunks(per_bin)
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

/// Least squares line through `samples`, from the last one on.
pub(crate) fn line(samples: &[(f64, f64)]) -> Option<Shape> {
    let n = samples.len();
    let (t_end, _) = *samples.last()?;
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean_s = samples.iter().map(|p| p.0 - t_end).sum::<f64>() / nf;
    let mean_v = samples.iter().map(|p| p.1).sum::<f64>() / nf;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(t, v) in samples {
        let (ds, dv) = (t - t_end - mean_s, v - mean_v);
        sxx += ds * ds;
        sxy += ds * dv;
        syy += dv * dv;
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let sse = (syy - slope * sxy).max(0.0);
    let value = mean_v - slope * mean_s;
    Some(Shape::Line {
        value,
        slope,
        inflation: inflation(samples, |t| value + slope * (t - t_end)),
        residual_sd: if n > 2 {
            (sse / (nf - 2.0)).sqrt()
        } else {
            0.0
        },
        n: nf,
        mean_s,
        sxx,
    })
}

/// The least-squares parabola through `samples`, if its curvature is
/// significant (`BEND_T` standard errors).
pub(crate) fn bend(samples: &[(f64, f64)]) -> Option<Quadratic> {
    let n = samples.len();
    if n < 4 {
        return None;
    }
    let (first, last) = (samples[0].0, samples[n - 1].0);
    let centre = samples.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let scale = ((last - first) / 2.0).max(f64::MIN_POSITIVE);
    let mean_v = samples.iter().map(|p| p.1).sum::<f64>() / n as f64;
    // Normal equations in u = (t - centre) / scale, values centred.
    let mut m = [[0.0f64; 3]; 3];
    let mut r = [0.0f64; 3];
    let mut syy = 0.0;
    for &(t, v) in samples {
        let u = (t - centre) / scale;
        let basis = [1.0, u, u * u];
        let y = v - mean_v;
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += basis[i] * basis[j];
            }
            r[i] += basis[i] * y;
        }
        syy += y * y;
    }
    let inv = invert3(&m)?;
    let c: [f64; 3] = std::array::from_fn(|i| (0..3).map(|j| inv[i][j] * r[j]).sum());
    let sse = (syy - (0..3).map(|i| c[i] * r[i]).sum::<f64>()).max(0.0);
    let var = sse / (n as f64 - 3.0);
    let se = (var * inv[2][2]).sqrt();
    (c[2].abs() > BEND_T * se).then_some(Quadratic {
        c: [c[0] + mean_v, c[1], c[2]],
        centre,
        scale,
    })
}

/// The inverse of a symmetric 3×3 matrix, if it has one.
fn invert3(m: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let cof = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
    };
    let det = m[0][0] * cof(0, 0) + m[0][1] * cof(0, 1) + m[0][2] * cof(0, 2);
    if det.abs() <= f64::EPSILON * m[0][0].abs().max(1.0).powi(3) {
        return None;
    }
    Some(std::array::from_fn(|i| {
        std::array::from_fn(|j| cof(j, i) / det)
    }))
}

/// For one time constant: the least-squares `asymptote + gap * x` with
/// `x = exp((t_end - t) / tau)`, and its sum of squared residuals.
struct ApproachFit {
    asymptote: f64,
    gap: f64,
    sse: f64,
    mean_x: f64,
    sxx: f64,
}

fn approach_at(samples: &[(f64, f64)], t_end: f64, tau: f64) -> Option<ApproachFit> {
    let n = samples.len() as f64;
    let x = |t: f64| ((t_end - t) / tau).exp();
    let mean_x = samples.iter().map(|p| x(p.0)).sum::<f64>() / n;
    let mean_v = samples.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(t, v) in samples {
        let (dx, dv) = (x(t) - mean_x, v - mean_v);
        sxx += dx * dx;
        sxy += dx * dv;
        syy += dv * dv;
    }
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let gap = sxy / sxx;
    Some(ApproachFit {
        asymptote: mean_v - gap * mean_x,
        gap,
        sse: (syy - gap * sxy).max(0.0),
        mean_x,
        sxx,
    })
}

/// The first-order response through `samples` (a value settling
/// exponentially towards an asymptote), by least squares over its time
/// constant: a log-spaced grid, then golden-section search around the best.
pub(crate) fn approach(samples: &[(f64, f64)]) -> Option<Shape> {
    let n = samples.len();
    if n < APPROACH_MIN_SAMPLES {
        return None;
    }
    let t_end = samples[n - 1].0;
    let span = t_end - samples[0].0;
    if span <= 0.0 {
        return None;
    }
    // The time constant is searched on bin means (at most `SEARCH_POINTS`),
    // then the fit is made on every sample with the one found.
    let binned = bin_means(samples, SEARCH_POINTS);
    let (lo, hi) = ((span * TAU_MIN_SPANS).ln(), (span * TAU_MAX_SPANS).ln());
    let log_tau = |i: usize| lo + (hi - lo) * i as f64 / (TAU_GRID - 1) as f64;
    let sse =
        |log_tau: f64| approach_at(&binned, t_end, log_tau.exp()).map_or(f64::INFINITY, |f| f.sse);
    let best = (0..TAU_GRID)
        .map(|i| (i, sse(log_tau(i))))
        .min_by(|a, b| a.1.total_cmp(&b.1))?
        .0;
    let (mut a, mut b) = (
        log_tau(best.saturating_sub(1)),
        log_tau((best + 1).min(TAU_GRID - 1)),
    );
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - golden * (b - a), a + golden * (b - a));
    let (mut fc, mut fd) = (sse(c), sse(d));
    for _ in 0..TAU_REFINE_STEPS {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - golden * (b - a);
            fc = sse(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + golden * (b - a);
            fd = sse(d);
        }
    }
    let tau = ((a + b) / 2.0).exp();
    let fit = approach_at(samples, t_end, tau)?;
    let (asymptote, gap) = (fit.asymptote, fit.gap);
    Some(Shape::Approach {
        inflation: inflation(samples, |t| asymptote + gap * ((t_end - t) / tau).exp()),
        asymptote: fit.asymptote,
        gap: fit.gap,
        tau,
        residual_sd: (fit.sse / (n as f64 - 3.0)).sqrt(),
        n: n as f64,
        mean_x: fit.mean_x,
        sxx: fit.sxx,
    })
}

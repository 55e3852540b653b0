//! What the sensor plot shows, worked out without egui or Bevy: the history,
//! the forecast line with its ~95% band ahead of now, the warn and alarm
//! lines and the anomalies, all as plain numbers. Times are seconds relative
//! to `now` (negative is the past), so the x axis reads "how long ago" and
//! "how soon". The window only draws what this returns, so what the plot
//! means is tested here and what it looks like is the screenshot test's.

use crate::analytics::Series;
use crate::analytics::curve::{Curve, Z_95};

/// The forecast reaches this share of the window's time span ahead...
const HORIZON_SHARE_OF_SPAN: f64 = 0.5;
/// ...but at least this far (seconds), so a short history still shows a direction...
const HORIZON_MIN_S: f64 = 30.0;
/// ...and at most this far (seconds: an hour), beyond which a fit over the window means little.
const HORIZON_MAX_S: f64 = 3600.0;
/// Straight pieces of the forecast and its band (both may curve).
const BAND_SEGMENTS: usize = 20;

/// A sensor's limits, drawn as horizontal lines where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Limits {
    pub(crate) warn: Option<f64>,
    pub(crate) alarm: Option<f64>,
}

/// Everything the plot draws; points are `[seconds from now, value]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlotSeries {
    pub(crate) history: Vec<[f64; 2]>,
    /// `None` until the predictor can project (two samples at least).
    pub(crate) forecast: Option<Forecast>,
    pub(crate) limits: Limits,
    /// Samples whose |z| against the samples before them is at least
    /// `analytics::ANOMALY_Z` (3).
    pub(crate) anomalies: Vec<[f64; 2]>,
}

/// The forecast ahead from the latest sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The model that drew it, for the legend.
    pub(crate) model: &'static str,
    /// The expected curve from the latest sample to the horizon.
    pub(crate) line: Vec<[f64; 2]>,
    /// The ~95% interval of a reading along it.
    pub(crate) band: Band,
}

/// A band between `lo` and `hi` at the times `x` (all the same length).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    pub(crate) x: Vec<f64>,
    pub(crate) lo: Vec<f64>,
    pub(crate) hi: Vec<f64>,
}

impl PlotSeries {
    /// The plot of `series` and the predictor's `curve`, at time `now` (seconds).
    pub(crate) fn of(
        series: &Series,
        curve: Option<&Curve>,
        limits: Limits,
        now: f64,
    ) -> PlotSeries {
        PlotSeries {
            history: series.samples().map(|(t, v)| [t - now, v]).collect(),
            forecast: curve.map(|c| forecast(series, c, now)),
            limits,
            anomalies: series
                .anomalies()
                .into_iter()
                .map(|(t, v, _)| [t - now, v])
                .collect(),
        }
    }
}

fn forecast(series: &Series, curve: &Curve, now: f64) -> Forecast {
    let horizon = forecast_horizon(series);
    let ts: Vec<f64> = (0..=BAND_SEGMENTS)
        .map(|i| curve.time + horizon * i as f64 / BAND_SEGMENTS as f64)
        .collect();
    let bands: Vec<(f64, f64)> = ts.iter().map(|&t| curve.band(t, Z_95)).collect();
    Forecast {
        model: curve.model,
        line: ts.iter().map(|&t| [t - now, curve.mean(t)]).collect(),
        band: Band {
            x: ts.iter().map(|t| t - now).collect(),
            lo: bands.iter().map(|b| b.0).collect(),
            hi: bands.iter().map(|b| b.1).collect(),
        },
    }
}

/// How far ahead the forecast is drawn: half the window's span, from 30 s to an hour.
fn forecast_horizon(series: &Series) -> f64 {
    let span = match (series.samples().next(), series.last()) {
        (Some((a, _)), Some((b, _))) => b - a,
        _ => 0.0,
    };
    (span * HORIZON_SHARE_OF_SPAN).clamp(HORIZON_MIN_S, HORIZON_MAX_S)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::SeriesConfig;
    use crate::analytics::predict::{LinearTrend, Predictor};

    fn plot(s: &Series, limits: Limits, now: f64) -> PlotSeries {
        PlotSeries::of(s, LinearTrend.curve(s).as_ref(), limits, now)
    }

    fn series(points: &[(f64, f64)]) -> Series {
        let mut s = Series::new(SeriesConfig::default());
        for &(t, v) in points {
            s.push(t, v);
        }
        s
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Twelve samples, one a second, on the line v = 2t, except a spike to
    /// 60 at t = 10 s (the line says 20); the plot is drawn at now = 12 s.
    ///
    /// Worked by hand (n = 12, t = 0..11):
    /// - mean t = 5.5; Sxx = Σ(t − 5.5)² = n(n² − 1)/12 = 143.
    /// - Σv = 2·66 + 40 = 172, mean v = 43/3; Sxy = Σ(t − 5.5)·v
    ///   = 2·Sxx + 40·(10 − 5.5) = 466: the least-squares slope is
    ///   466/143 ≈ 3.259 per second, rising (the spike steepens the line
    ///   of slope 2).
    /// - The linear predictor projects from the last sample, t = 11:
    ///   43/3 + (466/143)·5.5 ≈ 32.256.
    /// - The window spans 11 s, half of it is 5.5 s, so the horizon is the
    ///   30 s minimum: the line ends at t = 41, 32.256 + 30·466/143 ≈ 130.02.
    /// - Residuals: Σv² = 4·(506 − 100) + 3600 = 5224, Syy = 5224 − 172²/12
    ///   ≈ 2758.67, SSE = Syy − 466²/143 ≈ 1240.09, s = √(SSE/10) ≈ 11.136.
    ///   The band's half-width at t = 11 is 1.96·s·√(1 + 1/12 + 5.5²/143)
    ///   ≈ 24.84, at t = 41 it is 1.96·s·√(1 + 1/12 + 35.5²/143) ≈ 68.66.
    /// - The spike against the ten samples before it (0, 2, …, 18: mean 9,
    ///   sample variance 4·82.5/9 ≈ 36.67, sd ≈ 6.055): z = 51/6.055 ≈ 8.4,
    ///   an anomaly. The sample after it (22) against the eleven before
    ///   (mean 150/11 ≈ 13.64, sd ≈ 16.4): z ≈ 0.51, not one; earlier
    ///   samples have fewer than ten before them.
    #[test]
    fn a_rising_line_with_one_spike_forecasts_up_and_flags_the_spike() {
        let points: Vec<(f64, f64)> = (0..12)
            .map(|i| {
                let t = i as f64;
                (t, if i == 10 { 60.0 } else { 2.0 * t })
            })
            .collect();
        let now = 12.0;
        let limits = Limits {
            warn: Some(90.0),
            alarm: Some(100.0),
        };
        let plot = plot(&series(&points), limits, now);

        assert_eq!(plot.history.len(), 12);
        assert_eq!(plot.history[0], [-12.0, 0.0], "the oldest sample, 12 s ago");
        assert_eq!(plot.history[11], [-1.0, 22.0], "the latest sample, 1 s ago");
        assert_eq!(plot.limits.warn, Some(90.0));
        assert_eq!(
            plot.limits.alarm,
            Some(100.0),
            "the alarm line at the limit"
        );
        assert_eq!(plot.anomalies, vec![[-2.0, 60.0]], "only the spike");

        let f = plot.forecast.expect("twelve samples project");
        assert_eq!(f.model, "linear");
        let slope = 466.0 / 143.0;
        let start = 43.0 / 3.0 + slope * 5.5;
        let ([x0, y0], [x1, y1]) = (f.line[0], f.line[BAND_SEGMENTS]);
        assert!(
            close(x0, -1.0, 1e-12) && close(x1, 29.0, 1e-12),
            "{x0}..{x1}"
        );
        assert!(
            close(y0, 32.256, 1e-3) && close(y0, start, 1e-9),
            "start {y0}"
        );
        assert!(close(y1, 130.02, 1e-2), "end {y1}");
        assert!(y1 > y0, "the forecast rises");
        assert!(
            close((y1 - y0) / (x1 - x0), slope, 1e-9),
            "slope {}",
            (y1 - y0) / (x1 - x0)
        );

        let band = f.band;
        assert_eq!(band.x.len(), BAND_SEGMENTS + 1);
        assert!(close(band.x[0], -1.0, 1e-12) && close(band.x[20], 29.0, 1e-12));
        assert!(close(band.x[1] - band.x[0], 1.5, 1e-12), "30 s in 20 steps");
        let (half0, half20) = (
            (band.hi[0] - band.lo[0]) / 2.0,
            (band.hi[20] - band.lo[20]) / 2.0,
        );
        assert!(close(half0, 24.84, 1e-2), "half-width now {half0}");
        assert!(
            close(half20, 68.66, 1e-2),
            "half-width at the horizon {half20}"
        );
        assert!(
            close((band.hi[0] + band.lo[0]) / 2.0, y0, 1e-9),
            "band centred on the line"
        );
        assert!(close((band.hi[20] + band.lo[20]) / 2.0, y1, 1e-9));
        assert!(
            band.x.windows(2).all(|w| w[1] > w[0]),
            "the band runs forward in time"
        );
    }

    #[test]
    fn a_single_sample_has_no_forecast_and_no_anomaly() {
        let plot = plot(&series(&[(5.0, 1.5)]), Limits::default(), 5.0);
        assert_eq!(plot.history, vec![[0.0, 1.5]]);
        assert_eq!(plot.forecast, None);
        assert!(plot.anomalies.is_empty());
        assert_eq!(plot.limits, Limits::default(), "no limits, no lines");
    }

    #[test]
    fn the_forecast_reaches_half_the_window_ahead_but_at_most_an_hour() {
        // A flat 20 min window: 10 min ahead. A 4 h window: capped at 60 min.
        for (span, ahead) in [(1200.0, 600.0), (4.0 * 3600.0, 3600.0)] {
            let s = series(&[(0.0, 1.0), (span / 2.0, 1.0), (span, 1.0)]);
            let f = plot(&s, Limits::default(), span)
                .forecast
                .expect("three samples project");
            assert_eq!(f.line[0][0], 0.0);
            assert!(
                close(f.line[BAND_SEGMENTS][0], ahead, 1e-9),
                "{span} s window: {:?}",
                f.line
            );
            assert_eq!(
                (f.line[0][1], f.line[BAND_SEGMENTS][1]),
                (1.0, 1.0),
                "flat stays flat"
            );
        }
    }
}

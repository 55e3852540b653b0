use super::*;
use crate::analytics::predict::Predictor;

fn series(window: usize) -> Series {
    Series::new(SeriesConfig {
        window,
        ..SeriesConfig::default()
    })
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn describe_matches_pandas_on_a_worked_table() {
    // pandas.Series(range(1, 11)).describe()
    let mut s = series(100);
    for i in 1..=10 {
        s.push(i as f64, i as f64);
    }
    let d = s.describe().unwrap();
    assert_eq!(d.count, 10);
    assert_eq!(
        (d.mean, d.min, d.q25, d.q50, d.q75, d.max),
        (5.5, 1.0, 3.25, 5.5, 7.75, 10.0)
    );
    assert!(close(d.std, 3.0276503540974917, 1e-12), "{}", d.std);
}

#[test]
fn the_window_forgets_old_samples() {
    let mut s = series(4);
    for i in 1..=10 {
        s.push(i as f64, i as f64);
    }
    let d = s.describe().unwrap();
    assert_eq!(
        (d.count, d.mean, d.min, d.max, d.q25),
        (4, 8.5, 7.0, 10.0, 7.75)
    );
    assert!(close(d.std, (5.0f64 / 3.0).sqrt(), 1e-12));
    assert_eq!(s.mean(), Some(8.5));
}

#[test]
fn a_perfect_line_is_found_exactly() {
    let mut s = series(100);
    for t in 0..10 {
        s.push(t as f64, 3.0 + 2.0 * t as f64);
    }
    let tr = s.trend().unwrap();
    assert!(
        close(tr.slope, 2.0, 1e-12) && close(tr.at(0.0), 3.0, 1e-12),
        "{tr:?}"
    );
    assert!(close(tr.at(20.0), 43.0, 1e-12));
    assert!(tr.residual_std < 1e-9);
    assert!(
        close(tr.time_to(50.0, 9.0).unwrap(), 14.5, 1e-12),
        "21 now, 2 per second, 29 to go"
    );
    assert_eq!(tr.time_to(10.0, 9.0), None, "already past, heading away");
}

/// Ordinary least squares by the two-pass textbook formula.
fn ols(points: &[(f64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mt) * (p.1 - mv)).sum();
    let slope = sxy / sxx;
    let intercept = mv - slope * mt;
    let sse: f64 = points
        .iter()
        .map(|p| (p.1 - intercept - slope * p.0).powi(2))
        .sum();
    (slope, intercept, (sse / (n - 2.0)).sqrt())
}

#[test]
fn the_sliding_trend_equals_ols_on_the_same_window_at_epoch_times() {
    let mut s = series(50);
    let t0 = 1.7e9;
    let mut all = vec![];
    for i in 0..10_000 {
        let t = t0 + i as f64 * 0.2;
        let v = 40.0 + (i as f64 * 0.37).sin() * 3.0 + i as f64 * 0.001;
        s.push(t, v);
        all.push((t, v));
        if i % 997 == 0 && i > 2 {
            let window = &all[all.len().saturating_sub(50)..];
            let (slope, intercept, rse) = ols(window);
            let tr = s.trend().unwrap();
            assert!(
                close(tr.slope, slope, 1e-7),
                "at {i}: slope {} vs OLS {slope}",
                tr.slope
            );
            assert!(
                close(tr.at(0.0), intercept, 1e-6),
                "at {i}: intercept {} vs {intercept}",
                tr.at(0.0)
            );
            assert!(
                close(tr.residual_std, rse, 1e-6),
                "at {i}: rse {} vs {rse}",
                tr.residual_std
            );
        }
    }
}

#[test]
fn z_scores_flag_outliers_against_the_window_before_them() {
    let mut s = series(100);
    assert_eq!(s.push(0.0, 1.0), 0.0, "too few samples to judge");
    for (i, v) in [2.0, 3.0, 4.0, 5.0].into_iter().enumerate() {
        s.push(i as f64 + 1.0, v);
    }
    // mean 3, sample std sqrt(2.5)
    assert!(close(s.z_score(10.0), 7.0 / 2.5f64.sqrt(), 1e-12));
    assert!(
        close(s.push(5.0, 10.0), 7.0 / 2.5f64.sqrt(), 1e-12),
        "push returns the same score"
    );
    let mut flat = series(10);
    for i in 0..5 {
        flat.push(i as f64, 7.0);
    }
    assert_eq!(flat.z_score(8.0), 0.0, "no spread, no score");
}

#[test]
fn quality_flags_stale_stuck_and_out_of_range() {
    let mut s = Series::new(SeriesConfig {
        window: 100,
        stale_after: 5.0,
        stuck_after: 10.0,
        physical: (-40.0, 150.0),
    });
    assert!(s.quality(0.0).stale, "never heard from");
    for t in 0..=20 {
        s.push(t as f64, 21.5);
    }
    let q = s.quality(21.0);
    assert!(q.stuck && !q.stale && !q.out_of_range, "{q:?}");
    s.push(21.0, 200.0);
    let q = s.quality(22.0);
    assert!(!q.stuck && q.out_of_range, "{q:?}");
    assert!(s.quality(30.0).stale);
}

#[test]
fn quantiles_interpolate_between_ranks() {
    let v = [1.0, 2.0, 4.0, 8.0];
    assert_eq!(quantile(&v, 0.0), 1.0);
    assert_eq!(quantile(&v, 1.0), 8.0);
    assert_eq!(quantile(&v, 0.5), 3.0);
    assert_eq!(quantile(&v, 0.25), 1.75);
    assert_eq!(quantile(&[5.0], 0.75), 5.0);
}

#[test]
fn anomalies_are_the_samples_far_from_those_before_them() {
    let mut series = Series::new(SeriesConfig::default());
    // 0, 1, 0, 1, ... (mean 0.5, sample std ~0.51 over 20 samples), then a
    // spike of 10 and a return to 0.
    for i in 0..20 {
        series.push(i as f64, (i % 2) as f64);
    }
    series.push(20.0, 10.0);
    series.push(21.0, 0.0);
    let found = series.anomalies();
    assert_eq!(found.len(), 1, "{found:?}");
    let (t, v, z) = found[0];
    assert_eq!((t, v), (20.0, 10.0));
    // Worked out: the 20 samples before have mean 0.5 and variance
    // (20 * 0.25) / 19, so z = 9.5 / sqrt(5 / 19).
    assert!((z - 9.5 / (5.0f64 / 19.0).sqrt()).abs() < 1e-9, "{z}");
    // The live score of the spike agreed when it arrived.
    let mut again = Series::new(SeriesConfig::default());
    for i in 0..20 {
        again.push(i as f64, (i % 2) as f64);
    }
    assert!((again.push(20.0, 10.0) - z).abs() < 1e-9);
    // A flat series has no anomalies, and neither does a short one.
    let mut flat = Series::new(SeriesConfig::default());
    for i in 0..30 {
        flat.push(i as f64, 5.0);
    }
    assert!(flat.anomalies().is_empty());
}

#[test]
fn the_prediction_interval_matches_the_textbook_formula_on_a_worked_example() {
    // x = 1..5, y = 2, 4, 5, 4, 5 (a common textbook table): by hand,
    // mean x 3, Sxx 10, Sxy 6, slope 0.6, intercept 2.2 at x = 0; fitted
    // 2.8 3.4 4.0 4.6 5.2, residuals -0.8 0.6 1.0 -0.6 -0.2, SSE 2.4,
    // s = sqrt(2.4 / 3). At x0 = 6 the half-width for one new value is
    // 1.96 s sqrt(1 + 1/n + (x0 - mean x)^2 / Sxx) = 1.96 s sqrt(2.1)
    // = 2.540450353775881 (dropping the leverage term gives 1.92, dropping
    // 1/n gives 2.42).
    let mut s = series(600);
    for (x, y) in [(1.0, 2.0), (2.0, 4.0), (3.0, 5.0), (4.0, 4.0), (5.0, 5.0)] {
        s.push(1_700_000_000.0 + x, y);
    }
    let trend = s.trend().unwrap();
    assert!(close(trend.slope, 0.6, 1e-9), "{}", trend.slope);
    assert!(close(trend.at(1_700_000_006.0), 2.2 + 0.6 * 6.0, 1e-9));
    assert!(close(trend.residual_std, (2.4f64 / 3.0).sqrt(), 1e-9));
    // The linear predictor's curve starts at the latest sample (x = 5) and
    // gives the standard error of one new reading, s sqrt(1 + 1/n + lev):
    // at x0 = 6 sqrt(0.8 * 2.1) = sqrt(1.68); at x0 = 5 the leverage is
    // (5 - 3)^2 / 10 = 0.4, sqrt(0.8 * 1.6) = sqrt(1.28).
    let curve = crate::analytics::predict::LinearTrend.curve(&s).unwrap();
    let at6 = curve.sd(1_700_000_006.0);
    assert!(close(at6, 1.68f64.sqrt(), 1e-9), "{at6}");
    assert!(close(1.96 * at6, 2.540450353775881, 1e-9), "{}", 1.96 * at6);
    let at5 = curve.sd(1_700_000_005.0);
    assert!(close(at5, 1.28f64.sqrt(), 1e-9), "{at5}");
}

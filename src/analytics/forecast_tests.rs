//! The forecasting models and countdowns on signals whose answers are known:
//! a warm-up that levels out below its limit, a ramp to the limit, a noisy
//! flat line; each through every model.

use super::auto::{Auto, Model, choose};
use super::countdown::{Countdown, CountdownRule, countdown, z_for};
use super::curve::Curve;
use super::predict::{FirstOrder, Holt, LinearTrend, Predictor};
use super::{Series, SeriesConfig, fit};

/// Samples a second apart... five a second, as the simulated plant sends.
const RATE_HZ: f64 = 5.0;

/// A seeded standard normal (xorshift and Box-Muller), so runs repeat.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn models() -> Vec<Box<dyn Predictor>> {
    vec![
        Box::new(LinearTrend),
        Box::new(Holt::new(0.5, 0.2)),
        Box::new(FirstOrder),
        Box::new(Auto),
    ]
}

/// Feeds `signal` at 5 Hz for `seconds` into `model` and asks for a
/// countdown to `limit` once a second after the first `settle` seconds.
fn countdowns(
    model: &mut dyn Predictor,
    signal: &dyn Fn(f64) -> f64,
    noise_sd: f64,
    seconds: f64,
    settle: f64,
    limit: f64,
) -> Vec<(f64, Option<Countdown>)> {
    let mut series = Series::new(SeriesConfig::default());
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    let steps = (seconds * RATE_HZ) as usize;
    for i in 0..=steps {
        let t = i as f64 / RATE_HZ;
        let v = signal(t) + noise_sd * noise.normal();
        series.push(t, v);
        model.observe(t, v);
        if t >= settle && i % RATE_HZ as usize == 0 {
            let curve = model.curve(&series);
            let c = curve.and_then(|c| countdown(&c, limit, t, &CountdownRule::default()));
            out.push((t, c));
        }
    }
    out
}

/// A healthy machine after start: 20 °C rising towards 47 °C with a 60 s
/// time constant, an 80 °C alarm limit.
fn warm_up(t: f64) -> f64 {
    20.0 + 27.0 * (1.0 - (-t / 60.0).exp())
}

#[test]
fn a_warm_up_that_levels_out_below_the_limit_never_counts_down() {
    for mut model in models() {
        let name = model.name();
        let shown: Vec<_> = countdowns(&mut *model, &warm_up, 0.3, 900.0, 5.0, 80.0)
            .into_iter()
            .filter(|(_, c)| c.is_some())
            .collect();
        assert!(
            shown.is_empty(),
            "{name} counted down on a warm-up: {shown:?}"
        );
    }
}

#[test]
fn a_warm_up_without_noise_never_counts_down_either() {
    for mut model in models() {
        let name = model.name();
        let shown: Vec<_> = countdowns(&mut *model, &warm_up, 0.0, 600.0, 2.0, 80.0)
            .into_iter()
            .filter(|(_, c)| c.is_some())
            .collect();
        assert!(shown.is_empty(), "{name}: {shown:?}");
    }
}

#[test]
fn a_ramp_to_the_limit_counts_down_within_ten_percent_of_the_truth() {
    // 40 °C rising 0.05 °C/s with 0.3 °C noise, limit 85 °C (reached at
    // 900 s): at time t the truth is (85 - 40 - 0.05 t) / 0.05 seconds away.
    // The 600-sample window spans 120 s, so a model reaches 360 s ahead:
    // from 300 s to go a countdown must show, within 10% of the truth, and
    // never further ahead than the reach.
    let ramp = |t: f64| 40.0 + 0.05 * t;
    let reach = 3.0 * 119.8;
    // The first-order model alone is not held to this: on a noisy ramp its
    // third parameter chases the noise and reads a slow approach with an
    // asymptote anywhere (it counted down 11% late at one time and not at
    // all at another). That is why `auto` scores it out of sample first and
    // keeps a ramp a line.
    let mut models: Vec<(Box<dyn Predictor>, f64, f64)> = vec![
        (Box::new(LinearTrend), 300.0, 0.1),
        (Box::new(Auto), 300.0, 0.1),
    ];
    // Holt's trend from samples 0.2 s apart is noisy unless it is smoothed
    // hard; with the weights of the other tests its interval is too wide
    // to count down at all (which is what ETS says of them). Smoothed, its
    // interval 300 s (1,500 steps) ahead is still about ±4.5 °C, so it
    // counts down from 200 s to go; near the end its level's noise is a
    // large share of what is left (16% at 25 s to go), so it is held to
    // its range holding the truth instead of the 10%.
    models.push((Box::new(Holt::new(0.05, 0.005)), 200.0, f64::INFINITY));
    for (mut model, from, tolerance) in models {
        let name = model.name();
        let all = countdowns(&mut *model, &ramp, 0.3, 890.0, 130.0, 85.0);
        for (t, c) in all {
            let truth = (85.0 - ramp(t)) / 0.05;
            if truth > reach {
                assert_eq!(c, None, "{name} at {t} s: beyond its reach");
                continue;
            }
            if truth > from {
                continue;
            }
            let c = c.unwrap_or_else(|| panic!("{name}: no countdown at {t} s ({truth} s to go)"));
            assert!(
                (c.expected_s - truth).abs() <= tolerance * truth,
                "{name} at {t} s: {c:?}, truth {truth}"
            );
            assert!(
                c.low_s <= c.expected_s && c.expected_s <= c.high_s,
                "{name}: {c:?}"
            );
            if tolerance.is_infinite() {
                assert!(
                    c.low_s <= truth && truth <= c.high_s,
                    "{name} at {t} s: {c:?}"
                );
            }
        }
    }
}

#[test]
fn a_noisy_flat_signal_never_counts_down() {
    let flat = |_: f64| 50.0;
    for mut model in models() {
        let name = model.name();
        let shown: Vec<_> = countdowns(&mut *model, &flat, 2.0, 600.0, 5.0, 60.0)
            .into_iter()
            .filter(|(_, c)| c.is_some())
            .collect();
        assert!(shown.is_empty(), "{name}: {shown:?}");
    }
}

#[test]
fn a_warm_up_past_the_limit_counts_down_to_where_the_curve_crosses_it() {
    // Rising from 20 towards 100 °C (tau 60 s), limit 80: the curve crosses
    // at t = -60 ln(20 / 80) = 83.18 s.
    let hot = |t: f64| 100.0 - 80.0 * (-t / 60.0).exp();
    let crossing = -60.0 * (20.0f64 / 80.0).ln();
    let mut model = FirstOrder;
    let all = countdowns(&mut model, &hot, 0.3, 60.0, 30.0, 80.0);
    for (t, c) in all {
        let c = c.unwrap_or_else(|| panic!("no countdown at {t}"));
        let truth = crossing - t;
        assert!(
            (c.expected_s - truth).abs() < 0.05 * truth + 0.5,
            "{t}: {c:?} vs {truth}"
        );
    }
}

#[test]
fn the_first_order_fit_finds_the_asymptote_and_time_constant_of_a_clean_curve() {
    let samples: Vec<(f64, f64)> = (0..600)
        .map(|i| {
            let t = 1_700_000_000.0 + i as f64 * 0.2;
            (t, warm_up(i as f64 * 0.2 + 30.0))
        })
        .collect();
    let curve = Curve {
        time: samples[599].0,
        model: "first-order",
        reach_s: 360.0,
        shape: fit::approach(&samples).unwrap(),
        bend: None,
    };
    let super::curve::Shape::Approach { asymptote, tau, .. } = curve.shape else {
        panic!("{curve:?}")
    };
    assert!((asymptote - 47.0).abs() < 1e-4, "asymptote {asymptote}");
    assert!((tau - 60.0).abs() < 1e-3, "tau {tau}");
    // 60 s on from the last sample (t = 149.8 of the curve).
    let ahead = curve.mean(curve.time + 60.0);
    assert!((ahead - warm_up(209.8)).abs() < 1e-4, "{ahead}");
    assert_eq!(curve.time_to(80.0), None, "levels out below 80");
}

#[test]
fn auto_picks_the_curve_for_a_warm_up_and_the_line_for_a_ramp() {
    let mut noise = Noise(7);
    let warm: Vec<(f64, f64)> = (0..600)
        .map(|i| {
            let t = i as f64 * 0.2 + 20.0;
            (t, warm_up(t) + 0.3 * noise.normal())
        })
        .collect();
    assert_eq!(choose(&warm).0, Model::FirstOrder, "{:?}", choose(&warm).1);
    let ramp: Vec<(f64, f64)> = (0..600)
        .map(|i| {
            let t = i as f64 * 0.2;
            (t, 40.0 + 0.05 * t + 0.3 * noise.normal())
        })
        .collect();
    assert_eq!(choose(&ramp).0, Model::Linear, "{:?}", choose(&ramp).1);
}

/// `auto` needs 30 samples; it fits the older two thirds and scores each
/// candidate by its root-mean-square miss on the newer third. Worked by
/// hand: the first 20 of 30 samples lie on v = 2t + 1, the last 10 are
/// that line ± 1 in turn, so the line fitted on the 20 misses each of the
/// 10 by exactly 1: an RMS of 1.
#[test]
fn auto_needs_thirty_samples_and_scores_by_root_mean_square() {
    let line = |n: usize| -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let t = i as f64;
                let off = if i < 20 {
                    0.0
                } else if i % 2 == 0 {
                    1.0
                } else {
                    -1.0
                };
                (t, 2.0 * t + 1.0 + off)
            })
            .collect()
    };
    assert_eq!(
        choose(&line(29)),
        (Model::Linear, [None; 3]),
        "29 samples: too few to choose"
    );
    let (_, errors) = choose(&line(30));
    let linear = errors[0].expect("the line is fitted on 20 samples");
    assert!((linear - 1.0).abs() < 1e-9, "RMS miss {linear}, by hand 1");
    assert_eq!(Auto.name(), "auto");
}

#[test]
fn a_bend_is_found_in_a_parabola_and_not_in_a_noisy_line() {
    let parabola: Vec<(f64, f64)> = (0..100)
        .map(|i| (i as f64, 0.01 * (i as f64).powi(2)))
        .collect();
    let q = fit::bend(&parabola).expect("a parabola bends");
    assert!((q.at(150.0) - 225.0).abs() < 1e-6, "{}", q.at(150.0));
    let mut noise = Noise(3);
    let line: Vec<(f64, f64)> = (0..600)
        .map(|i| (i as f64, 2.0 + 0.1 * i as f64 + noise.normal()))
        .collect();
    assert_eq!(fit::bend(&line), None);
}

#[test]
fn the_normal_quantile_matches_published_values() {
    // scipy.stats.norm.ppf
    for (p, z) in [
        (0.5, 0.0),
        (0.9, 1.2815515655446004),
        (0.95, 1.6448536269514722),
        (0.975, 1.959963984540054),
        (0.99, 2.3263478740408408),
        (0.01, -2.3263478740408408),
        (0.999, 3.090232306167813),
    ] {
        assert!((z_for(p) - z).abs() < 1e-8, "{p}: {} vs {z}", z_for(p));
    }
}

#[test]
fn a_countdown_reads_in_seconds_when_near_and_minutes_when_far() {
    let c = |low_s, high_s| Countdown {
        expected_s: (low_s + high_s) / 2.0,
        low_s,
        high_s,
    };
    assert_eq!(c(40.0, 70.0).range_label(), "0:40–1:10");
    assert_eq!(c(250.0, 410.0).range_label(), "4–7 min");
    assert_eq!(c(300.0, 355.0).range_label(), "5–6 min");
    assert_eq!(c(300.0, 300.0).range_label(), "~5 min");
    // Two minutes is no longer under two minutes.
    assert_eq!(c(90.0, 119.0).range_label(), "1:30–1:59");
    assert_eq!(c(90.0, 120.0).range_label(), "1–2 min");
}

/// A least-squares line fitted on a minute at 5 Hz: `value` at `time`,
/// rising `slope` a second, residuals of 0.2, their correlation `inflation`.
fn line(time: f64, value: f64, slope: f64, inflation: f64) -> Curve {
    let n = 300.0;
    Curve {
        time,
        model: "linear",
        reach_s: 600.0,
        shape: super::curve::Shape::Line {
            value,
            slope,
            inflation,
            residual_sd: 0.2,
            n,
            mean_s: -30.0,
            // Σ(s − mean)² of n times spread evenly over 60 s: n · 60² / 12.
            sxx: n * 60.0 * 60.0 / 12.0,
        },
        bend: None,
    }
}

#[test]
fn a_countdown_is_shown_only_if_it_was_counting_down_ten_seconds_before() {
    use super::countdown::held;
    let rule = CountdownRule::default();
    // 70 °C rising 0.1 °C/s towards 80 °C: 100 s to go, and so it was 10 s ago.
    let now = line(100.0, 70.0, 0.1, 1.0);
    let before = line(90.0, 69.0, 0.1, 1.0);
    let shown = held(&now, || Some(&before), 80.0, 100.0, &rule);
    let c = shown.expect("held: it counted down then too");
    assert_eq!(Some(c), countdown(&now, 80.0, 100.0, &rule));
    assert!((c.expected_s - 100.0).abs() < 1e-6, "{c:?}");
    // Ten seconds ago the machine was level (a start's first jump): nothing.
    let level = line(90.0, 69.0, 0.0, 1.0);
    assert_eq!(held(&now, || Some(&level), 80.0, 100.0, &rule), None);
    // No window then (too young): nothing.
    assert_eq!(held(&now, || None, 80.0, 100.0, &rule), None);
    // Level now: nothing, whatever came before.
    let level_now = line(100.0, 70.0, 0.0, 1.0);
    assert_eq!(held(&level_now, || Some(&before), 80.0, 100.0, &rule), None);
}

#[test]
fn a_line_whose_residuals_run_in_long_stretches_does_not_count_down() {
    let rule = CountdownRule::default();
    // n / n_eff of 19 is a lag-1 autocorrelation of 0.9 (MISFIT_INFLATION).
    assert!(countdown(&line(100.0, 70.0, 0.1, 18.9), 80.0, 100.0, &rule).is_some());
    assert_eq!(
        countdown(&line(100.0, 70.0, 0.1, 19.1), 80.0, 100.0, &rule),
        None
    );
    assert_eq!(
        countdown(&line(100.0, 70.0, 0.1, 1000.0), 80.0, 100.0, &rule),
        None
    );
}

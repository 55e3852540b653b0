//! The per-sample analytics path and a frame of 100,000 sensors.
//!
//! 1. One thread, no ECS: each sample goes into its sensor's window
//!    (`Series::push`: history, running sums, z-score); then the same with the
//!    trend and every alarm rule evaluated for each sample too.
//! 2. The headless app with a generated scene of 10,000 twins × 10 sensors:
//!    each frame, every sensor gets one sample through the sample channel;
//!    the frame time covers applying them, rating sensors and twins and
//!    evaluating every sensor's alarm rules.
//! 3. Each forecasting model: the per-sample cost (the history and the
//!    model's own update, as `History::record` does it) and the cost of one
//!    countdown ask on a full 600-sample window (one fit when nothing is
//!    coming, two when it counts down: the held check fits the window as it
//!    was ten seconds before).
//!
//! Run: `cargo bench --bench analytics`

use std::time::Instant;

use twinscape::alarms::{AlarmBook, Reading, Rules, Watch};
use twinscape::analytics::auto::Auto;
use twinscape::analytics::predict::{FirstOrder, Holt, LinearTrend, Predictor};
use twinscape::analytics::{Series, SeriesConfig};
use twinscape::app::{Options, stepped_headless_app};
use twinscape::plant::Rng;
use twinscape::telemetry::{Ingest, Sample, SampleChannel, TelemetrySource};
use twinscape::twin::History;

fn per_sample() {
    let sensors = 1000;
    let samples = 20_000_000usize;
    let mut rng = Rng::new(5);
    let values: Vec<f64> = (0..4096).map(|_| 50.0 + rng.normal() * 5.0).collect();
    let mut series: Vec<Series> = (0..sensors)
        .map(|_| Series::new(SeriesConfig::default()))
        .collect();
    let t = Instant::now();
    let mut z_sum = 0.0;
    for i in 0..samples {
        let s = &mut series[i % sensors];
        z_sum += s.push((i / sensors) as f64 * 0.2, values[i % values.len()]);
    }
    let rate = samples as f64 / t.elapsed().as_secs_f64();
    println!(
        "history + running stats + z-score: {:.1} M samples/s (checksum {z_sum:.1})",
        rate / 1e6
    );

    let rules = Rules {
        warn: Some(70.0),
        alarm: Some(80.0),
        hysteresis: 0.5,
        min_duration_s: 2.0,
        max_rate: Some(5.0),
        forecast_horizon_s: Some(300.0),
    };
    let mut watches = vec![Watch::default(); sensors];
    let mut book = AlarmBook::default();
    let samples = 10_000_000usize;
    let t = Instant::now();
    for i in 0..samples {
        let k = i % sensors;
        let time = (i / sensors) as f64 * 0.2 + 1e5;
        let value = values[i % values.len()];
        let s = &mut series[k];
        s.push(time, value);
        let trend = s.trend();
        let reading = Reading {
            time,
            value,
            rate: trend.map(|t| t.slope),
            time_to_alarm: trend.and_then(|t| t.time_to(80.0, time)),
        };
        book.evaluate(k as u32, &rules, &mut watches[k], &reading);
    }
    let rate = samples as f64 / t.elapsed().as_secs_f64();
    println!(
        "  + trend + alarm rules per sample: {:.1} M samples/s ({} alarms raised)",
        rate / 1e6,
        book.len()
    );
}

fn big_scene(twins: usize, per_twin: usize) -> std::path::PathBuf {
    let mut text = String::from("(name: \"bench\", twins: [\n");
    for t in 0..twins {
        text.push_str(&format!(
            "(id: \"m{t}\", name: \"M{t}\", kind: \"k\", sensors: ["
        ));
        for s in 0..per_twin {
            text.push_str(&format!(
                "(name: \"s{s}\", unit: \"\", range: (0, 100), warn: Some(70), alarm: Some(80)),"
            ));
        }
        text.push_str("]),\n");
    }
    text.push_str("])\n");
    let dir = std::env::temp_dir().join(format!("twinscape-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.scene.ron");
    std::fs::write(&path, text).unwrap();
    path
}

fn frame_of_100k() {
    let (twins, per_twin) = (10_000, 10);
    let n = twins * per_twin;
    let opts = Options {
        scene: big_scene(twins, per_twin),
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = stepped_headless_app(&opts).expect("the generated scene loads");
    app.update();
    let tx = app.world().resource::<SampleChannel>().tx.clone();
    let mut rng = Rng::new(9);
    let mut times = vec![];
    let now = twinscape::telemetry::now_ms();
    // Fill every window first (600 samples), so the timed frames are the
    // steady state: each sample also pushes the oldest out.
    let warm_up = 600u64;
    for frame in 0..warm_up + 25 {
        for sensor in 0..n as u32 {
            let value = 50.0 + rng.normal() * 5.0;
            tx.try_send(Sample {
                sensor,
                value,
                time_ms: now + frame * 16,
                stamp_ms: None,
            })
            .unwrap();
        }
        let t = Instant::now();
        app.update();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let c = app.world().resource::<Ingest>().counters.clone();
    assert_eq!(c.get(&c.applied), (warm_up + 25) * n as u64);
    let warm = &mut times[warm_up as usize..].to_vec();
    warm.sort_by(f64::total_cmp);
    println!(
        "frame with {n} sensors, one sample each: median {:.2} ms, min {:.2} ms, max {:.2} ms (25 frames after {warm_up} that fill the windows)",
        warm[warm.len() / 2],
        warm[0],
        warm[warm.len() - 1]
    );
}

fn model(name: &str) -> Box<dyn Predictor> {
    match name {
        "linear" => Box::new(LinearTrend),
        "holt" => Box::new(Holt::new(0.5, 0.2)),
        "first-order" => Box::new(FirstOrder),
        _ => Box::new(Auto),
    }
}

/// Microseconds per countdown ask on `signal` (5 Hz), after a full window,
/// each ask after one new sample (so nothing is cached).
fn ask_us(name: &str, signal: impl Fn(f64) -> f64, limit: f64) -> (f64, usize) {
    let mut rng = Rng::new(3);
    let mut h = History::new(model(name));
    let t0 = 1_700_000_000_000u64;
    let mut shown = 0;
    let (warm, asks) = (600u64, 400u64);
    let mut elapsed = 0.0;
    for i in 0..warm + asks {
        let t = i as f64 * 0.2;
        h.record(signal(t) + rng.normal() * 0.3, t0 + i * 200);
        if i >= warm {
            let started = Instant::now();
            shown += usize::from(h.countdown(limit, t0 as f64 / 1e3 + t).is_some());
            elapsed += started.elapsed().as_secs_f64();
        }
    }
    (elapsed / asks as f64 * 1e6, shown)
}

fn per_model() {
    let mut rng = Rng::new(5);
    let values: Vec<f64> = (0..4096).map(|_| 50.0 + rng.normal() * 5.0).collect();
    for name in ["linear", "holt", "first-order", "auto"] {
        let sensors = 1000;
        let samples = 5_000_000usize;
        let mut histories: Vec<History> = (0..sensors).map(|_| History::new(model(name))).collect();
        let t = Instant::now();
        for i in 0..samples {
            histories[i % sensors].record(
                values[i % values.len()],
                1_700_000_000_000 + (i / sensors) as u64 * 200,
            );
        }
        let rate = samples as f64 / t.elapsed().as_secs_f64();
        let (flat_us, flat_shown) = ask_us(name, |_| 50.0, 80.0);
        // A ramp reaching 60 at 400 s: 200–280 s ahead while asked, inside
        // a model's reach (three 120 s windows), so it counts down (two fits).
        let (ramp_us, ramp_shown) = ask_us(name, |t| 40.0 + 0.05 * t, 60.0);
        println!(
            "{name:>12}: per sample {:.1} M samples/s; countdown ask {flat_us:.0} µs on flat noise ({flat_shown}/400 shown), {ramp_us:.0} µs on a ramp ({ramp_shown}/400 shown)",
            rate / 1e6
        );
    }
}

fn main() {
    println!("# twinscape analytics benchmark (one thread for parts 1 and 3)");
    per_sample();
    frame_of_100k();
    println!("## forecasting models");
    per_model();
}

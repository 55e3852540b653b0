//! The machine shop (4 weeks) on twinscape's engine and on SimPy, side by
//! side in one run: `cargo bench --bench simulation`. SimPy comes from
//! `target/simpy-venv` (made by scripts/test.sh) or TWINSCAPE_PYTHON.

use std::process::Command;
use std::time::Instant;

use twinscape::sim::line::{Line, Start, what_if};
use twinscape::sim::machine_shop::{ShopConfig, run};

fn python() -> String {
    std::env::var("TWINSCAPE_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/simpy-venv/bin/python").to_string()
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let seeds = 1..=10u64;
    println!("# machine shop, 4 weeks, seeds {seeds:?}: twinscape engine vs SimPy on this machine");
    let output = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/simpy/machine_shop.py"
        ))
        .args(["--seeds", "1", "10", "--time", "--repeat", "5"])
        .output()
        .expect("running SimPy (see scripts/test.sh)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let simpy: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    println!(
        "| seed | SimPy s (best of 5) | SimPy events/s | twinscape s (best of 5) | twinscape events/s | speed-up |"
    );
    println!("|---|---|---|---|---|---|");
    let mut ratios = vec![];
    for (seed, py) in seeds.zip(&simpy) {
        let cfg = ShopConfig {
            seed,
            ..ShopConfig::default()
        };
        // Best of 5 runs on both sides.
        let mut best = f64::INFINITY;
        let mut events = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let r = run(&cfg);
            best = best.min(t.elapsed().as_secs_f64());
            events = r.events;
        }
        let py_s = py["seconds"].as_f64().unwrap();
        let py_events = py["events"].as_f64().unwrap();
        let ratio = py_s / best;
        ratios.push(ratio);
        println!(
            "| {seed} | {py_s:.4} | {:.0} | {best:.5} | {:.0} | {ratio:.1}× |",
            py_events / py_s,
            events as f64 / best
        );
    }
    println!(
        "median speed-up {:.1}× (range {:.1}–{:.1}×; each engine counts its own events: SimPy also schedules request and release events)",
        median(ratios.clone()),
        ratios.iter().cloned().fold(f64::INFINITY, f64::min),
        ratios.iter().cloned().fold(0.0, f64::max)
    );
    what_if_speed();
}

/// The factory scene's line, 8 hours ahead: one run, and a what-if (20 runs
/// of a scenario and 20 of the baseline) as the panel runs it.
fn what_if_speed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/factory.scene.ron");
    let scene = twinscape::scene::format::parse(&std::fs::read_to_string(path).unwrap(), path)
        .expect("the factory scene parses");
    let def = scene.process.expect("the factory has a process model");
    let start = Start {
        buffer_fill: 0.5,
        ..Start::default()
    };
    let horizon = 8.0 * 3600.0;
    // Five runs of seed 1, the fastest timed: the time and the counts are
    // of the same run.
    let mut best = f64::INFINITY;
    let (mut events, mut shipped) = (0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        let line = Line::new(&def, &start, 1);
        line.run_until(horizon);
        best = best.min(t.elapsed().as_secs_f64());
        (events, shipped) = (line.sim.events(), line.shipped());
    }
    println!(
        "# factory line, 8 h, seed 1 (best of 5): one run {:.3} ms ({events} events, {shipped} parts) = {:.0}× real time",
        best * 1e3,
        horizon / best
    );
    let w = what_if(
        &def,
        &start,
        &"fail:press-2".parse().unwrap(),
        horizon,
        20,
        1,
    )
    .unwrap();
    println!(
        "# what-if fail:press-2, 20 runs + 20 baseline runs × 8 h: {:.1} ms = {:.0}× real time",
        w.elapsed_ms, w.times_real_time
    );
}

//! SimPy's machine shop on twinscape's simulation engine.
//!
//! ```text
//! cargo run --release --example machine_shop -- --seed 42 [--weeks 4] [--repairmen 1] [--json]
//! ```
//!
//! Prints one line per machine in SimPy's words (`Machine 3 made 3343 parts.`),
//! or with `--json` the same numbers as SimPy's side of the comparison
//! script (`scripts/simpy/machine_shop.py`) prints them, plus the seconds the
//! run took.

use clap::Parser;
use twinscape::sim::machine_shop::{ShopConfig, report, run};

#[derive(Parser)]
#[command(about = "SimPy's machine-shop example on twinscape's simulation engine")]
struct Args {
    /// Seed of the run's random streams.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Weeks to simulate.
    #[arg(long, default_value_t = 4.0, value_parser = positive)]
    weeks: f64,
    /// Repairmen (SimPy's example has one).
    #[arg(long, default_value_t = 1)]
    repairmen: usize,
    /// Runs seeds SEED to SEED+RUNS-1, one JSON line each.
    #[arg(long, default_value_t = 1)]
    runs: u64,
    /// JSON lines instead of SimPy's text.
    #[arg(long)]
    json: bool,
}

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("\"{s}\" is not a positive number")),
    }
}

fn main() {
    let args = Args::parse();
    for seed in args.seed..args.seed + args.runs.max(1) {
        let cfg = ShopConfig {
            seed,
            weeks: args.weeks,
            repairmen: args.repairmen,
            ..ShopConfig::default()
        };
        let t = std::time::Instant::now();
        let result = run(&cfg);
        let seconds = t.elapsed().as_secs_f64();
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "seed": seed,
                    "parts": result.parts,
                    "failures": result.failures,
                    "other_jobs": result.other_jobs,
                    "events": result.events,
                    "seconds": seconds,
                })
            );
        } else {
            print!("{}", report(&cfg, &result));
        }
    }
}

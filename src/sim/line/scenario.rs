//! What-if questions: a change to the line (`Scenario`), and runs of it
//! against the baseline from the same start (`what_if`).

use serde::Serialize;

use super::{Line, LineReport, Start};
use crate::scene::format::LineDef;

/// A change to try against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    Baseline,
    /// This machine breaks now.
    Fail(String),
    /// This many repair crews.
    Crews(usize),
    /// This station's cycle takes `factor` times as long.
    Slower(String, f64),
}

impl std::str::FromStr for Scenario {
    type Err = String;
    /// `baseline`, `fail:MACHINE`, `crews:N`, `slower:STATION:FACTOR`.
    fn from_str(s: &str) -> Result<Scenario, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || {
            format!(
                "\"{s}\" is not a scenario: use fail:MACHINE, crews:N, slower:STATION:FACTOR or baseline"
            )
        };
        match parts.as_slice() {
            ["baseline"] => Ok(Scenario::Baseline),
            ["fail", m] if !m.is_empty() => Ok(Scenario::Fail(m.to_string())),
            ["crews", n] => match n.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Scenario::Crews(n)),
                _ => Err(bad()),
            },
            ["slower", st, f] if !st.is_empty() => match f.parse::<f64>() {
                Ok(f) if f.is_finite() && f > 0.0 => Ok(Scenario::Slower(st.to_string(), f)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scenario::Baseline => write!(f, "baseline"),
            Scenario::Fail(m) => write!(f, "fail:{m}"),
            Scenario::Crews(n) => write!(f, "crews:{n}"),
            Scenario::Slower(s, x) => write!(f, "slower:{s}:{x}"),
        }
    }
}

impl Scenario {
    /// The line and start this scenario runs; an error names what the line
    /// does not have.
    pub fn apply(&self, def: &LineDef, start: &Start) -> Result<(LineDef, Start), String> {
        let (mut def, mut start) = (def.clone(), start.clone());
        match self {
            Scenario::Baseline => {}
            Scenario::Fail(m) => {
                let station = def
                    .stations
                    .iter()
                    .find(|s| s.machines.contains(m))
                    .ok_or_else(|| format!("the line has no machine \"{m}\""))?;
                let repair = station.repair_s;
                start.down.retain(|(d, _)| d != m);
                start.down.push((m.clone(), repair));
            }
            Scenario::Crews(n) => def.crews = *n,
            Scenario::Slower(name, factor) => {
                let st = def
                    .stations
                    .iter_mut()
                    .find(|s| &s.name == name)
                    .ok_or_else(|| format!("the line has no station \"{name}\""))?;
                st.cycle_s *= factor;
                st.cycle_sd_s *= factor;
            }
        }
        Ok((def, start))
    }
}

/// A scenario against the baseline, both from the same start and with the
/// same random numbers run for run.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    pub scenario: String,
    pub horizon_h: f64,
    pub runs: usize,
    pub baseline: LineReport,
    pub result: LineReport,
    /// Wall-clock time of all runs, and simulated time per wall-clock time.
    pub elapsed_ms: f64,
    pub times_real_time: f64,
}

/// Runs `runs` replications of `scenario` and of the baseline for
/// `horizon_s` seconds from `start`.
pub fn what_if(
    def: &LineDef,
    start: &Start,
    scenario: &Scenario,
    horizon_s: f64,
    runs: usize,
    seed: u64,
) -> Result<WhatIf, String> {
    let clock = web_time::Instant::now();
    let (changed, changed_start) = scenario.apply(def, start)?;
    let runs = runs.max(1);
    let mut base = Vec::with_capacity(runs);
    let mut alt = Vec::with_capacity(runs);
    for k in 0..runs as u64 {
        let line = Line::new(def, start, seed.wrapping_add(k));
        line.run_until(horizon_s);
        base.push(line.report());
        let line = Line::new(&changed, &changed_start, seed.wrapping_add(k));
        line.run_until(horizon_s);
        alt.push(line.report());
    }
    let elapsed = clock.elapsed().as_secs_f64();
    Ok(WhatIf {
        scenario: scenario.to_string(),
        horizon_h: horizon_s / 3600.0,
        runs,
        baseline: LineReport::mean(&base),
        result: LineReport::mean(&alt),
        elapsed_ms: elapsed * 1000.0,
        times_real_time: 2.0 * runs as f64 * horizon_s / elapsed.max(1e-9),
    })
}

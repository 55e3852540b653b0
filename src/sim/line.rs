//! The factory line as a process model on the engine: stations of machines
//! in parallel, buffers between stations, random breakdowns repaired by a
//! limited number of crews, and what the line makes of it (throughput,
//! downtime, queues, OEE). The same model drives the simulated plant in real
//! time and answers what-if questions far faster than real time.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::Serialize;

use super::{Cause, Resource, Rng, Sim, Store};
use crate::scene::format::LineDef;

/// What a machine is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub(crate) enum MachineState {
    /// Waiting for a part.
    Starved = 0,
    Working = 1,
    /// Holding a finished part, the buffer after it full.
    Blocked = 2,
    /// Broken: waiting for a crew or being repaired.
    Down = 3,
}

impl MachineState {
    /// The number the plant publishes and the twin reads back.
    pub(crate) fn code(self) -> f64 {
        self as u8 as f64
    }

    pub(crate) fn from_code(v: f64) -> Option<MachineState> {
        match v.round() as i64 {
            0 => Some(MachineState::Starved),
            1 => Some(MachineState::Working),
            2 => Some(MachineState::Blocked),
            3 => Some(MachineState::Down),
            _ => None,
        }
    }
}

/// Where a run starts from: the twin's live state.
#[derive(Debug, Clone, Default)]
pub struct Start {
    /// Machines down now, with the repair time still to go (seconds).
    pub down: Vec<(String, f64)>,
    /// Machines expected to break after this many seconds (a sensor's trend
    /// reaching its alarm limit).
    pub failing_in: Vec<(String, f64)>,
    /// How full the buffers are, 0 to 1, where `buffers` does not say.
    pub buffer_fill: f64,
    /// Parts in the buffer after each station, where known (a buffer sensor).
    pub buffers: Vec<Option<usize>>,
}

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

struct Machine {
    name: String,
    station: usize,
    state: Cell<MachineState>,
    since: Cell<f64>,
    /// Seconds spent in each state, up to `since`.
    time_in: RefCell<[f64; 4]>,
    parts: Cell<u64>,
    failures: Cell<u64>,
    pid: Cell<usize>,
}

impl Machine {
    fn set(&self, state: MachineState, now: f64) {
        let old = self.state.replace(state);
        self.time_in.borrow_mut()[old as usize] += now - self.since.replace(now);
    }

    fn times(&self, now: f64) -> [f64; 4] {
        let mut t = *self.time_in.borrow();
        t[self.state.get() as usize] += now - self.since.get();
        t
    }
}

/// A running line model.
pub struct Line {
    pub sim: Sim,
    def: LineDef,
    machines: Vec<Rc<Machine>>,
    /// `buffers[i]` sits after station `i` (none after the last).
    buffers: Vec<Store<()>>,
    shipped: Rc<Cell<u64>>,
    start_time: f64,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("now", &self.sim.now())
            .field("shipped", &self.shipped.get())
            .field(
                "states",
                &self
                    .machines
                    .iter()
                    .map(|m| (m.name.as_str(), m.state.get()))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn cycle(rng: &mut Rng, mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return mean;
    }
    loop {
        let t = rng.gauss(mean, sd);
        if t > 0.0 {
            return t;
        }
    }
}

/// A breakdown: wait for a crew, then repair.
async fn repair(sim: &Sim, m: &Machine, crews: &Resource, repair_s: f64) {
    m.set(MachineState::Down, sim.now());
    m.failures.set(m.failures.get() + 1);
    loop {
        // Nothing interrupts a machine that is down; retry if something did.
        if let Ok(crew) = crews.request(0, false).await {
            let _ = sim.timeout(repair_s).await;
            drop(crew);
            return;
        }
    }
}

impl Line {
    /// Builds the model at time 0 from `start`, seeded with `seed`.
    pub fn new(def: &LineDef, start: &Start, seed: u64) -> Line {
        let sim = Sim::new();
        let crews = Resource::new(&sim, def.crews.max(1));
        let last = def.stations.len().saturating_sub(1);
        let buffers: Vec<Store<()>> = def.stations[..last]
            .iter()
            .enumerate()
            .map(|(si, st)| {
                let b = Store::new(&sim, st.buffer);
                let fill = start
                    .buffers
                    .get(si)
                    .copied()
                    .flatten()
                    .unwrap_or_else(|| {
                        (start.buffer_fill.clamp(0.0, 1.0) * st.buffer as f64).round() as usize
                    })
                    .min(st.buffer);
                for _ in 0..fill {
                    let _ = b.try_put(());
                }
                b
            })
            .collect();
        let shipped = Rc::new(Cell::new(0u64));
        let mut machines = Vec::new();
        for (si, st) in def.stations.iter().enumerate() {
            for name in &st.machines {
                let i = machines.len() as u64;
                let m = Rc::new(Machine {
                    name: name.clone(),
                    station: si,
                    state: Cell::new(MachineState::Starved),
                    since: Cell::new(0.0),
                    time_in: RefCell::new([0.0; 4]),
                    parts: Cell::new(0),
                    failures: Cell::new(0),
                    pid: Cell::new(0),
                });
                let down_for = start.down.iter().find(|(d, _)| d == name).map(|d| d.1);
                let input = si.checked_sub(1).map(|p| buffers[p].clone());
                let output = buffers.get(si).cloned();
                let (s, mm, crews2, shipped2) =
                    (sim.clone(), m.clone(), crews.clone(), shipped.clone());
                let (mean, sd, repair_s, mtbf) =
                    (st.cycle_s, st.cycle_sd_s, st.repair_s, st.mtbf_s);
                let mut rng = Rng::stream(seed, 2 * i);
                let mut wear = Rng::stream(seed, 2 * i + 1);
                // Working time left before the machine breaks down: it
                // wears only while it works, not while starved or blocked.
                let mut life_of = move || mtbf.map_or(f64::INFINITY, |m| wear.exponential(m));
                let pid = sim.spawn(async move {
                    let (s, m, crews) = (&s, &*mm, &crews2);
                    let mut life = life_of();
                    if let Some(left) = down_for {
                        repair(s, m, crews, left).await;
                    }
                    loop {
                        m.set(MachineState::Starved, s.now());
                        if let Some(input) = &input {
                            while input.get().await.is_err() {
                                repair(s, m, crews, repair_s).await;
                                m.set(MachineState::Starved, s.now());
                            }
                        }
                        m.set(MachineState::Working, s.now());
                        let mut done_in = cycle(&mut rng, mean, sd);
                        while done_in > 0.0 {
                            let began = s.now();
                            let step = done_in.min(life);
                            // Worn out before the part is done, or broken
                            // from outside (an interrupt): repaired, then
                            // the part is finished.
                            let broke = match s.timeout(step).await {
                                Ok(()) => {
                                    done_in -= step;
                                    life -= step;
                                    life <= 0.0 && done_in > 0.0
                                }
                                Err(_) => {
                                    let worked = s.now() - began;
                                    done_in -= worked;
                                    life -= worked;
                                    true
                                }
                            };
                            if broke {
                                repair(s, m, crews, repair_s).await;
                                life = life_of();
                                m.set(MachineState::Working, s.now());
                            }
                        }
                        if life <= 0.0 {
                            // Worn out just as the part was done.
                            repair(s, m, crews, repair_s).await;
                            life = life_of();
                        }
                        m.set(MachineState::Blocked, s.now());
                        match &output {
                            Some(out) => {
                                while out.put(()).await.is_err() {
                                    repair(s, m, crews, repair_s).await;
                                    m.set(MachineState::Blocked, s.now());
                                }
                            }
                            None => shipped2.set(shipped2.get() + 1),
                        }
                        m.parts.set(m.parts.get() + 1);
                    }
                });
                m.pid.set(pid);
                machines.push(m);
            }
        }
        let line = Line {
            sim,
            def: def.clone(),
            machines,
            buffers,
            shipped,
            start_time: 0.0,
        };
        for (name, after) in &start.failing_in {
            if let Some(m) = line.machines.iter().find(|m| &m.name == name) {
                let (s, m) = (line.sim.clone(), m.clone());
                let after = after.max(0.0);
                line.sim.spawn(async move {
                    let _ = s.timeout(after).await;
                    if m.state.get() != MachineState::Down {
                        s.interrupt(m.pid.get(), Cause::Signal(2));
                    }
                });
            }
        }
        line
    }

    pub fn run_until(&self, t: f64) {
        self.sim.run_until(t);
    }

    pub(crate) fn state_of(&self, machine: &str) -> Option<MachineState> {
        self.machines
            .iter()
            .find(|m| m.name == machine)
            .map(|m| m.state.get())
    }

    /// Breaks a machine now (unless it is already down); false if the line
    /// has no such machine.
    pub(crate) fn fail(&self, machine: &str) -> bool {
        let Some(m) = self.machines.iter().find(|m| m.name == machine) else {
            return false;
        };
        if m.state.get() != MachineState::Down {
            self.sim.interrupt(m.pid.get(), Cause::Signal(2));
        }
        true
    }

    /// Parts waiting in the buffer after station `station` (none after the last).
    pub(crate) fn buffer_level(&self, station: usize) -> Option<usize> {
        self.buffers.get(station).map(|b| b.len())
    }

    /// Parts that left the last station.
    pub fn shipped(&self) -> u64 {
        self.shipped.get()
    }

    /// Parts a machine has finished and passed on (into the next buffer, or
    /// shipped) so far.
    pub(crate) fn made_by(&self, machine: &str) -> Option<u64> {
        self.machines
            .iter()
            .find(|m| m.name == machine)
            .map(|m| m.parts.get())
    }

    /// What the line did from its start until now.
    pub(crate) fn report(&self) -> LineReport {
        let now = self.sim.now();
        let span = (now - self.start_time).max(f64::MIN_POSITIVE);
        let hours = span / 3600.0;
        // The ideal time per part of the slowest station.
        let bottleneck = self
            .def
            .stations
            .iter()
            .map(|s| s.cycle_s / s.machines.len() as f64)
            .fold(0.0, f64::max);
        let stations = self
            .def
            .stations
            .iter()
            .enumerate()
            .map(|(si, st)| {
                let ms: Vec<_> = self.machines.iter().filter(|m| m.station == si).collect();
                let times: Vec<[f64; 4]> = ms.iter().map(|m| m.times(now)).collect();
                let n = ms.len() as f64;
                let parts: u64 = ms.iter().map(|m| m.parts.get()).sum();
                let down: f64 = times.iter().map(|t| t[3]).sum();
                StationReport {
                    name: st.name.clone(),
                    parts: parts as f64,
                    down_min: down / 60.0,
                    availability: 1.0 - down / (span * n),
                    starved: times.iter().map(|t| t[0]).sum::<f64>() / (span * n),
                    blocked: times.iter().map(|t| t[2]).sum::<f64>() / (span * n),
                    oee: parts as f64 * st.cycle_s / (span * n),
                    failures: ms.iter().map(|m| m.failures.get() as f64).sum(),
                    queue_before: si.checked_sub(1).map(|p| self.buffers[p].mean_level()),
                }
            })
            .collect();
        let shipped = self.shipped.get() as f64;
        LineReport {
            hours,
            shipped,
            per_hour: shipped / hours,
            oee: shipped * bottleneck / span,
            stations,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationReport {
    pub name: String,
    pub parts: f64,
    /// Machine-minutes down.
    pub down_min: f64,
    /// Share of machine time not down.
    pub availability: f64,
    /// Share of machine time waiting for parts, and held by a full buffer.
    pub starved: f64,
    pub blocked: f64,
    /// Overall equipment effectiveness: ideal cycle time × parts / time
    /// (availability × performance; every part is good).
    pub oee: f64,
    pub failures: f64,
    /// Time-weighted mean level of the buffer feeding it.
    pub queue_before: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineReport {
    pub hours: f64,
    /// Parts out of the last station.
    pub shipped: f64,
    pub per_hour: f64,
    /// Parts made against what the slowest station could make flat out.
    pub oee: f64,
    pub stations: Vec<StationReport>,
}

impl LineReport {
    /// The mean of several runs' reports (same line, same horizon).
    pub(crate) fn mean(reports: &[LineReport]) -> LineReport {
        let n = reports.len().max(1) as f64;
        let first = &reports[0];
        let avg = |f: &dyn Fn(&LineReport) -> f64| reports.iter().map(f).sum::<f64>() / n;
        LineReport {
            hours: first.hours,
            shipped: avg(&|r| r.shipped),
            per_hour: avg(&|r| r.per_hour),
            oee: avg(&|r| r.oee),
            stations: (0..first.stations.len())
                .map(|i| {
                    let s = |f: &dyn Fn(&StationReport) -> f64| {
                        reports.iter().map(|r| f(&r.stations[i])).sum::<f64>() / n
                    };
                    StationReport {
                        name: first.stations[i].name.clone(),
                        parts: s(&|x| x.parts),
                        down_min: s(&|x| x.down_min),
                        availability: s(&|x| x.availability),
                        starved: s(&|x| x.starved),
                        blocked: s(&|x| x.blocked),
                        oee: s(&|x| x.oee),
                        failures: s(&|x| x.failures),
                        queue_before: first.stations[i]
                            .queue_before
                            .map(|_| s(&|x| x.queue_before.unwrap_or(0.0))),
                    }
                })
                .collect(),
        }
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

#[cfg(test)]
mod tests;

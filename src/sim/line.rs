//! The factory line as a process model on the engine: stations of machines
//! in parallel, buffers between stations, random breakdowns repaired by a
//! limited number of crews, and what the line makes of it (throughput,
//! downtime, queues, OEE). The same model drives the simulated plant in real
//! time and answers what-if questions far faster than real time.

mod report;
mod scenario;

pub use report::{LineReport, StationReport};
pub use scenario::{Scenario, WhatIf, what_if};

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
    // The simulated plant reads these; it is native only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn code(self) -> f64 {
        self as u8 as f64
    }

    /// The state a reading codes, rounded; `None` for any other number
    /// (NaN among them, which a cast would make 0).
    pub(crate) fn from_code(v: f64) -> Option<MachineState> {
        if !v.is_finite() {
            return None;
        }
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

/// A machine process's part of the line: where its parts come from and go,
/// its station's times, and its own random streams.
struct Job {
    /// The buffer it takes parts from (none at the first station).
    input: Option<Store<()>>,
    /// The buffer it puts parts in (none at the last station: shipped).
    output: Option<Store<()>>,
    shipped: Rc<Cell<u64>>,
    cycle_s: f64,
    cycle_sd_s: f64,
    repair_s: f64,
    mtbf_s: Option<f64>,
    /// Down at the start, with this much repair still to go.
    down_for: Option<f64>,
    rng: Rng,
    wear: Rng,
}

impl Job {
    /// Working time left before the machine breaks down: it wears only
    /// while it works, not while starved or blocked.
    fn life(&mut self) -> f64 {
        self.mtbf_s
            .map_or(f64::INFINITY, |m| self.wear.exponential(m))
    }
}

/// A machine's process: take a part, work it, pass it on, for ever.
async fn run_machine(sim: Sim, m: Rc<Machine>, crews: Resource, mut job: Job) {
    let (s, m, crews) = (&sim, &*m, &crews);
    let mut life = job.life();
    if let Some(left) = job.down_for {
        repair(s, m, crews, left).await;
    }
    loop {
        m.set(MachineState::Starved, s.now());
        if let Some(input) = &job.input {
            while input.get().await.is_err() {
                repair(s, m, crews, job.repair_s).await;
                m.set(MachineState::Starved, s.now());
            }
        }
        m.set(MachineState::Working, s.now());
        life = work_part(s, m, crews, &mut job, life).await;
        m.set(MachineState::Blocked, s.now());
        match &job.output {
            Some(out) => {
                while out.put(()).await.is_err() {
                    repair(s, m, crews, job.repair_s).await;
                    m.set(MachineState::Blocked, s.now());
                }
            }
            None => job.shipped.set(job.shipped.get() + 1),
        }
        m.parts.set(m.parts.get() + 1);
    }
}

/// Works one part, with the machine `life` working seconds from breaking
/// down; returns the life left once the part is done.
async fn work_part(s: &Sim, m: &Machine, crews: &Resource, job: &mut Job, mut life: f64) -> f64 {
    let mut done_in = cycle(&mut job.rng, job.cycle_s, job.cycle_sd_s);
    while done_in > 0.0 {
        let began = s.now();
        let step = done_in.min(life);
        // Worn out before the part is done, or broken from outside (an
        // interrupt): repaired, then the part is finished.
        let broke = match s.timeout(step).await {
            Ok(()) => {
                done_in -= step;
                life -= step;
                life <= 0.0 && done_in > 0.0
            }
            // Broken from outside: what was left of the life no longer
            // matters (a repaired machine starts a new one).
            Err(_) => {
                done_in -= s.now() - began;
                true
            }
        };
        if broke {
            repair(s, m, crews, job.repair_s).await;
            life = job.life();
            m.set(MachineState::Working, s.now());
        }
    }
    if life <= 0.0 {
        // Worn out just as the part was done.
        repair(s, m, crews, job.repair_s).await;
        life = job.life();
    }
    life
}

/// The buffers after each station but the last, filled as `start` says.
fn initial_buffers(sim: &Sim, def: &LineDef, start: &Start) -> Vec<Store<()>> {
    let last = def.stations.len().saturating_sub(1);
    def.stations[..last]
        .iter()
        .enumerate()
        .map(|(si, st)| {
            let b = Store::new(sim, st.buffer);
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
        .collect()
}

impl Line {
    /// Builds the model at time 0 from `start`, seeded with `seed`.
    pub fn new(def: &LineDef, start: &Start, seed: u64) -> Line {
        let sim = Sim::new();
        let crews = Resource::new(&sim, def.crews.max(1));
        let buffers = initial_buffers(&sim, def, start);
        let mut line = Line {
            sim,
            def: def.clone(),
            machines: Vec::new(),
            buffers,
            shipped: Rc::new(Cell::new(0u64)),
        };
        for (si, st) in def.stations.iter().enumerate() {
            for name in &st.machines {
                line.add_machine(si, name, &crews, start, seed);
            }
        }
        line.schedule_failures(&start.failing_in);
        line
    }

    /// Starts the process of machine `name` of station `station`; its random
    /// streams follow from `seed` and the machine's place on the line.
    fn add_machine(
        &mut self,
        station: usize,
        name: &str,
        crews: &Resource,
        start: &Start,
        seed: u64,
    ) {
        let st = &self.def.stations[station];
        let (rng, wear) = Rng::pair(seed, self.machines.len() as u64);
        let m = Rc::new(Machine {
            name: name.to_string(),
            station,
            state: Cell::new(MachineState::Starved),
            since: Cell::new(0.0),
            time_in: RefCell::new([0.0; 4]),
            parts: Cell::new(0),
            failures: Cell::new(0),
            pid: Cell::new(0),
        });
        let job = Job {
            input: station.checked_sub(1).map(|p| self.buffers[p].clone()),
            output: self.buffers.get(station).cloned(),
            shipped: self.shipped.clone(),
            cycle_s: st.cycle_s,
            cycle_sd_s: st.cycle_sd_s,
            repair_s: st.repair_s,
            mtbf_s: st.mtbf_s,
            down_for: start.down.iter().find(|(d, _)| d == name).map(|d| d.1),
            rng,
            wear,
        };
        let pid = self
            .sim
            .spawn(run_machine(self.sim.clone(), m.clone(), crews.clone(), job));
        m.pid.set(pid);
        self.machines.push(m);
    }

    /// Machines expected to break after a while break then, unless down.
    fn schedule_failures(&self, failing_in: &[(String, f64)]) {
        for (name, after) in failing_in {
            if let Some(m) = self.machines.iter().find(|m| &m.name == name) {
                let (s, m) = (self.sim.clone(), m.clone());
                let after = after.max(0.0);
                self.sim.spawn(async move {
                    let _ = s.timeout(after).await;
                    if m.state.get() != MachineState::Down {
                        s.interrupt(m.pid.get(), Cause::Signal(2));
                    }
                });
            }
        }
    }

    pub fn run_until(&self, t: f64) {
        self.sim.run_until(t);
    }

    // The simulated plant reads these; it is native only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn state_of(&self, machine: &str) -> Option<MachineState> {
        self.machines
            .iter()
            .find(|m| m.name == machine)
            .map(|m| m.state.get())
    }

    /// Breaks a machine now (unless it is already down); false if the line
    /// has no such machine.
    // The simulated plant reads these; it is native only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
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
    // The simulated plant reads these; it is native only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn buffer_level(&self, station: usize) -> Option<usize> {
        self.buffers.get(station).map(|b| b.len())
    }

    /// Parts that left the last station.
    pub fn shipped(&self) -> u64 {
        self.shipped.get()
    }

    /// Parts a machine has finished and passed on (into the next buffer, or
    /// shipped) so far.
    // The simulated plant reads these; it is native only.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn made_by(&self, machine: &str) -> Option<u64> {
        self.machines
            .iter()
            .find(|m| m.name == machine)
            .map(|m| m.parts.get())
    }
}

#[cfg(test)]
mod tests;

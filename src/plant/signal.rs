//! The plant's physics, such as it is: duty cycles, lagging temperatures,
//! noise, wear and faults, stepped in plain Rust and seeded, so a run is
//! reproducible and testable without a broker.

use super::city::{CityNow, CityValue};
use crate::scene::format::{SceneDef, SensorDef};
use crate::sim::line::{Line, MachineState, Start};

pub use crate::sim::Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Signal {
    /// Spindle or motor speed: zero when idle.
    Speed,
    /// Slow to follow the load.
    Temperature,
    /// Quick to follow the load, noisy.
    Vibration,
    Power,
    /// The process model's machine state (0 starved, 1 working, 2 blocked, 3 down).
    State,
    /// Parts the line has shipped so far.
    Shipped,
    /// Parts this machine has finished so far.
    Made,
    /// Parts waiting in the buffer after this station of the line.
    Queue(usize),
    /// A building's or street's value, from the city model (`plant::city`).
    City(CityValue),
    Other,
}

impl Signal {
    fn of(sensor: &SensorDef) -> Signal {
        let n = sensor.name.to_ascii_lowercase();
        if n == "state" {
            Signal::State
        } else if n == "shipped" {
            Signal::Shipped
        } else if n == "made" {
            Signal::Made
        } else if n.contains("speed") || n.contains("rpm") {
            Signal::Speed
        } else if n.contains("temp") {
            Signal::Temperature
        } else if n.contains("vib") {
            Signal::Vibration
        } else if n.contains("power") || n.contains("current") || n.contains("load") {
            Signal::Power
        } else {
            Signal::Other
        }
    }
    /// (fraction of range when idle, when busy, time constant in s, noise as a fraction of range)
    fn shape(self) -> (f64, f64, f64, f64) {
        match self {
            Signal::Speed => (0.0, 0.8, 1.5, 0.01),
            Signal::Temperature => (0.3, 0.55, 25.0, 0.004),
            Signal::Vibration => (0.1, 0.4, 1.0, 0.03),
            Signal::Power => (0.12, 0.7, 0.8, 0.02),
            Signal::State | Signal::Shipped | Signal::Made | Signal::Queue(_) => {
                (0.0, 0.0, 1.0, 0.0)
            }
            Signal::City(_) => (0.0, 0.0, 1.0, CITY_NOISE),
            Signal::Other => (0.35, 0.55, 5.0, 0.01),
        }
    }
}

#[derive(Debug, Clone)]
struct Machine {
    busy: bool,
    phase_left: f64,
    /// 0 = new; at 1 the worn sensors reach their alarm limit.
    wear: f64,
    /// Wear per second; zero for machines that do not wear.
    wear_rate: f64,
    fault_left: f64,
    repair_left: f64,
}

#[derive(Debug, Clone)]
struct Reading {
    machine: usize,
    signal: Signal,
    lo: f64,
    hi: f64,
    /// A city twin's size (0.5 to 1 of the biggest) and distance from the
    /// centre (km); unused elsewhere.
    size: f64,
    km: f64,
    /// The limit that wear and faults push towards (alarm, else warn, else the top of the range).
    limit: f64,
    level: f64,
}

/// Every machine and reading of a scene, stepped together.
#[derive(Debug)]
pub struct Plant {
    rng: Rng,
    machines: Vec<Machine>,
    readings: Vec<Reading>,
    values: Vec<f64>,
    /// Index of the machine that wears, if any.
    pub wearing: Option<usize>,
    /// The scene's process model, run in step with the plant's clock: it
    /// decides when line machines work, wait, break and get repaired.
    line: Option<Line>,
    /// For each twin, its machine id if the line has it.
    in_line: Vec<Option<String>>,
    clock: f64,
}

/// A city reading's noise, as a share of its range.
const CITY_NOISE: f64 = 0.01;

/// Seconds for the wearing machine to go from new to its alarm limit.
pub(crate) const WEAR_TO_ALARM_S: f64 = 480.0;
/// Seconds a failed machine is down for repair.
pub(crate) const REPAIR_S: f64 = 45.0;

impl Plant {
    pub fn new(scene: &SceneDef, seed: u64) -> Plant {
        let mut rng = Rng::new(seed);
        // The machine that wears: the first with the most sensors that have alarm limits.
        let wearing = scene
            .twins
            .iter()
            .enumerate()
            .filter(|(_, t)| t.sensors.iter().any(|s| s.alarm.is_some()))
            .max_by_key(|(i, t)| {
                (
                    t.sensors.iter().filter(|s| s.alarm.is_some()).count(),
                    usize::MAX - i,
                )
            })
            .map(|(i, _)| i);
        let machines = (0..scene.twins.len())
            .map(|i| Machine {
                busy: rng.uniform() < 0.8,
                phase_left: rng.between(5.0, 60.0),
                // Start half worn, so the drift shows within minutes of starting.
                wear: if Some(i) == wearing { 0.55 } else { 0.0 },
                wear_rate: if Some(i) == wearing {
                    1.0 / WEAR_TO_ALARM_S
                } else {
                    0.0
                },
                fault_left: 0.0,
                repair_left: 0.0,
            })
            .collect();
        let mut readings = Vec::new();
        for (m, twin) in scene.twins.iter().enumerate() {
            let city = super::city::is_city_kind(&twin.kind);
            // Drawn for city twins only: a factory's numbers stay as they were.
            let size = if city { rng.between(0.5, 1.0) } else { 1.0 };
            let [x, _, z] = twin.transform.translation;
            let km = f64::from(x.hypot(z)) / 1000.0;
            for s in twin.sensors.iter() {
                let (lo, hi) = s.range;
                // A buffer sensor of the line reports that buffer's level.
                let queue = scene.process.as_ref().and_then(|p| {
                    p.stations.iter().position(|st| {
                        st.buffer_sensor
                            .as_ref()
                            .is_some_and(|r| *r.twin == *twin.id && *r.sensor == *s.name)
                    })
                });
                let signal = match (queue, CityValue::of(&twin.kind, s)) {
                    (Some(station), _) => Signal::Queue(station),
                    (None, Some(c)) => Signal::City(c),
                    (None, None) => Signal::of(s),
                };
                let (idle, _, _, _) = signal.shape();
                let level = match signal {
                    Signal::City(c) => c.target(&CityNow::at(0.0), lo, hi, size, km),
                    _ => lo + idle * (hi - lo),
                };
                readings.push(Reading {
                    machine: m,
                    signal,
                    lo,
                    hi,
                    size,
                    km,
                    limit: s.alarm.or(s.warn).unwrap_or(hi),
                    level,
                });
            }
        }
        let values = readings.iter().map(|r| r.level).collect();
        let line = scene.process.as_ref().map(|def| {
            let start = Start {
                buffer_fill: 0.5,
                ..Start::default()
            };
            Line::new(def, &start, seed)
        });
        let in_line = scene
            .twins
            .iter()
            .map(|t| {
                line.as_ref()
                    .and_then(|l| l.state_of(&t.id))
                    .map(|_| t.id.clone())
            })
            .collect();
        Plant {
            rng,
            machines,
            readings,
            values,
            wearing,
            line,
            in_line,
            clock: 0.0,
        }
    }

    #[cfg(test)]
    /// The line model's state of twin `i`, if the line has that machine.
    pub(crate) fn line_state(&self, i: usize) -> Option<MachineState> {
        let id = self.in_line.get(i)?.as_ref()?;
        self.line.as_ref()?.state_of(id)
    }

    #[cfg(test)]
    /// Parts the line has shipped so far (0 without a process model).
    pub(crate) fn shipped(&self) -> u64 {
        self.line.as_ref().map_or(0, |l| l.shipped())
    }

    /// Advances the plant by `dt` seconds.
    pub fn step(&mut self, dt: f64) {
        self.clock += dt;
        if let Some(line) = &self.line {
            line.run_until(self.clock);
        }
        for (i, m) in self.machines.iter_mut().enumerate() {
            if let (Some(line), Some(id)) = (&self.line, &self.in_line[i]) {
                // A line machine does what the process model says; wear
                // past its limit breaks it there, and a repair renews it.
                let state = line.state_of(id).unwrap_or(MachineState::Starved);
                let was_down = m.repair_left > 0.0;
                m.busy = state == MachineState::Working;
                m.repair_left = if state == MachineState::Down {
                    1.0
                } else {
                    0.0
                };
                if was_down && state != MachineState::Down {
                    m.wear = 0.0;
                }
                if m.busy {
                    m.wear += m.wear_rate * dt;
                }
                if m.wear >= 1.15 && state != MachineState::Down {
                    line.fail(id);
                }
                m.fault_left = (m.fault_left - dt).max(0.0);
                if m.fault_left == 0.0 && self.rng.uniform() < dt / 600.0 {
                    m.fault_left = self.rng.between(5.0, 12.0);
                }
                continue;
            }
            if m.repair_left > 0.0 {
                m.repair_left -= dt;
                m.busy = false;
                if m.repair_left <= 0.0 {
                    m.wear = 0.0;
                }
                continue;
            }
            m.phase_left -= dt;
            if m.phase_left <= 0.0 {
                m.busy = !m.busy;
                m.phase_left = if m.busy {
                    self.rng.between(30.0, 90.0)
                } else {
                    self.rng.between(5.0, 15.0)
                };
            }
            if m.busy {
                m.wear += m.wear_rate * dt;
            }
            if m.wear >= 1.15 {
                m.repair_left = REPAIR_S;
            }
            m.fault_left = (m.fault_left - dt).max(0.0);
            // About one fault every ten minutes per machine, lasting 5 to 12 s.
            if m.fault_left == 0.0 && self.rng.uniform() < dt / 600.0 {
                m.fault_left = self.rng.between(5.0, 12.0);
            }
        }
        let city_now = CityNow::at(self.clock);
        for (r, out) in self.readings.iter_mut().zip(&mut self.values) {
            let m = &self.machines[r.machine];
            if let Signal::Queue(station) = r.signal {
                *out = self
                    .line
                    .as_ref()
                    .and_then(|l| l.buffer_level(station))
                    .map_or(0.0, |n| n as f64);
                continue;
            }
            if r.signal == Signal::Shipped {
                *out = self.line.as_ref().map_or(0.0, |l| l.shipped() as f64);
                continue;
            }
            if r.signal == Signal::Made {
                *out = match (&self.line, &self.in_line[r.machine]) {
                    (Some(line), Some(id)) => line.made_by(id).unwrap_or(0) as f64,
                    _ => 0.0,
                };
                continue;
            }
            if r.signal == Signal::State {
                let state = match (&self.line, &self.in_line[r.machine]) {
                    (Some(line), Some(id)) => line.state_of(id),
                    _ => None,
                };
                *out = state.map_or(if m.busy { 1.0 } else { 0.0 }, |s| s.code());
                continue;
            }
            let (idle, busy, tau, noise) = r.signal.shape();
            let span = r.hi - r.lo;
            if let Signal::City(c) = r.signal {
                // The model's value; the wearing building drifts from it
                // towards its limit (faults are a machine's, not a city's).
                let mut target = c.target(&city_now, r.lo, r.hi, r.size, r.km);
                if c == CityValue::Energy {
                    target += (r.limit - target).max(0.0) * m.wear.min(1.15);
                }
                r.level += (target - r.level) * (1.0 - (-dt / c.lag_s()).exp());
                *out = if c.is_count() {
                    r.level.round()
                } else {
                    r.level + self.rng.normal() * noise * span
                };
                continue;
            }
            let nominal = r.lo + busy * span;
            let mut target = r.lo + if m.busy { busy } else { idle } * span;
            if matches!(
                r.signal,
                Signal::Temperature | Signal::Vibration | Signal::Other
            ) {
                let push = (r.limit - nominal).max(0.0);
                target += push * m.wear.min(1.15);
                if m.fault_left > 0.0 {
                    target += push * 0.8;
                }
            }
            r.level += (target - r.level) * (1.0 - (-dt / tau).exp());
            *out = r.level + self.rng.normal() * noise * span;
        }
    }

    /// The latest reading of every sensor, in scene order.
    pub fn readings(&self) -> &[f64] {
        &self.values
    }

    #[cfg(test)]
    /// Whether machine `i` is down for repair.
    pub(crate) fn is_down(&self, i: usize) -> bool {
        self.machines[i].repair_left > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::parse;

    const SCENE: &str = r#"(name: "p", twins: [
        (id: "a", name: "A", kind: "mill", sensors: [
            (name: "temperature", unit: "C", range: (20, 90), warn: 80, alarm: 95),
            (name: "spindle_speed", unit: "rpm", range: (0, 12000)),
        ]),
        (id: "b", name: "B", kind: "press", sensors: [(name: "power", unit: "kW", range: (0, 40))]),
    ])"#;

    #[test]
    fn same_seed_same_readings() {
        let scene = parse(SCENE, "p").unwrap();
        let (mut a, mut b) = (Plant::new(&scene, 7), Plant::new(&scene, 7));
        for _ in 0..500 {
            a.step(0.2);
            b.step(0.2);
        }
        assert_eq!(a.readings(), b.readings());
    }

    #[test]
    fn the_wearing_machine_reaches_its_alarm_then_is_repaired() {
        let scene = parse(SCENE, "p").unwrap();
        let mut plant = Plant::new(&scene, 1);
        assert_eq!(plant.wearing, Some(0));
        let (mut peak, mut went_down, mut t) = (0.0f64, false, 0.0);
        while t < 2.0 * WEAR_TO_ALARM_S {
            plant.step(0.5);
            t += 0.5;
            peak = peak.max(plant.readings()[0]);
            went_down |= plant.is_down(0);
        }
        assert!(
            peak >= 95.0,
            "temperature should reach the alarm limit 95, peaked at {peak:.1}"
        );
        assert!(
            went_down,
            "the worn machine should fail and go down for repair"
        );
    }

    #[test]
    fn the_factory_line_really_breaks_down_and_is_repaired() {
        let scene = parse(include_str!("../../scenes/factory.scene.ron"), "factory").unwrap();
        let mut plant = Plant::new(&scene, 3);
        let cnc = scene.twins.iter().position(|t| t.id == "cnc-1").unwrap();
        let state_of = |twin: usize| {
            scene
                .sensors()
                .position(|(t, s)| t.id == scene.twins[twin].id && s.name == "state")
                .unwrap()
        };
        let speed = scene
            .sensors()
            .position(|(t, s)| t.id == "cnc-1" && s.name == "spindle_speed")
            .unwrap();
        let (mut seen, mut down_speed_max, mut downs) = ([false; 4], 0.0f64, 0);
        let (mut cnc_down_for, mut cnc_down_long) = (0, false);
        let mut was_down = vec![false; scene.twins.len()];
        for _ in 0..4 * 3600 {
            plant.step(1.0);
            #[allow(clippy::needless_range_loop)] // `twin` indexes the plant too
            for twin in 0..scene.twins.len() {
                let Some(state) = plant.line_state(twin) else {
                    continue;
                };
                let published = plant.readings()[state_of(twin)];
                assert_eq!(
                    published,
                    state.code(),
                    "the state sensor says what the model does"
                );
                seen[state as usize] = true;
                let down = state == MachineState::Down;
                if down && !was_down[twin] {
                    downs += 1;
                }
                was_down[twin] = down;
                if twin == cnc {
                    cnc_down_for = if down { cnc_down_for + 1 } else { 0 };
                    // The spindle runs down within seconds (1.5 s lag).
                    if cnc_down_for > 10 {
                        cnc_down_long = true;
                        down_speed_max = down_speed_max.max(plant.readings()[speed]);
                    }
                }
            }
        }
        assert!(
            seen.iter().all(|s| *s),
            "every state occurs in 4 h: {seen:?}"
        );
        assert!(downs >= 4, "{downs} breakdowns in 4 h");
        // The buffer sensors report whole parts within their buffers' room.
        for (twin, name, room) in [
            ("conv-1", "queue", 8.0),
            ("conv-2", "queue", 6.0),
            ("pack-1", "infeed_queue", 4.0),
        ] {
            let i = scene
                .sensors()
                .position(|(t, s)| t.id == twin && s.name == name)
                .unwrap();
            let v = plant.readings()[i];
            assert!(
                v.fract() == 0.0 && (0.0..=room).contains(&v),
                "{twin}/{name} = {v}"
            );
        }
        assert!(
            cnc_down_long,
            "cnc-1 was down for more than 10 s at least once"
        );
        // Working, the spindle turns at about 9,600 rpm; noise is about 120.
        assert!(
            down_speed_max < 600.0,
            "a broken mill's spindle stands still: {down_speed_max}"
        );
        // 4 h at up to one part per 16 s from the mills.
        assert!(
            (300..900).contains(&plant.shipped()),
            "{} parts",
            plant.shipped()
        );
        assert!(
            plant
                .line_state(scene.twins.iter().position(|t| t.id == "comp-1").unwrap())
                .is_none()
        );
    }
}

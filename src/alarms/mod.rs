//! Alarm rules and the alarm lifecycle: a pure core with no Bevy types.
//!
//! Each sensor has up to four conditions: high (its warn limit), high-high
//! (its alarm limit), rate of change, and an early warning when its trend
//! reaches the alarm limit within a horizon. A condition raises an alarm only
//! after holding for `min_duration_s`, and a limit alarm clears only once the
//! value has fallen `hysteresis` below the limit, so a value that dithers on
//! the limit raises one alarm, not hundreds. An alarm goes active →
//! acknowledged → cleared and keeps its timestamps and the value that raised it.

use serde::Serialize;

pub mod plugin;
pub use plugin::Alarms;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Warn,
    Alarm,
}

/// Which rule raised an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// At or above the warn limit.
    High,
    /// At or above the alarm limit.
    HighHigh,
    /// Changing faster than allowed.
    RateOfChange,
    /// The trend reaches the alarm limit within the horizon.
    Forecast,
}

impl Rule {
    const ALL: [Rule; 4] = [
        Rule::High,
        Rule::HighHigh,
        Rule::RateOfChange,
        Rule::Forecast,
    ];

    pub(crate) fn level(self) -> Level {
        match self {
            Rule::HighHigh => Level::Alarm,
            Rule::High | Rule::RateOfChange | Rule::Forecast => Level::Warn,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Active,
    Acknowledged,
    Cleared,
}

/// A limit alarm clears this far below its limit, as a share of the
/// sensor's range, unless the scene says otherwise: wide enough that noise
/// and duty cycles around a limit do not raise an alarm every few seconds.
pub(crate) const DEFAULT_HYSTERESIS: f64 = 0.05;

impl Rules {
    /// A sensor's rules as its scene entry sets them.
    pub fn of(def: &crate::scene::format::SensorDef) -> Rules {
        Rules {
            warn: def.warn,
            alarm: def.alarm,
            hysteresis: def
                .alarms
                .hysteresis
                .unwrap_or((def.range.1 - def.range.0) * DEFAULT_HYSTERESIS),
            min_duration_s: def.alarms.min_duration_s,
            max_rate: def.alarms.max_rate,
            forecast_horizon_s: def.alarms.forecast_horizon_s,
        }
    }
}

impl Rules {
    /// Rules that hold nothing (what `Rules::default()` gives).
    pub(crate) const INERT: Rules = Rules {
        warn: None,
        alarm: None,
        hysteresis: 0.0,
        min_duration_s: 0.0,
        max_rate: None,
        forecast_horizon_s: None,
    };

    /// Whether no rule can ever hold (no limit, rate or horizon set).
    pub(crate) fn is_inert(&self) -> bool {
        self.warn.is_none()
            && self.alarm.is_none()
            && self.max_rate.is_none()
            && self.forecast_horizon_s.is_none()
    }
}

/// One sensor's rules, from its scene entry (the default holds nothing).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rules {
    pub warn: Option<f64>,
    pub alarm: Option<f64>,
    /// How far below a limit the value must fall to clear its alarm.
    pub hysteresis: f64,
    /// How long a condition must hold before it raises an alarm.
    pub min_duration_s: f64,
    /// Largest allowed |rate| in units per second.
    pub max_rate: Option<f64>,
    /// Early warning when the trend reaches the alarm limit within this many seconds.
    pub forecast_horizon_s: Option<f64>,
}

/// What the rules look at, once per evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Seconds (since the Unix epoch).
    pub time: f64,
    pub value: f64,
    /// Units per second, from the trend.
    pub rate: Option<f64>,
    /// Seconds until the forecast expects the alarm limit, when its
    /// countdown is sure enough to show.
    pub time_to_alarm: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Alarm {
    pub id: u64,
    /// The router's sensor number.
    pub sensor: u32,
    pub rule: Rule,
    pub level: Level,
    pub state: State,
    pub raised_at: f64,
    /// The value that raised it.
    pub value: f64,
    pub acknowledged_at: Option<f64>,
    pub cleared_at: Option<f64>,
}

/// Per-sensor memory of the rules: when each condition started to hold, and
/// the alarm each has raised. Empty (and without room) while no condition
/// holds and no alarm is open, as most sensors are most of the time: 8
/// bytes a sensor rather than 128.
#[derive(Debug, Clone, Default)]
pub struct Watch(Option<Box<Memory>>);

#[derive(Debug, Clone, Default)]
struct Memory {
    since: [Option<f64>; 4],
    raised: [Option<u64>; 4],
}

impl Watch {
    /// Whether no condition is holding and no alarm is open.
    pub(crate) fn is_idle(&self) -> bool {
        self.0.is_none()
    }

    fn memory(&mut self) -> &mut Memory {
        self.0.get_or_insert_with(Box::default)
    }

    /// Lets the memory go once it holds nothing.
    fn settle(&mut self) {
        let empty = |m: &Memory| {
            m.since.iter().all(Option::is_none) && m.raised.iter().all(Option::is_none)
        };
        if self.0.as_deref().is_some_and(empty) {
            self.0 = None;
        }
    }
}

/// Every alarm raised, newest last.
#[derive(Debug, Clone, Default)]
pub struct AlarmBook {
    alarms: Vec<Alarm>,
    next_id: u64,
}

/// Whether a condition holds now: `Some(true)` on, `Some(false)` off, `None`
/// in the hysteresis band (keep whatever it was).
fn condition(rule: Rule, rules: &Rules, r: &Reading) -> Option<bool> {
    let limit = |l: Option<f64>| match l {
        None => Some(false),
        Some(l) if r.value >= l => Some(true),
        Some(l) if r.value < l - rules.hysteresis => Some(false),
        Some(_) => None,
    };
    match rule {
        Rule::High => limit(rules.warn),
        Rule::HighHigh => limit(rules.alarm),
        Rule::RateOfChange => Some(
            rules
                .max_rate
                .zip(r.rate)
                .is_some_and(|(max, rate)| rate.abs() > max),
        ),
        Rule::Forecast => match (rules.forecast_horizon_s, r.time_to_alarm, rules.alarm) {
            // Already past the limit: high-high speaks for it.
            (Some(h), Some(eta), Some(a)) if r.value < a => Some(eta <= h),
            _ => Some(false),
        },
    }
}

impl AlarmBook {
    /// Applies one sensor's rules to a reading; raises and clears alarms.
    pub fn evaluate(&mut self, sensor: u32, rules: &Rules, watch: &mut Watch, r: &Reading) {
        for (i, rule) in Rule::ALL.into_iter().enumerate() {
            match condition(rule, rules, r) {
                Some(true) => {
                    let memory = watch.memory();
                    let since = *memory.since[i].get_or_insert(r.time);
                    if memory.raised[i].is_none() && r.time - since >= rules.min_duration_s {
                        memory.raised[i] = Some(self.raise(sensor, rule, r));
                    }
                }
                // Written only when there is something to forget: most
                // sensors hold no condition, frame after frame.
                Some(false) => {
                    if let Some(memory) = watch.0.as_deref_mut() {
                        memory.since[i] = None;
                        if let Some(id) = memory.raised[i].take() {
                            self.clear(id, r.time);
                        }
                    }
                }
                None => {}
            }
        }
        watch.settle();
    }

    fn raise(&mut self, sensor: u32, rule: Rule, r: &Reading) -> u64 {
        self.next_id += 1;
        self.alarms.push(Alarm {
            id: self.next_id,
            sensor,
            rule,
            level: rule.level(),
            state: State::Active,
            raised_at: r.time,
            value: r.value,
            acknowledged_at: None,
            cleared_at: None,
        });
        self.next_id
    }

    fn clear(&mut self, id: u64, time: f64) {
        if let Some(a) = self.alarms.iter_mut().rev().find(|a| a.id == id) {
            a.state = State::Cleared;
            a.cleared_at = Some(time);
        }
    }

    /// Gives every alarm a new sensor number (a reloaded scene may number
    /// its sensors differently).
    pub(crate) fn renumber(&mut self, new_number: impl Fn(u32) -> u32) {
        for a in &mut self.alarms {
            a.sensor = new_number(a.sensor);
        }
    }

    /// The rules' memory for a sensor, rebuilt from its open alarms: after a
    /// scene reload, an alarm still open is cleared by its sensor's next
    /// good reading rather than raised a second time.
    pub(crate) fn watch_for(&self, sensor: u32) -> Watch {
        let mut watch = Watch::default();
        for (i, rule) in Rule::ALL.into_iter().enumerate() {
            if let Some(a) = self
                .alarms
                .iter()
                .rev()
                .find(|a| a.sensor == sensor && a.rule == rule && a.state != State::Cleared)
            {
                let memory = watch.memory();
                memory.since[i] = Some(a.raised_at);
                memory.raised[i] = Some(a.id);
            }
        }
        watch
    }

    /// Acknowledges an active alarm; returns whether there was one to acknowledge.
    pub fn acknowledge(&mut self, id: u64, time: f64) -> bool {
        match self.alarms.iter_mut().rev().find(|a| a.id == id) {
            Some(a) if a.state == State::Active => {
                a.state = State::Acknowledged;
                a.acknowledged_at = Some(time);
                true
            }
            _ => false,
        }
    }

    /// Every alarm, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.iter().rev()
    }

    /// Alarms not yet cleared.
    pub(crate) fn open(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.iter().filter(|a| a.state != State::Cleared)
    }

    pub fn len(&self) -> usize {
        self.alarms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alarms.is_empty()
    }
}

#[cfg(test)]
mod tests;

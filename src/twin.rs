//! The twin in the ECS: what a `Twin` and its `Sensor`s are, and their status.
//!
//! A twin is an entity with `Twin` and a `Transform` (so twins can nest, a
//! line holding its machines). Its sensors are entities of their own, related
//! by `SensorOf`, each holding its latest `SensorValue`; the scene's
//! `SceneIndex` maps the router's sensor numbers to those entities, which
//! `apply_samples` checks each sensor it walks against.

use bevy::prelude::*;

use crate::TwinSet;
use std::sync::{Arc, Mutex};

use crate::analytics::countdown::{self, Countdown, CountdownRule};
use crate::analytics::curve::Curve;
use crate::analytics::predict::{LinearTrend, Predictor};
use crate::analytics::{Series, SeriesConfig};

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (rate_sensors, rate_twins).chain().in_set(TwinSet::Analyze),
    );
}

/// A twin. It has its (empty) list of sensors from its spawn on: added
/// with the first sensor, it would move the twin's row to another table.
#[derive(Component, Debug, Clone)]
#[require(Transform, Health, Sensors)]
pub struct Twin {
    /// Shared with the scene index and the alarm book's names.
    pub id: Arc<str>,
    pub name: String,
    /// One copy for every twin of a kind.
    pub kind: Arc<str>,
}

#[derive(Component, Debug, Clone)]
#[require(SensorValue, History, Health)]
pub(crate) struct Sensor {
    /// The router's number for this sensor (its place in scene order).
    pub index: u32,
    /// One copy for every sensor of the same name (or unit).
    pub name: Arc<str>,
    pub unit: Arc<str>,
    /// The concrete topic that feeds it, or the filter it is bound to.
    pub topic: Option<String>,
    pub range: (f64, f64),
    pub warn: Option<f64>,
    pub alarm: Option<f64>,
}

impl Sensor {
    /// Where `value` sits in the normal range, 0 at the low end and 1 at the high end (unclamped).
    pub(crate) fn fraction(&self, value: f64) -> f64 {
        (value - self.range.0) / (self.range.1 - self.range.0)
    }

    pub(crate) fn rate(&self, value: Option<f64>) -> Health {
        match value {
            None => Health::NoData,
            Some(v) if self.alarm.is_some_and(|a| v >= a) => Health::Alarm,
            Some(v) if self.warn.is_some_and(|w| v >= w) => Health::Warn,
            Some(_) => Health::Normal,
        }
    }
}

/// The latest reading of a sensor.
#[derive(Component, Debug, Clone, Default)]
pub struct SensorValue {
    pub value: Option<f64>,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub updated_ms: Option<u64>,
    /// Samples applied so far.
    pub samples: u64,
    /// The own times of the latest stamped readings applied, oldest first
    /// (at most `RECENT_STAMPS`).
    pub stamps: std::collections::VecDeque<u64>,
}

/// Stamps a sensor remembers to know a repeat: more than a broker's
/// in-flight window (mosquitto's is 20) redelivered at once.
pub(crate) const RECENT_STAMPS: usize = 256;

impl SensorValue {
    /// True when a reading stamped `stamp_ms` was applied already (a
    /// redelivery). One that arrives late but is new applies.
    pub fn is_repeat(&self, stamp_ms: Option<u64>) -> bool {
        stamp_ms.is_some_and(|s| self.stamps.contains(&s))
    }

    /// Remembers an applied reading's stamp.
    pub(crate) fn remember(&mut self, stamp_ms: Option<u64>) {
        if let Some(s) = stamp_ms {
            if self.stamps.len() == RECENT_STAMPS {
                self.stamps.pop_front();
            }
            self.stamps.push_back(s);
        }
    }

    pub fn record(&mut self, value: f64, time_ms: u64) {
        self.value = Some(value);
        self.updated_ms = Some(time_ms);
        self.samples += 1;
    }
}

/// A sensor's recent samples and what analytics makes of them.
#[derive(Component, Debug)]
pub struct History {
    pub series: Series,
    pub predictor: Box<dyn Predictor>,
    /// When its countdowns are sure enough to show.
    pub countdown: CountdownRule,
    /// The z-score of the latest sample against the window before it.
    pub anomaly: f64,
    /// The predictor's latest curve and the one `HELD_FOR_S` before it, with
    /// the sample count they were drawn at (a fit over the window is drawn
    /// once per new sample, not per reader). Boxed: most sensors are never
    /// asked (a city's buildings without forecast rules), and two curves
    /// inline would triple the size of every sensor's row.
    curves: Mutex<Option<Box<Curves>>>,
}

#[derive(Debug)]
struct Curves {
    pushed: u64,
    now: Option<Curve>,
    earlier: Option<Option<Curve>>,
}

impl Default for History {
    fn default() -> Self {
        History::new(Box::new(LinearTrend))
    }
}

impl History {
    pub fn new(predictor: Box<dyn Predictor>) -> Self {
        History::with_config(predictor, SeriesConfig::default())
    }

    pub(crate) fn with_config(predictor: Box<dyn Predictor>, config: SeriesConfig) -> Self {
        History {
            series: Series::new(config),
            predictor,
            countdown: CountdownRule::default(),
            anomaly: 0.0,
            curves: Mutex::new(None),
        }
    }

    pub fn record(&mut self, value: f64, time_ms: u64) {
        let t = time_ms as f64 / 1000.0;
        self.anomaly = self.series.push(t, value);
        self.predictor.observe(t, value);
    }

    /// Where the sensor is heading, by its predictor.
    pub(crate) fn curve(&self) -> Option<Curve> {
        self.with_curves(|c, _| c.now.clone())
    }

    /// The countdown to `limit` at time `now`, if the forecast is sure enough
    /// and was already ten seconds ago (see `analytics::countdown`).
    pub fn countdown(&self, limit: f64, now: f64) -> Option<Countdown> {
        self.with_curves(|c, history| {
            countdown::held(
                c.now.as_ref()?,
                || {
                    c.earlier
                        .get_or_insert_with(|| history.earlier_curve())
                        .as_ref()
                },
                limit,
                now,
                &history.countdown,
            )
        })
    }

    /// The predictor on the window less its newest `HELD_FOR_S` seconds.
    fn earlier_curve(&self) -> Option<Curve> {
        let (last, _) = self.series.last()?;
        let cut = last - countdown::HELD_FOR_S;
        let samples: Vec<(f64, f64)> = self.series.samples().take_while(|s| s.0 <= cut).collect();
        self.predictor.curve_of(&samples)
    }

    fn with_curves<T>(&self, f: impl FnOnce(&mut Curves, &History) -> Option<T>) -> Option<T> {
        let pushed = self.series.pushed();
        let mut cached = self.curves.lock().unwrap_or_else(|e| e.into_inner());
        if cached.as_ref().is_none_or(|c| c.pushed != pushed) {
            let fresh = Curves {
                pushed,
                now: self.predictor.curve(&self.series),
                earlier: None,
            };
            match cached.as_mut() {
                Some(c) => **c = fresh,
                None => *cached = Some(Box::new(fresh)),
            }
        }
        f(cached.as_deref_mut()?, self)
    }
}

#[derive(Component, Debug)]
#[relationship(relationship_target = Sensors)]
pub(crate) struct SensorOf(pub Entity);

#[derive(Component, Debug, Default)]
#[relationship_target(relationship = SensorOf, linked_spawn)]
pub(crate) struct Sensors(Vec<Entity>);

impl Sensors {
    pub(crate) fn entities(&self) -> &[Entity] {
        &self.0
    }
}

/// A sensor's or a twin's state, ordered from best to worst; a twin takes
/// the worst of its sensors.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Health {
    #[default]
    NoData,
    Normal,
    Warn,
    Alarm,
}

impl Health {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Health::NoData => "no data",
            Health::Normal => "normal",
            Health::Warn => "warning",
            Health::Alarm => "alarm",
        }
    }
}

fn rate_sensors(mut sensors: Query<(&Sensor, &SensorValue, &mut Health), Changed<SensorValue>>) {
    for (sensor, value, mut health) in &mut sensors {
        health.set_if_neq(sensor.rate(value.value));
    }
}

/// Rates again the twins whose sensors' health changed this frame, or whose
/// sensor list did (a new twin, a sensor added or removed): a twin takes
/// the worst of its sensors. A city's 100,000 twins are not walked every
/// frame when none of their sensors changed.
fn rate_twins(
    mut twins: Query<(&Sensors, &mut Health), With<Twin>>,
    relisted: Query<Entity, (With<Twin>, Changed<Sensors>)>,
    changed: Query<&SensorOf, (Changed<Health>, Without<Twin>)>,
    sensors: Query<&Health, Without<Twin>>,
) {
    let mut due: Vec<Entity> = changed.iter().map(|of| of.0).collect();
    due.extend(relisted.iter());
    due.sort_unstable();
    due.dedup();
    for twin in due {
        let Ok((list, mut health)) = twins.get_mut(twin) else {
            continue;
        };
        let worst = sensors
            .iter_many(list.entities())
            .copied()
            .max()
            .unwrap_or_default();
        health.set_if_neq(worst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A twin's health is its worst sensor's, whichever sensor changes and
    /// in whichever frame, and after a sensor is gone.
    #[test]
    fn a_twin_takes_the_worst_health_of_its_sensors_as_they_change() {
        let mut app = App::new();
        app.add_plugins(plugin);
        let twin = app
            .world_mut()
            .spawn(Twin {
                id: "t".into(),
                name: "T".into(),
                kind: "k".into(),
            })
            .id();
        let sensor = |n: u32| Sensor {
            index: n,
            name: "s".into(),
            unit: "C".into(),
            topic: None,
            range: (0.0, 100.0),
            warn: Some(70.0),
            alarm: Some(90.0),
        };
        let a = app.world_mut().spawn((sensor(0), SensorOf(twin))).id();
        let b = app.world_mut().spawn((sensor(1), SensorOf(twin))).id();
        let health = |app: &App| *app.world().get::<Health>(twin).unwrap();
        let set = |app: &mut App, e: Entity, v: f64| {
            app.world_mut()
                .get_mut::<SensorValue>(e)
                .unwrap()
                .record(v, 1_000);
            app.update();
        };
        app.update();
        assert_eq!(health(&app), Health::NoData);
        set(&mut app, a, 20.0);
        assert_eq!(
            health(&app),
            Health::Normal,
            "a normal and b without data yet: normal"
        );
        set(&mut app, b, 75.0);
        assert_eq!(health(&app), Health::Warn);
        set(&mut app, a, 95.0);
        assert_eq!(health(&app), Health::Alarm);
        // Frames without a change keep it.
        app.update();
        assert_eq!(health(&app), Health::Alarm);
        set(&mut app, a, 10.0);
        assert_eq!(
            health(&app),
            Health::Warn,
            "the alarm cleared: b's warning is the worst"
        );
        set(&mut app, a, 95.0);
        assert_eq!(health(&app), Health::Alarm);
        app.world_mut().despawn(a);
        app.update();
        assert_eq!(health(&app), Health::Warn, "the alarming sensor is gone");
    }

    #[test]
    fn a_stamp_is_a_repeat_while_it_is_among_the_latest_remembered() {
        let mut v = SensorValue::default();
        assert!(!v.is_repeat(Some(5)) && !v.is_repeat(None));
        v.remember(Some(5));
        v.remember(Some(9));
        assert!(v.is_repeat(Some(5)) && v.is_repeat(Some(9)));
        // Late but new: not a repeat.
        assert!(!v.is_repeat(Some(7)));
        // Unstamped readings are never repeats, and are not remembered.
        v.remember(None);
        assert!(!v.is_repeat(None));
        for s in 10..10 + RECENT_STAMPS as u64 - 1 {
            v.remember(Some(s));
        }
        assert_eq!(v.stamps.len(), RECENT_STAMPS);
        assert!(!v.is_repeat(Some(5)), "the oldest is forgotten");
        assert!(v.is_repeat(Some(9)));
    }
}

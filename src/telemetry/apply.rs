//! Applying the drained samples to their sensors.
//!
//! A drain is grouped by sensor first (a counting sort: each sensor's
//! samples stay in arrival order), then the sensors take theirs in
//! parallel on the compute pool's threads, walking the ECS table in order
//! instead of looking one sensor up per sample. A city frame's 100,000
//! window writes are cache misses; two cores wait on two at a time.

use std::sync::atomic::{AtomicBool, Ordering};

use bevy::prelude::*;
use bevy::utils::Parallel;

use super::{Ingest, IngestCounters, Sample, SampleChannel, delivery};
use crate::scene::index::SceneIndex;
use crate::twin::{History, Sensor, SensorValue};

/// Samples taken off the channel before they are grouped and applied (40
/// bytes each: 5.2 MB). A frame in which each of 100,000 sensors reports
/// once is one round; every round walks all the sensors once.
const APPLY_BATCH: usize = 1 << 17;

/// A drain's samples grouped by sensor number: positions in the drain,
/// each sensor's in arrival order.
#[derive(Debug, Default)]
pub(crate) struct BySensor {
    /// Sensor `n`'s positions are `order[starts[n]..starts[n + 1]]`.
    starts: Vec<u32>,
    order: Vec<u32>,
}

impl BySensor {
    /// Groups `batch` for a scene of `count` sensors; samples numbered
    /// `count` or more are left out (the caller reports them).
    pub(crate) fn group(&mut self, batch: &[Sample], count: usize) {
        // Counted two places up, summed, then each placed at its group's
        // cursor, which leaves `starts[n]` at group n's start.
        self.starts.clear();
        self.starts.resize(count + 2, 0);
        for s in batch.iter().filter(|s| (s.sensor as usize) < count) {
            self.starts[s.sensor as usize + 2] += 1;
        }
        for n in 2..self.starts.len() {
            self.starts[n] += self.starts[n - 1];
        }
        self.order.clear();
        self.order.resize(self.starts[count + 1] as usize, 0);
        for (pos, s) in batch.iter().enumerate() {
            if (s.sensor as usize) < count {
                let cursor = &mut self.starts[s.sensor as usize + 1];
                self.order[*cursor as usize] = pos as u32;
                *cursor += 1;
            }
        }
        self.starts.truncate(count + 1);
    }

    /// Positions in the batch of sensor `n`'s samples, oldest first.
    pub(crate) fn of(&self, n: u32) -> &[u32] {
        let n = n as usize;
        match (self.starts.get(n), self.starts.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.order[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// What one thread applied and skipped, summed after the walk.
#[derive(Debug, Default)]
struct Tally {
    applied: u64,
    repeated: u64,
}

/// `apply_samples`' buffers, kept between frames.
#[derive(Default)]
pub(crate) struct Work {
    batch: Vec<Sample>,
    groups: BySensor,
    /// Per position in the batch, whether it was applied (only while a
    /// tap wants the applied samples in arrival order).
    done: Vec<AtomicBool>,
    tallies: Parallel<Tally>,
}

/// The samples applied this frame, kept for whoever inserted it (the
/// recorder, with `--record`; the latency bench), which takes them after
/// `apply_samples`, in the order they arrived.
#[derive(Resource, Debug, Default)]
pub struct AppliedSamples(pub Vec<Sample>);

type Values<'w, 's> = Query<
    'w,
    's,
    (
        Entity,
        &'static Sensor,
        &'static mut SensorValue,
        &'static mut History,
    ),
>;

/// Drains every waiting sample into its sensor (and into `AppliedSamples`,
/// when there is one). Runs once per frame.
pub(crate) fn apply_samples(
    channel: Res<SampleChannel>,
    index: Option<Res<SceneIndex>>,
    ingest: Res<Ingest>,
    mut values: Values,
    mut tap: Option<ResMut<AppliedSamples>>,
    mut pending: ResMut<delivery::PendingAcks>,
    mut work: Local<Work>,
) {
    let Some(index) = index else { return };
    // First what was queued for acknowledgement: its samples are all in
    // the channel already, so this drain applies them.
    delivery::take_queued(&ingest, &mut pending);
    loop {
        work.batch.clear();
        work.batch.extend(channel.rx.try_iter().take(APPLY_BATCH));
        if work.batch.is_empty() {
            break;
        }
        apply_batch(
            &mut work,
            &index,
            &ingest.counters,
            &mut values,
            tap.as_deref_mut(),
        );
    }
}

/// Applies one drained batch: groups it, walks the sensors in parallel,
/// then counts and reports.
fn apply_batch(
    work: &mut Work,
    index: &SceneIndex,
    counters: &IngestCounters,
    values: &mut Values,
    tap: Option<&mut AppliedSamples>,
) {
    let Work {
        batch,
        groups,
        done,
        tallies,
    } = work;
    let count = index.len();
    groups.group(batch, count);
    // The grouping left out the numbers past the scene's sensors: looked
    // for only when there are some (a city frame's batch is 100,000 long).
    if groups.order.len() < batch.len() {
        for s in batch.iter().filter(|s| s.sensor as usize >= count) {
            counters.reject(format!(
                "sample for sensor #{} outside the scene's {count} sensors",
                s.sensor
            ));
        }
    }
    done.clear();
    if tap.is_some() {
        done.resize_with(batch.len(), AtomicBool::default);
    }
    let (batch, groups, done) = (&*batch, &*groups, &*done);
    values.par_iter_mut().for_each_init(
        || tallies.borrow_local_mut(),
        |tally, (entity, sensor, mut value, mut history)| {
            let mine = groups.of(sensor.index);
            // An earlier scene's sensor that is not despawned yet has a
            // number of its own, which this scene may give another.
            if mine.is_empty() || index.entity(sensor.index) != Some(entity) {
                return;
            }
            for &pos in mine {
                let sample = batch[pos as usize];
                if value.is_repeat(sample.stamp_ms) {
                    tally.repeated += 1;
                    continue;
                }
                value.remember(sample.stamp_ms);
                value.record(sample.value, sample.time_ms);
                history.record(sample.value, sample.time_ms);
                if let Some(d) = done.get(pos as usize) {
                    d.store(true, Ordering::Relaxed);
                }
                tally.applied += 1;
            }
        },
    );
    let (mut applied, mut repeated) = (0, 0);
    for t in tallies.iter_mut() {
        applied += std::mem::take(&mut t.applied);
        repeated += std::mem::take(&mut t.repeated);
    }
    counters.applied.fetch_add(applied, Ordering::Relaxed);
    counters.repeated.fetch_add(repeated, Ordering::Relaxed);
    if let Some(tap) = tap {
        let taken = batch
            .iter()
            .zip(done)
            .filter(|(_, d)| d.load(Ordering::Relaxed));
        tap.0.extend(taken.map(|(s, _)| *s));
    }
    // Samples no sensor took: decoded for a scene that has since been
    // replaced, whose sensor of that number is not spawned.
    let grouped = groups.order.len() as u64;
    if applied + repeated < grouped {
        for n in 0..count as u32 {
            let mine = groups.of(n);
            let entity = index.entity(n);
            if !mine.is_empty() && entity.is_none_or(|e| values.get(e).is_err()) {
                for _ in mine {
                    counters.reject(format!(
                        "sample for sensor #{n} of a scene that was replaced"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(sensor: u32, value: f64) -> Sample {
        Sample {
            sensor,
            value,
            time_ms: 0,
            stamp_ms: None,
        }
    }

    /// Each sensor gets its own samples in the order they came, and
    /// numbers past the scene's sensors none.
    #[test]
    fn a_drain_is_grouped_by_sensor_in_arrival_order() {
        let batch = [
            sample(2, 0.0),
            sample(0, 1.0),
            sample(7, 2.0),
            sample(2, 3.0),
            sample(3, 4.0),
            sample(2, 5.0),
            sample(0, 6.0),
        ];
        let mut groups = BySensor::default();
        groups.group(&batch, 4);
        assert_eq!(groups.of(0), [1, 6]);
        assert_eq!(groups.of(1), [] as [u32; 0]);
        assert_eq!(groups.of(2), [0, 3, 5]);
        assert_eq!(groups.of(3), [4]);
        assert_eq!(groups.of(4), [] as [u32; 0]);
        assert_eq!(groups.of(7), [] as [u32; 0]);
        assert_eq!(groups.order.len(), 6, "sensor 7 is outside");
        // A smaller scene next: nothing of the last grouping is left.
        groups.group(&batch[..2], 1);
        assert_eq!((groups.of(0), groups.of(2)), (&[1][..], &[][..]));
    }
}

/// The system itself on a spawned scene, with a thread pool of two.
#[cfg(test)]
mod system_tests {
    use bevy::ecs::system::RunSystemOnce;
    use bevy::tasks::{ComputeTaskPool, TaskPoolBuilder};

    use super::*;
    use crate::scene::{format, models::Models, spawn_twins};

    fn stamped(sensor: u32, value: f64, stamp: u64) -> Sample {
        Sample {
            sensor,
            value,
            time_ms: 1_000 * stamp,
            stamp_ms: Some(stamp),
        }
    }

    /// A world with a scene of three sensors, the ingest resources and a
    /// tap; the sensors' entities.
    fn world() -> (World, Vec<Entity>) {
        ComputeTaskPool::get_or_init(|| TaskPoolBuilder::new().num_threads(2).build());
        let text = r#"(name: "s", twins: [
            (id: "a", name: "A", kind: "press",
             sensors: [(name: "t", unit: "C", range: (0, 1)), (name: "p", unit: "kW", range: (0, 1))]),
            (id: "b", name: "B", kind: "press", sensors: [(name: "t", unit: "C", range: (0, 1))]),
        ])"#;
        let scene = format::parse(text, "s.scene.ron").unwrap();
        let mut world = World::new();
        let index = spawn_twins(&mut world, &scene, &Models::new());
        let (tx, rx) = crossbeam_channel::bounded(64);
        world.insert_resource(SampleChannel { tx, rx });
        world.init_resource::<Ingest>();
        world.init_resource::<delivery::PendingAcks>();
        world.init_resource::<AppliedSamples>();
        let sensors = (0..3).map(|n| index.entity(n).unwrap()).collect();
        world.insert_resource(index);
        (world, sensors)
    }

    fn send(world: &World, samples: &[Sample]) {
        let tx = &world.resource::<SampleChannel>().tx;
        for s in samples {
            tx.try_send(*s).unwrap();
        }
    }

    fn values(world: &World, sensor: Entity) -> Vec<f64> {
        let history = world.get::<History>(sensor).unwrap();
        history.series.samples().map(|(_, v)| v).collect()
    }

    /// Each sensor takes its own samples in the order they came; a
    /// redelivered stamp is counted and skipped, a number outside the
    /// scene rejected; the tap sees the applied ones in arrival order.
    #[test]
    fn samples_reach_their_sensors_in_order_and_the_tap_in_arrival_order() {
        let (mut world, sensors) = world();
        let arrived = [
            stamped(2, 20.0, 1),
            stamped(0, 1.0, 2),
            stamped(1, 10.0, 3),
            stamped(0, 2.0, 4),
            stamped(2, 21.0, 1), // sensor 2 has stamp 1 already
            stamped(5, 50.0, 6),
            stamped(0, 3.0, 7),
        ];
        send(&world, &arrived);
        world.run_system_once(apply_samples).unwrap();
        assert_eq!(values(&world, sensors[0]), [1.0, 2.0, 3.0]);
        assert_eq!(values(&world, sensors[1]), [10.0]);
        assert_eq!(values(&world, sensors[2]), [20.0]);
        let value = world.get::<SensorValue>(sensors[0]).unwrap();
        assert_eq!((value.value, value.samples), (Some(3.0), 3));
        let tapped: Vec<f64> = world
            .resource::<AppliedSamples>()
            .0
            .iter()
            .map(|s| s.value)
            .collect();
        assert_eq!(tapped, [20.0, 1.0, 10.0, 2.0, 3.0]);
        let c = world.resource::<Ingest>().counters.clone();
        assert_eq!(
            (c.get(&c.applied), c.get(&c.repeated), c.get(&c.rejected)),
            (5, 1, 1)
        );
        assert_eq!(
            c.last_reject().as_deref(),
            Some("sample for sensor #5 outside the scene's 3 sensors")
        );
    }

    /// A sensor of an earlier scene, not despawned yet, keeps its own
    /// number: it takes none of this scene's samples. A sample whose sensor
    /// is gone is rejected, not lost silently.
    #[test]
    fn only_the_scene_s_own_sensor_of_a_number_takes_its_samples() {
        let (mut world, sensors) = world();
        let stale = world
            .spawn(crate::twin::Sensor {
                index: 0,
                name: "t".into(),
                unit: "C".into(),
                topic: None,
                range: (0.0, 1.0),
                warn: None,
                alarm: None,
            })
            .id();
        world.despawn(sensors[1]);
        send(
            &world,
            &[stamped(0, 1.0, 1), stamped(1, 10.0, 2), stamped(2, 20.0, 3)],
        );
        world.run_system_once(apply_samples).unwrap();
        assert_eq!(values(&world, sensors[0]), [1.0]);
        assert_eq!(world.get::<SensorValue>(stale).unwrap().samples, 0);
        let c = world.resource::<Ingest>().counters.clone();
        assert_eq!((c.get(&c.applied), c.get(&c.rejected)), (2, 1));
        assert_eq!(
            c.last_reject().as_deref(),
            Some("sample for sensor #1 of a scene that was replaced")
        );
    }
}

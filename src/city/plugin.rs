//! A scene's districts in the ECS: when a scene is spawned, each district
//! figure learns which blocks' sensors make it (`district::plan`); every
//! `FIGURE_PERIOD_S` of the twin's clock each figure is worked out from
//! their latest values and recorded on the district's own sensor, right
//! after the samples are applied. From there it is a sensor like any:
//! history, forecast, limits and alarms, the panel and the snapshot.
//! Figures are derived, not received: the ingest counters and a recording
//! leave them out, and a replay works them out again.

use bevy::prelude::*;

use super::district::{Planned, plan, work_out};
use crate::TwinSet;
use crate::scene::SceneSpawned;
use crate::scene::index::SceneIndex;
use crate::telemetry::{TwinClock, apply_samples};
use crate::twin::{History, SensorValue};

/// Seconds of the twin's clock between two workings-out of the figures.
const FIGURE_PERIOD_S: f64 = 1.0;

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<Districts>().add_systems(
        Update,
        (plan_districts, work_out_districts)
            .chain()
            .after(apply_samples)
            .in_set(TwinSet::Ingest),
    );
}

/// The scene's district figures, and when they were last worked out.
#[derive(Resource, Default, Debug)]
struct Districts {
    planned: Vec<Planned>,
    /// The twin clock's time of the last working-out, seconds.
    last_s: Option<f64>,
}

fn plan_districts(mut spawned: MessageReader<SceneSpawned>, mut districts: ResMut<Districts>) {
    if let Some(SceneSpawned { scene }) = spawned.read().last() {
        *districts = Districts {
            planned: plan(scene),
            last_s: None,
        };
    }
}

fn work_out_districts(
    clock: Res<TwinClock>,
    index: Option<Res<SceneIndex>>,
    mut districts: ResMut<Districts>,
    mut values: Query<(&mut SensorValue, &mut History)>,
) {
    let (Some(index), now) = (index, clock.now_s) else {
        return;
    };
    if districts.planned.is_empty()
        || districts
            .last_s
            .is_some_and(|last| now - last < FIGURE_PERIOD_S && now >= last)
    {
        return;
    }
    districts.last_s = Some(now);
    let now_ms = (now * 1000.0).round() as u64;
    for p in &districts.planned {
        let latest = p.members.iter().map(|&m| {
            index
                .entity(m)
                .and_then(|e| values.get(e).ok())
                .and_then(|(v, _)| v.value)
        });
        let Some(figure) = work_out(p.figure, latest) else {
            continue;
        };
        if let Some(Ok((mut value, mut history))) =
            index.entity(p.sensor).map(|e| values.get_mut(e))
        {
            value.record(figure, now_ms);
            history.record(figure, now_ms);
        }
    }
}

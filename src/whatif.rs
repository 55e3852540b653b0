//! What-if runs in the ECS: the scene's process model, started from the
//! twin's live state (which line machines are down, and for how long yet;
//! which are heading for their alarm limit), run ahead for a scenario and for
//! the baseline. The viewer's panel asks for one at a time; a headless run
//! lists scenarios with `--what-if` and finds them in its snapshot.

use bevy::prelude::*;

use crate::scene::SceneSpawned;
use crate::scene::format::LineDef;
use crate::sim::line::{MachineState, Scenario, Start, WhatIf, what_if};
use crate::telemetry::TwinClock;
use crate::twin::{History, Sensor, SensorValue, Sensors, Twin};

pub fn plugin(app: &mut App) {
    app.init_resource::<LineModel>()
        .init_resource::<WhatIfPlan>()
        .add_systems(Update, keep_line_model.in_set(crate::TwinSet::Simulate));
}

/// The running scene's process model, if it has one.
#[derive(Resource, Default, Debug, Clone)]
pub struct LineModel(pub Option<LineDef>);

/// What a run looks ahead: scenarios for the snapshot, horizon and runs.
#[derive(Resource, Debug, Clone)]
pub struct WhatIfPlan {
    pub scenarios: Vec<Scenario>,
    pub horizon_s: f64,
    pub runs: usize,
    pub seed: u64,
}

impl Default for WhatIfPlan {
    fn default() -> Self {
        WhatIfPlan {
            scenarios: Vec::new(),
            horizon_s: 8.0 * 3600.0,
            runs: 20,
            seed: 1,
        }
    }
}

fn keep_line_model(mut spawned: MessageReader<SceneSpawned>, mut model: ResMut<LineModel>) {
    if let Some(SceneSpawned { scene }) = spawned.read().last() {
        model.0 = scene.process.clone();
    }
}

/// The line's state as the twin sees it now.
pub fn live_start(world: &mut World) -> Option<(LineDef, Start)> {
    let def = world.get_resource::<LineModel>()?.0.clone()?;
    let now = world.get_resource::<TwinClock>().map_or(0.0, |c| c.now_s);
    let mut twins = world.query::<(&Twin, &Sensors)>();
    let mut sensors = world.query::<(&Sensor, &SensorValue, &History)>();
    let mut start = Start {
        buffer_fill: 0.5,
        ..Start::default()
    };
    // Buffer levels, where the line names a sensor for them.
    let mut values = world.query::<(&Sensor, &SensorValue, &crate::twin::SensorOf)>();
    let mut twin_ids = world.query::<&Twin>();
    start.buffers = def
        .stations
        .iter()
        .map(|st| {
            let (twin, name) = st.buffer_sensor.as_ref()?;
            values
                .iter(world)
                .find(|(s, _, of)| {
                    &s.name == name && twin_ids.get(world, of.0).is_ok_and(|t| &t.id == twin)
                })
                .and_then(|(_, v, _)| v.value)
                .map(|v| v.max(0.0).round() as usize)
        })
        .collect();
    for station in &def.stations {
        for id in &station.machines {
            let Some((_, list)) = twins.iter(world).find(|(t, _)| &t.id == id) else {
                continue;
            };
            let list: Vec<Entity> = list.entities().to_vec();
            let mut failing_in: Option<f64> = None;
            for (sensor, value, history) in sensors.iter_many(world, &list) {
                let Some(v) = value.value else { continue };
                if sensor.name == "state" {
                    if MachineState::from_code(v) == Some(MachineState::Down) {
                        let left = station.repair_s - history.series.unchanged_for(now);
                        start.down.push((id.clone(), left.max(0.0)));
                    }
                    continue;
                }
                // A sensor past its warning level and trending to its alarm
                // limit: the machine is expected to fail when it gets there.
                if let (Some(warn), Some(alarm)) = (sensor.warn, sensor.alarm)
                    && v >= warn
                    && let Some(t) = history.projection().and_then(|p| p.time_to(alarm))
                {
                    failing_in = Some(failing_in.map_or(t, |f: f64| f.min(t)));
                }
            }
            if let Some(t) = failing_in {
                start.failing_in.push((id.clone(), t));
            }
        }
    }
    Some((def, start))
}

/// Runs one scenario from the live state.
pub fn run(world: &mut World, scenario: &Scenario) -> Result<WhatIf, String> {
    let plan = world
        .get_resource::<WhatIfPlan>()
        .cloned()
        .unwrap_or_default();
    let (def, start) =
        live_start(world).ok_or_else(|| "the scene has no process model".to_string())?;
    what_if(&def, &start, scenario, plan.horizon_s, plan.runs, plan.seed)
}

/// The snapshot's what-ifs: every planned scenario, or why it could not run.
pub fn planned(world: &mut World) -> Vec<Result<WhatIf, String>> {
    let scenarios = world
        .get_resource::<WhatIfPlan>()
        .map(|p| p.scenarios.clone())
        .unwrap_or_default();
    scenarios
        .iter()
        .map(|s| run(world, s).map_err(|e| format!("{s}: {e}")))
        .collect()
}

/// The viewer's what-if panel: the scenario picked, one waiting to run,
/// and the last answer.
#[derive(Resource, Default, Debug)]
pub struct WhatIfPanel {
    pub choice: usize,
    pub requested: Option<Scenario>,
    /// Seconds after start before a request runs (`view --what-if`: let
    /// the live state arrive first).
    pub not_before_s: f64,
    pub last: Option<Result<WhatIf, String>>,
}

/// Runs the scenario the panel asked for (an exclusive system: it reads the
/// whole twin).
pub fn run_requested(world: &mut World) {
    let elapsed = world
        .get_resource::<Time<Real>>()
        .map_or(0.0, |t| t.elapsed_secs_f64());
    if world
        .get_resource::<WhatIfPanel>()
        .is_none_or(|p| p.requested.is_none() || elapsed < p.not_before_s)
    {
        return;
    }
    let Some(scenario) = world
        .get_resource_mut::<WhatIfPanel>()
        .and_then(|mut p| p.requested.take())
    else {
        return;
    };
    let result = run(world, &scenario);
    if let Some(mut panel) = world.get_resource_mut::<WhatIfPanel>() {
        panel.last = Some(result);
    }
}

/// The scenarios the panel offers for a line: each machine failing now, one
/// more crew, each station 25% slower.
pub fn offered(def: &LineDef) -> Vec<(Scenario, String)> {
    let mut out = Vec::new();
    for st in &def.stations {
        for m in &st.machines {
            out.push((Scenario::Fail(m.clone()), format!("{m} fails now")));
        }
    }
    out.push((
        Scenario::Crews(def.crews + 1),
        format!("{} repair crews instead of {}", def.crews + 1, def.crews),
    ));
    for st in &def.stations {
        out.push((
            Scenario::Slower(st.name.clone(), 1.25),
            format!("{} 25% slower", st.name),
        ));
    }
    out
}

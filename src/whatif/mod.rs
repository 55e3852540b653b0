//! What-if runs in the ECS: the scene's process model, started from the
//! twin's live state (which line machines are down, and for how long yet;
//! which are heading for their alarm limit), run ahead for a scenario and for
//! the baseline. The viewer's panel asks for one at a time; a headless run
//! lists scenarios with `--what-if` and finds them in its snapshot.

mod live;
mod panel;

use bevy::prelude::*;

use crate::scene::SceneSpawned;
use crate::scene::format::LineDef;
use crate::sim::line::{Scenario, WhatIf, what_if};

pub use live::live_start;
pub use panel::{WhatIfPanel, offered, run_requested};

pub(crate) fn plugin(app: &mut App) {
    app.init_resource::<LineModel>()
        .init_resource::<WhatIfPlan>()
        .add_systems(Update, keep_line_model.in_set(crate::TwinSet::Simulate))
        // The viewer's what-if window asks for runs; headless has none.
        .add_systems(
            Update,
            run_requested
                .run_if(resource_exists::<WhatIfPanel>)
                .in_set(crate::TwinSet::Simulate),
        );
}

/// Why a what-if could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WhatIfError {
    #[error("the scene has no process model")]
    NoProcessModel,
    #[error("{0}")]
    Scenario(String),
}

/// The running scene's process model, if it has one.
#[derive(Resource, Default, Debug, Clone)]
pub(crate) struct LineModel(pub Option<LineDef>);

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

/// Runs one scenario from the live state.
pub fn run(world: &mut World, scenario: &Scenario) -> Result<WhatIf, WhatIfError> {
    let plan = world
        .get_resource::<WhatIfPlan>()
        .cloned()
        .unwrap_or_default();
    let (def, start) = live_start(world).ok_or(WhatIfError::NoProcessModel)?;
    what_if(&def, &start, scenario, plan.horizon_s, plan.runs, plan.seed)
        .map_err(WhatIfError::Scenario)
}

/// The snapshot's what-ifs: every planned scenario, or why it could not run.
pub(crate) fn planned(world: &mut World) -> Vec<Result<WhatIf, String>> {
    let scenarios = world
        .get_resource::<WhatIfPlan>()
        .map(|p| p.scenarios.clone())
        .unwrap_or_default();
    scenarios
        .iter()
        .map(|s| run(world, s).map_err(|e| format!("{s}: {e}")))
        .collect()
}

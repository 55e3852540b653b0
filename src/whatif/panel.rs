//! The viewer's what-if panel state: the scenario picked, one waiting to
//! run and the last answer, and the scenarios the panel offers. (The
//! window itself is drawn by the view.)

use bevy::prelude::*;

use super::{WhatIfError, run};
use crate::scene::format::LineDef;
use crate::sim::line::{Scenario, WhatIf};

/// The viewer's what-if panel: the scenario picked, one waiting to run,
/// and the last answer.
#[derive(Resource, Default, Debug)]
pub struct WhatIfPanel {
    pub choice: usize,
    pub requested: Option<Scenario>,
    /// Seconds after start before a request runs (`view --what-if`: let
    /// the live state arrive first).
    pub not_before_s: f64,
    pub last: Option<Result<WhatIf, WhatIfError>>,
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

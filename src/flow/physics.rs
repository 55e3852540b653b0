//! Rapier for the flow: a fixed step, how many steps a frame takes, and the
//! bodies parts are made of.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;

use super::fixtures::{Look, LookKind};

/// The physics step (s), once per frame headless.
pub const STEP_S: f32 = 1.0 / 60.0;

/// Solver iterations per step for parts riding or queued on a buffer belt:
/// a row of boxes on a flat belt converges in one.
pub const SOLVER_ITERATIONS: usize = 1;

/// Extra solver substeps for loose parts (falling, in the bin, on the
/// floor): piles need them to come to rest (4 in all, rapier's default
/// count; with 1 or 2 a pile of 5,000 never slept).
pub const LOOSE_EXTRA_ITERATIONS: usize = 3;

/// Most steps one frame catches up (half a second of physics).
pub const MAX_STEPS: u32 = 30;

/// A part's friction and bounce.
const PART_FRICTION: f32 = 0.7;
const PART_RESTITUTION: f32 = 0.05;

/// Rapier at a fixed step of `STEP_S`, once per frame unless `keep_pace`
/// says more.
pub fn physics(app: &mut App) {
    let integration_parameters = bevy_rapier3d::rapier::dynamics::IntegrationParameters {
        num_solver_iterations: SOLVER_ITERATIONS,
        ..default()
    };
    app.add_plugins(
        RapierPhysicsPlugin::<NoUserData>::default().with_custom_initialization(
            RapierContextInitialization::InitializeDefaultRapierContext {
                integration_parameters,
                rapier_configuration: RapierConfiguration::new(1.0),
            },
        ),
    )
    .init_resource::<Steps>()
    .add_systems(PreUpdate, keep_pace.run_if(resource_exists::<KeepPace>))
    .insert_resource(TimestepMode::Fixed {
        dt: STEP_S,
        substeps: 1,
    });
}

/// Physics steps of `STEP_S` this frame: one headless (so runs are the same
/// frame for frame), in the viewer as many as the frame took.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Steps(pub u32);

impl Default for Steps {
    fn default() -> Self {
        Steps(1)
    }
}

impl Steps {
    /// Physics time this frame (s).
    pub(crate) fn seconds(self) -> f32 {
        self.0 as f32 * STEP_S
    }
}

/// Steps of `STEP_S` that make up a frame of `delta_s` seconds, at least
/// one and at most `MAX_STEPS`.
pub fn steps_for(delta_s: f32) -> u32 {
    if !delta_s.is_finite() {
        return 1;
    }
    (delta_s / STEP_S).round().clamp(1.0, MAX_STEPS as f32) as u32
}

/// Present where frames are slow and uneven (the viewer): physics steps as
/// long as each frame took instead of once per frame.
#[derive(Resource, Debug, Clone, Copy)]
pub struct KeepPace;

/// For the viewer: step physics as long as the last frame took (up to
/// `MAX_STEPS` steps of `STEP_S`), so parts keep pace with the plant and
/// its clock when frames are slow (software rendering, a weak GPU).
pub fn keep_pace(
    time: Res<Time<bevy::time::Real>>,
    mut steps: ResMut<Steps>,
    mut mode: ResMut<TimestepMode>,
) {
    let n = steps_for(time.delta_secs());
    if n != steps.0 {
        steps.0 = n;
        *mode = TimestepMode::Fixed {
            dt: n as f32 * STEP_S,
            substeps: n as usize,
        };
    }
}

/// A part's body: a dynamic box of half size `h` (m), solved as a loose
/// part (used by the flow and by the physics benchmark alike).
pub fn part_body(h: f32) -> impl Bundle {
    (
        Look {
            half: Vec3::splat(h),
            kind: LookKind::Part,
        },
        RigidBody::Dynamic,
        Collider::cuboid(h, h, h),
        Friction::coefficient(PART_FRICTION),
        Restitution::coefficient(PART_RESTITUTION),
        Velocity::default(),
        AdditionalSolverIterations(LOOSE_EXTRA_ITERATIONS),
    )
}

/// What a part on a buffer belt is solved with (see `SOLVER_ITERATIONS`).
pub fn on_buffer_belt() -> AdditionalSolverIterations {
    AdditionalSolverIterations(0)
}

/// What a loose part is solved with.
pub(crate) fn loose() -> AdditionalSolverIterations {
    AdditionalSolverIterations(LOOSE_EXTRA_ITERATIONS)
}

/// What makes a part carried: moved by hand, through everything.
pub(crate) fn lifted() -> impl Bundle {
    (RigidBody::KinematicPositionBased, ColliderDisabled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_frames_take_more_steps_within_bounds() {
        assert_eq!(steps_for(1.0 / 60.0), 1);
        assert_eq!(steps_for(0.001), 1);
        assert_eq!(steps_for(1.0 / 20.0), 3);
        assert_eq!(steps_for(0.5), 30);
        assert_eq!(steps_for(4.0), MAX_STEPS);
        assert_eq!(steps_for(f32::NAN), 1);
    }
}

//! Physics step time with 1,000, 5,000 and 10,000 parts, set up as the
//! twin sets them up (`flow::physics`, `flow::part_body`, `flow::drive_belt`),
//! stepped at 1/60 s, in two workloads:
//!
//! - **travelling the line**: parts riding 0.8 m/s belts 50 m long, 100 to a
//!   belt, spaced 1.5 part lengths apart as the twin releases them, until
//!   they queue against the stop at the belt's end (`flow::drive_belt`, the
//!   twin's zero-pressure accumulation: queued parts are not pushed, and
//!   sleep). Frame times while they ride and the queues start to build
//!   (frames 1–299), and once every part has joined its belt's queue and
//!   come to rest (1380–1499; the last part joins at about frame 1130).
//! - **a pile**: all the parts dropped at once in a loose grid into a bin
//!   sized for about three layers, the worst case: frame times while they
//!   fall and land (1–119: median and 95th percentile), while they pile up
//!   (120–239) and once the pile has settled and rapier has put it to sleep
//!   (600–659).
//!
//! `cargo bench --bench physics [-- N ...]` (N: part counts; all three if none)

use std::time::Instant;

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;
use twinscape::flow::{BeltFrame, drive_belt, on_buffer_belt, part_body, physics};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn app() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, bevy::transform::TransformPlugin));
    physics(&mut app);
    app.finish();
    app.cleanup();
    app
}

fn frames(app: &mut App, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            app.update();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

const BELT_LEN: f32 = 50.0;
const BELT_SPEED: f32 = 0.8;
const BELT_HALF_W: f32 = 0.45;

#[derive(Resource)]
struct Belts(Vec<BeltFrame>);

/// The twin's belt drive (`flow::drive_belt`, with its stop) on every belt.
fn drive_all(belts: Res<Belts>, mut parts: Query<(&Transform, &mut Velocity)>) {
    let mut lanes: Vec<Vec<(Vec3, Mut<Velocity>)>> = belts.0.iter().map(|_| Vec::new()).collect();
    for (tf, v) in &mut parts {
        let lane = ((tf.translation.z / 1.5).round().max(0.0) as usize).min(belts.0.len() - 1);
        lanes[lane].push((tf.translation, v));
    }
    for (belt, mut on) in belts.0.iter().zip(lanes) {
        drive_belt(belt, (BELT_HALF_W, BELT_SPEED), 0.3, 1, true, &mut on);
    }
}

/// Parts riding belts: returns (median riding, p95 riding, median all queued,
/// worst frame).
fn run_belts(n: usize) -> [f64; 4] {
    let mut app = app();
    let h = 0.15;
    let per_belt = 100;
    let lanes = n.div_ceil(per_belt);
    let mut belts = Vec::new();
    let world = app.world_mut();
    for lane in 0..lanes {
        let z = lane as f32 * 1.5;
        let belt = BeltFrame::between([0.0, 1.0, z], [BELT_LEN, 1.0, z]);
        // Slab, rails and end stop, as the twin builds a buffer belt.
        for (centre, half) in [
            (
                belt.at(BELT_LEN / 2.0, 0.0, -0.05),
                Vec3::new(BELT_LEN / 2.0, 0.05, BELT_HALF_W),
            ),
            (
                belt.at(BELT_LEN / 2.0, BELT_HALF_W + 0.03, 0.08),
                Vec3::new(BELT_LEN / 2.0, 0.08, 0.03),
            ),
            (
                belt.at(BELT_LEN / 2.0, -BELT_HALF_W - 0.03, 0.08),
                Vec3::new(BELT_LEN / 2.0, 0.08, 0.03),
            ),
            (
                belt.at(BELT_LEN + 0.03, 0.0, 0.1),
                Vec3::new(0.03, 0.1, BELT_HALF_W + 0.06),
            ),
        ] {
            world.spawn((
                RigidBody::Fixed,
                Collider::cuboid(half.x, half.y, half.z),
                Friction {
                    coefficient: 0.0,
                    combine_rule: CoefficientCombineRule::Min,
                },
                Transform::from_translation(centre),
            ));
        }
        for k in 0..per_belt.min(n - lane * per_belt) {
            let along = BELT_LEN - 0.5 - k as f32 * 0.45;
            let side = ((k * 37 % 11) as f32 / 10.0 - 0.5) * (BELT_HALF_W - h);
            // Solved as the twin solves parts on its buffer belts.
            world
                .spawn((
                    part_body(h),
                    Transform::from_translation(belt.at(along, side, h + 0.005)),
                ))
                .insert(on_buffer_belt());
        }
        belts.push(belt);
    }
    app.insert_resource(Belts(belts))
        .add_systems(Update, drive_all);
    let times = frames(&mut app, 1500);
    let mut riding = times[1..300].to_vec();
    riding.sort_by(f64::total_cmp);
    [
        median(times[1..300].to_vec()),
        riding[riding.len() * 95 / 100],
        median(times[1380..1500].to_vec()),
        times[1..].iter().cloned().fold(0.0, f64::max),
    ]
}

fn run(n: usize) -> [f64; 5] {
    let mut app = app();
    let h = 0.15;
    // A square bin holding the parts in about three layers.
    let side = ((n as f32 / 3.0).sqrt() * 0.3 * 1.15).max(2.0);
    let world = app.world_mut();
    world.spawn((
        RigidBody::Fixed,
        Collider::halfspace(Vec3::Y).unwrap(),
        Transform::default(),
    ));
    for (x, z, hx, hz) in [
        (side / 2.0 + 0.05, 0.0, 0.05, side / 2.0),
        (-side / 2.0 - 0.05, 0.0, 0.05, side / 2.0),
        (0.0, side / 2.0 + 0.05, side / 2.0, 0.05),
        (0.0, -side / 2.0 - 0.05, side / 2.0, 0.05),
    ] {
        world.spawn((
            RigidBody::Fixed,
            Collider::cuboid(hx, 3.0, hz),
            Transform::from_xyz(x, 3.0, z),
        ));
    }
    // A loose grid above the bin, 0.4 m apart, a few layers high.
    let per_row = ((side - 0.2) / 0.4).floor().max(1.0) as usize;
    for i in 0..n {
        let (row, rest) = (i / (per_row * per_row), i % (per_row * per_row));
        let (a, b) = (rest / per_row, rest % per_row);
        let x = -side / 2.0 + 0.3 + a as f32 * 0.4;
        let z = -side / 2.0 + 0.3 + b as f32 * 0.4;
        let y = 0.5 + row as f32 * 0.45;
        world.spawn((
            part_body(h),
            Transform::from_xyz(x, y, z).with_rotation(Quat::from_rotation_y(i as f32 * 0.7)),
        ));
    }
    let times = frames(&mut app, 660);
    let mut active = times[1..120].to_vec();
    active.sort_by(f64::total_cmp);
    let p95 = active[active.len() * 95 / 100];
    [
        median(times[1..120].to_vec()),
        p95,
        median(times[120..240].to_vec()),
        median(times[600..660].to_vec()),
        times[1..].iter().cloned().fold(0.0, f64::max),
    ]
}

fn main() {
    // `cargo bench --bench physics -- 5000` runs one size only.
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 5_000, 10_000]
    } else {
        sizes
    };
    println!(
        "# physics step (rapier, 1/60 s, one step per frame), boxes of 0.3 m travelling the line: 100 to a 50 m belt at 0.8 m/s"
    );
    println!(
        "| parts | riding (frames 1–299): median | p95 | all queued, at rest (1380–1499): median | worst frame |"
    );
    println!("|---|---|---|---|---|");
    for &n in &sizes {
        let [riding, p95, queued, worst] = run_belts(n);
        println!("| {n} | {riding:.2} ms | {p95:.2} ms | {queued:.2} ms | {worst:.1} ms |");
    }
    println!();
    println!("# the worst case: all the parts dropped at once into a bin");
    println!(
        "| parts | falling and landing (frames 1–119): median | p95 | piling (120–239): median | settled (600–659): median | worst frame |"
    );
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        let [active, p95, piling, settled, worst] = run(n);
        println!(
            "| {n} | {active:.2} ms | {p95:.2} ms | {piling:.2} ms | {settled:.2} ms | {worst:.1} ms |"
        );
    }
}

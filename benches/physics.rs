//! Physics step time with 1,000, 5,000 and 10,000 parts, set up as the
//! twin sets them up (`flow::physics`, `flow::part_body`): parts dropped in a
//! loose grid into a bin sized for about three layers, stepped at 1/60 s.
//! Reports frame times while the parts fall and land (frames 1–119: median
//! and 95th percentile), while they pile up (120–239) and once the pile has
//! settled and rapier has put it to sleep (600–659), and the worst frame.
//! `cargo bench --bench physics`

use std::time::Instant;

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;
use twinscape::flow::{part_body, physics};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn run(n: usize) -> [f64; 5] {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, bevy::transform::TransformPlugin));
    physics(&mut app);
    app.finish();
    app.cleanup();
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
    let mut times = Vec::new();
    for _ in 0..660 {
        let t = Instant::now();
        app.update();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
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
    println!("# physics step (rapier, 1/60 s, one step per frame), boxes of 0.3 m in a bin");
    println!(
        "| parts | falling and landing (frames 1–119): median | p95 | piling (120–239): median | settled (600–659): median | worst frame |"
    );
    println!("|---|---|---|---|---|---|");
    for n in [1_000, 5_000, 10_000] {
        let [active, p95, piling, settled, worst] = run(n);
        println!(
            "| {n} | {active:.2} ms | {p95:.2} ms | {piling:.2} ms | {settled:.2} ms | {worst:.1} ms |"
        );
    }
}

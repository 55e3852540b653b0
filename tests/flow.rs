//! Parts as rigid bodies: each part the line reports made drops onto the
//! outfeed belt, is carried past the photo-eye (which counts it) and falls
//! into the bin, where parts come to rest in a stable pile. Headless, at
//! the fixed 1/60 s physics step.

use bevy::prelude::*;
use bevy_rapier3d::prelude::TimestepMode;
use bevy_rapier3d::prelude::Velocity;
use twinscape::app::{Options, stepped_headless_app};
use twinscape::flow::{Carry, Flow, Parked, Part, Riding, STEP_S, Steps};
use twinscape::scene::format::parse;
use twinscape::telemetry::{Sample, SampleChannel, TelemetrySource, now_ms};
use twinscape::twin::Twin;

mod common;

fn shipped(app: &mut App, sensor: u32, count: f64) {
    app.world()
        .resource::<SampleChannel>()
        .tx
        .send(Sample {
            sensor,
            value: count,
            time_ms: now_ms(),
            stamp_ms: None,
        })
        .unwrap();
}

fn frames(app: &mut App, n: usize) {
    for _ in 0..n {
        app.update();
    }
}

#[test]
fn parts_ride_the_belt_past_the_photo_eye_and_pile_up_in_the_bin() {
    let path = common::factory_scene();
    let scene = parse(&std::fs::read_to_string(&path).unwrap(), "factory").unwrap();
    let counter = scene
        .sensors()
        .position(|(t, s)| t.id == "pack-1" && s.name == "shipped")
        .expect("the packer counts shipped parts") as u32;
    let opts = Options {
        scene: path,
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = stepped_headless_app(&opts).expect("the factory loads");
    frames(&mut app, 5);
    // The first reading sets the count; nothing is released for it.
    shipped(&mut app, counter, 100.0);
    frames(&mut app, 30);
    assert_eq!(app.world().resource::<Flow>().released, 0);

    shipped(&mut app, counter, 105.0);
    frames(&mut app, 15 * 60);
    let flow = app.world().resource::<Flow>().clone();
    assert_eq!(
        (flow.released, flow.counted, flow.in_bin, flow.on_belt),
        (5, 5, 5, 0),
        "{flow:?}"
    );

    // 6 more: they pile up and come to rest.
    shipped(&mut app, counter, 111.0);
    frames(&mut app, 40 * 60);
    let flow = app.world().resource::<Flow>().clone();
    assert_eq!(
        (flow.released, flow.counted, flow.in_bin, flow.pending),
        (11, 11, 11, 0),
        "{flow:?}"
    );
    let world = app.world_mut();
    let mut parts = world.query_filtered::<(&Transform, &Velocity), With<Part>>();
    let mut fastest = 0.0f32;
    let mut highest = 0.0f32;
    for (tf, v) in parts.iter(world) {
        fastest = fastest.max(v.linear.length());
        highest = highest.max(tf.translation.y);
    }
    assert!(
        fastest < 0.05,
        "the pile is at rest: fastest part {fastest} m/s"
    );
    // 11 parts of 0.3 m in a 2.4 × 2.4 m bin: a layer or two, not a tower
    // and not sunk through the floor.
    assert!(
        highest > 0.1 && highest < 1.2,
        "top of the pile at {highest} m"
    );

    // The snapshot carries the counts.
    let snap = twinscape::snapshot::take(app.world_mut());
    let f = snap.flow.expect("the factory has a flow");
    assert_eq!((f.released, f.counted, f.in_bin), (11, 11, 11));

    // The bin holds 12: the 12th part in it swaps it for an empty one.
    shipped(&mut app, counter, 114.0);
    frames(&mut app, 20 * 60);
    let flow = app.world().resource::<Flow>().clone();
    assert_eq!(
        (flow.released, flow.counted, flow.bins_swapped, flow.in_bin),
        (14, 14, 1, 2),
        "{flow:?}"
    );
}

/// Where a part is and what it is doing.
fn find_part(app: &mut App, serial: u64) -> (Vec3, Option<Riding>, Option<Entity>) {
    let world = app.world_mut();
    let mut parts = world.query::<(
        &Part,
        &Transform,
        Option<&Riding>,
        Option<&Parked>,
        Has<Carry>,
    )>();
    let (_, tf, riding, parked, carried) = parts
        .iter(world)
        .find(|(p, ..)| p.serial == serial)
        .unwrap_or_else(|| panic!("part {serial} is gone"));
    assert!(!carried, "part {serial} is still being carried");
    (tf.translation, riding.copied(), parked.map(|p| p.machine))
}

fn twin_entity(app: &mut App, id: &str) -> Entity {
    let world = app.world_mut();
    let mut twins = world.query::<(Entity, &Twin)>();
    twins.iter(world).find(|(_, t)| &*t.id == id).unwrap().0
}

/// The parts on one buffer belt: (serial, position, speed), front first.
fn on_buffer(app: &mut App, i: usize) -> Vec<(u64, Vec3, f32)> {
    let world = app.world_mut();
    let mut parts = world.query::<(&Part, &Transform, &Velocity, &Riding)>();
    let mut on: Vec<(u64, Vec3, f32)> = parts
        .iter(world)
        .filter(|(.., r)| **r == Riding::Buffer(i))
        .map(|(p, tf, v, _)| (p.serial, tf.translation, v.linear.length()))
        .collect();
    on.sort_by(|a, b| b.1.x.total_cmp(&a.1.x));
    on
}

#[test]
fn parts_travel_the_line_in_step_with_the_machines_counts_and_buffer_levels() {
    journey(1);
}

/// The same journey as a viewer at 2 frames a second steps it (`keep_pace`:
/// 30 physics steps a frame).
#[test]
fn parts_travel_the_line_the_same_at_thirty_physics_steps_a_frame() {
    journey(30);
}

fn journey(steps: u32) {
    let path = common::factory_scene();
    let scene = parse(&std::fs::read_to_string(&path).unwrap(), "factory").unwrap();
    let sensor = |twin: &str, name: &str| {
        scene
            .sensors()
            .position(|(t, s)| t.id == twin && s.name == name)
            .unwrap_or_else(|| panic!("{twin}/{name} is a sensor")) as u32
    };
    let opts = Options {
        scene: path.clone(),
        source: TelemetrySource::Channel,
        snapshot: None,
        run_for: None,
        unpaced: false,
    };
    let mut app = stepped_headless_app(&opts).expect("the factory loads");
    app.insert_resource(Steps(steps))
        .insert_resource(TimestepMode::Fixed {
            dt: steps as f32 * STEP_S,
            substeps: steps as usize,
        });
    // Runs `s` seconds of physics.
    let run = |app: &mut App, s: u32| frames(app, (s * 60).div_ceil(steps) as usize);
    frames(&mut app, 5);
    let (milled, pressed, handled) = (
        sensor("conv-1", "queue"),
        sensor("conv-2", "queue"),
        sensor("pack-1", "infeed_queue"),
    );
    let counter = sensor("pack-1", "shipped");
    let made = |m: &str| sensor(m, "made");
    for (t, s) in scene.sensors() {
        match s.name.as_str() {
            "state" => shipped(&mut app, sensor(&t.id, "state"), 1.0),
            "made" => shipped(&mut app, made(&t.id), 50.0),
            _ => {}
        }
    }
    // First readings: two parts already wait after milling, none elsewhere.
    shipped(&mut app, milled, 2.0);
    shipped(&mut app, pressed, 0.0);
    shipped(&mut app, handled, 0.0);
    shipped(&mut app, counter, 100.0);
    run(&mut app, 4);
    let on = on_buffer(&mut app, 0);
    assert_eq!(on.len(), 2, "{on:?}");
    // Queued against the stop at the infeed conveyor's end (x = -6.3), at rest.
    for (_, at, speed) in &on {
        assert!(at.x > -7.0 && at.x < -6.3, "{on:?}");
        assert!((at.y - 1.13).abs() < 0.05, "on the belt: {on:?}");
        assert!(*speed < 0.1, "at rest: {on:?}");
    }
    assert_eq!(app.world().resource::<Flow>().transfers, 0);

    // Mill 2 finishes a part: it is carried onto the belt and rides to the queue.
    shipped(&mut app, made("cnc-2"), 51.0);
    shipped(&mut app, milled, 3.0);
    if steps == 1 {
        frames(&mut app, 30);
        assert_eq!(app.world().resource::<Flow>().buffers[0].arriving, 1);
    }
    run(&mut app, 15);
    let on = on_buffer(&mut app, 0);
    assert_eq!(on.len(), 3, "{on:?}");
    // In a row against the stop, flat on the belt (none climbed another).
    assert!(
        on.iter()
            .all(|(_, at, v)| at.x > -7.4 && *v < 0.1 && (at.y - 1.13).abs() < 0.05),
        "{on:?}"
    );
    let front = on[0].0;

    // Press 2 is down: the front part goes to press 1, which holds it.
    shipped(&mut app, sensor("press-2", "state"), 3.0);
    shipped(&mut app, milled, 2.0);
    run(&mut app, 3);
    let press1 = twin_entity(&mut app, "press-1");
    let (at, riding, parked) = find_part(&mut app, front);
    assert_eq!((riding, parked), (None, Some(press1)));
    assert!(at.distance(Vec3::new(-1.0, 1.1, -4.8)) < 0.01, "{at}");
    assert_eq!(on_buffer(&mut app, 0).len(), 2);

    // Pressed: the same part goes onto the transfer conveyor, to its end.
    shipped(&mut app, made("press-1"), 51.0);
    shipped(&mut app, pressed, 1.0);
    run(&mut app, 15);
    let (at, riding, _) = find_part(&mut app, front);
    assert_eq!(riding, Some(Riding::Buffer(1)));
    assert!(at.x > 5.2 && at.x < 5.7, "{at}");
    // A robot takes it and puts it on the packer's infeed.
    shipped(&mut app, pressed, 0.0);
    run(&mut app, 3);
    let robot = ["robot-1", "robot-2"]
        .into_iter()
        .find(|r| find_part(&mut app, front).2 == Some(twin_entity(&mut app, r)))
        .expect("a robot holds the part");
    shipped(&mut app, made(robot), 51.0);
    shipped(&mut app, handled, 1.0);
    run(&mut app, 10);
    let (at, riding, _) = find_part(&mut app, front);
    assert_eq!(riding, Some(Riding::Buffer(2)));
    assert!(at.x > 11.3 && at.x < 11.9, "{at}");
    // The packer takes it, and ships it: onto the outfeed and into the bin.
    shipped(&mut app, handled, 0.0);
    run(&mut app, 3);
    let pack = twin_entity(&mut app, "pack-1");
    assert_eq!(find_part(&mut app, front).2, Some(pack));
    shipped(&mut app, counter, 101.0);
    run(&mut app, 15);
    let (at, riding, _) = find_part(&mut app, front);
    assert_eq!(riding, Some(Riding::Outfeed));
    assert!(
        at.distance(Vec3::new(13.5, 0.15, 7.3)) < 1.3,
        "in the bin: {at}"
    );
    let flow = app.world().resource::<Flow>().clone();
    assert_eq!(
        (flow.released, flow.counted, flow.in_bin, flow.at_machines),
        (1, 1, 1, 0),
        "{flow:?}"
    );
    // Mill → belt, belt → press, press → belt, belt → robot, robot → belt,
    // belt → packer, packer → outfeed.
    assert_eq!(flow.transfers, 7, "{flow:?}");

    // Faster than the readings: press 1 takes the next part, finishes it and
    // a robot takes it between two readings, so the transfer conveyor's
    // level never moves. The part goes from the press to a robot all the
    // same (no part is left behind in the press).
    let next = on_buffer(&mut app, 0)[0].0;
    shipped(&mut app, milled, 1.0);
    run(&mut app, 3);
    assert_eq!(find_part(&mut app, next).2, Some(press1));
    shipped(&mut app, made("press-1"), 52.0);
    run(&mut app, 4);
    let robots = [
        twin_entity(&mut app, "robot-1"),
        twin_entity(&mut app, "robot-2"),
    ];
    let (_, riding, parked) = find_part(&mut app, next);
    assert!(
        riding.is_none() && parked.is_some_and(|m| robots.contains(&m)),
        "{riding:?} {parked:?}"
    );
    assert!(on_buffer(&mut app, 1).is_empty());
    assert_eq!(app.world().resource::<Flow>().at_machines, 1);

    // The snapshot reports each belt against its level sensor.
    let snap = twinscape::snapshot::take(app.world_mut());
    let f = snap.flow.expect("the factory has a flow");
    let belts: Vec<(&str, Option<f64>, u64)> = f
        .buffers
        .iter()
        .map(|b| (b.station.as_str(), b.level, b.on_belt))
        .collect();
    assert_eq!(
        belts,
        [
            ("milling", Some(1.0), 1),
            ("pressing", Some(0.0), 0),
            ("handling", Some(0.0), 0)
        ]
    );
}

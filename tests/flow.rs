//! Parts as rigid bodies: each part the line reports made drops onto the
//! outfeed belt, is carried past the photo-eye (which counts it) and falls
//! into the bin, where parts come to rest in a stable pile. Headless, at
//! the fixed 1/60 s physics step.

use bevy::prelude::*;
use bevy_rapier3d::prelude::Velocity;
use twinscape::app::{Options, stepped_headless_app};
use twinscape::flow::{Flow, Part};
use twinscape::scene::format::parse;
use twinscape::telemetry::{Sample, SampleChannel, TelemetrySource, now_ms};

mod common;

fn shipped(app: &mut App, sensor: u32, count: f64) {
    app.world()
        .resource::<SampleChannel>()
        .tx
        .send(Sample {
            sensor,
            value: count,
            time_ms: now_ms(),
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

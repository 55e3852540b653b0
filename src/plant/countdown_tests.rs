//! The default factory as an operator sees it: the simulated plant's
//! readings through each sensor's scene-chosen predictor (`auto` by
//! default) and countdown rule, asked for "alarm in …" every few seconds.
//! Healthy machines warming up and cycling must never count down; the
//! wearing machine must, before its alarm.

use super::signal::Plant;
use crate::scene::format::parse;
use crate::scene::history_for;
use crate::scene::models::load_from_disk;

/// The plant's default rate (samples per second per sensor).
const RATE_HZ: f64 = 5.0;
/// Minutes watched: the wearing press reaches its alarm within them.
const WATCH_S: f64 = 480.0;
/// How often the countdowns are asked for, in seconds.
const ASK_EVERY_S: f64 = 2.0;

#[test]
fn the_factory_counts_down_only_on_the_wearing_machine_and_before_its_alarm() {
    for seed in [11, 3, 29, 101] {
        watch_the_factory(seed);
    }
}

fn watch_the_factory(seed: u64) {
    let text = include_str!("../../scenes/factory.scene.ron");
    let scene = parse(text, "factory").unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let models = load_from_disk(&scene, text, "factory", &assets).unwrap();
    let mut plant = Plant::new(&scene, seed);
    let wearing = plant.wearing.expect("the factory has a wearing machine");
    let sensors: Vec<(usize, &crate::scene::format::SensorDef)> = scene
        .twins
        .iter()
        .enumerate()
        .flat_map(|(m, t)| t.sensors.iter().map(move |s| (m, s)))
        .collect();
    let mut histories: Vec<_> = sensors
        .iter()
        .map(|(_, s)| history_for(s, &models))
        .collect();
    let t0_ms = 1_700_000_000_000u64;
    let dt = 1.0 / RATE_HZ;
    let ask_every = (ASK_EVERY_S * RATE_HZ) as usize;
    let mut false_countdowns = Vec::new();
    let mut first_countdown: Option<(f64, String)> = None;
    let mut first_alarm: Option<(f64, String)> = None;
    for step in 1..=(WATCH_S * RATE_HZ) as usize {
        plant.step(dt);
        let now_ms = t0_ms + (step as f64 * dt * 1000.0).round() as u64;
        let now = now_ms as f64 / 1000.0;
        let t = step as f64 * dt;
        for (i, &value) in plant.readings().iter().enumerate() {
            histories[i].record(value, now_ms);
            let (machine, def) = sensors[i];
            let Some(alarm) = def.alarm else { continue };
            let who = format!("{}/{}", scene.twins[machine].id, def.name);
            if value >= alarm && first_alarm.is_none() {
                first_alarm = Some((t, who.clone()));
            }
            if step % ask_every != 0 {
                continue;
            }
            if let Some(c) = histories[i].countdown(alarm, now) {
                if machine == wearing {
                    first_countdown.get_or_insert((t, format!("{who}: {c:?}")));
                } else {
                    false_countdowns.push(format!("{t:.0} s {who}: {c:?}"));
                }
            }
        }
    }
    assert!(
        false_countdowns.is_empty(),
        "seed {seed}: healthy machines counted down: {false_countdowns:#?}"
    );
    let (alarm_at, alarmed) = first_alarm.expect("the wearing machine reaches its alarm");
    let (counted_at, what) = first_countdown
        .unwrap_or_else(|| panic!("seed {seed}: the wearing machine never counted down"));
    assert!(
        counted_at < alarm_at,
        "seed {seed}: countdown at {counted_at} s ({what}) after the alarm at {alarm_at} s ({alarmed})"
    );
    println!(
        "seed {seed}: first countdown {counted_at} s: {what}; first alarm {alarm_at} s: {alarmed}"
    );
}

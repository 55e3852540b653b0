//! The headless twin on a generated city: the frame (apply, analytics,
//! alarms, rating) with every sensor getting one sample, and the memory a
//! twin costs.
//!
//! ```sh
//! cargo bench --bench city_scale -- 100000
//! ```
//!
//! For each size given (buildings; default 100,000) it writes a city with
//! `twinscape import --synthetic`'s generator (buildings with one sensor,
//! energy, and streets with one, speed), loads it in the stepped headless
//! app and sends one sample to every sensor before each frame. The first
//! `FILL_FRAMES` frames fill every sensor's window (600 samples); then
//! `TIMED_FRAMES` frames of the steady state are timed. Memory is the
//! process's resident set: before the app, once the city is spawned, and
//! once every window is full; per twin, with the window's own samples
//! (600 × 16 bytes) shown beside it. Once the city is spawned it also
//! prints the ECS tables with room for a thousand rows or more (rows, room,
//! bytes a row, components): where the twins' own memory is.

use std::time::Instant;

use twinscape::app::stepped_headless_app;
use twinscape::telemetry::{Ingest, Sample, SampleChannel};

#[path = "support/city.rs"]
mod support;

const FILL_FRAMES: u64 = 600;
const TIMED_FRAMES: u64 = 25;
/// A window's samples: 600 of (time, value), f64 each.
const WINDOW_BYTES: f64 = 600.0 * 16.0;

/// The resident set, bytes (Linux).
fn rss() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0
}

/// The ECS tables holding more than a thousand rows' room: rows, room,
/// bytes of room (the columns' sizes times the room) and their components.
fn tables(world: &bevy::ecs::world::World) {
    let mut seen = std::collections::HashSet::new();
    for archetype in world.archetypes().iter() {
        let id = archetype.table_id();
        let Some(table) = world.storages().tables.get(id) else {
            continue;
        };
        if table.capacity() < 1_000 || !seen.insert(id.as_usize()) {
            continue;
        }
        let mut row = 0;
        let mut names = vec![];
        for c in archetype.components() {
            if let Some(info) = world.components().get_info(*c)
                && table.has_column(*c)
            {
                row += info.layout().size();
                names.push(format!(
                    "{}:{}",
                    info.name().shortname(),
                    info.layout().size()
                ));
            }
        }
        eprintln!(
            "  table {:?}: {} rows, room {}, {} B a row, {:.1} MB: {}",
            id,
            table.entity_count(),
            table.capacity(),
            row,
            (row * table.capacity()) as f64 / 1e6,
            names.join(" ")
        );
    }
}

fn run(buildings: usize) {
    let city = support::generated(buildings, "city-scale");
    let sensors = city.sensors();
    let twins = f64::from(sensors);
    let before = rss();
    let opts = city.options();
    let started = Instant::now();
    let mut app = stepped_headless_app(&opts).expect("the generated city loads");
    let load_s = started.elapsed().as_secs_f64();
    let spawned = rss();
    tables(app.world());
    let tx = app.world().resource::<SampleChannel>().tx.clone();
    let now = twinscape::telemetry::now_ms();
    let mut times = vec![];
    for frame in 0..FILL_FRAMES + TIMED_FRAMES {
        for sensor in 0..sensors {
            let value = ((frame * 7_919 + u64::from(sensor) * 13) % 400) as f64;
            tx.try_send(Sample {
                sensor,
                value,
                time_ms: now + frame * 1_000,
                stamp_ms: None,
            })
            .expect("the channel holds a frame's samples");
        }
        let t = Instant::now();
        app.update();
        if frame % 100 == 0 {
            eprintln!("frame {frame}: resident {:.0} MB", rss() / 1e6);
        }
        if frame >= FILL_FRAMES {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let full = rss();
    let c = app.world().resource::<Ingest>().counters.clone();
    assert_eq!(
        c.get(&c.applied),
        (FILL_FRAMES + TIMED_FRAMES) * u64::from(sensors)
    );
    times.sort_by(f64::total_cmp);
    println!(
        "city of {} buildings + {} streets ({sensors} twins, one sensor each): loaded in {load_s:.1} s; frame median {:.2} ms (min {:.2}, max {:.2}) over {TIMED_FRAMES} frames after {FILL_FRAMES} that fill the windows",
        city.buildings,
        city.streets,
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
    );
    println!(
        "  memory per twin: {:.0} B spawned; {:.0} B with full windows, of which the window's samples {WINDOW_BYTES:.0} B: {:.0} B besides (resident set {:.0} → {:.0} → {:.0} MB)",
        (spawned - before) / twins,
        (full - before) / twins,
        (full - before) / twins - WINDOW_BYTES,
        before / 1e6,
        spawned / 1e6,
        full / 1e6,
    );
}

fn main() {
    for n in support::sizes() {
        run(n);
    }
}

//! Benchmarks of the browser build (not tests: run by hand, figures in
//! BENCHMARKS.md). Build the bundle first (`scripts/build-web.sh`, the size
//! profile, for published figures), then
//!
//!     cargo test --test browser_bench -- --ignored --nocapture
//!
//! `TWINSCAPE_NATIVE_BIN=target/release/twinscape` compares the page with a
//! release build of the native twin (default: this test profile's binary).
//! Measures, in one run: the first frame after navigation (three fresh
//! Chromiums), the page's frame time, and the samples per second the page
//! and a native headless twin apply side by side while an outside client
//! floods the same broker.

#[path = "support/chromium.rs"]
mod chromium;
mod common;
#[path = "support/procs.rs"]
mod procs;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chromium::Chromium;
use common::{Publisher, free_port};
use procs::{counter, twinscape};
use serde_json::Value;

/// Seconds the flood lasts.
const FLOOD_S: f64 = 15.0;

fn live(s: &Value) -> bool {
    s["frames"].as_u64().unwrap_or(0) > 0
        && s["ingest"]["link"] == "connected"
        && counter(s, "applied") > 0
}

#[test]
#[ignore = "a benchmark: needs the bundle (scripts/build-web.sh) and chromium"]
fn first_frame_frame_time_and_flood_side_by_side() {
    let (port, ws) = (free_port(), free_port());
    let (p, w) = (port.to_string(), ws.to_string());
    let serve = twinscape(
        &[
            "serve",
            "--http",
            "0",
            "--port",
            &p,
            "--ws-port",
            &w,
            "--sim-rate",
            "1",
        ],
        "open http://",
    );
    let url = format!("http://127.0.0.1:{}/", serve.http.unwrap());
    let wasm = std::fs::metadata("web/dist/twinscape-web_bg.wasm").map_or(0, |m| m.len());
    println!("bundle: {:.1} MB raw", wasm as f64 / 1e6);

    let mut firsts = Vec::new();
    for _ in 0..3 {
        let mut page = Chromium::start(1280, 720);
        page.navigate(&url);
        let s = page.until("the page live", Duration::from_secs(240), live);
        firsts.push((
            s["first_frame_ms"].as_f64().unwrap_or(f64::NAN),
            s["first_twin_frame_ms"].as_f64().unwrap_or(f64::NAN),
        ));
    }
    println!("first frame / first frame with the twins (ms after navigation): {firsts:?}");

    let mut page = Chromium::start(1280, 720);
    page.navigate(&url);
    page.until("the page live", Duration::from_secs(240), live);
    std::thread::sleep(Duration::from_secs(5));
    let (f0, t0) = (page.snapshot()["frames"].as_u64().unwrap(), Instant::now());
    std::thread::sleep(Duration::from_secs(20));
    let frames = page.snapshot()["frames"].as_u64().unwrap() - f0;
    println!(
        "frame time, quiet (1 Hz plant): {:.0} ms ({frames} frames in {:.1} s)",
        t0.elapsed().as_secs_f64() * 1e3 / frames as f64,
        t0.elapsed().as_secs_f64()
    );

    // The native twin beside the page, on the same broker.
    let native_bin = std::env::var("TWINSCAPE_NATIVE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_twinscape").to_string());
    let out = std::env::temp_dir().join(format!("flood-{port}.json"));
    let run_for = (FLOOD_S + 6.0).to_string();
    let broker = format!("mqtt://127.0.0.1:{port}");
    let mut native = std::process::Command::new(&native_bin)
        .args([
            "headless",
            "--broker",
            &broker,
            "--for",
            &run_for,
            "--snapshot",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let before = page.snapshot();
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let flood = {
        let (stop, sent) = (stop.clone(), sent.clone());
        std::thread::spawn(move || {
            let publisher = Publisher::connect(port);
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                publisher.publish_qos0(
                    "sensor/temperature",
                    &format!("{}", 40.0 + (i % 100) as f64 * 0.1),
                );
                i += 1;
                sent.store(i, Ordering::Relaxed);
            }
        })
    };
    std::thread::sleep(Duration::from_secs_f64(FLOOD_S));
    stop.store(true, Ordering::Relaxed);
    flood.join().unwrap();
    let window = started.elapsed().as_secs_f64();
    let after = page.snapshot();
    let page_rate = (counter(&after, "applied") - counter(&before, "applied")) as f64 / window;
    let page_frames = after["frames"].as_u64().unwrap() - before["frames"].as_u64().unwrap();
    let _ = native.wait();
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let native_life = FLOOD_S + 6.0;
    println!(
        "flood: {} messages sent in {window:.1} s ({:.0}/s); the page applied {page_rate:.0}/s \
         ({:.0} ms a frame meanwhile); the native twin ({native_bin}) applied {} in its {native_life} s \
         ({:.0}/s over the flood); page / native = {:.3}",
        sent.load(Ordering::Relaxed),
        sent.load(Ordering::Relaxed) as f64 / window,
        window * 1e3 / page_frames.max(1) as f64,
        counter(&snap, "applied"),
        counter(&snap, "applied") as f64 / window,
        page_rate / (counter(&snap, "applied") as f64 / window)
    );
}

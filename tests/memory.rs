//! The zero-setup default (embedded broker and simulated plant) does not
//! grow while it runs: the embedded broker holds only what is in flight.
//! A short version of the soak in BENCHMARKS.md (`scripts/soak.sh`).

mod common;

use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// Resident memory of a process in MB (Linux).
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kb / 1024.0
}

#[test]
#[ignore = "a 150 s soak, mostly waiting: scripts/test.sh runs it beside the browser build"]
fn the_default_run_stays_flat_while_it_carries_messages() {
    // 50 readings a second per sensor (ten times the default): before the
    // broker's log was bounded this grew by about 50 MB a minute.
    let mut child = twinscape()
        .args([
            "headless",
            "--port",
            &free_port().to_string(),
            "--ws-port",
            &free_port().to_string(),
            "--sim-rate",
            "50",
            "--for",
            "200",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let at = |secs: u64| {
        thread::sleep(Duration::from_secs(secs).saturating_sub(start.elapsed()));
        rss_mb(child.id())
    };
    // Windows, alarms and the broker's bounded logs fill in the first minute.
    let warm = at(60);
    let mid = at(105);
    let end = at(150);
    let _ = child.kill();
    let _ = child.wait();
    println!("resident memory: {warm:.1} MB at 60 s, {mid:.1} MB at 105 s, {end:.1} MB at 150 s");
    assert!(
        end - warm < 6.0,
        "grew {:.1} MB in 90 s after warm-up ({warm:.1} → {mid:.1} → {end:.1} MB)",
        end - warm
    );
}

//! The viewer renders the live factory: run it under Xvfb with Mesa's
//! lavapipe, save a screenshot, and check the picture is a scene, not a blank
//! window. (Look at target/screenshots/factory.png after a run.)

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

#[test]
fn the_viewer_renders_the_live_factory() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/factory.png");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = env!("CARGO_BIN_EXE_twinscape");
    let args = [
        "view",
        "--port",
        &port.to_string(),
        "--select",
        "press-1",
        "--frames",
        "60",
        "--screenshot",
        &out.to_string_lossy(),
    ]
    .map(String::from);
    let mut cmd = if std::env::var_os("DISPLAY").is_some() {
        let mut c = Command::new(bin);
        c.args(&args);
        c
    } else {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1280x720x24", bin])
            .args(&args);
        c
    };
    let output = cmd
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running the viewer (needs xvfb-run and mesa-vulkan-drivers: see .ci/run)");
    assert!(
        output.status.success(),
        "viewer failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    let img = image::open(&out).expect("a PNG was written").to_rgb8();
    assert_eq!((img.width(), img.height()), (1280, 720));
    let colours: HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() > 500,
        "only {} distinct colours: a blank or flat image",
        colours.len()
    );
    let clear = [14u8, 16, 19];
    let background = img
        .pixels()
        .filter(|p| p.0.iter().zip(clear).all(|(a, b)| a.abs_diff(b) <= 3))
        .count();
    let share = 1.0 - background as f64 / (img.width() * img.height()) as f64;
    assert!(
        share > 0.3,
        "only {:.0}% of the picture differs from the background",
        share * 100.0
    );
    // Status colours show: some clearly green, orange or blue machine pixels.
    let tinted = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0.map(i32::from);
            (g > r + 40 && g > b + 20) || (r > g + 60 && r > b + 60) || (b > r + 60 && b > g + 20)
        })
        .count();
    assert!(
        tinted > 2000,
        "{tinted} status-coloured pixels: machines are not tinted by their data"
    );
}

//! The viewer renders the live factory: run it under Xvfb with Mesa's
//! lavapipe, save a screenshot, and check the picture is a scene, not a blank
//! window. (Look at target/screenshots/*.png after a run.)

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Runs `twinscape view ARGS --frames 60 --screenshot OUT`, under Xvfb when
/// there is no display.
fn view(args: &[&str], out: &Path) {
    let bin = env!("CARGO_BIN_EXE_twinscape");
    let mut args: Vec<String> = std::iter::once("view")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    args.extend(["--frames".into(), "60".into(), "--screenshot".into()]);
    args.push(out.to_string_lossy().into_owned());
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
}

/// Pixels within `tol` of `rgb` inside the rectangle x0..x1, y0..y1.
fn count_colour(
    img: &image::RgbImage,
    rgb: [u8; 3],
    tol: u8,
    (x0, y0, x1, y1): (u32, u32, u32, u32),
) -> usize {
    img.enumerate_pixels()
        .filter(|(x, y, p)| {
            (x0..x1).contains(x)
                && (y0..y1).contains(y)
                && p.0.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= tol)
        })
        .count()
}

#[test]
fn the_replayed_sensor_plot_shows_history_forecast_limits_and_anomalies() {
    // press-2's temperature (its predictor is the default, `auto`; press 1's
    // is an ONNX model that needs 90 s of history) rising 0.5 °C/s from
    // 40 °C for a minute, with one
    // spike of +15 °C at 30 s: a rising trend heading for the 80 °C alarm,
    // and one anomaly.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join("press-ramp.csv");
    let mut csv = String::from("time,twin,sensor,value\n");
    for i in 0..60 {
        let v = 40.0 + 0.5 * i as f64 + if i == 30 { 15.0 } else { 0.0 };
        writeln!(csv, "{},press-2,temperature,{v}", 1_764_150_000 + i).unwrap();
    }
    std::fs::write(&csv_path, csv).unwrap();
    let out = dir.join("plot.png");
    view(
        &[
            "--replay",
            &csv_path.to_string_lossy(),
            "--speed",
            "max",
            "--select",
            "press-2/temperature",
        ],
        &out,
    );
    let img = image::open(&out).expect("a PNG was written").to_rgb8();
    // The plot window sits at the bottom left.
    let plot_area = (0, 360, 760, 720);
    let forecast = count_colour(&img, [90, 160, 255], 25, plot_area);
    let alarm_line = count_colour(&img, [217, 20, 15], 40, plot_area);
    let anomaly = count_colour(&img, [255, 80, 200], 30, plot_area);
    let history = count_colour(&img, [220, 225, 235], 20, plot_area);
    assert!(forecast > 100, "{forecast} forecast-blue pixels");
    assert!(alarm_line > 200, "{alarm_line} alarm-red pixels");
    assert!(anomaly > 20, "{anomaly} anomaly-pink pixels");
    assert!(history > 100, "{history} history pixels");
}

#[test]
fn the_viewer_renders_the_live_factory() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/factory.png");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    view(&["--port", &port.to_string(), "--select", "press-1"], &out);

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

/// The median colour of the 9×9 pixels around (x, y).
fn median_colour(img: &image::RgbImage, x: f64, y: f64) -> [i32; 3] {
    let (cx, cy) = (x.round() as i64, y.round() as i64);
    let mut channels: [Vec<i32>; 3] = Default::default();
    for dy in -4..=4 {
        for dx in -4..=4 {
            let p = img.get_pixel((cx + dx) as u32, (cy + dy) as u32).0;
            for (c, v) in channels.iter_mut().zip(p) {
                c.push(i32::from(v));
            }
        }
    }
    channels.map(|mut c| {
        c.sort_unstable();
        c[c.len() / 2]
    })
}

#[test]
fn machines_take_the_colour_of_their_data() {
    // CNC mill 1 at 90 °C (past its 85 °C alarm), CNC mill 2 at 30 °C (low
    // in its 20–70 °C range), CNC mill 3 with no data.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = dir.join("tint.csv");
    let mut csv = String::from("time,twin,sensor,value\n");
    for i in 0..8 {
        writeln!(csv, "{},cnc-1,temperature,90", 1_764_150_000 + i).unwrap();
        writeln!(csv, "{},cnc-2,temperature,30", 1_764_150_000 + i).unwrap();
    }
    std::fs::write(&csv_path, csv).unwrap();
    let out = dir.join("tint.png");
    view(
        &["--replay", &csv_path.to_string_lossy(), "--speed", "max"],
        &out,
    );
    let img = image::open(&out).expect("a PNG was written").to_rgb8();
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.with_extension("twins.json")).unwrap())
            .unwrap();
    let colour_of = |id: &str| {
        let t = sidecar
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in {sidecar}"));
        median_colour(&img, t["x"].as_f64().unwrap(), t["y"].as_f64().unwrap())
    };
    let ([r1, g1, b1], [r2, g2, b2], [r3, g3, b3]) =
        (colour_of("cnc-1"), colour_of("cnc-2"), colour_of("cnc-3"));
    assert!(
        r1 > g1 + 60 && r1 > b1 + 60,
        "cnc-1 in alarm is red: {:?}",
        [r1, g1, b1]
    );
    // 30 °C is a fifth of the way up the range: the ramp's cool blue
    // leaning to green (blue still the strongest; near the top it would be
    // amber, red the strongest).
    assert!(
        b2 > r2 + 60 && b2 > g2,
        "cnc-2, low in its range, is blue: {:?}",
        [r2, g2, b2]
    );
    let spread = r3.max(g3).max(b3) - r3.min(g3).min(b3);
    assert!(
        spread < 30,
        "cnc-3 without data is grey: {:?}",
        [r3, g3, b3]
    );
}

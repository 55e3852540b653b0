//! Your own ONNX model: the shipped one (scikit-learn, exported with
//! skl2onnx) gives what onnxruntime gives on the same inputs, forecasts
//! press 1's temperature in the running twin, shows in a backtest beside the
//! built-in models, and a missing or mis-shaped model is a scene error.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use twinscape::analytics::onnx::OnnxModel;
use twinscape::plant::Rng;

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/models/press_temperature.onnx"
);

/// The venv's python, which scripts/test.sh gives onnxruntime, scikit-learn and skl2onnx.
fn python() -> &'static str {
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/target/onnx-venv/bin/python");
    assert!(
        std::path::Path::new(python).exists(),
        "{python} is missing: ./scripts/test.sh installs onnxruntime there"
    );
    python
}

/// onnxruntime's outputs for `inputs`, by scripts/onnx_reference.py.
fn onnxruntime(inputs: &[Vec<f32>]) -> Vec<f64> {
    let mut child = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/onnx_reference.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let request = serde_json::json!({ "model": MODEL, "inputs": inputs });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn tract_gives_what_onnxruntime_gives_on_the_same_inputs() {
    let model = OnnxModel::load(&std::fs::read(MODEL).unwrap(), 30).unwrap();
    let mut rng = Rng::new(4);
    // Temperatures a press sees, and some it never does.
    let inputs: Vec<Vec<f32>> = (0..200)
        .map(|i| {
            let base = if i % 10 == 0 {
                -200.0
            } else {
                50.0 + 10.0 * rng.normal()
            };
            (0..30)
                .map(|_| (base + rng.normal() * 5.0) as f32)
                .collect()
        })
        .collect();
    let reference = onnxruntime(&inputs);
    for (input, want) in inputs.iter().zip(reference) {
        let got = model.run(input).unwrap() as f64;
        // Within 1e-5 for values below 10, else a millionth of the largest
        // of the inputs and the output: a few f32 steps, as the two runtimes
        // add the 30 products in different orders (-165.30582 against
        // -165.30576 was seen, and 10.22970 against 10.22968 from inputs
        // near 40).
        let size = input.iter().fold(want.abs(), |m, x| m.max(x.abs() as f64));
        assert!(
            (got - want).abs() <= 1e-6 * size.max(10.0),
            "tract {got} vs onnxruntime {want} on {input:?}"
        );
    }
}

#[test]
fn the_model_forecasts_press_1_in_the_twin_and_stands_beside_the_builtins_in_a_backtest() {
    let csv = tmp("onnx-plant.csv");
    succeed(
        twinscape()
            .args(["simulate", "--for", "240", "--out"])
            .arg(&csv),
    );
    let snap_path = tmp("onnx-snap.json");
    succeed(
        twinscape()
            .args(["headless", "--speed", "max", "--replay"])
            .arg(&csv)
            .arg("--snapshot")
            .arg(&snap_path),
    );
    let snap = read_snapshot(&snap_path);
    let temp = sensor_json(twin_json(&snap, "press-1"), "temperature");
    assert_eq!(temp["forecast"]["predictor"], "onnx", "{temp}");
    assert_eq!(temp["forecast"]["model"], "onnx", "{temp}");
    let (low, high) = (
        temp["forecast"]["low"].as_f64().unwrap(),
        temp["forecast"]["high"].as_f64().unwrap(),
    );
    assert!(low < high, "{temp}");
    let out = succeed(
        twinscape()
            .args(["backtest", "--models", "scene,auto,linear", "--replay"])
            .arg(&csv),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for model in ["scene", "auto", "linear"] {
        assert!(table.lines().any(|l| l.starts_with(model)), "{table}");
    }
}

#[test]
fn a_missing_or_mis_shaped_model_is_a_scene_error_at_its_name() {
    let factory = std::fs::read_to_string(factory_scene()).unwrap();
    let line = factory[..factory.find("\"models/press_temperature.onnx\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    for (from, to, says) in [
        (
            "models/press_temperature.onnx",
            "models/nowhere.onnx",
            "ONNX model \"models/nowhere.onnx\": ",
        ),
        (
            "last: 30, step_s",
            "last: 12, step_s",
            "takes [?, 30] values, not [1, 12]",
        ),
    ] {
        let scene = tmp("bad-onnx.scene.ron");
        std::fs::write(&scene, factory.replacen(from, to, 1)).unwrap();
        let out = twinscape()
            .args(["headless", "--for", "5", "--scene"])
            .arg(&scene)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.contains(&format!("bad-onnx.scene.ron:{line}:")),
            "{err}"
        );
    }
}

#[test]
fn the_training_script_makes_a_model_the_twin_loads() {
    let (csv, onnx) = (tmp("train.csv"), tmp("trained.onnx"));
    succeed(
        twinscape()
            .args(["simulate", "--for", "600", "--seed", "3", "--out"])
            .arg(&csv),
    );
    let out = succeed(
        Command::new(python())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/train_onnx.py"
            ))
            .arg(&csv)
            .arg(&onnx)
            .args([
                "--twin",
                "press-1",
                "--sensor",
                "temperature",
                "--last",
                "20",
            ]),
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("holdout RMSE") && said.contains("last: 20, step_s: 1.0, horizon_s: 60.0"),
        "{said}"
    );
    let model = OnnxModel::load(&std::fs::read(&onnx).unwrap(), 20).unwrap();
    assert!(model.run(&[50.0; 20]).unwrap().is_finite());
}

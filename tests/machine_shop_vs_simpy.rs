//! The machine shop on twinscape's engine against SimPy's, same model: the
//! two must agree within sampling error. SimPy runs from PyPI
//! (`scripts/test.sh` puts it in `target/simpy-venv`; or set TWINSCAPE_PYTHON
//! to a Python that has it).

use std::process::Command;

use twinscape::sim::machine_shop::{ShopConfig, run};

/// A Python that can `import simpy`.
fn python() -> String {
    let candidates = [
        std::env::var("TWINSCAPE_PYTHON").ok(),
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/target/simpy-venv/bin/python").to_string()),
        Some("python3".to_string()),
    ];
    for py in candidates.into_iter().flatten() {
        let ok = Command::new(&py)
            .args(["-c", "import simpy"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return py;
        }
    }
    panic!(
        "SimPy is needed for this comparison: run scripts/test.sh (it installs SimPy into target/simpy-venv), or `pip install simpy` and set TWINSCAPE_PYTHON"
    );
}

/// Per run: parts per machine, breakdowns per machine, other jobs done.
type Run = [f64; 3];

fn summarise(parts: &[u64], failures: &[u64], other_jobs: u64) -> Run {
    let n = parts.len() as f64;
    [
        parts.iter().sum::<u64>() as f64 / n,
        failures.iter().sum::<u64>() as f64 / n,
        other_jobs as f64,
    ]
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

#[test]
fn the_machine_shop_agrees_with_simpy_within_sampling_error() {
    // 400 SimPy runs (about 35 s here) and 2,000 of ours: the standard
    // error of the difference in parts per machine is then about 2.2 parts
    // (sd ~40), so |t| < 4 detects a bias of about ±9 parts per machine in
    // ~3,310 (0.3%); with 40 SimPy runs it let ±31 through. The test prints
    // the detectable bias of each figure.
    let simpy_runs = 400;
    let output = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/simpy/machine_shop.py"
        ))
        .args(["--seeds", "1", &simpy_runs.to_string(), "--weeks", "4"])
        .output()
        .expect("running SimPy");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let simpy: Vec<Run> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let list = |k: &str| -> Vec<u64> {
                v[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect()
            };
            summarise(
                &list("parts"),
                &list("failures"),
                v["other_jobs"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(simpy.len(), simpy_runs);

    let ours: Vec<Run> = (1..=2000)
        .map(|seed| {
            let r = run(&ShopConfig {
                seed,
                ..ShopConfig::default()
            });
            summarise(&r.parts, &r.failures, r.other_jobs)
        })
        .collect();

    for (k, what) in ["parts per machine", "breakdowns per machine", "other jobs"]
        .iter()
        .enumerate()
    {
        let a: Vec<f64> = ours.iter().map(|r| r[k]).collect();
        let b: Vec<f64> = simpy.iter().map(|r| r[k]).collect();
        let ((ma, va), (mb, vb)) = (mean_var(&a), mean_var(&b));
        let se = (va / a.len() as f64 + vb / b.len() as f64).sqrt();
        let t = (ma - mb) / se;
        println!(
            "{what}: twinscape {ma:.2} (sd {:.2}), SimPy {mb:.2} (sd {:.2}), Welch t = {t:.2}; |t| < 4 detects a bias of ±{:.1}",
            va.sqrt(),
            vb.sqrt(),
            4.0 * se
        );
        // |t| < 4: a false alarm about once in 15,000 runs of this test.
        assert!(
            t.abs() < 4.0,
            "{what}: twinscape {ma:.2} vs SimPy {mb:.2}, t = {t:.2}"
        );
        // And the spread of runs agrees too (the ratio of variances).
        let ratio = va / vb;
        assert!(
            (0.4..2.5).contains(&ratio),
            "{what}: variance ratio {ratio:.2}"
        );
    }
}

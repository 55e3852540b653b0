//! Your own forecasting model: an ONNX file (for example a scikit-learn
//! regressor exported with skl2onnx) run in process by tract, a pure-Rust
//! runtime. Its input is the sensor's last `last` values, one every `step_s`
//! seconds (the latest sample at or before each time), as a `[1, last]`
//! float tensor; its output is one number, the value `horizon_s` seconds
//! after the latest sample.
//!
//! The curve runs straight from the latest value to that prediction (and on
//! beyond it, but a countdown trusts it only to `horizon_s`). Its spread is
//! the model's own error in hindsight: the same model run on the window as
//! it was `horizon_s` and more before, against what came `horizon_s` later.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::GenericFactoid;

use super::curve::{Curve, Shape};
use super::predict::Predictor;

/// Hindsight runs per curve (fewer when the window is short).
const HINDSIGHT_RUNS: usize = 16;
/// A curve needs at least this many hindsight runs to know its error.
const HINDSIGHT_MIN: usize = 3;

/// A loaded and checked model, ready to run.
pub struct OnnxModel {
    plan: Arc<TypedRunnableModel>,
    /// Values it takes.
    pub last: usize,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OnnxModel(last {})", self.last)
    }
}

impl OnnxModel {
    /// Reads an ONNX model that takes `[1, last]` floats and gives one
    /// number; says why not otherwise.
    pub fn load(bytes: &[u8], last: usize) -> Result<OnnxModel, String> {
        let model = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(|e| format!("not an ONNX model: {}", root_cause(&e)))?;
        let inputs = model.input_outlets().map_or(0, |o| o.len());
        if inputs != 1 {
            return Err(format!(
                "the model has {inputs} inputs; one is needed, [1, {last}] floats"
            ));
        }
        // What the file declares (skl2onnx: [None, n]) must agree with `last`.
        let declared = model
            .input_fact(0)
            .map_err(|e| format!("the model has no input: {e}"))?;
        let dims: Vec<Option<i64>> = declared
            .shape
            .dims()
            .map(|d| match d {
                GenericFactoid::Only(dim) => dim.to_i64().ok(),
                GenericFactoid::Any => None,
            })
            .collect();
        if dims.len() != 2 || dims[1].is_some_and(|n| n != last as i64) {
            let shown: Vec<String> = dims
                .iter()
                .map(|d| d.map_or("?".into(), |n| n.to_string()))
                .collect();
            return Err(format!(
                "the model takes [{}] values, not [1, {last}] (`last: {last}`)",
                shown.join(", ")
            ));
        }
        let typed = model
            .with_input_fact(0, f32::fact([1, last]).into())
            .and_then(|m| m.into_optimized())
            .map_err(|e| {
                format!(
                    "the model does not take [1, {last}] floats (`last: {last}`): {}",
                    root_cause(&e)
                )
            })?;
        let out = typed
            .output_fact(0)
            .map_err(|e| format!("the model has no output: {e}"))?;
        let volume: usize = out
            .shape
            .as_concrete()
            .map_or(0, |dims| dims.iter().product());
        if volume != 1 {
            return Err(format!(
                "the model's output is {:?}; one number is needed (the value ahead)",
                out.shape
            ));
        }
        let plan = typed
            .into_runnable()
            .map_err(|e| format!("the model cannot run: {}", root_cause(&e)))?;
        let loaded = OnnxModel { plan, last };
        loaded.run(&vec![0.0; last])?;
        Ok(loaded)
    }

    /// The model's output for `values` (`last` of them).
    pub fn run(&self, values: &[f32]) -> Result<f32, String> {
        let input = Tensor::from_shape(&[1, self.last], values).map_err(|e| e.to_string())?;
        let out = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| format!("the model failed: {}", root_cause(&e)))?;
        let view = out[0]
            .to_plain_array_view::<f32>()
            .map_err(|e| e.to_string())?;
        view.iter()
            .next()
            .copied()
            .ok_or_else(|| "the model gave no output".to_string())
    }
}

fn root_cause(e: &TractError) -> String {
    e.root_cause().to_string()
}

/// The predictor a scene's `Onnx(...)` entry makes.
#[derive(Debug, Clone)]
pub struct Learned {
    pub model: Arc<OnnxModel>,
    pub step_s: f64,
    pub horizon_s: f64,
}

impl Learned {
    /// The model's input for the window ending at `end` (time): the latest
    /// sample at or before each of `last` times `step_s` apart.
    fn input(&self, samples: &[(f64, f64)], end: f64) -> Option<Vec<f32>> {
        let last = self.model.last;
        let first = end - (last - 1) as f64 * self.step_s;
        if samples.first()?.0 > first {
            return None;
        }
        Some(
            (0..last)
                .map(|k| value_at(samples, first + k as f64 * self.step_s) as f32)
                .collect(),
        )
    }

    /// Root mean square of the model's misses in hindsight over the window.
    fn hindsight(&self, samples: &[(f64, f64)]) -> Option<f64> {
        let (t0, t_end) = (samples.first()?.0, samples.last()?.0);
        let earliest = t0 + (self.model.last - 1) as f64 * self.step_s;
        let latest = t_end - self.horizon_s;
        if latest < earliest {
            return None;
        }
        let runs = HINDSIGHT_RUNS.min(((latest - earliest) / self.step_s) as usize + 1);
        let misses: Vec<f64> = (0..runs)
            .filter_map(|j| {
                let end = latest - j as f64 * (latest - earliest) / runs.max(1) as f64;
                let predicted = self.model.run(&self.input(samples, end)?).ok()?;
                Some(predicted as f64 - value_at(samples, end + self.horizon_s))
            })
            .collect();
        (misses.len() >= HINDSIGHT_MIN)
            .then(|| (misses.iter().map(|m| m * m).sum::<f64>() / misses.len() as f64).sqrt())
    }
}

/// The latest sample at or before `t` (the first one if none is).
fn value_at(samples: &[(f64, f64)], t: f64) -> f64 {
    let i = samples.partition_point(|s| s.0 <= t);
    samples[i.saturating_sub(1)].1
}

impl Predictor for Learned {
    fn observe(&mut self, _: f64, _: f64) {}

    fn curve_of(&self, samples: &[(f64, f64)]) -> Option<Curve> {
        let &(time, value) = samples.last()?;
        let predicted = self.model.run(&self.input(samples, time)?).ok()? as f64;
        let rmse = self.hindsight(samples)?;
        Some(Curve {
            time,
            model: self.name(),
            reach_s: self.horizon_s,
            shape: Shape::Learned {
                value,
                slope: (predicted - value) / self.horizon_s,
                rmse,
                horizon_s: self.horizon_s,
            },
            bend: None,
        })
    }

    fn name(&self) -> &'static str {
        "onnx"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &[u8] = include_bytes!("../../assets/models/press_temperature.onnx");

    /// Two samples a second of a ramp, 0.5 per second, for 200 s.
    fn ramp() -> Vec<(f64, f64)> {
        (0..400)
            .map(|i| (i as f64 * 0.5, i as f64 * 0.25))
            .collect()
    }

    #[test]
    fn what_is_not_a_model_or_takes_other_inputs_is_refused_with_why() {
        let e = OnnxModel::load(b"definitely not protobuf", 30).unwrap_err();
        assert!(e.starts_with("not an ONNX model"), "{e}");
        let e = OnnxModel::load(SHIPPED, 10).unwrap_err();
        assert!(e.contains("takes [?, 30] values, not [1, 10]"), "{e}");
        let m = OnnxModel::load(SHIPPED, 30).unwrap();
        assert_eq!(m.last, 30);
    }

    #[test]
    fn the_input_is_the_latest_sample_at_or_before_each_step_and_the_error_is_hindsight() {
        let samples = ramp();
        let learned = Learned {
            model: Arc::new(OnnxModel::load(SHIPPED, 30).unwrap()),
            step_s: 2.0,
            horizon_s: 60.0,
        };
        // The window ending at 199.5 s: 30 values 2 s apart, from 141.5 s.
        let input = learned.input(&samples, 199.5).unwrap();
        assert_eq!(input.len(), 30);
        assert_eq!(input[0], 70.75, "the sample at 141.5 s");
        assert_eq!(input[29], 99.75, "the latest");
        assert_eq!(learned.input(&samples, 50.0), None, "not enough history");
        // Just enough: the window ending at 58 s starts at the first sample.
        assert_eq!(learned.input(&samples, 58.0).map(|i| i[0]), Some(0.0));
        // The curve runs from the latest value to the model's prediction.
        let predicted = learned.model.run(&input).unwrap() as f64;
        let curve = learned.curve_of(&samples).unwrap();
        assert_eq!(curve.model, "onnx");
        assert!((curve.mean(199.5 + 60.0) - predicted).abs() < 1e-9);
        assert!((curve.mean(199.5 + 30.0) - (99.75 + predicted) / 2.0).abs() < 1e-9);
        // Its spread at the horizon is the hindsight error: the same model on
        // 16 earlier windows against the values 60 s after each.
        let misses: Vec<f64> = (0..16)
            .map(|j| {
                let (earliest, latest) = (58.0, 139.5);
                let end = latest - j as f64 * (latest - earliest) / 16.0;
                let p = learned
                    .model
                    .run(&learned.input(&samples, end).unwrap())
                    .unwrap() as f64;
                p - value_at(&samples, end + 60.0)
            })
            .collect();
        let rmse = (misses.iter().map(|m| m * m).sum::<f64>() / 16.0).sqrt();
        assert!(
            (curve.sd(199.5 + 60.0) - rmse).abs() < 1e-9,
            "{} vs {rmse}",
            curve.sd(259.5)
        );
    }

    #[test]
    fn a_curve_needs_three_hindsight_runs_a_step_apart() {
        // The ramp above; hindsight windows end between 58 s (the first
        // with 30 values 2 s apart) and 199.5 s less the horizon, at most
        // one a step (2 s) of that span and one more. A horizon of 136.5 s
        // leaves 58 to 63 s, two whole steps: three runs; 137.6 s leaves 58
        // to 61.9 s, one step: two runs, too few to know the model's error.
        let samples = ramp();
        let model = Arc::new(OnnxModel::load(SHIPPED, 30).unwrap());
        let with = |horizon_s| Learned {
            model: model.clone(),
            step_s: 2.0,
            horizon_s,
        };
        assert!(with(136.5).curve_of(&samples).is_some());
        assert_eq!(with(137.6).curve_of(&samples), None);
    }
}

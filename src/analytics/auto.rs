//! `auto`: per sensor, the model that forecast the window best. Each
//! candidate is fitted on the older part of the window and scored by how
//! far its curve misses the newer part (root mean square); a more flexible
//! model has to beat a simpler one by a margin, so a straight ramp stays a
//! line and noise does not pick the curve that chased it.

use super::curve::Curve;
use super::predict::{FirstOrder, Holt, LinearTrend, Predictor};

/// Share of the window's samples the candidates are fitted on; the rest
/// scores them.
const FIT_SHARE: f64 = 2.0 / 3.0;
/// A later (more flexible) candidate must cut the out-of-sample error by this
/// share to be chosen over the best earlier one.
const MARGIN: f64 = 0.1;
/// Fewer samples than this and `auto` is the linear trend.
const MIN_SAMPLES: usize = 30;
/// Holt's weights when `auto` tries it.
pub(crate) const HOLT_ALPHA: f64 = 0.5;
pub(crate) const HOLT_BETA: f64 = 0.2;

/// The models `auto` chooses from, simplest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    Linear,
    Holt,
    FirstOrder,
}

impl Model {
    const ALL: [Model; 3] = [Model::Linear, Model::Holt, Model::FirstOrder];

    /// Its curve fitted on `samples` alone: the model's own predictor, so
    /// what is scored is what is then drawn.
    fn curve_of(self, samples: &[(f64, f64)]) -> Option<Curve> {
        match self {
            Model::Linear => LinearTrend.curve_of(samples),
            Model::Holt => Holt::new(HOLT_ALPHA, HOLT_BETA).curve_of(samples),
            Model::FirstOrder => FirstOrder.curve_of(samples),
        }
    }
}

/// Root mean square of how far `curve` misses `test`.
fn miss(curve: &Curve, test: &[(f64, f64)]) -> f64 {
    let sum: f64 = test.iter().map(|&(t, v)| (curve.mean(t) - v).powi(2)).sum();
    (sum / test.len() as f64).sqrt()
}

/// The model that forecast the newer part of `samples` best, with each
/// candidate's error (`None` where it could not be fitted).
pub(crate) fn choose(samples: &[(f64, f64)]) -> (Model, [Option<f64>; 3]) {
    let mut errors = [None; 3];
    if samples.len() < MIN_SAMPLES {
        return (Model::Linear, errors);
    }
    let cut = (samples.len() as f64 * FIT_SHARE) as usize;
    let (older, newer) = samples.split_at(cut);
    let mut best: Option<(Model, f64)> = None;
    for (i, model) in Model::ALL.into_iter().enumerate() {
        let Some(err) = model.curve_of(older).map(|c| miss(&c, newer)) else {
            continue;
        };
        errors[i] = Some(err);
        if best.is_none_or(|(_, b)| err < b * (1.0 - MARGIN)) {
            best = Some((model, err));
        }
    }
    (best.map_or(Model::Linear, |b| b.0), errors)
}

/// Picks per sensor, each time it is asked, among the linear trend, Holt and
/// the first-order response.
#[derive(Debug, Default, Clone)]
pub struct Auto;

impl Predictor for Auto {
    fn observe(&mut self, _: f64, _: f64) {}

    fn curve_of(&self, samples: &[(f64, f64)]) -> Option<Curve> {
        choose(samples)
            .0
            .curve_of(samples)
            .or_else(|| LinearTrend.curve_of(samples))
    }

    fn name(&self) -> &'static str {
        "auto"
    }
}

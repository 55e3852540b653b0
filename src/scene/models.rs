//! The ONNX models a scene's sensors name (`predictor: Onnx(model: ...)`),
//! loaded and checked with the scene: a missing, malformed or mis-shaped
//! model is a scene error at the model's name in the file, like any other.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::format::{PredictorDef, SceneDef, SceneError};
use super::validate::locate;
use crate::analytics::onnx::OnnxModel;

/// Loaded models by (file under assets/, values they take).
pub type Models = HashMap<(String, usize), Arc<OnnxModel>>;

/// Each distinct (model file, values it takes) the scene names.
pub(crate) fn wanted(scene: &SceneDef) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = scene
        .sensors()
        .filter_map(|(_, s)| match &s.predictor {
            PredictorDef::Onnx { model, last, .. } => Some((model.clone(), *last)),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Loads one model from its bytes, or says why not at its name in `source`.
pub(crate) fn load(
    bytes: Result<Vec<u8>, String>,
    (model, last): &(String, usize),
    source: &str,
    file: &str,
) -> Result<Arc<OnnxModel>, SceneError> {
    let at = |why: String| SceneError {
        file: file.into(),
        pos: locate(source, &format!("\"{model}\""), 0),
        message: format!("ONNX model \"{model}\": {why}"),
    };
    let bytes = bytes.map_err(at)?;
    OnnxModel::load(&bytes, *last).map(Arc::new).map_err(at)
}

/// Every model `scene` names, read from `assets` on disk.
pub fn load_from_disk(
    scene: &SceneDef,
    source: &str,
    file: &str,
    assets: &Path,
) -> Result<Models, SceneError> {
    let mut models = Models::new();
    for key in wanted(scene) {
        let path = assets.join(&key.0);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()));
        let model = load(bytes, &key, source, file)?;
        models.insert(key, model);
    }
    Ok(models)
}

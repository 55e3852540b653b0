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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::parse;

    /// The factory names one model (press-1's temperature, on its last 30
    /// values): it is the one wanted and loaded; a scene naming it twice
    /// still loads it once; a file that is not there is an error at its
    /// name in the scene.
    #[test]
    fn a_scene_loads_each_model_it_names_once_and_says_where_one_is_missing() {
        let text = include_str!("../../scenes/factory.scene.ron");
        let scene = parse(text, "factory.scene.ron").unwrap();
        let key = ("models/press_temperature.onnx".to_string(), 30);
        assert_eq!(wanted(&scene), std::slice::from_ref(&key));
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let models = load_from_disk(&scene, text, "factory.scene.ron", &assets).unwrap();
        assert_eq!(models.keys().collect::<Vec<_>>(), [&key]);

        let vibration = "warn: Some(5.0), alarm: Some(7.0))";
        assert!(text.contains(vibration));
        let twice = text.replacen(
            vibration,
            "warn: Some(5.0), alarm: Some(7.0), predictor: Onnx(model: \"models/press_temperature.onnx\", last: 30, step_s: 1.0, horizon_s: 60.0))",
            1,
        );
        let scene = parse(&twice, "factory.scene.ron").unwrap();
        assert_eq!(wanted(&scene), [key]);

        let missing = text.replace("press_temperature.onnx", "gone.onnx");
        let scene = parse(&missing, "factory.scene.ron").unwrap();
        let e = load_from_disk(&scene, &missing, "factory.scene.ron", &assets).unwrap_err();
        assert!(
            e.message
                .starts_with("ONNX model \"models/gone.onnx\": cannot read"),
            "{e}"
        );
        let line = missing[..missing.find("gone.onnx").unwrap()]
            .matches('\n')
            .count()
            + 1;
        assert_eq!(e.pos.line, line, "{e}");
    }
}

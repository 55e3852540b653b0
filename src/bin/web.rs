//! The browser build's entry point (`--features web`, wasm32): what
//! `web/index.html` calls. Natively it only says so.

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::*;

    unsafe extern "C" {
        fn __wasm_call_ctors();
    }

    /// Starts the twin on the page's canvas. `defaults_json`: the text of
    /// `config.json` (or ""); `query`: `location.search`; `hostname`:
    /// `location.hostname`; `user` and `password`: the broker's login the
    /// page asked for ("" when it takes none).
    #[wasm_bindgen]
    pub fn start(
        defaults_json: &str,
        query: &str,
        hostname: &str,
        user: &str,
        password: &str,
    ) -> Result<(), JsValue> {
        // Static constructors: tract registers its matrix kernels (for ONNX
        // models) through `inventory`, whose constructors the linker does
        // not call on its own in a module with several exports. Idempotent.
        unsafe { __wasm_call_ctors() };
        let login = (!user.is_empty()).then(|| (user.to_string(), password.to_string()));
        twinscape::web::start(defaults_json, query, hostname, login)
            .map_err(|e| JsValue::from_str(&e))
    }

    /// The twin's state as JSON text (the headless snapshot, plus frames,
    /// first_frame_ms, first_twin_frame_ms and error).
    #[wasm_bindgen]
    pub fn snapshot() -> String {
        twinscape::web::snapshot_json()
    }

    /// Sets a value of the scene being edited (`TWIN.FIELD…` or
    /// `TWIN/SENSOR.FIELD…`, RON text), as the editor's fields do.
    #[wasm_bindgen]
    pub fn edit(place: &str, value: &str) {
        twinscape::web::edit(place, value)
    }

    /// Called by the page's worker timer: MQTT keepalive and reconnects.
    #[wasm_bindgen]
    pub fn tick() {
        twinscape::web::tick()
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("twinscape-web is the browser build: ./scripts/build-web.sh, then twinscape serve");
}

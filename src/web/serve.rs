//! `twinscape serve`'s web server: the page, its wasm bundle, the scenes
//! and the assets over HTTP (axum with tower-http's `ServeDir`), and
//! `config.json`, which tells the page its scene and broker. Runs on its own
//! thread with a one-thread tokio runtime.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

/// The page's script that `scripts/build-web.sh` writes (wasm-bindgen's name
/// for the `twinscape-web` binary).
pub const BUNDLE_SCRIPT: &str = "dist/twinscape-web.js";

/// What the server serves.
#[derive(Debug, Clone)]
pub struct Site {
    /// `web/`: index.html, and the bundle in `dist/`.
    pub web: PathBuf,
    /// Served at `/scenes/`: the folder of the scene.
    pub scenes: PathBuf,
    /// Served at `/assets/`.
    pub assets: PathBuf,
    /// The body of `/config.json` (see `page_config`).
    pub config_json: String,
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "the page is not built ({} is missing): run ./scripts/build-web.sh first",
        .0.display()
    )]
    NotBuilt(PathBuf),
    #[error("{} is not a folder", .0.display())]
    NoFolder(PathBuf),
    #[error("cannot listen on {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
    #[error("cannot start the web server: {0}")]
    Start(String),
}

/// `config.json` for a page whose scene is `scene_file` (in `/scenes/`) and
/// whose broker is `broker` (`{host}` stands for the page's host).
pub fn page_config(scene_file: &str, broker: &str, login: bool) -> String {
    let mut config =
        serde_json::json!({ "scene": format!("scenes/{scene_file}"), "broker": broker });
    if login {
        config["login"] = true.into();
    }
    config.to_string()
}

/// Starts serving `site` on `ip`:`port` (0: any free port) and returns
/// the address it listens on. The server runs until the process ends.
pub fn start(site: Site, ip: IpAddr, port: u16) -> Result<SocketAddr, ServeError> {
    let script = site.web.join(BUNDLE_SCRIPT);
    if !script.is_file() {
        return Err(ServeError::NotBuilt(script));
    }
    for dir in [&site.scenes, &site.assets] {
        if !dir.is_dir() {
            return Err(ServeError::NoFolder(dir.clone()));
        }
    }
    let addr = SocketAddr::new(ip, port);
    let listener = std::net::TcpListener::bind(addr).map_err(|e| ServeError::Listen {
        addr,
        why: e.to_string(),
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let bound = listener
        .local_addr()
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| ServeError::Start(e.to_string()))?;
    let app = routes(&site);
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        if let Err(e) = axum::serve(listener, app).await {
                            bevy::log::error!("the web server stopped: {e}");
                        }
                    }
                    Err(e) => bevy::log::error!("the web server could not start: {e}"),
                }
            })
        })
        .map_err(|e| ServeError::Start(e.to_string()))?;
    Ok(bound)
}

fn routes(site: &Site) -> Router {
    let config = site.config_json.clone();
    // The bundle is precompressed by build-web.sh (`.gz` beside each file).
    let dir = |path: &Path| ServeDir::new(path).precompressed_gzip();
    Router::new()
        .route(
            "/config.json",
            get(move || async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::CACHE_CONTROL, "no-store"),
                    ],
                    config,
                )
                    .into_response()
            }),
        )
        .nest_service("/scenes", dir(&site.scenes))
        .nest_service("/assets", dir(&site.assets))
        .route_service("/", ServeFile::new(site.web.join("index.html")))
        .fallback_service(dir(&site.web))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_the_scene_under_scenes() {
        let json: serde_json::Value = serde_json::from_str(&page_config(
            "line.scene.ron",
            "ws://{host}:9001/mqtt",
            false,
        ))
        .unwrap();
        assert_eq!(json["scene"], "scenes/line.scene.ron");
        assert_eq!(json["broker"], "ws://{host}:9001/mqtt");
        // What the page makes of it.
        let page = crate::web::config::resolve(&json.to_string(), "", "10.0.0.5").unwrap();
        assert_eq!(page.broker, "ws://10.0.0.5:9001/mqtt");
        assert!(!page.login);
        // `serve --listen 0.0.0.0`: the page asks for the broker's login.
        let json = page_config("line.scene.ron", "ws://{host}:9001/mqtt", true);
        assert!(
            crate::web::config::resolve(&json, "", "10.0.0.5")
                .unwrap()
                .login
        );
    }

    #[test]
    fn an_unbuilt_page_is_said() {
        let site = Site {
            web: PathBuf::from("/nonexistent/web"),
            scenes: PathBuf::from("."),
            assets: PathBuf::from("."),
            config_json: String::new(),
        };
        let e = start(site, std::net::Ipv4Addr::LOCALHOST.into(), 0)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("build-web.sh") && e.contains("twinscape-web.js"),
            "{e}"
        );
    }
}

//! `twinscape serve`'s web server: the page, its wasm bundle, the scenes
//! and the assets over HTTP (axum with tower-http's `ServeDir`), and
//! `config.json`, which tells the page its scene and broker. Runs on its own
//! thread with a one-thread tokio runtime.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, put};

use super::edit::{BASE_HEADER, EDIT_PATH, Editable, SCENE_HEADER, put_scene};
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
    /// `serve --allow-edit`: the scene the page may save back (`edit`).
    pub edit: Option<Editable>,
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
/// whose broker is `broker` (`{host}` stands for the page's host); `edit`:
/// the server takes the page's saves of that scene.
pub fn page_config(scene_file: &str, broker: &str, login: bool, edit: bool) -> String {
    let mut config =
        serde_json::json!({ "scene": format!("scenes/{scene_file}"), "broker": broker });
    if login {
        config["login"] = true.into();
    }
    if edit {
        config["edit"] = true.into();
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
    let router = match site.edit.clone() {
        Some(target) => Router::new().route(
            &format!("/{EDIT_PATH}"),
            put(move |headers: HeaderMap, text: String| async move {
                let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
                let done = put_scene(&target, header(SCENE_HEADER), header(BASE_HEADER), &text);
                let status =
                    StatusCode::from_u16(done.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, [(header::CACHE_CONTROL, "no-store")], done.text).into_response()
            }),
        ),
        None => Router::new(),
    };
    router
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
        let json = page_config("line.scene.ron", "ws://{host}:9001/mqtt", true, false);
        assert!(
            crate::web::config::resolve(&json, "", "10.0.0.5")
                .unwrap()
                .login
        );
    }

    /// `method path` with `headers` and `body` over HTTP/1.1: the status
    /// and the body of the answer.
    fn ask(addr: SocketAddr, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: here\r\nConnection: close\r\n\
             Content-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_string())
    }

    /// A site over a copy of the shipped factory, with a stand-in bundle.
    fn site_over(name: &str, edit: bool) -> (Site, PathBuf, String) {
        let dir =
            std::env::temp_dir().join(format!("twinscape-site-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("web/dist")).unwrap();
        std::fs::create_dir_all(dir.join("scenes")).unwrap();
        std::fs::write(dir.join("web").join(BUNDLE_SCRIPT), "// stand-in").unwrap();
        let file = dir.join("scenes/factory.scene.ron");
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenes/factory.scene.ron"
        ))
        .unwrap();
        std::fs::write(&file, &text).unwrap();
        let site = Site {
            web: dir.join("web"),
            scenes: dir.join("scenes"),
            assets: crate::app::assets_dir().into(),
            config_json: page_config("factory.scene.ron", "ws://{host}:9001/mqtt", false, edit),
            edit: edit.then(|| Editable {
                file: file.clone(),
                name: "scenes/factory.scene.ron".into(),
            }),
        };
        (site, file, text)
    }

    #[test]
    fn serve_allow_edit_takes_the_pages_save_over_http_and_only_then() {
        let edited = |text: &str| text.replacen("warn: Some(75.0)", "warn: Some(75.5)", 1);
        let base = crate::editor::save::fingerprint;
        // --allow-edit: config.json says so, and a PUT saves the file.
        let (site, file, text) = site_over("edit", true);
        let addr = start(site, std::net::Ipv4Addr::LOCALHOST.into(), 0).unwrap();
        let (status, config) = ask(addr, "GET", "/config.json", "", "");
        assert_eq!(status, 200);
        assert!(config.contains("\"edit\":true"), "{config}");
        let headers = format!(
            "{SCENE_HEADER}: scenes/factory.scene.ron\r\n{BASE_HEADER}: {}\r\n",
            base(&text)
        );
        let (status, said) = ask(
            addr,
            "PUT",
            &format!("/{EDIT_PATH}"),
            &headers,
            &edited(&text),
        );
        assert_eq!(
            (status, said.as_str()),
            (200, "saved scenes/factory.scene.ron on the server")
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), edited(&text));
        // The page reads what was saved.
        let (status, served) = ask(addr, "GET", "/scenes/factory.scene.ron", "", "");
        assert_eq!((status, served), (200, edited(&text)));
        // The same base again: the file is no longer what it names.
        let (status, said) = ask(addr, "PUT", &format!("/{EDIT_PATH}"), &headers, &text);
        assert_eq!(status, 409, "{said}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), edited(&text));
        // Without --allow-edit: no edit route, the file untouched.
        let (site, file, text) = site_over("read-only", false);
        let addr = start(site, std::net::Ipv4Addr::LOCALHOST.into(), 0).unwrap();
        let (_, config) = ask(addr, "GET", "/config.json", "", "");
        assert!(!config.contains("edit"), "{config}");
        let (status, _) = ask(
            addr,
            "PUT",
            &format!("/{EDIT_PATH}"),
            &headers,
            &edited(&text),
        );
        assert!(!(200..300).contains(&status), "{status}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    }

    #[test]
    fn an_unbuilt_page_is_said() {
        let site = Site {
            web: PathBuf::from("/nonexistent/web"),
            scenes: PathBuf::from("."),
            assets: PathBuf::from("."),
            config_json: String::new(),
            edit: None,
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

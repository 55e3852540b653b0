//! What the page loads and where its broker is: built-in defaults, then
//! `config.json` beside the page (written by `twinscape serve`), then the
//! page's query (`?scene=scenes/NAME.scene.ron&broker=ws://host:port/path`).
//! Pure: the page hands in the texts, tests hand in their own.

use serde::Deserialize;

/// The scene when neither `config.json` nor the query names one.
pub const DEFAULT_SCENE: &str = "scenes/factory.scene.ron";

/// The broker when neither names one: the embedded broker's WebSocket
/// listener on the machine that served the page. `{host}` is the page's host.
pub const DEFAULT_BROKER: &str = "ws://{host}:9001/mqtt";

/// Longest scene path or broker URL taken from a query (bytes).
const MAX_VALUE_BYTES: usize = 2048;

/// `config.json`: each entry optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    scene: Option<String>,
    broker: Option<String>,
    /// The broker takes a login, which the page asks for.
    login: Option<bool>,
    /// The server takes the page's saves of its scene (`serve --allow-edit`).
    edit: Option<bool>,
}

/// What the page runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageConfig {
    /// The scene file, relative to the page (fetched over HTTP).
    pub scene: String,
    /// `ws://` or `wss://`, with its path.
    pub broker: String,
    /// The broker takes a user name and password (`config.json`'s
    /// `login`, which `serve --listen` writes): the page asks for them.
    pub login: bool,
    /// The page's editor saves the scene back to the server (`config.json`'s
    /// `edit`, which `serve --allow-edit` writes). Only for the scene the
    /// server named: a scene from the query is saved as a download.
    pub edit: bool,
}

/// Why the page cannot start, said where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("config.json: {0}")]
    Defaults(String),
    #[error("{from}: broker \"{given}\" {why}")]
    Broker {
        from: &'static str,
        given: String,
        why: &'static str,
    },
    #[error("{from}: scene \"{given}\" {why}")]
    Scene {
        from: &'static str,
        given: String,
        why: &'static str,
    },
    #[error("the page's query: {0}")]
    Query(String),
}

/// Resolves the page's settings. `defaults_json`: the text of `config.json`
/// (empty when there is none); `query`: `location.search`, with or without
/// its `?`; `hostname`: `location.hostname`.
pub fn resolve(
    defaults_json: &str,
    query: &str,
    hostname: &str,
) -> Result<PageConfig, ConfigError> {
    let defaults: Defaults = if defaults_json.trim().is_empty() {
        Defaults::default()
    } else {
        serde_json::from_str(defaults_json).map_err(|e| ConfigError::Defaults(e.to_string()))?
    };
    let served = defaults.scene.clone();
    let mut scene = (DEFAULT_SCENE.to_string(), "the default");
    let mut broker = (DEFAULT_BROKER.to_string(), "the default");
    if let Some(s) = defaults.scene {
        scene = (s, "config.json");
    }
    if let Some(b) = defaults.broker {
        broker = (b, "config.json");
    }
    for (key, value) in parse_query(query)? {
        match key.as_str() {
            "scene" => scene = (value, "the page's query"),
            "broker" => broker = (value, "the page's query"),
            _ => {}
        }
    }
    let edit = defaults.edit.unwrap_or(false) && served.as_ref() == Some(&scene.0);
    Ok(PageConfig {
        scene: check_scene(&scene.0, scene.1)?,
        broker: check_broker(&broker.0, broker.1, hostname)?,
        login: defaults.login.unwrap_or(false),
        edit,
    })
}

fn check_scene(given: &str, from: &'static str) -> Result<String, ConfigError> {
    let err = |why| ConfigError::Scene {
        from,
        given: given.chars().take(120).collect(),
        why,
    };
    if !given.ends_with(".scene.ron") {
        return Err(err("is not a .scene.ron file"));
    }
    if given.starts_with('/') || given.contains("://") || given.contains('\\') {
        return Err(err(
            "must be a path relative to the page, e.g. scenes/factory.scene.ron",
        ));
    }
    if given.split('/').any(|part| part == ".." || part.is_empty()) {
        return Err(err("must not contain \"..\" or empty parts"));
    }
    Ok(given.to_string())
}

fn check_broker(given: &str, from: &'static str, hostname: &str) -> Result<String, ConfigError> {
    let err = |why| ConfigError::Broker {
        from,
        given: given.chars().take(120).collect(),
        why,
    };
    let host = match hostname {
        "" => "127.0.0.1".to_string(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.to_string(),
    };
    let url = given.replace("{host}", &host);
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(err("is not a URL: use ws://host:port/path"));
    };
    if scheme != "ws" && scheme != "wss" {
        return Err(err(
            "is not a WebSocket URL: a browser reaches MQTT only over ws:// or wss://",
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(err(
            "has no host (or has a login in it): use ws://host:port/path",
        ));
    }
    if let Some((_, port)) = authority.rsplit_once(':')
        && !port.ends_with(']')
        && port.parse::<u16>().ok().filter(|p| *p != 0).is_none()
    {
        return Err(err("has a port that is not a number from 1 to 65535"));
    }
    Ok(url)
}

/// `a=1&b=x%2Fy` → pairs, percent-decoded (`+` is a space).
fn parse_query(query: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        if value.len() > MAX_VALUE_BYTES {
            return Err(ConfigError::Query(format!(
                "the value of \"{}\" is longer than {MAX_VALUE_BYTES} bytes",
                key.chars().take(40).collect::<String>()
            )));
        }
        pairs.push((percent_decode(key)?, percent_decode(value)?));
    }
    Ok(pairs)
}

fn percent_decode(s: &str) -> Result<String, ConfigError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        ConfigError::Query(format!("\"{s}\": % is not followed by two hex digits"))
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ConfigError::Query(format!("\"{s}\" is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_use_the_pages_host() {
        let c = resolve("", "", "plant.example").unwrap();
        assert_eq!(c.scene, "scenes/factory.scene.ron");
        assert_eq!(c.broker, "ws://plant.example:9001/mqtt");
        // No host (a file:// page): loopback. IPv6 hosts get brackets.
        assert_eq!(
            resolve("", "", "").unwrap().broker,
            "ws://127.0.0.1:9001/mqtt"
        );
        assert_eq!(
            resolve("", "", "::1").unwrap().broker,
            "ws://[::1]:9001/mqtt"
        );
    }

    #[test]
    fn the_query_wins_over_config_json_which_wins_over_the_defaults() {
        let json = r#"{"scene": "scenes/line.scene.ron", "broker": "ws://{host}:9002/mqtt"}"#;
        let c = resolve(json, "", "h").unwrap();
        assert_eq!(
            (c.scene.as_str(), c.broker.as_str()),
            ("scenes/line.scene.ron", "ws://h:9002/mqtt")
        );
        let q = "?broker=wss%3A%2F%2Fbroker.example%3A8884%2Fmqtt&scene=scenes/city.scene.ron&x=1";
        let c = resolve(json, q, "h").unwrap();
        assert_eq!(c.broker, "wss://broker.example:8884/mqtt");
        assert_eq!(c.scene, "scenes/city.scene.ron");
    }

    #[test]
    fn only_the_served_scene_is_saved_to_the_server() {
        let json = r#"{"scene": "scenes/line.scene.ron", "edit": true}"#;
        assert!(resolve(json, "", "h").unwrap().edit);
        assert!(
            resolve(json, "?scene=scenes/line.scene.ron", "h")
                .unwrap()
                .edit
        );
        // Another scene from the query: the page offers a download instead.
        assert!(
            !resolve(json, "?scene=scenes/city.scene.ron", "h")
                .unwrap()
                .edit
        );
        assert!(
            !resolve(r#"{"scene": "scenes/line.scene.ron"}"#, "", "h")
                .unwrap()
                .edit
        );
        assert!(!resolve(r#"{"edit": true}"#, "", "h").unwrap().edit);
    }

    #[test]
    fn bad_values_say_what_and_where() {
        let e = resolve("", "broker=mqtt://h:1883", "h")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("the page's query: broker \"mqtt://h:1883\""),
            "{e}"
        );
        assert!(e.contains("ws://"), "{e}");
        let e = resolve(r#"{"broker": "ws://h:99999/"}"#, "", "h")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("config.json: broker") && e.contains("port"),
            "{e}"
        );
        for bad in [
            "../secret.scene.ron",
            "/etc/x.scene.ron",
            "scenes/x.ron",
            "http://e/x.scene.ron",
        ] {
            let e = resolve("", &format!("scene={bad}"), "h").unwrap_err();
            assert!(matches!(e, ConfigError::Scene { .. }), "{bad}: {e}");
        }
        assert!(matches!(
            resolve("{", "", "h"),
            Err(ConfigError::Defaults(_))
        ));
        assert!(matches!(
            resolve(r#"{"scenes": "x"}"#, "", "h"),
            Err(ConfigError::Defaults(_))
        ));
        assert!(matches!(
            resolve("", "scene=%zz", "h"),
            Err(ConfigError::Query(_))
        ));
        assert!(matches!(
            resolve("", "broker=ws://user@h/", "h"),
            Err(ConfigError::Broker { .. })
        ));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb+c%C3%A9").unwrap(), "a/b cé");
        assert!(percent_decode("%").is_err());
        assert!(percent_decode("%ff").is_err());
    }
}

//! Debian's Chromium, headless with SwiftShader (WebGL2 on the CPU), driven
//! through the DevTools protocol over a WebSocket: navigate, evaluate
//! JavaScript, take screenshots, and keep what the page wrote to its console.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

pub struct Chromium {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    profile: PathBuf,
    /// Console messages and uncaught exceptions of the page, in order.
    pub console: Vec<String>,
}

/// The Chromium binary: `$CHROMIUM`, else Debian's.
fn binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

impl Chromium {
    /// Starts Chromium on about:blank with a fresh profile.
    pub fn start(width: u32, height: u32) -> Chromium {
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "twinscape-chromium-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        let mut child = Command::new(binary())
            .args([
                "--headless",
                "--no-sandbox",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                // The machine has no network beyond the package registries.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
                &format!("--window-size={width},{height}"),
                &format!("--user-data-dir={}", profile.display()),
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts (apt-get install chromium)");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID"
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let browser_url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("chromium prints its DevTools address");
        let port: u16 = browser_url
            .trim_start_matches("ws://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the DevTools address");
        let page_url = page_target(port);
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        let (socket, _) =
            tungstenite::client(page_url.as_str(), stream).expect("DevTools handshake");
        let mut chromium = Chromium {
            child,
            socket,
            next_id: 0,
            profile,
            console: Vec::new(),
        };
        chromium.call("Runtime.enable", json!({}));
        chromium.call("Page.enable", json!({}));
        // The page's viewport itself (the window's size includes its frame).
        chromium.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        chromium
    }

    /// Sends a DevTools command and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let text = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket
            .send(Message::text(text))
            .expect("DevTools send");
        loop {
            let message = self.socket.read().expect("DevTools answers");
            let Ok(text) = message.to_text() else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            if value["id"] == id {
                if let Some(error) = value.get("error") {
                    panic!("DevTools {method}: {error}");
                }
                return value["result"].clone();
            }
            self.keep_console(&value);
        }
    }

    fn keep_console(&mut self, event: &Value) {
        match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") => {
                let args = event["params"]["args"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let words: Vec<String> = args
                    .iter()
                    .map(|a| {
                        a["value"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| a["value"].to_string())
                    })
                    .collect();
                self.console.push(format!(
                    "console.{}: {}",
                    event["params"]["type"].as_str().unwrap_or("?"),
                    words.join(" ")
                ));
            }
            Some("Runtime.exceptionThrown") => {
                let details = &event["params"]["exceptionDetails"];
                self.console.push(format!(
                    "exception: {} {}",
                    details["text"].as_str().unwrap_or(""),
                    details["exception"]["description"].as_str().unwrap_or("")
                ));
            }
            _ => {}
        }
    }

    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// Evaluates `expression` in the page and returns its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        result["result"]["value"].clone()
    }

    /// `window.twinscape.snapshot()`, or null before the page set it up.
    pub fn snapshot(&mut self) -> Value {
        self.eval("window.twinscape ? JSON.stringify(window.twinscape.snapshot()) : 'null'")
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null)
    }

    /// Polls the snapshot until `done` holds; panics with the last one and
    /// the page's console after `timeout`.
    pub fn until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Value {
        let start = Instant::now();
        let mut last_said = start;
        loop {
            let snapshot = self.snapshot();
            if done(&snapshot) {
                return snapshot;
            }
            if last_said.elapsed() > Duration::from_secs(15) {
                last_said = Instant::now();
                let visibility = self.eval("document.visibilityState");
                println!(
                    "  … {what}: {:.0} s, {} frames, link {}, page {visibility}",
                    start.elapsed().as_secs_f64(),
                    snapshot["frames"],
                    snapshot["ingest"]["link"]
                );
            }
            if start.elapsed() > timeout {
                panic!(
                    "waited {timeout:?} for {what}; last snapshot: {}\nconsole:\n{}",
                    short(&snapshot),
                    self.console.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// A key pressed (`down`) or let go, sent to the page's focused element
    /// as a keyboard would: `key` ("e", "Control"), `code` ("KeyE",
    /// "ControlLeft"), the Windows key code, and the modifiers held (2: Ctrl).
    pub fn key(&mut self, down: bool, key: &str, code: &str, key_code: u32, modifiers: u32) {
        let printable = key.chars().count() == 1;
        let kind = match (down, printable) {
            (false, _) => "keyUp",
            (true, true) => "keyDown",
            (true, false) => "rawKeyDown",
        };
        let mut params = json!({
            "type": kind, "key": key, "code": code, "modifiers": modifiers,
            "windowsVirtualKeyCode": key_code, "nativeVirtualKeyCode": key_code,
        });
        if down && printable && modifiers == 0 {
            params["text"] = key.into();
        }
        self.call("Input.dispatchKeyEvent", params);
    }

    /// A PNG of the page.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let result = self.call("Page.captureScreenshot", json!({"format": "png"}));
        base64::engine::general_purpose::STANDARD
            .decode(result["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The snapshot without its twins (which fill a screen), for messages.
pub fn short(snapshot: &Value) -> String {
    let mut s = snapshot.clone();
    if let Some(map) = s.as_object_mut() {
        map.remove("twins");
        map.remove("alarms");
    }
    s.to_string()
}

/// The DevTools WebSocket of the first page (`/json/list`).
fn page_target(port: u16) -> String {
    let start = Instant::now();
    loop {
        if let Some(url) = http_get(port, "/json/list")
            .and_then(|body| serde_json::from_str::<Value>(&body).ok())
            .and_then(|list| {
                list.as_array()?.iter().find(|t| t["type"] == "page")?["webSocketDebuggerUrl"]
                    .as_str()
                    .map(str::to_string)
            })
        {
            return url;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no page target in chromium: /json/list gave {:?}",
            http_get(port, "/json/list")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A minimal HTTP GET to 127.0.0.1: the body, if the answer was 200.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    // Chromium builds its DevTools addresses from Host: it needs the port.
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // The head, then the body by its Content-Length (Chromium keeps the
    // connection open whatever the request says).
    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&answer[..end]).into_owned();
            let body = &answer[end + 4..];
            let length = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            if length.is_some_and(|n| body.len() >= n) {
                return head
                    .starts_with("HTTP/1.1 200")
                    .then(|| String::from_utf8_lossy(body).into_owned());
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
}

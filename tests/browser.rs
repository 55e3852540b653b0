//! The browser build end to end: `twinscape serve` serves the page, headless
//! Chromium (SwiftShader) runs it, and the page contract
//! (`window.twinscape.snapshot()`) says what the page shows.
//!
//! Ignored in a plain `cargo test`: it needs the bundle
//! (`scripts/build-web.sh`) and Chromium. `scripts/test.sh` builds the bundle
//! and runs these with `--ignored`.

#[path = "support/chromium.rs"]
mod chromium;
mod common;
#[path = "support/procs.rs"]
mod procs;

use std::time::{Duration, Instant};

use chromium::{Chromium, http_get, short};
use common::{Publisher, free_port};
use procs::{counter, twinscape, twinscape_env};
use serde_json::Value;

/// SwiftShader draws about two frames a second here; loading the bundle and
/// the scene takes a while on two busy cores.
const FIRST_FRAME_WAIT: Duration = Duration::from_secs(240);

fn value_of(s: &Value, twin: &str, sensor: &str) -> Option<f64> {
    s["twins"].as_array()?.iter().find(|t| t["id"] == twin)?["sensors"]
        .as_array()?
        .iter()
        .find(|x| x["name"] == sensor)?["value"]
        .as_f64()
}

fn live(s: &Value) -> bool {
    s["frames"].as_u64().unwrap_or(0) > 0
        && s["ingest"]["link"] == "connected"
        && s["twins"].as_array().is_some_and(|t| !t.is_empty())
        && counter(s, "applied") > 0
}

/// The page's banner, once `ok` holds for it (panics after `timeout`).
fn status_within(page: &mut Chromium, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let shown = page.eval("document.getElementById('status').textContent");
        let text = shown.as_str().unwrap_or_default().to_string();
        if ok(&text) {
            return text;
        }
        assert!(start.elapsed() < timeout, "the page shows {shown:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `twinscape serve` with its embedded broker on free ports, the page on
/// any free port, `extra` flags and `env` set; once it says where to open.
fn serve_page(extra: &[&str], env: &[(&str, &str)]) -> procs::Proc {
    let (port, ws) = (free_port().to_string(), free_port().to_string());
    let mut args = vec!["serve", "--http", "0", "--port", &port, "--ws-port", &ws];
    args.extend_from_slice(extra);
    twinscape_env(&args, env, "open http://")
}

fn save(png: &[u8], name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap();
    path
}

#[test]
#[ignore = "needs the bundle (scripts/build-web.sh) and chromium; scripts/test.sh runs it"]
fn the_page_shows_the_live_factory_and_what_is_published_to_it() {
    let serve = serve_page(&[], &[]);
    let http = serve.http.unwrap();
    // What the server tells the page.
    let config: Value = serde_json::from_str(&http_get(http, "/config.json").unwrap()).unwrap();
    assert_eq!(config["scene"], "scenes/factory.scene.ron");
    assert_eq!(
        config["broker"],
        format!("ws://{{host}}:{}/mqtt", serve.ws.unwrap())
    );

    let mut page = Chromium::start(1280, 720);
    page.navigate(&format!("http://127.0.0.1:{http}/"));
    let s = page.until("the factory live in the page", FIRST_FRAME_WAIT, live);
    let first_frame_ms = s["first_frame_ms"].as_f64().unwrap();
    let twin_frame_ms = s["first_twin_frame_ms"].as_f64().unwrap();
    assert!(
        first_frame_ms > 0.0 && twin_frame_ms >= first_frame_ms,
        "{}",
        short(&s)
    );
    let ids: Vec<&str> = s["twins"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"cnc-1") && ids.contains(&"press-1"),
        "{ids:?}"
    );
    assert_eq!(
        s["config"]["broker"],
        format!("ws://127.0.0.1:{}/mqtt", serve.ws.unwrap())
    );

    // A value from an outside client over TCP shows in the page: the plant
    // leaves a topic alone for 30 s after someone else publishes on it.
    // Sent again every 2 s, as a device would: a reading the plant had
    // already sent may reach the page in the same frame as the first one
    // and overwrite it (seen once in a full run, the page at 1 frame/s).
    let publisher = Publisher::connect(serve.tcp.unwrap());
    let sent = Instant::now();
    publisher.publish("sensor/temperature", "61.25");
    let mut last_sent = Instant::now();
    let s = page.until(
        "61.25 on cnc-1's temperature",
        Duration::from_secs(20),
        |s| {
            if last_sent.elapsed() >= Duration::from_secs(2) {
                publisher.publish("sensor/temperature", "61.25");
                last_sent = Instant::now();
            }
            value_of(s, "cnc-1", "temperature") == Some(61.25)
        },
    );
    println!(
        "first frame {first_frame_ms:.0} ms, twins drawn {twin_frame_ms:.0} ms after navigation; \
         an outside publish seen in {} ms; {} frames, {} samples applied",
        sent.elapsed().as_millis(),
        s["frames"],
        counter(&s, "applied")
    );
    assert_eq!(counter(&s, "dropped"), 0, "{}", short(&s));

    // The page is drawn: the factory floor, machines and egui's panels.
    let png = save(&page.screenshot(), "browser-factory.png");
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (1280, 720));
    let mut colours = std::collections::HashSet::new();
    let background = img.get_pixel(0, 0).0;
    let mut differing = 0usize;
    for p in img.pixels() {
        colours.insert(p.0);
        if p.0.iter().zip(background).any(|(a, b)| a.abs_diff(b) > 24) {
            differing += 1;
        }
    }
    let share = differing as f64 / f64::from(img.width() * img.height());
    println!(
        "screenshot {}: {} colours, {:.0}% not background",
        png.display(),
        colours.len(),
        share * 100.0
    );
    assert!(
        colours.len() > 500 && share > 0.2,
        "a blank page? {}",
        png.display()
    );

    // A scene that is not there: said on the page and in the snapshot.
    page.navigate(&format!(
        "http://127.0.0.1:{http}/?scene=scenes/missing.scene.ron"
    ));
    let s = page.until("the missing scene reported", FIRST_FRAME_WAIT, |s| {
        s["scene_error"]
            .as_str()
            .is_some_and(|e| e.contains("missing.scene.ron"))
    });
    let shown = status_within(&mut page, Duration::from_secs(10), |t| {
        t.contains("missing.scene.ron")
    });
    assert!(
        shown.starts_with("scene: "),
        "{shown}; snapshot {}",
        short(&s)
    );
    // The page is still alive (the viewer does not exit as the native one
    // does): its frames go on after the error.
    let frames = s["frames"].as_u64().unwrap_or(0);
    page.until("frames after the error", Duration::from_secs(60), |s| {
        s["frames"].as_u64().unwrap_or(0) > frames + 2
    });
    // And a broker URL that is not a WebSocket one, before anything starts.
    page.navigate(&format!(
        "http://127.0.0.1:{http}/?broker=mqtt://127.0.0.1:1883"
    ));
    let s = page.until("the bad broker reported", Duration::from_secs(60), |s| {
        s["error"].as_str().is_some_and(|e| e.contains("ws://"))
    });
    assert_eq!(s["frames"], 0);
}

#[test]
#[ignore = "needs the bundle (scripts/build-web.sh) and chromium; scripts/test.sh runs it"]
fn the_page_says_the_broker_is_down_and_recovers_when_it_returns() {
    let (port, ws) = (free_port(), free_port());
    let broker_args = [
        "headless".to_string(),
        "--port".into(),
        port.to_string(),
        "--ws-port".into(),
        ws.to_string(),
    ];
    let broker_args: Vec<&str> = broker_args.iter().map(String::as_str).collect();
    let broker = twinscape(&broker_args, "simulated plant publishing");
    assert_eq!((broker.tcp, broker.ws), (Some(port), Some(ws)));
    // The page's server, pointed at that broker.
    let page_broker = format!("ws://{{host}}:{ws}/mqtt");
    let tcp = format!("mqtt://127.0.0.1:{port}");
    let serve = twinscape(
        &[
            "serve",
            "--http",
            "0",
            "--broker",
            &tcp,
            "--page-broker",
            &page_broker,
        ],
        "open http://",
    );
    let mut page = Chromium::start(1280, 720);
    page.navigate(&format!("http://127.0.0.1:{}/", serve.http.unwrap()));
    let s = page.until("the factory live in the page", FIRST_FRAME_WAIT, live);
    assert_eq!(counter(&s, "connects"), 1, "{}", short(&s));

    drop(broker);
    let s = page.until("the link down", Duration::from_secs(60), |s| {
        s["ingest"]["link"] == "reconnecting"
    });
    // The page says so (its banner follows the snapshot every 500 ms).
    let shown = status_within(&mut page, Duration::from_secs(10), |t| {
        t.starts_with("MQTT reconnecting")
    });
    assert!(
        shown.contains(&format!("ws://127.0.0.1:{ws}/mqtt")),
        "{shown}"
    );
    let applied = counter(&s, "applied");

    let back = Instant::now();
    let broker = twinscape(&broker_args, "simulated plant publishing");
    assert_eq!(
        (broker.tcp, broker.ws),
        (Some(port), Some(ws)),
        "the broker came back elsewhere"
    );
    let s = page.until(
        "the link back and data flowing",
        Duration::from_secs(60),
        |s| s["ingest"]["link"] == "connected" && counter(s, "applied") > applied,
    );
    println!(
        "reconnected and applying again {} ms after the broker returned",
        back.elapsed().as_millis()
    );
    assert_eq!(counter(&s, "connects"), 2, "{}", short(&s));
    status_within(&mut page, Duration::from_secs(10), str::is_empty);
}

#[test]
#[ignore = "needs the bundle (scripts/build-web.sh) and chromium; scripts/test.sh runs it"]
fn the_page_shows_the_live_city() {
    // The city's map is fetched over HTTP beside the scene, as the scene is;
    // every building and street is a twin fed over MQTT on WebSocket.
    let serve = serve_page(
        &["--sim-rate", "1", "--scene", "scenes/city.scene.ron"],
        &[],
    );
    let mut page = Chromium::start(1280, 720);
    page.navigate(&format!("http://127.0.0.1:{}/", serve.http.unwrap()));
    let s = page.until("the city live in the page", FIRST_FRAME_WAIT, live);
    let twins = s["twins"].as_array().unwrap();
    let count = |k: &str| twins.iter().filter(|t| t["kind"] == k).count();
    assert_eq!(
        (count("building"), count("street")),
        (444, 727),
        "{}",
        short(&s)
    );
    // Every twin fed within a minute (one message a second each).
    let s = page.until("every city twin fed", Duration::from_secs(60), |s| {
        s["twins"].as_array().is_some_and(|t| {
            t.iter().all(|t| {
                t["sensors"]
                    .as_array()
                    .is_some_and(|x| x.iter().all(|x| x["value"].is_number()))
            })
        })
    });
    assert_eq!(counter(&s, "rejected"), 0, "{}", short(&s));
    let png = save(&page.screenshot(), "browser-city.png");
    println!("look at {}", png.display());
}

#[test]
#[ignore = "needs the bundle (scripts/build-web.sh) and chromium; scripts/test.sh runs it"]
fn the_page_asks_for_the_login_of_a_broker_other_machines_reach() {
    // `serve --listen 0.0.0.0`: the page, the broker's TCP and WebSocket
    // listeners on every address; the broker takes this one login.
    let login = [
        ("TWINSCAPE_MQTT_USERNAME", "operator"),
        ("TWINSCAPE_MQTT_PASSWORD", "s3cret"),
    ];
    let serve = serve_page(&["--listen", "0.0.0.0"], &login);
    let url = format!("http://127.0.0.1:{}/", serve.http.unwrap());
    let mut page = Chromium::start(1280, 720);
    let form_shown = |page: &mut Chromium| {
        page.eval("getComputedStyle(document.getElementById('login')).display") == "flex"
    };
    let submit = |page: &mut Chromium, user: &str, password: &str| {
        page.eval(&format!(
            "document.getElementById('login-user').value = {user:?}; \
             document.getElementById('login-password').value = {password:?}; \
             document.getElementById('login').requestSubmit(); true"
        ));
    };
    let wait_for_form = |page: &mut Chromium| {
        let start = Instant::now();
        while !form_shown(page) {
            assert!(start.elapsed() < FIRST_FRAME_WAIT, "no login form");
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // A wrong password: the page says so and applies nothing.
    page.navigate(&url);
    wait_for_form(&mut page);
    let png = save(&page.screenshot(), "browser-login.png");
    println!("look at {}", png.display());
    submit(&mut page, "operator", "wrong");
    let shown = status_within(&mut page, FIRST_FRAME_WAIT, |t| t.starts_with("MQTT "));
    assert!(shown.contains("a wrong user name or password?"), "{shown}");
    let s = page.snapshot();
    assert_eq!(counter(&s, "applied"), 0, "{}", short(&s));
    assert_eq!(s["config"]["login"], true, "{}", short(&s));
    // The right one: the factory live.
    page.navigate(&url);
    wait_for_form(&mut page);
    submit(&mut page, "operator", "s3cret");
    let s = page.until("the factory live with the login", FIRST_FRAME_WAIT, live);
    println!(
        "with the login: {} samples applied, {} connection(s)",
        counter(&s, "applied"),
        counter(&s, "connects")
    );
}

/// Waits for the page to draw `n` more frames (a key held that long is
/// seen by the app, which reads the keyboard once a frame).
fn frames_pass(page: &mut Chromium, n: u64) {
    let from = page.snapshot()["frames"].as_u64().unwrap_or(0);
    page.until("frames to pass", Duration::from_secs(60), |s| {
        s["frames"].as_u64().unwrap_or(0) >= from + n
    });
}

/// `key` (with Ctrl held when `ctrl`) pressed on the page's canvas, held
/// for two frames, let go.
fn press(page: &mut Chromium, key: &str, code: &str, key_code: u32, ctrl: bool) {
    page.eval("document.getElementById('twinscape').focus(); true");
    let held = if ctrl { 2 } else { 0 };
    if ctrl {
        page.key(true, "Control", "ControlLeft", 17, 2);
    }
    page.key(true, key, code, key_code, held);
    frames_pass(page, 2);
    page.key(false, key, code, key_code, held);
    if ctrl {
        page.key(false, "Control", "ControlLeft", 17, 0);
    }
}

/// The page's edit mode: E, and the scene fetched from the server.
fn start_editing(page: &mut Chromium) -> Value {
    press(page, "e", "KeyE", 69, false);
    page.until(
        "edit mode with the scene fetched",
        Duration::from_secs(60),
        |s| s["editor"]["on"] == true && s["editor"]["open"] == true,
    )
}

/// A copy of the shipped factory in a folder of its own under the tests'
/// scratch folder: its path and text.
fn factory_copy(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("scenes/factory.scene.ron").unwrap();
    let file = dir.join("factory.scene.ron");
    std::fs::write(&file, &text).unwrap();
    (file, text)
}

#[test]
#[ignore = "needs the bundle (scripts/build-web.sh) and chromium; scripts/test.sh runs it"]
fn the_page_edits_its_scene_and_saves_it_through_serve_or_as_a_download() {
    // The one line the edit changes: cnc-1's warning limit (line 108 of the
    // shipped factory; the next two machines have the same limit).
    let edit = |text: &str, warn: &str| {
        text.replacen("warn: Some(75.0)", &format!("warn: Some({warn})"), 1)
    };
    let (file, text) = factory_copy("browser-edit");
    let scene = file.to_str().unwrap();
    let serve = serve_page(&["--scene", scene, "--allow-edit"], &[]);
    let http = serve.http.unwrap();
    let mut page = Chromium::start(1280, 720);
    page.navigate(&format!("http://127.0.0.1:{http}/"));
    let s = page.until("the factory live in the page", FIRST_FRAME_WAIT, live);
    assert_eq!(s["config"]["edit"], true, "{}", short(&s));
    assert_eq!(s["editor"]["on"], false, "{}", short(&s));

    let s = start_editing(&mut page);
    assert_eq!(s["editor"]["dirty"], false, "{}", short(&s));
    // A value the loader refuses (warn above the alarm, 85 °C) is said and
    // not taken.
    page.eval("window.twinscape.edit('cnc-1/temperature.warn', 'Some(500.0)'); true");
    let s = page.until("the refusal", Duration::from_secs(30), |s| {
        s["editor"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("warn 500"))
    });
    assert_eq!(s["editor"]["dirty"], false, "{}", short(&s));
    // One that loads; Ctrl+S saves it through the server.
    page.eval("window.twinscape.edit('cnc-1/temperature.warn', 'Some(75.5)'); true");
    page.until("the edit taken", Duration::from_secs(30), |s| {
        s["editor"]["dirty"] == true
    });
    let png = save(&page.screenshot(), "browser-edit.png");
    println!("look at {}", png.display());
    press(&mut page, "s", "KeyS", 83, true);
    let s = page.until("the save", Duration::from_secs(30), |s| {
        s["editor"]["dirty"] == false && !s["editor"]["note"].is_null()
    });
    assert_eq!(
        s["editor"]["note"],
        "saved scenes/factory.scene.ron on the server",
        "{}",
        short(&s)
    );
    let saved = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        saved,
        edit(&text, "75.5"),
        "only cnc-1's limit changed, every other byte kept"
    );

    // Someone changes the file on the server; a save over it is refused
    // and their change kept.
    let theirs = saved.replacen("// ", "// (theirs) ", 1);
    std::fs::write(&file, &theirs).unwrap();
    page.eval("window.twinscape.edit('cnc-1/temperature.warn', 'Some(76.0)'); true");
    page.until("the second edit", Duration::from_secs(30), |s| {
        s["editor"]["dirty"] == true
    });
    press(&mut page, "s", "KeyS", 83, true);
    let s = page.until("the refused save", Duration::from_secs(30), |s| {
        s["editor"]["conflict"] == true
    });
    let error = s["editor"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("changed on the server since this page read it"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs);
    drop(serve);

    // Served without --allow-edit: Ctrl+S offers the edited scene as a
    // download and the server's file stays as it was.
    let (file, text) = factory_copy("browser-read-only");
    let downloads = file.parent().unwrap().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let serve = serve_page(&["--scene", file.to_str().unwrap()], &[]);
    page.call(
        "Page.setDownloadBehavior",
        serde_json::json!({"behavior": "allow", "downloadPath": downloads.to_str().unwrap()}),
    );
    page.navigate(&format!("http://127.0.0.1:{}/", serve.http.unwrap()));
    let s = page.until("the read-only page live", FIRST_FRAME_WAIT, live);
    assert_eq!(s["config"]["edit"], false, "{}", short(&s));
    start_editing(&mut page);
    page.eval("window.twinscape.edit('cnc-1/temperature.warn', 'Some(75.5)'); true");
    page.until("the edit taken", Duration::from_secs(30), |s| {
        s["editor"]["dirty"] == true
    });
    press(&mut page, "s", "KeyS", 83, true);
    let s = page.until("the download offered", Duration::from_secs(30), |s| {
        s["editor"]["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("downloaded"))
    });
    assert_eq!(
        s["editor"]["dirty"], true,
        "not saved anywhere but the download"
    );
    let got = downloads.join("factory.scene.ron");
    let start = Instant::now();
    while !got.is_file() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no download in {}",
            downloads.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(std::fs::read_to_string(&got).unwrap(), edit(&text, "75.5"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // Nothing the page did logged an error (Bevy's log goes to the console).
    let errors: Vec<&String> = page
        .console
        .iter()
        .filter(|l| l.contains("ERROR"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

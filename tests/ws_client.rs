//! The browser's MQTT client (`telemetry::ws`), driven natively the way a
//! page will drive it: a WebSocket with subprotocol `mqtt` and binary
//! frames, opened on the embedded broker's WebSocket listener, while the
//! simulated plant and an outside client publish over TCP. What arrives
//! must decode through the scene's router into samples for the factory's
//! real sensors, and pings alone must keep a quiet link up past keepalive.

mod common;

use std::collections::HashSet;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::{Message, WebSocket};
use twinscape::scene::format::{self, SceneDef};
use twinscape::telemetry::payload::{Sample, decode_message};
use twinscape::telemetry::ws::{Client, Event, Settings};
use twinscape::telemetry::{BrokerUrl, Router, broker};

use common::{Publisher, factory_scene, free_port};

/// How long one read waits before the client's clock ticks.
const READ_TIMEOUT: Duration = Duration::from_millis(20);

/// A PINGREQ as the client writes it.
const PINGREQ: [u8; 2] = [0xC0, 0x00];

fn factory() -> SceneDef {
    let path = factory_scene();
    format::parse(
        &std::fs::read_to_string(&path).unwrap(),
        &path.to_string_lossy(),
    )
    .unwrap()
}

/// Opens `ws://127.0.0.1:PORT/mqtt` asking for subprotocol `mqtt`, as a
/// browser's `new WebSocket(url, "mqtt")` does.
fn open(port: u16) -> Result<WebSocket<TcpStream>, String> {
    let mut request = format!("ws://127.0.0.1:{port}/mqtt")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
    let tcp = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let (socket, response) = tungstenite::client(request, tcp).map_err(|e| e.to_string())?;
    // tungstenite 0.21 does not check the answer; a browser does.
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol"),
        Some(&HeaderValue::from_static("mqtt")),
        "the broker answers with subprotocol mqtt"
    );
    socket
        .get_ref()
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// What a page's glue will do, with a blocking socket: open when the
/// client says, pass frames in, tick, send what it writes.
struct Driver {
    client: Client,
    port: u16,
    socket: Option<WebSocket<TcpStream>>,
    start: Instant,
    /// Every frame sent, with the time it was sent (ms since the start).
    sent: Vec<(u64, Vec<u8>)>,
}

impl Driver {
    fn new(settings: Settings, port: u16) -> Driver {
        Driver {
            client: Client::new(settings, 0).expect("valid settings"),
            port,
            socket: None,
            start: Instant::now(),
            sent: vec![],
        }
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// One turn: open or read (waiting at most `READ_TIMEOUT`), tick, send;
    /// returns the events.
    fn step(&mut self) -> Vec<Event> {
        let now = self.now_ms();
        match self.socket.as_mut() {
            None if self.client.reconnect_at().is_some_and(|at| at <= now) => {
                match open(self.port) {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        self.client.connected(now);
                    }
                    Err(_) => self.client.closed(now),
                }
            }
            None => thread::sleep(READ_TIMEOUT),
            Some(socket) => match socket.read() {
                Ok(Message::Binary(bytes)) => self.client.received(&bytes, now),
                Ok(Message::Close(_)) => self.drop_socket(),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => self.drop_socket(),
            },
        }
        let now = self.now_ms();
        self.client.tick(now);
        while let Some(frame) = self.client.poll_send() {
            let Some(socket) = self.socket.as_mut() else {
                break;
            };
            self.sent.push((now, frame.clone()));
            if socket.send(Message::Binary(frame)).is_err() {
                self.drop_socket();
            }
        }
        let events: Vec<Event> = std::iter::from_fn(|| self.client.poll_event()).collect();
        if events
            .iter()
            .any(|e| matches!(e, Event::Disconnected { .. }))
        {
            // The client gave up on this transport: close it.
            if let Some(mut socket) = self.socket.take() {
                let _ = socket.close(None);
            }
        }
        events
    }

    fn drop_socket(&mut self) {
        self.socket = None;
        self.client.closed(self.now_ms());
    }

    /// Steps until `done` holds for an event (returning the events so far),
    /// or fails the test with `what`.
    fn until(
        &mut self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&Event) -> bool,
    ) -> Vec<Event> {
        let deadline = Instant::now() + limit;
        let mut seen = vec![];
        loop {
            for event in self.step() {
                let hit = done(&event);
                seen.push(event);
                if hit {
                    return seen;
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; events: {seen:?}"
            );
        }
    }

    fn pings_sent(&self) -> usize {
        self.sent.iter().filter(|(_, f)| f[..] == PINGREQ).count()
    }
}

/// Decodes a message through the router; fails the test on a reject.
fn samples(router: &Router, topic: &str, payload: &[u8]) -> Vec<Sample> {
    let mut out = vec![];
    let (_, reject) = decode_message(router, topic, payload, 0, |s| out.push(s));
    assert_eq!(
        reject,
        None,
        "{topic}: {:?}",
        String::from_utf8_lossy(payload)
    );
    out
}

fn subscribed(events: &[Event]) -> (&[String], &[String]) {
    events
        .iter()
        .find_map(|e| match e {
            Event::Subscribed { granted, refused } => Some((&granted[..], &refused[..])),
            _ => None,
        })
        .expect("a Subscribed event")
}

#[test]
fn the_plants_messages_reach_a_websocket_subscriber_as_the_factorys_sensors() {
    let scene = factory();
    let router = Router::from_scene(&scene);
    let ports = broker::start(&broker::Listen::local(free_port(), free_port())).unwrap();
    let _plant = twinscape::plant::spawn(&scene, &BrokerUrl::local(ports.tcp), 1, 20.0);
    let settings = Settings {
        keep_alive_s: 1,
        pingresp_timeout_ms: 800,
        ..Settings::for_router(format!("ws-test-{}", ports.ws), &router)
    };
    let filters = settings.filters.clone();
    let mut ws = Driver::new(settings, ports.ws);

    let events = ws.until("subscribed", Duration::from_secs(10), |e| {
        matches!(e, Event::Subscribed { .. })
    });
    assert_eq!(events[0], Event::Connected);
    let (granted, refused) = subscribed(&events);
    assert_eq!(granted, &filters[..]);
    assert!(refused.is_empty(), "{refused:?}");

    // Four keepalive intervals of the plant's traffic.
    let subscribed_at = ws.now_ms();
    let mut fed: HashSet<u32> = HashSet::new();
    let mut last_message_at = 0;
    while ws.now_ms() < subscribed_at + 4_000 {
        for event in ws.step() {
            match event {
                Event::Message { topic, payload } => {
                    fed.extend(samples(&router, &topic, &payload).iter().map(|s| s.sensor));
                    last_message_at = ws.now_ms();
                }
                other => panic!("the link stays up, but: {other:?}"),
            }
        }
    }
    assert!(ws.client.is_connected());
    assert!(
        last_message_at > subscribed_at + 3_500,
        "messages still arrive after 3.5 s (last at {last_message_at} ms)"
    );
    // Receiving is not sending: the client pings all the same.
    let pings = ws.pings_sent();
    assert!(
        (3..=5).contains(&pings),
        "one ping a second, {pings} in 4 s"
    );
    let sensors = scene.sensors().count() as u32;
    assert!(fed.iter().all(|&s| s < sensors), "{fed:?}");
    assert!(
        fed.len() >= 30,
        "the plant feeds every bound sensor; {} of {sensors} seen",
        fed.len()
    );
}

#[test]
fn pings_alone_keep_a_quiet_link_up_and_a_value_published_over_tcp_arrives() {
    let scene = factory();
    let router = Router::from_scene(&scene);
    let ports = broker::start(&broker::Listen::local(free_port(), free_port())).unwrap();
    let settings = Settings {
        keep_alive_s: 1,
        pingresp_timeout_ms: 800,
        ..Settings::for_router(format!("ws-test-{}", ports.ws), &router)
    };
    let mut ws = Driver::new(settings, ports.ws);
    ws.until("subscribed", Duration::from_secs(10), |e| {
        matches!(e, Event::Subscribed { .. })
    });

    // Nobody publishes: rumqttd drops a client it has not heard from for
    // 1.5 keepalive intervals (its timer restarts whenever it sends to the
    // client, so this only shows on a quiet link), and the client gives up
    // on a ping unanswered for 800 ms.
    let quiet_from = ws.now_ms();
    while ws.now_ms() < quiet_from + 4_000 {
        let events = ws.step();
        assert!(events.is_empty(), "the quiet link stays up: {events:?}");
    }
    let pings = ws.pings_sent();
    assert!(
        (3..=5).contains(&pings),
        "one ping a second, {pings} in 4 s"
    );

    Publisher::connect(ports.tcp).publish("sensor/temperature", "1234.5");
    let events = ws.until("the message arrives", Duration::from_secs(10), |e| {
        matches!(e, Event::Message { .. })
    });
    let [Event::Message { topic, payload }] = &events[..] else {
        panic!("only the message, on the same connection: {events:?}")
    };
    assert_eq!(
        (topic.as_str(), &payload[..]),
        ("sensor/temperature", &b"1234.5"[..])
    );
    let cnc1_temperature = scene
        .sensors()
        .position(|(twin, sensor)| twin.id == "cnc-1" && sensor.name == "temperature")
        .unwrap() as u32;
    let got = samples(&router, topic, payload);
    assert_eq!(
        got.iter().map(|s| (s.sensor, s.value)).collect::<Vec<_>>(),
        [(cnc1_temperature, 1234.5)]
    );
}

#[test]
fn a_broker_with_a_login_takes_the_right_one_and_refuses_the_rest() {
    // As `serve --listen 0.0.0.0` starts it (here on 127.0.0.1).
    let ports = broker::start(&broker::Listen {
        login: Some(("operator".into(), "s3cret".into())),
        ..broker::Listen::local(free_port(), free_port())
    })
    .unwrap();
    let with = |login: Option<(&str, &str)>| Settings {
        login: login.map(|(u, p)| (u.to_string(), p.to_string())),
        ..Settings::new(format!("ws-login-{}", ports.ws), vec!["#".into()])
    };
    for (login, said) in [
        (
            Some(("operator", "wrong")),
            "the connection closed before the broker accepted it (a wrong user name or password?)",
        ),
        (None, "the connection closed before the broker accepted it"),
    ] {
        let mut ws = Driver::new(with(login), ports.ws);
        let events = ws.until("refused", Duration::from_secs(10), |e| {
            matches!(e, Event::Disconnected { .. })
        });
        let Some(Event::Disconnected { why, .. }) = events.last() else {
            panic!("{events:?}")
        };
        assert_eq!(why.to_string(), said, "{login:?}");
    }
    let mut ws = Driver::new(with(Some(("operator", "s3cret"))), ports.ws);
    ws.until(
        "subscribed with the right login",
        Duration::from_secs(10),
        |e| matches!(e, Event::Subscribed { .. }),
    );
    // The twin and the plant connect over TCP with the same login.
    let mut url = BrokerUrl::local(ports.tcp);
    (url.username, url.password) = (Some("operator".into()), Some("s3cret".into()));
    let _plant = twinscape::plant::spawn(&factory(), &url, 1, 20.0);
    ws.until("a reading from the plant", Duration::from_secs(10), |e| {
        matches!(e, Event::Message { .. })
    });
}

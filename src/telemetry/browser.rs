//! The browser's ingest: `ws::Client` driven by a `web_sys::WebSocket`
//! (subprotocol `mqtt`, binary frames). Messages go through the same
//! `decode_message` and `Router` as the native thread, into the same sample
//! channel and counters.
//!
//! Time moves by `tick`, which the page calls from a Web Worker's timer:
//! frames stop in a hidden tab and the page's own timers are throttled
//! there, a worker's are not, so keepalive pings keep the link up while the
//! tab is in the background.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::Sender;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use super::ws::{Client, Event, Settings};
use super::{IngestCounters, LinkState, Router, Sample, ingest_message, now_ms};

thread_local! {
    /// The one link of the page; a new scene replaces it.
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
}

/// The socket's handlers, kept alive as long as the socket is ours.
struct Handlers {
    _open: Closure<dyn FnMut()>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut()>,
}

struct Socket {
    ws: WebSocket,
    /// Which socket this is: events of an older one are ignored.
    generation: u64,
    _handlers: Handlers,
}

struct Link {
    url: String,
    client: Client,
    socket: Option<Socket>,
    generation: u64,
    router: Arc<Router>,
    tx: Sender<Sample>,
    counters: Arc<IngestCounters>,
}

thread_local! {
    /// The user name and password the page was given for its broker.
    static LOGIN: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// The login the next link sends in its CONNECT (the page's form).
pub(crate) fn set_login(login: Option<(String, String)>) {
    LOGIN.with(|l| *l.borrow_mut() = login);
}

/// Starts ingest from `url` (ws:// or wss://) for the scene's router,
/// replacing the link of an earlier scene.
pub(crate) fn start(
    url: &str,
    router: Arc<Router>,
    tx: Sender<Sample>,
    counters: Arc<IngestCounters>,
) {
    stop();
    let client_id = format!(
        "twinscape-web-{:08x}",
        (js_sys::Math::random() * 4e9) as u64
    );
    let mut settings = Settings::for_router(client_id, &router);
    settings.login = LOGIN.with(|l| l.borrow().clone());
    let client = match Client::new(settings, now_ms()) {
        Ok(client) => client,
        Err(e) => {
            counters.set_link(LinkState::Stopped);
            counters.set_error(e.to_string());
            return;
        }
    };
    counters.set_link(LinkState::Connecting);
    LINK.with(|l| {
        *l.borrow_mut() = Some(Link {
            url: url.to_string(),
            client,
            socket: None,
            generation: 0,
            router,
            tx,
            counters,
        })
    });
    tick();
}

/// Closes the link, if there is one.
pub(crate) fn stop() {
    if let Some(link) = LINK.with(|l| l.borrow_mut().take())
        && let Some(socket) = link.socket
    {
        let _ = socket.ws.close();
    }
}

/// Time passed: pings, timeouts, and a new socket when a reconnect is due.
pub(crate) fn tick() {
    with_link(None, |link| {
        let now = now_ms();
        link.client.tick(now);
        if link.socket.is_none() && link.client.reconnect_at().is_some_and(|t| t <= now) {
            link.open(now);
        }
    });
}

/// Runs `f` on the link, then sends and reports what the client has for
/// its driver. `generation`: only if the link's socket is still that one.
fn with_link(generation: Option<u64>, f: impl FnOnce(&mut Link)) {
    LINK.with(|l| {
        let mut guard = l.borrow_mut();
        let Some(link) = guard.as_mut() else { return };
        if generation.is_some_and(|g| link.socket.as_ref().map(|s| s.generation) != Some(g)) {
            return;
        }
        f(link);
        link.pump();
    });
}

impl Link {
    fn open(&mut self, now: u64) {
        self.generation += 1;
        let generation = self.generation;
        let ws = match WebSocket::new_with_str(&self.url, "mqtt") {
            Ok(ws) => ws,
            Err(e) => {
                // A URL the browser refuses: said, and tried again later.
                let why = e.as_string().unwrap_or_else(|| format!("{e:?}"));
                self.counters
                    .set_error(format!("cannot open {}: {why}", self.url));
                self.client.closed(now);
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let open = Closure::<dyn FnMut()>::new(move || {
            with_link(Some(generation), |link| link.client.connected(now_ms()))
        });
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Ok(buffer) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                with_link(Some(generation), |link| {
                    link.client.received(&bytes, now_ms())
                });
            }
        });
        let close = Closure::<dyn FnMut()>::new(move || {
            with_link(Some(generation), |link| {
                link.socket = None;
                link.client.closed(now_ms());
            })
        });
        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        self.socket = Some(Socket {
            ws,
            generation,
            _handlers: Handlers {
                _open: open,
                _message: message,
                _close: close,
            },
        });
    }

    /// Sends what the client wrote and handles what it reports.
    fn pump(&mut self) {
        while let Some(bytes) = self.client.poll_send() {
            if let Some(socket) = &self.socket
                && socket.ws.send_with_u8_array(&bytes).is_err()
            {
                // The socket is closing; its close event follows.
                break;
            }
        }
        while let Some(event) = self.client.poll_event() {
            self.handle(event);
        }
    }

    fn handle(&mut self, event: Event) {
        let counters = &self.counters;
        match event {
            Event::Connected => {
                counters.set_link(LinkState::Connected);
                counters.connects.fetch_add(1, Ordering::Relaxed);
            }
            Event::Subscribed { refused, .. } => {
                if !refused.is_empty() {
                    counters.set_error(format!(
                        "the broker refused the subscription to {}",
                        refused.join(", ")
                    ));
                }
            }
            Event::Message { topic, payload } => {
                // A closed channel means the app is gone, and the page with it.
                ingest_message(&self.router, &topic, &payload, counters, |s| {
                    self.tx.try_send(s)
                });
            }
            Event::Disconnected { why, .. } => {
                counters.set_link(LinkState::Reconnecting);
                counters.set_error(format!("{} ({})", why, self.url));
                // The client gave up on an open socket: close it; its close
                // event tells the client, which then waits out the backoff.
                if let Some(socket) = &self.socket
                    && socket.ws.ready_state() <= WebSocket::OPEN
                {
                    let _ = socket.ws.close();
                }
            }
        }
    }
}

//! The editor in the browser: the scene file lives on the server that
//! served the page. Edit mode fetches it (a GET of the page's scene); a save
//! goes back with a PUT to `twinscape serve --allow-edit` (`web::edit`),
//! which checks it with the loader's code, saves it atomically and refuses
//! when the file changed there since the page read it (then the panel
//! offers "reload theirs" or "keep mine"). A page whose server takes no
//! saves offers the edited scene as a download. Checks use the city map
//! and ONNX models the page loaded with the scene (`Sources::Loaded`).

use std::path::PathBuf;

use bevy::prelude::*;
use crossbeam_channel::{Receiver, TryRecvError, bounded};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::Sources;
use super::plugin::Editor;
use super::save::fingerprint;
use super::session::EditSession;
use crate::TwinSet;
use crate::scene::{ActiveScene, SceneAsset};
use crate::web::edit::{BASE_HEADER, EDIT_PATH, SCENE_HEADER};

/// What the editor asks of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Fetch the scene to start editing it.
    Open,
    /// Fetch it again, taking the other change ("reload theirs").
    Reload,
    /// Save, unless the file changed since it was read.
    Save,
    /// Save over the other change ("keep mine").
    SaveAnyway,
}

/// The page's scene and whether its server takes saves (`config.json`).
#[derive(Resource, Debug, Clone)]
pub struct RemoteScene {
    /// The scene relative to the page: `scenes/NAME.scene.ron`.
    pub url: String,
    pub can_save: bool,
}

/// A server's answer: its status and body, or why there was none.
type Reply = Result<(u16, String), String>;

/// A request on its way: what it was for, the text sent, the answer to come.
struct InFlight {
    want: Want,
    sent: String,
    reply: Receiver<Reply>,
}

pub(crate) fn plugin(app: &mut App) {
    app.add_systems(Update, exchange.in_set(TwinSet::Present));
}

/// Sends what the editor wants (one request at a time) and takes the answer.
fn exchange(
    mut editor: ResMut<Editor>,
    remote: Option<Res<RemoteScene>>,
    active: Option<Res<ActiveScene>>,
    scenes: Res<Assets<SceneAsset>>,
    mut flight: Local<Option<InFlight>>,
) {
    let Some(remote) = remote else {
        return;
    };
    if let Some(f) = flight.as_ref() {
        let reply = match f.reply.try_recv() {
            Ok(reply) => reply,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("no answer".into()),
        };
        let Some(f) = flight.take() else { return };
        let loaded = active
            .and_then(|a| scenes.get(&a.handle))
            .map(|s| Sources::Loaded {
                map: s.map.clone(),
                models: s.models.clone(),
            });
        answered(&mut editor, &remote, f, reply, loaded.unwrap_or_default());
        return;
    }
    let Some(want) = editor.want.take() else {
        return;
    };
    *flight = match want {
        Want::Open | Want::Reload => Some(InFlight {
            want,
            sent: String::new(),
            reply: request(
                "GET",
                &remote.url,
                None,
                &[("cache-control", "no-cache".into())],
            ),
        }),
        Want::Save | Want::SaveAnyway => send(&mut editor, &remote, want),
    };
}

/// A save: a PUT to the server, or a download when it takes none.
fn send(editor: &mut Editor, remote: &RemoteScene, want: Want) -> Option<InFlight> {
    let session = editor.session.as_ref()?;
    let text = session.text().to_string();
    if !remote.can_save {
        let name = remote.url.rsplit('/').next().unwrap_or("scene.scene.ron");
        match download(name, &text) {
            Ok(()) => {
                editor.error = None;
                editor.note = Some(format!(
                    "downloaded {name}: this page's server saves nothing \
                     (twinscape serve --allow-edit saves to the file)"
                ));
            }
            Err(e) => editor.error = Some(format!("could not offer {name} as a download: {e:?}")),
        }
        return None;
    }
    let mut headers = vec![(SCENE_HEADER, remote.url.clone())];
    if want == Want::Save {
        headers.push((BASE_HEADER, fingerprint(session.base())));
    }
    let reply = request("PUT", EDIT_PATH, Some(&text), &headers);
    Some(InFlight {
        want,
        sent: text,
        reply,
    })
}

/// What the server's answer does to the editor.
fn answered(
    editor: &mut Editor,
    remote: &RemoteScene,
    f: InFlight,
    reply: Reply,
    sources: Sources,
) {
    let (status, body) = match reply {
        Ok(answer) => answer,
        Err(e) => {
            editor.error = Some(format!("{}: {e}", remote.url));
            return;
        }
    };
    match f.want {
        Want::Open | Want::Reload if status == 200 => {
            match EditSession::from_text(PathBuf::from(&remote.url), body, sources) {
                Ok(fresh) => {
                    let note = match editor.session.as_mut() {
                        Some(session) => {
                            session.take_theirs(fresh);
                            Some("reloaded: the file as the server has it".to_string())
                        }
                        None => {
                            editor.session = Some(fresh);
                            None
                        }
                    };
                    editor.after(Ok(note));
                }
                Err(e) => editor.error = Some(e.to_string()),
            }
        }
        Want::Open | Want::Reload => {
            editor.error = Some(format!(
                "{}: the server answered {status} {body}",
                remote.url
            ));
        }
        Want::Save | Want::SaveAnyway if status == 200 => {
            if let Some(session) = editor.session.as_mut() {
                session.saved(f.sent);
            }
            editor.error = None;
            editor.note = Some(body);
        }
        Want::Save | Want::SaveAnyway => {
            editor.conflict = status == 409;
            editor.error = Some(body);
        }
    }
}

/// An HTTP request from the page (`XMLHttpRequest`, asynchronous: nothing
/// waits); the answer arrives on the returned channel.
fn request(
    method: &str,
    url: &str,
    body: Option<&str>,
    headers: &[(&str, String)],
) -> Receiver<Reply> {
    let (tx, rx) = bounded(1);
    let sent = (|| -> Result<(), JsValue> {
        let xhr = web_sys::XmlHttpRequest::new()?;
        xhr.open_with_async(method, url, true)?;
        for (name, value) in headers {
            xhr.set_request_header(name, value)?;
        }
        let answered = xhr.clone();
        let tx = tx.clone();
        let done = Closure::once_into_js(move || {
            let reply = match (answered.status(), answered.response_text()) {
                (Ok(0), _) => Err("the server did not answer".to_string()),
                (Ok(status), Ok(text)) => Ok((status, text.unwrap_or_default())),
                _ => Err("the answer could not be read".to_string()),
            };
            let _ = tx.send(reply);
        });
        xhr.set_onloadend(Some(done.unchecked_ref()));
        xhr.send_with_opt_str(body)
    })();
    if let Err(e) = sent {
        let _ = tx.send(Err(format!("the request failed: {e:?}")));
    }
    rx
}

/// Offers `text` as a file called `name` (the browser's download).
fn download(name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("the page has no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download may still be reading this one: the previous is let go.
    match LAST_DOWNLOAD.with(|last| last.replace(Some(url))) {
        Some(previous) => web_sys::Url::revoke_object_url(&previous),
        None => Ok(()),
    }
}

thread_local! {
    /// The object URL of the last download offered.
    static LAST_DOWNLOAD: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

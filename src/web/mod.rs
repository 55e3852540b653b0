//! The browser build: the same app as the viewer, in a web page.
//!
//! `config` (pure) resolves what the page loads and where its broker is;
//! `page` (wasm32 with the viewer) starts the app on the page's canvas and
//! keeps the page contract, `window.twinscape.snapshot()`, up to date;
//! `serve` (native) is `twinscape serve`'s web server, and `edit` its
//! saving of the page's scene (`serve --allow-edit`). The
//! entry point the page calls is the `twinscape-web` binary (`src/bin/web.rs`).

pub mod config;
pub mod edit;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;

#[cfg(all(target_arch = "wasm32", feature = "viewer"))]
mod page;

#[cfg(all(target_arch = "wasm32", feature = "viewer"))]
pub use page::{edit, snapshot_json, start, tick};

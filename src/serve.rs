//! `twinscape serve`: the browser build with everything it needs on this
//! machine: the embedded broker (TCP for the plant, WebSocket for the page)
//! and the simulated plant, or `--broker`'s broker; the page over HTTP.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use bevy::prelude::AppExit;
use twinscape::scene::format;
use twinscape::telemetry::{BrokerUrl, TelemetrySource, broker};
use twinscape::web::edit::Editable;
use twinscape::web::serve::{Site, page_config, start};

use super::{CliError, Common, say};

/// `serve`'s own flags.
#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// The HTTP port (0: any free one).
    #[arg(long, default_value_t = 8080, value_name = "PORT")]
    http: u16,
    /// The folder with index.html and the built bundle (dist/).
    #[arg(long, value_name = "DIR")]
    web: Option<PathBuf>,
    /// With --broker: the address the page reaches that broker at, over
    /// WebSocket ({host} stands for the page's host).
    #[arg(long, value_name = "ws://HOST:PORT/PATH")]
    page_broker: Option<String>,
    /// The address the page and the embedded broker listen on. Anything but
    /// 127.0.0.1 (e.g. 0.0.0.0: every address) reaches other machines, so
    /// the embedded broker then takes one login, TWINSCAPE_MQTT_USERNAME and
    /// TWINSCAPE_MQTT_PASSWORD(_FILE), which the page asks for.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    listen: IpAddr,
    /// The page's editor saves the scene back to its file (atomically,
    /// checked, never over a change made since the page read it). Without
    /// it the page offers the edited scene as a download. Only with
    /// --listen on a loopback address.
    #[arg(long)]
    allow_edit: bool,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long = "for", value_name = "SECONDS", value_parser = super::positive_secs)]
    run_for: Option<f64>,
}

pub(crate) fn serve(
    scene: &format::SceneDef,
    scene_path: &std::path::Path,
    common: &Common,
    broker: Option<BrokerUrl>,
    args: ServeArgs,
) -> Result<AppExit, CliError> {
    let given = broker.is_some();
    if given && args.page_broker.is_none() {
        return Err(CliError::BrokerUrl(
            "the page reaches the broker over WebSocket: give that address with \
             --page-broker ws://HOST:PORT/PATH"
                .into(),
        ));
    }
    if args.allow_edit && !args.listen.is_loopback() {
        return Err(CliError::EditOpen(args.listen));
    }
    let (scenes, scene_file) = twinscape::app::scene_folder_and_file(scene_path);
    let web = args.web.unwrap_or_else(default_web);
    // Checked by the page's own rules before anything starts.
    if let Some(page) = &args.page_broker {
        twinscape::web::config::resolve(
            &page_config(&scene_file, page, false, false),
            "",
            "127.0.0.1",
        )
        .map_err(|e| CliError::BrokerUrl(format!("--page-broker: {e}")))?;
    }
    let (source, simulate, ws) =
        super::connect::telemetry_source(common, broker, false, scene, args.listen)?;
    // The embedded broker wants the login it was given; the page asks.
    let login = ws.is_some() && !args.listen.is_loopback();
    let page_broker = args
        .page_broker
        .or_else(|| ws.map(|port| format!("ws://{{host}}:{port}/mqtt")))
        .unwrap_or_default();
    // `simulate`: always with the embedded broker, with --broker if asked.
    let _plant = match (&source, simulate) {
        (TelemetrySource::Mqtt(url), true) => {
            say(&format!("simulated plant publishing to {url}"));
            Some(twinscape::plant::spawn(
                scene,
                url,
                common.seed,
                common.sim_rate,
            ))
        }
        _ => None,
    };
    let site = Site {
        web,
        scenes,
        assets: twinscape::app::assets_dir().into(),
        config_json: page_config(&scene_file, &page_broker, login, args.allow_edit),
        edit: args.allow_edit.then(|| Editable {
            file: scene_path.to_path_buf(),
            name: format!("scenes/{scene_file}"),
        }),
    };
    let addr = start(site, args.listen, args.http)?;
    let here = SocketAddr::new(broker::reachable(addr.ip()), addr.port());
    if args.allow_edit {
        say(&format!(
            "the page saves its edits to {}",
            scene_path.display()
        ));
    }
    say(&format!("open http://{here}/"));
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        if args
            .run_for
            .is_some_and(|s| started.elapsed().as_secs_f64() >= s)
        {
            return Ok(AppExit::Success);
        }
    }
}

/// `web/` of the checkout when run from one, else `./web`.
fn default_web() -> PathBuf {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    if here.is_dir() {
        here
    } else {
        PathBuf::from("web")
    }
}

//! Where the twin's data comes from: the broker given with `--broker`, with
//! its TLS configuration and password, or the embedded broker.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use twinscape::scene::format::SceneDef;
use twinscape::telemetry::{BrokerUrl, Delivery, TelemetrySource, broker};

use super::{CliError, Common, say};

/// Where the twin's data comes from, and whether the simulated plant runs.
pub(crate) fn telemetry_source(
    common: &Common,
    broker: Option<BrokerUrl>,
    replaying: bool,
    scene: &SceneDef,
    listen: IpAddr,
) -> Result<(TelemetrySource, bool, Option<u16>), CliError> {
    Ok(match broker {
        _ if replaying => (TelemetrySource::Channel, false, None),
        Some(mut url) => {
            if let Ok(user) = std::env::var("TWINSCAPE_MQTT_USERNAME") {
                url.username = Some(user);
            }
            url.password = password_from_env()?;
            (TelemetrySource::Mqtt(url), common.simulate, None)
        }
        None => {
            let login = (!listen.is_loopback())
                .then(|| embedded_login(listen))
                .transpose()?;
            let ports = broker::start(&broker::Listen {
                addr: listen,
                tcp: common.port,
                ws: common.ws_port,
                logs: twinscape::plant::broker_logs(scene),
                login: login.clone(),
            })
            .map_err(CliError::Broker)?;
            let (tcp, ws) = (
                SocketAddr::new(listen, ports.tcp),
                SocketAddr::new(listen, ports.ws),
            );
            let who = match &login {
                Some((user, _)) => format!(" (user {user} only)"),
                None => String::new(),
            };
            say(&format!(
                "embedded MQTT broker listening on mqtt://{tcp}{who}"
            ));
            say(&format!("embedded MQTT broker WebSocket on ws://{ws}/mqtt"));
            let mut url = BrokerUrl::local(ports.tcp);
            url.host = ports.host.to_string();
            (url.username, url.password) =
                login.map(|(u, p)| (Some(u), Some(p))).unwrap_or_default();
            (TelemetrySource::Mqtt(url), true, Some(ports.ws))
        }
    })
}

/// The one login the embedded broker takes when it listens on `addr`, an
/// address other machines reach: TWINSCAPE_MQTT_USERNAME and the password
/// from TWINSCAPE_MQTT_PASSWORD(_FILE), both required.
fn embedded_login(addr: IpAddr) -> Result<(String, String), CliError> {
    let user = std::env::var("TWINSCAPE_MQTT_USERNAME")
        .ok()
        .filter(|u| !u.is_empty());
    match (user, password_from_env()?.filter(|p| !p.is_empty())) {
        (Some(user), Some(password)) => Ok((user, password)),
        _ => Err(CliError::Password(format!(
            "--listen {addr} puts the embedded broker where other machines reach it, so it \
             takes one login: set TWINSCAPE_MQTT_USERNAME and TWINSCAPE_MQTT_PASSWORD (or \
             TWINSCAPE_MQTT_PASSWORD_FILE); the page asks for them"
        ))),
    }
}

/// `--broker` with its TLS files. Parsed by us, not by clap, whose error
/// would repeat a password given in the URL (which is refused).
pub(crate) fn parse_broker(common: &Common) -> Result<Option<BrokerUrl>, CliError> {
    let broker = common
        .broker
        .as_deref()
        .map(str::parse::<BrokerUrl>)
        .transpose()
        .map_err(CliError::BrokerUrl)?
        .map(|url| with_tls(url, common))
        .transpose()?;
    if broker.is_none() && (common.ca.is_some() || common.cert.is_some()) {
        return Err(CliError::BrokerUrl(
            "--ca, --cert and --key are for an mqtts:// broker given with --broker".into(),
        ));
    }
    Ok(broker)
}

/// The delivery promise: lossless (QoS 1) by default with `--broker`, at
/// most once with the embedded broker, which lives and dies with the twin
/// (so a persistent session there would keep nothing).
pub(crate) fn delivery(
    common: &Common,
    source: &TelemetrySource,
    scene: &Path,
    mode: &str,
) -> Result<Delivery, CliError> {
    let external = common.broker.is_some() && matches!(source, TelemetrySource::Mqtt(_));
    if !external && (common.qos.is_some() || common.client_id.is_some()) {
        return Err(CliError::Delivery(
            "--qos and --client-id are for a broker given with --broker \
             (the embedded broker delivers at QoS 0)"
                .into(),
        ));
    }
    Ok(match (external, common.qos.unwrap_or(1)) {
        (true, 1) => Delivery::Lossless {
            client_id: match &common.client_id {
                Some(id) if id.is_empty() || id.len() > MAX_CLIENT_ID => {
                    return Err(CliError::Delivery(format!(
                        "--client-id \"{id}\": 1 to {MAX_CLIENT_ID} characters"
                    )));
                }
                Some(id) => id.clone(),
                None => {
                    // The same file however it is reached (`..`, links).
                    let path = std::fs::canonicalize(scene).unwrap_or_else(|_| scene.into());
                    twinscape::telemetry::delivery::default_client_id(
                        &path.to_string_lossy(),
                        &host_name(),
                        mode,
                    )
                }
            },
        },
        _ => Delivery::AtMostOnce,
    })
}

/// The longest `--client-id` taken (bytes): MQTT 3.1.1 guarantees 23;
/// mosquitto, EMQX and HiveMQ take up to 65,535.
const MAX_CLIENT_ID: usize = 256;

/// This machine's name (for the default client id), or "" where unknown.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// `mqtts://`: the TLS configuration from `--ca`, `--cert` and `--key`, read
/// now so a bad file stops the start; those flags with a plain broker are a
/// mistake worth saying.
pub(crate) fn with_tls(mut url: BrokerUrl, common: &Common) -> Result<BrokerUrl, CliError> {
    let files = twinscape::telemetry::tls::TlsFiles {
        ca: common.ca.clone(),
        cert: common.cert.clone(),
        key: common.key.clone(),
    };
    if !url.tls {
        if files.ca.is_some() || files.cert.is_some() {
            return Err(CliError::BrokerUrl(format!(
                "--ca, --cert and --key are for TLS: use mqtts://{}:{}",
                url.host, url.port
            )));
        }
        return Ok(url);
    }
    url.tls_config = Some(twinscape::telemetry::tls::client_config(&files)?);
    Ok(url)
}

/// The broker password: `TWINSCAPE_MQTT_PASSWORD`, or the first line of the
/// file `TWINSCAPE_MQTT_PASSWORD_FILE` names (a mounted secret), not both.
fn password_from_env() -> Result<Option<String>, CliError> {
    let given = std::env::var("TWINSCAPE_MQTT_PASSWORD").ok();
    let Some(path) = std::env::var_os("TWINSCAPE_MQTT_PASSWORD_FILE") else {
        return Ok(given);
    };
    if given.is_some() {
        return Err(CliError::Password(
            "both TWINSCAPE_MQTT_PASSWORD and TWINSCAPE_MQTT_PASSWORD_FILE are set: use one".into(),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::Password(format!(
            "TWINSCAPE_MQTT_PASSWORD_FILE {}: {e}",
            Path::new(&path).display()
        ))
    })?;
    Ok(Some(text.lines().next().unwrap_or_default().to_string()))
}

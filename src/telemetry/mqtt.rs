//! The MQTT edge: a rumqttc client on its own thread that subscribes to the
//! scene's filters, decodes each message through the `Router` and feeds the
//! bounded sample channel. It reconnects with backoff and resubscribes after
//! every connect, because the session is clean.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS, SubscribeFilter, SubscribeReasonCode};

use super::topic::Router;
use super::{BrokerUrl, IngestCounters, LinkState, ingest_message, now_ms};

/// Owns the ingest thread; dropping it disconnects and lets the thread end.
pub(crate) struct IngestThread {
    stop: Arc<AtomicBool>,
    client: Client,
}

impl Drop for IngestThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.client.try_disconnect();
    }
}

pub(crate) fn options(broker: &BrokerUrl, client_id: &str) -> MqttOptions {
    let mut opts = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_clean_session(true);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    if let Some(user) = &broker.username {
        opts.set_credentials(user.clone(), broker.password.clone().unwrap_or_default());
    }
    if let Some(tls) = &broker.tls_config {
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(tls.0.clone()),
        ));
    }
    opts
}

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

pub(crate) fn spawn(
    broker: &BrokerUrl,
    router: Arc<Router>,
    tx: Sender<Sample>,
    counters: Arc<IngestCounters>,
) -> IngestThread {
    let client_id = format!("twinscape-{}-{}", std::process::id(), now_ms() % 100_000);
    let (client, mut connection) = Client::new(options(broker, &client_id), 256);
    let stop = Arc::new(AtomicBool::new(false));
    let (stop2, client2) = (stop.clone(), client.clone());
    // A filter another one covers is left out: brokers such as rumqttd
    // deliver a message once per matching subscription.
    let filters: Vec<SubscribeFilter> = crate::topic_filter::minimal(router.filters())
        .into_iter()
        .map(|f| SubscribeFilter::new(f, QoS::AtMostOnce))
        .collect();
    thread::Builder::new()
        .name("mqtt-ingest".into())
        .spawn(move || {
            let mut backoff = MIN_BACKOFF;
            for event in connection.iter() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                match event {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if !ingest_message(&router, &p.topic, &p.payload, &tx, &counters) {
                            stop2.store(true, Ordering::Relaxed);
                        }
                    }
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff = MIN_BACKOFF;
                        counters.set_link(LinkState::Connected);
                        counters.connects.fetch_add(1, Ordering::Relaxed);
                        if !filters.is_empty()
                            && let Err(e) = client2.try_subscribe_many(filters.clone())
                        {
                            counters.set_error(format!("subscribe failed: {e}"));
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(ack))) => {
                        if let Some(why) = refused(&filters, &ack.return_codes) {
                            counters.set_error(why);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if stop2.load(Ordering::Relaxed) {
                            break;
                        }
                        counters.set_link(LinkState::Reconnecting);
                        counters.set_error(e.to_string());
                        thread::sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
            counters.set_link(LinkState::Stopped);
        })
        .expect("spawning the MQTT ingest thread");
    IngestThread { stop, client }
}

use super::payload::Sample;

/// What a SUBACK refused, in words: the filters (in the order subscribed)
/// whose return code is a failure (0x80), e.g. denied by the broker's ACL.
fn refused(filters: &[SubscribeFilter], codes: &[SubscribeReasonCode]) -> Option<String> {
    let denied: Vec<&str> = filters
        .iter()
        .zip(codes)
        .filter(|(_, code)| matches!(code, SubscribeReasonCode::Failure))
        .map(|(f, _)| f.path.as_str())
        .collect();
    (!denied.is_empty()).then(|| {
        format!(
            "the broker refused the subscription to {} ({} of {} filters; its ACL?)",
            denied.join(", "),
            denied.len(),
            filters.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_filter_is_named() {
        let filters: Vec<SubscribeFilter> = ["sensor/#", "factory/+/state", "plant/x"]
            .into_iter()
            .map(|f| SubscribeFilter::new(f.into(), QoS::AtMostOnce))
            .collect();
        let ok = SubscribeReasonCode::Success(QoS::AtMostOnce);
        assert_eq!(refused(&filters, &[ok, ok, ok]), None);
        let why = refused(&filters, &[ok, SubscribeReasonCode::Failure, ok]).unwrap();
        assert_eq!(
            why,
            "the broker refused the subscription to factory/+/state (1 of 3 filters; its ACL?)"
        );
    }
}

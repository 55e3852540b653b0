//! The MQTT edge: a rumqttc client on its own thread that subscribes to the
//! scene's filters, decodes each message through the `Router` and feeds the
//! bounded sample channel. It reconnects with backoff and resubscribes after
//! every connect. At most once (QoS 0, clean session), a full channel drops;
//! lossless (QoS 1, persistent session, manual acknowledgements; see
//! `delivery`), it waits for room instead, so the broker holds the rest.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use rumqttc::{
    Client, Event, MqttOptions, Packet, Publish, QoS, SubscribeFilter, SubscribeReasonCode,
};

use super::delivery::Delivery;
use super::topic::Router;
use super::{BrokerUrl, IngestCounters, LinkState, ingest_message, now_ms};

/// Owns the ingest thread; dropping it disconnects and lets the thread end.
pub(crate) struct IngestThread {
    stop: Arc<AtomicBool>,
    client: Client,
    /// Lossless: the messages decoded into the channel, in order, waiting
    /// for their samples to be applied.
    queued: Option<Receiver<Delivered>>,
    /// Counts connections: an acknowledgement belongs to the one it came on.
    generation: Arc<AtomicU64>,
}

/// A message whose samples are in the channel, and the connection it came on.
pub(crate) struct Delivered {
    generation: u64,
    publish: Publish,
}

impl IngestThread {
    /// Moves what the thread has queued so far into `into`.
    pub(crate) fn take_queued(&self, into: &mut Vec<Delivered>) {
        if let Some(queued) = &self.queued {
            into.extend(queued.try_iter());
        }
    }

    /// Acknowledges `due` in order, leaving what the client cannot take now.
    /// One from an earlier connection is skipped: the broker redelivers it.
    pub(crate) fn acknowledge(&self, due: &mut Vec<Delivered>) {
        let now = self.generation.load(Ordering::Acquire);
        let done = due
            .iter()
            .position(|d| d.generation == now && self.client.try_ack(&d.publish).is_err())
            .unwrap_or(due.len());
        due.drain(..done);
    }
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

/// Connections made by this process, by every ingest thread: an
/// acknowledgement belongs to exactly one, even across scene reloads.
static CONNECTIONS: AtomicU64 = AtomicU64::new(0);

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Requests (subscriptions, acknowledgements) the client queues for its
/// event loop; an acknowledgement that does not fit waits a frame.
const REQUEST_QUEUE: usize = 4096;
/// How long a lossless ingest waits for room in the channel before it looks
/// whether it should stop.
const WAIT_FOR_ROOM: Duration = Duration::from_millis(50);

pub(crate) fn spawn(
    broker: &BrokerUrl,
    delivery: &Delivery,
    router: Arc<Router>,
    tx: Sender<Sample>,
    counters: Arc<IngestCounters>,
) -> IngestThread {
    let (opts, qos) = match delivery {
        Delivery::AtMostOnce => {
            let id = format!("twinscape-{}-{}", std::process::id(), now_ms() % 100_000);
            (options(broker, &id), QoS::AtMostOnce)
        }
        Delivery::Lossless { client_id } => {
            let mut opts = options(broker, client_id);
            opts.set_clean_session(false).set_manual_acks(true);
            (opts, QoS::AtLeastOnce)
        }
    };
    let (client, mut connection) = Client::new(opts, REQUEST_QUEUE);
    let (queue_tx, queued) = match qos {
        QoS::AtMostOnce => (None, None),
        _ => {
            let (t, r) = crossbeam_channel::unbounded();
            (Some(t), Some(r))
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let generation = Arc::new(AtomicU64::new(0));
    let (stop2, client2, generation2) = (stop.clone(), client.clone(), generation.clone());
    let filters: Vec<SubscribeFilter> = router
        .subscriptions()
        .into_iter()
        .map(|f| SubscribeFilter::new(f, qos))
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
                        // Lossless waits for room; at most once drops.
                        let mut open =
                            ingest_message(&router, &p.topic, &p.payload, &counters, |s| {
                                match &queue_tx {
                                    None => tx.try_send(s),
                                    Some(_) => send_waiting(&tx, s, &stop2),
                                }
                            });
                        if let (true, Some(queue)) = (open, &queue_tx) {
                            let generation = generation2.load(Ordering::Acquire);
                            open = queue
                                .send(Delivered {
                                    generation,
                                    publish: p,
                                })
                                .is_ok();
                        }
                        if !open {
                            stop2.store(true, Ordering::Relaxed);
                        }
                    }
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff = MIN_BACKOFF;
                        let next = CONNECTIONS.fetch_add(1, Ordering::AcqRel) + 1;
                        generation2.store(next, Ordering::Release);
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
    IngestThread {
        stop,
        client,
        queued,
        generation,
    }
}

/// Backpressure: waits for room in the channel (the broker keeps what the
/// twin has not read yet); `Disconnected` once the app has gone or the
/// ingest is told to stop.
fn send_waiting(
    tx: &Sender<Sample>,
    mut sample: Sample,
    stop: &AtomicBool,
) -> Result<(), TrySendError<Sample>> {
    loop {
        match tx.send_timeout(sample, WAIT_FOR_ROOM) {
            Ok(()) => return Ok(()),
            Err(SendTimeoutError::Timeout(back)) if !stop.load(Ordering::Relaxed) => sample = back,
            Err(SendTimeoutError::Timeout(back) | SendTimeoutError::Disconnected(back)) => {
                return Err(TrySendError::Disconnected(back));
            }
        }
    }
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

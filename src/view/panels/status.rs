//! The broker line (bottom left): where the data comes from and whether the
//! link is up, messages per second, the ingest counters, and the last reason
//! a message was rejected or the link dropped.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;

use super::dot;
use crate::recording::Replay;
use crate::telemetry::{Delivery, Ingest, LinkState, TelemetrySource};

/// Seconds between two readings of the message rate: long enough to smooth
/// bursts, short enough to follow a change.
const RATE_EVERY_S: f64 = 1.0;
/// The amber of "reconnecting" and of its reason.
const AMBER: egui::Color32 = egui::Color32::from_rgb(240, 150, 30);

/// Messages per second, smoothed over about a second.
#[derive(Resource, Default)]
pub(super) struct Rate {
    last_count: u64,
    last_time: f64,
    per_second: f64,
}

pub(super) fn measure_rate(time: Res<Time<Real>>, ingest: Res<Ingest>, mut rate: ResMut<Rate>) {
    let now = time.elapsed_secs_f64();
    if now - rate.last_time >= RATE_EVERY_S {
        let count = ingest.counters.get(&ingest.counters.received);
        rate.per_second = (count - rate.last_count) as f64 / (now - rate.last_time);
        rate.last_count = count;
        rate.last_time = now;
    }
}

/// What the broker line reads.
#[derive(SystemParam)]
pub(super) struct BrokerLine<'w> {
    ingest: Res<'w, Ingest>,
    rate: Res<'w, Rate>,
    source: Option<Res<'w, TelemetrySource>>,
    replay: Option<Res<'w, Replay>>,
    delivery: Option<Res<'w, Delivery>>,
}

impl BrokerLine<'_> {
    pub(super) fn show(&self, ctx: &egui::Context) {
        let c = &self.ingest.counters;
        let (link_color, state) = match c.link() {
            LinkState::Connected => (egui::Color32::from_rgb(60, 200, 90), "connected"),
            LinkState::Reconnecting => (AMBER, "reconnecting"),
            LinkState::Connecting => (egui::Color32::from_rgb(240, 200, 30), "connecting"),
            LinkState::Idle | LinkState::Stopped => (egui::Color32::GRAY, "not connected"),
        };
        let (broker, state) = match self.source.as_deref() {
            Some(TelemetrySource::Mqtt(b)) => match self.delivery.as_deref() {
                Some(Delivery::Lossless { .. }) => (format!("{b} (QoS 1, lossless)"), state),
                _ => (b.to_string(), state),
            },
            Some(TelemetrySource::WebSocket(url)) => (url.clone(), state),
            _ if self.replay.is_some() => ("replay".into(), "from file"),
            _ => ("no broker".into(), state),
        };
        egui::Area::new(egui::Id::new("broker-line"))
            .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -10.0])
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        dot(ui, link_color);
                        ui.label(format!("{broker} {state}"));
                        ui.separator();
                        ui.label(format!("{:.0} msg/s", self.rate.per_second));
                        ui.separator();
                        ui.label(format!(
                            "received {}  applied {}  rejected {}  dropped {}",
                            c.get(&c.received),
                            c.get(&c.applied),
                            c.get(&c.rejected),
                            c.get(&c.dropped)
                        ));
                        let repeated = c.get(&c.repeated);
                        if repeated > 0 {
                            ui.label(format!("repeats skipped {repeated}"));
                        }
                    });
                    if let Some(reason) = c.last_reject() {
                        ui.label(
                            egui::RichText::new(format!("last rejected: {reason}"))
                                .small()
                                .color(egui::Color32::LIGHT_RED),
                        );
                    }
                    if c.link() == LinkState::Reconnecting
                        && let Some(e) = c.last_error()
                    {
                        ui.label(egui::RichText::new(e).small().color(AMBER));
                    }
                });
            });
    }
}

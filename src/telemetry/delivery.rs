//! What the ingest promises about each message: at most once (QoS 0, a
//! clean session; a full channel drops and counts), or lossless (QoS 1, a
//! persistent session under a fixed client id; a message is acknowledged to
//! the broker only once its samples are applied in the ECS, and recorded
//! when there is a recorder, so a message is either applied or redelivered).
//!
//! The ingest thread queues each message it decoded with the generation of
//! the connection it came on, after its samples. `apply_samples` takes the
//! queue *before* draining the sample channel (so every queued message's
//! samples are drained with it) into `PendingAcks`; `acknowledge` sends them
//! in `Last`, after the recorder has flushed. An acknowledgement from an
//! earlier connection is never sent: the broker redelivers that message.

use bevy::prelude::*;

use super::Ingest;

/// The delivery promise of the MQTT ingest.
#[derive(Resource, Clone, Debug, Default, PartialEq, Eq)]
pub enum Delivery {
    /// QoS 0 and a clean session: what arrives while the twin is away is
    /// lost, and a frame that cannot keep up drops (counted in `dropped`).
    #[default]
    AtMostOnce,
    /// QoS 1, a persistent session under `client_id`, acknowledgements after
    /// the samples are applied, and backpressure instead of drops.
    Lossless { client_id: String },
}

/// The steps of the frame that acknowledge what was applied: after them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Acknowledge;

/// Messages whose samples have been applied this frame and that wait for
/// their acknowledgement (and for the recorder's flush before it).
#[derive(Resource, Default)]
pub struct PendingAcks {
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) due: Vec<super::mqtt::Delivered>,
    /// Why acknowledgements are held (the recorder could not write what
    /// they would confirm): the broker keeps those messages.
    pub held: Option<String>,
}

impl PendingAcks {
    /// True when acknowledgements wait: whoever must make the applied
    /// samples durable first (the recorder) does so this frame.
    pub fn any(&self) -> bool {
        #[cfg(not(target_arch = "wasm32"))]
        return !self.due.is_empty();
        #[cfg(target_arch = "wasm32")]
        false
    }
}

/// Takes what the ingest thread has queued: called before the channel is drained.
#[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
pub(crate) fn take_queued(ingest: &Ingest, pending: &mut PendingAcks) {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(thread) = &ingest.thread {
        thread.take_queued(&mut pending.due);
    }
}

/// Sends the acknowledgements of what was applied (what the client's request
/// queue cannot take now waits for the next frame).
#[cfg_attr(target_arch = "wasm32", allow(unused_variables, unused_mut))]
pub(crate) fn acknowledge(ingest: Res<Ingest>, mut pending: ResMut<PendingAcks>) {
    if let Some(why) = &pending.held {
        ingest
            .counters
            .set_error(format!("acknowledgements held: {why}"));
    } else {
        #[cfg(not(target_arch = "wasm32"))]
        match &ingest.thread {
            Some(thread) => thread.acknowledge(&mut pending.due),
            None => pending.due.clear(),
        }
    }
}

/// The client id a lossless twin uses unless told one: the scene's file
/// name, how it runs (`view`, `headless`) and a hash of where the scene is
/// and on which host, so the same twin finds its session again after a
/// restart and the viewer and a headless service of one scene on one host
/// do not take each other's.
pub fn default_client_id(scene_file: &str, host: &str, mode: &str) -> String {
    let stem = std::path::Path::new(scene_file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("scene")
        .trim_end_matches(".ron")
        .trim_end_matches(".scene");
    let stem: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(MAX_STEM_CHARS)
        .collect();
    format!(
        "twinscape-{stem}-{mode}-{:08x}",
        fnv1a(&[host, scene_file]) as u32
    )
}

/// At most this many characters of the scene's name go into a client id.
const MAX_STEM_CHARS: usize = 16;

/// FNV-1a over the parts, each followed by a zero byte.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_stable_and_tell_scenes_and_hosts_apart() {
        let id = default_client_id("/plant/scenes/factory.scene.ron", "hall-3", "view");
        assert_eq!(
            id,
            default_client_id("/plant/scenes/factory.scene.ron", "hall-3", "view")
        );
        assert!(id.starts_with("twinscape-factory-view-"), "{id}");
        assert_eq!(id.len(), "twinscape-factory-view-".len() + 8);
        assert_ne!(
            id,
            default_client_id("/plant/scenes/factory.scene.ron", "hall-4", "view")
        );
        assert_ne!(
            id,
            default_client_id("/other/factory.scene.ron", "hall-3", "view")
        );
        assert_ne!(
            id,
            default_client_id("/plant/scenes/factory.scene.ron", "hall-3", "headless")
        );
        // ("ab", "c") and ("a", "bc") hash apart: the parts are delimited.
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        // Odd characters in a file name stay out of the id.
        let odd = default_client_id("/x/my plant+line #2.scene.ron", "h", "view");
        assert!(odd.starts_with("twinscape-myplantline2-view-"), "{odd}");
    }
}

//! What the broker has carried, for the editor's topic browser: each topic
//! seen, its last payload, how many messages and over what time; and the
//! numbers a payload offers to bind (the whole payload, or JSON fields by
//! their dotted paths, as `Json("a.b")` reads them). A pure core: the scout
//! (`scout.rs`) feeds it from its own subscription.

use std::collections::BTreeMap;

use serde_json::Value;

/// Topics kept at most: past this a new topic is counted, not kept.
pub const MAX_TOPICS: usize = 2_000;
/// Bytes of a payload kept to show (the rest is cut).
pub const KEPT_PAYLOAD_BYTES: usize = 512;
/// JSON fields offered for one payload at most.
const MAX_FIELDS: usize = 64;

/// One topic as seen so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// The last payload, cut to `KEPT_PAYLOAD_BYTES`.
    pub last: Vec<u8>,
    pub messages: u64,
    /// When the first and the last message came, seconds on the caller's clock.
    pub first_s: f64,
    pub last_s: f64,
}

impl Seen {
    /// Messages a second from the first to `now_s` (0 until a second has passed).
    pub fn rate(&self, now_s: f64) -> f64 {
        let span = now_s - self.first_s;
        if span < 1.0 {
            0.0
        } else {
            self.messages as f64 / span
        }
    }
}

/// Every topic seen, in topic order.
#[derive(Debug, Default, Clone)]
pub struct Carried {
    pub topics: BTreeMap<String, Seen>,
    /// Messages on topics not kept (past `MAX_TOPICS`).
    pub not_kept: u64,
}

impl Carried {
    pub fn record(&mut self, topic: &str, payload: &[u8], now_s: f64) {
        let last = payload[..payload.len().min(KEPT_PAYLOAD_BYTES)].to_vec();
        if let Some(seen) = self.topics.get_mut(topic) {
            seen.last = last;
            seen.messages += 1;
            seen.last_s = now_s;
        } else if self.topics.len() < MAX_TOPICS {
            let seen = Seen {
                last,
                messages: 1,
                first_s: now_s,
                last_s: now_s,
            };
            self.topics.insert(topic.to_string(), seen);
        } else {
            self.not_kept += 1;
        }
    }
}

/// What a payload offers to bind a sensor to: the whole payload when it is
/// a number (`None`), else each numeric JSON field by its path (`Some`),
/// with its value.
pub fn numbers(payload: &[u8]) -> Vec<(Option<String>, f64)> {
    let Ok(text) = std::str::from_utf8(payload) else {
        return Vec::new();
    };
    if let Ok(v) = text.trim().parse::<f64>() {
        return if v.is_finite() {
            vec![(None, v)]
        } else {
            Vec::new()
        };
    }
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    fields(&doc, String::new(), &mut out);
    out
}

fn fields(node: &Value, path: String, out: &mut Vec<(Option<String>, f64)>) {
    if out.len() >= MAX_FIELDS {
        return;
    }
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match node {
        Value::Number(n) => {
            if let Some(v) = n.as_f64().filter(|v| v.is_finite())
                && !path.is_empty()
            {
                out.push((Some(path), v));
            }
        }
        // A key with a dot in it could not be named by a dotted path.
        Value::Object(map) => {
            for (key, value) in map.iter().filter(|(k, _)| !k.contains('.')) {
                fields(value, join(key), out);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                fields(value, join(&i.to_string()), out);
            }
        }
        _ => {}
    }
}

/// The RON text of a binding to `topic`, reading `field` of a JSON payload
/// (or the whole payload as a number).
pub fn binding_text(topic: &str, field: Option<&str>) -> String {
    match field {
        Some(path) => format!("(topic: {topic:?}, decode: Json({path:?}))"),
        None => format!("(topic: {topic:?})"),
    }
}

/// A scene template (`TemplateDef`'s RON text) made from a topic that
/// names twin `twin` at exactly one level: that level becomes `{twin}`, so
/// every twin with sensor `sensor` reads its own topic. None when no level
/// or more than one is `twin`.
pub fn template_text(topic: &str, twin: &str, sensor: &str, field: Option<&str>) -> Option<String> {
    let levels: Vec<&str> = topic.split('/').collect();
    if levels.iter().filter(|l| **l == twin).count() != 1 {
        return None;
    }
    let templated: Vec<&str> = levels
        .iter()
        .map(|l| if *l == twin { "{twin}" } else { l })
        .collect();
    let topic = templated.join("/");
    Some(match field {
        Some(path) => format!("(topic: {topic:?}, sensor: {sensor:?}, decode: Json({path:?}))"),
        None => format!("(topic: {topic:?}, sensor: {sensor:?})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_keep_their_last_payload_count_and_rate() {
        let mut c = Carried::default();
        c.record("a/b", b"1.5", 10.0);
        c.record("a/b", b"2.5", 12.0);
        c.record("a/a", b"x", 11.0);
        let keys: Vec<&str> = c.topics.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a/a", "a/b"]);
        let seen = &c.topics["a/b"];
        assert_eq!((seen.last.as_slice(), seen.messages), (&b"2.5"[..], 2));
        // Two messages over the 4 s from the first to now.
        assert_eq!(seen.rate(14.0), 0.5);
        assert_eq!(c.topics["a/a"].rate(11.5), 0.0);
        // A long payload is cut; past the cap a topic is counted, not kept.
        c.record("big", &[b'7'; 5_000], 13.0);
        assert_eq!(c.topics["big"].last.len(), KEPT_PAYLOAD_BYTES);
        for i in 0..MAX_TOPICS {
            c.record(&format!("many/{i}"), b"1", 13.0);
        }
        assert_eq!(c.topics.len(), MAX_TOPICS);
        assert_eq!(c.not_kept, 3);
    }

    #[test]
    fn a_payload_offers_its_numbers_by_the_paths_json_decoding_reads() {
        assert_eq!(numbers(b" 42.5\n"), [(None, 42.5)]);
        assert!(numbers(b"NaN").is_empty());
        assert!(numbers(b"on").is_empty());
        let doc =
            br#"{"power":{"kw":12.5},"spindle":{"rpm":8000},"ok":true,"axes":[1,{"t":3}],"a.b":4}"#;
        let found = numbers(doc);
        let mut paths: Vec<(&str, f64)> = found
            .iter()
            .map(|(p, v)| (p.as_deref().unwrap(), *v))
            .collect();
        paths.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(
            paths,
            [
                ("axes.0", 1.0),
                ("axes.1.t", 3.0),
                ("power.kw", 12.5),
                ("spindle.rpm", 8000.0)
            ]
        );
        // Each path reads back through the decoder the binding will use.
        let parsed: Value = serde_json::from_slice(doc).unwrap();
        for (path, v) in paths {
            assert_eq!(crate::telemetry::payload::json_field(&parsed, path), Ok(v));
        }
    }

    #[test]
    fn a_binding_is_written_as_the_scene_reads_it() {
        let b: crate::scene::format::BindingDef =
            ron::from_str(&binding_text("factory/cnc-4/telemetry", Some("power.kw"))).unwrap();
        assert_eq!(b.topic, "factory/cnc-4/telemetry");
        assert!(matches!(b.decode, crate::scene::format::Decode::Json(ref p) if p == "power.kw"));
        let b: crate::scene::format::BindingDef =
            ron::from_str(&binding_text("a \"quoted\" topic", None)).unwrap();
        assert_eq!(b.topic, "a \"quoted\" topic");
    }

    #[test]
    fn a_topic_naming_the_twin_once_makes_a_template() {
        let t = template_text("lab/cnc-4/telemetry", "cnc-4", "temperature", Some("temp")).unwrap();
        assert_eq!(
            t,
            r#"(topic: "lab/{twin}/telemetry", sensor: "temperature", decode: Json("temp"))"#
        );
        let def: crate::scene::format::TemplateDef = ron::from_str(&t).unwrap();
        assert_eq!(
            (def.topic.as_str(), def.sensor.as_str()),
            ("lab/{twin}/telemetry", "temperature")
        );
        assert_eq!(
            template_text("cnc-4", "cnc-4", "v", None).as_deref(),
            Some(r#"(topic: "{twin}", sensor: "v")"#)
        );
        // No level is the twin (a prefix is not a level), or two are.
        assert_eq!(template_text("lab/cnc-44/t", "cnc-4", "v", None), None);
        assert_eq!(template_text("cnc-4/x/cnc-4", "cnc-4", "v", None), None);
    }
}

//! Payload decoding and the per-message ingest step: a pure core.
//!
//! `decode_message` takes one MQTT message (topic and bytes) to zero or more
//! `Sample`s through the `Router`. It runs on the ingest thread, so the Bevy
//! frame only copies finished samples into components. A JSON payload that
//! feeds several sensors is parsed once.

use serde_json::Value;

use super::topic::{Router, Target};
use crate::scene::format::Decode;

/// One decoded reading for one sensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The sensor's index in scene order.
    pub sensor: u32,
    pub value: f64,
    /// Milliseconds since the Unix epoch when the twin received it.
    pub time_ms: u64,
    /// The reading's own time (ms since the Unix epoch) where its binding
    /// names a stamp and the payload has it: a repeat is applied once.
    pub stamp_ms: Option<u64>,
}

/// A stamp below this is in seconds since the Unix epoch (10^11 s is the
/// year 5138), from it up in milliseconds (10^11 ms is March 1973).
const STAMP_MS_FROM: f64 = 1e11;
/// How far ahead of the twin's clock a stamp may be (a device clock set
/// wrong), in milliseconds: one day.
const STAMP_AHEAD_MS: f64 = 86_400_000.0;

/// The reading's own time at `path` in `doc`, in milliseconds: None when the
/// field is not there (the reading applies unstamped), an error when it is
/// not a number of seconds or milliseconds since the Unix epoch.
pub(crate) fn stamp_field(doc: &Value, path: &str, now_ms: u64) -> Result<Option<u64>, String> {
    let t = match json_field(doc, path) {
        Ok(t) => t,
        Err(_) if !has_field(doc, path) => return Ok(None),
        Err(why) => return Err(format!("stamp: {why}")),
    };
    let ms = if t.abs() < STAMP_MS_FROM {
        t * 1000.0
    } else {
        t
    };
    if ms < 0.0 {
        return Err(format!("stamp \"{path}\" is {t}, before 1970"));
    }
    // One bogus stamp far ahead would make every later reading a repeat.
    if ms > now_ms as f64 + STAMP_AHEAD_MS {
        return Err(format!(
            "stamp \"{path}\" is {t}, more than a day ahead of the twin's clock"
        ));
    }
    Ok(Some(ms.round() as u64))
}

fn has_field(doc: &Value, path: &str) -> bool {
    path.split('.')
        .try_fold(doc, |node, key| match node {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
        .is_some()
}

/// Why a message produced no sample. The text says what and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reject {
    #[error("topic \"{topic}\" is bound to no sensor")]
    Unbound { topic: String },
    #[error("topic \"{topic}\": twin \"{twin}\" has no sensor \"{sensor}\"")]
    UnknownTwin {
        topic: String,
        twin: String,
        sensor: String,
    },
    #[error("topic \"{topic}\": {why}")]
    Undecodable { topic: String, why: String },
}

/// Decodes a plain-number payload such as `23.5` or ` -4e3\n`.
pub(crate) fn decode_number(payload: &[u8]) -> Result<f64, String> {
    let text = std::str::from_utf8(payload).map_err(|_| "payload is not UTF-8 text".to_string())?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("payload is empty, expected a number".into());
    }
    match trimmed.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("payload \"{trimmed}\" is not a finite number")),
        Err(_) => Err(format!("payload \"{}\" is not a number", shorten(trimmed))),
    }
}

/// Finds a number at a dotted path (`a.b.0.c`) in a parsed JSON document.
/// Booleans read as 1 and 0; a string holding a number is accepted.
pub(crate) fn json_field(doc: &Value, path: &str) -> Result<f64, String> {
    let mut node = doc;
    for key in path.split('.') {
        node = match node {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("JSON field \"{path}\" is missing (no \"{key}\")"))?;
    }
    match node {
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("JSON field \"{path}\" is not a finite number")),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            decode_number(s.as_bytes()).map_err(|why| format!("JSON field \"{path}\": {why}"))
        }
        other => Err(format!(
            "JSON field \"{path}\" is {}, expected a number",
            kind_of(other)
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

/// `read` on the payload as JSON, parsed once per message into `json`.
fn with_doc<T>(
    json: &mut Option<Result<Value, String>>,
    payload: &[u8],
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<T, String> {
    let doc = json.get_or_insert_with(|| {
        serde_json::from_slice::<Value>(payload)
            .map_err(|e| format!("payload is not valid JSON ({e})"))
    });
    match doc {
        Ok(doc) => read(doc),
        Err(e) => Err(e.clone()),
    }
}

/// Decodes one message into samples, calling `emit` for each. Returns how
/// many were emitted and the first failure, if any: a message that feeds
/// several sensors and fails for only some still emits the others, and the
/// failure is still reported, so nothing is lost silently.
pub fn decode_message(
    router: &Router,
    topic: &str,
    payload: &[u8],
    time_ms: u64,
    mut emit: impl FnMut(Sample),
) -> (usize, Option<Reject>) {
    let mut json: Option<Result<Value, String>> = None;
    let mut emitted = 0;
    let mut first_err: Option<Reject> = None;
    let mut unknown: Option<Reject> = None;
    let routed = router.route(topic, |target| {
        let (sensor, decode, stamp) = match target {
            Target::Sensor {
                sensor,
                decode,
                stamp,
            } => (*sensor, decode, stamp),
            Target::Template {
                level,
                sensor_name,
                twins,
                decode,
                stamp,
            } => {
                let twin = topic.split('/').nth(*level).unwrap_or("");
                match twins.get(twin) {
                    Some(&s) => (s, decode, stamp),
                    None => {
                        // Several templates may share a topic (one per sensor
                        // name); a twin without this one sensor is only an
                        // error if nothing else in the message is for it.
                        unknown.get_or_insert_with(|| Reject::UnknownTwin {
                            topic: topic.to_string(),
                            twin: twin.to_string(),
                            sensor: sensor_name.clone(),
                        });
                        return;
                    }
                }
            }
        };
        let value = match decode {
            Decode::Number => decode_number(payload),
            Decode::Json(path) => with_doc(&mut json, payload, |doc| json_field(doc, path)),
        };
        let stamp_ms = match stamp {
            None => Ok(None),
            Some(path) => with_doc(&mut json, payload, |doc| stamp_field(doc, path, time_ms)),
        };
        match value.and_then(|value| stamp_ms.map(|stamp_ms| (value, stamp_ms))) {
            Ok((value, stamp_ms)) => {
                emit(Sample {
                    sensor,
                    value,
                    time_ms,
                    stamp_ms,
                });
                emitted += 1;
            }
            Err(why) => {
                first_err.get_or_insert_with(|| Reject::Undecodable {
                    topic: topic.to_string(),
                    why,
                });
            }
        }
    });
    if routed == 0 {
        return (
            0,
            Some(Reject::Unbound {
                topic: topic.to_string(),
            }),
        );
    }
    let err = if emitted == 0 {
        first_err.or(unknown)
    } else {
        first_err
    };
    (emitted, err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::format::parse;

    #[test]
    fn plain_numbers_decode() {
        for (text, want) in [
            ("23.5", 23.5),
            (" -4e3\n", -4000.0),
            ("0", 0.0),
            ("+7", 7.0),
            ("1e-3", 0.001),
        ] {
            assert_eq!(decode_number(text.as_bytes()), Ok(want), "payload {text:?}");
        }
    }

    #[test]
    fn malformed_numbers_say_why() {
        assert_eq!(
            decode_number(b"").unwrap_err(),
            "payload is empty, expected a number"
        );
        assert_eq!(
            decode_number(b"  ").unwrap_err(),
            "payload is empty, expected a number"
        );
        assert_eq!(
            decode_number(b"hot").unwrap_err(),
            "payload \"hot\" is not a number"
        );
        assert_eq!(
            decode_number(b"NaN").unwrap_err(),
            "payload \"NaN\" is not a finite number"
        );
        assert_eq!(
            decode_number(b"inf").unwrap_err(),
            "payload \"inf\" is not a finite number"
        );
        assert_eq!(
            decode_number(&[0xff, 0xfe]).unwrap_err(),
            "payload is not UTF-8 text"
        );
        assert_eq!(
            decode_number(b"23,5").unwrap_err(),
            "payload \"23,5\" is not a number"
        );
    }

    /// 2025-01-01T00:00:00Z, as the twin's clock in these tests.
    const NOW: u64 = 1_735_689_600_000;

    #[test]
    fn stamps_read_seconds_or_milliseconds() {
        let doc: Value = serde_json::from_str(
            r#"{"s": 1700000000.25, "ms": 1700000000250, "t": {"at": "1.5"},
                "early": -5, "word": "noon", "n": null}"#,
        )
        .unwrap();
        // 2023-11-14T22:13:20.25Z either way.
        assert_eq!(stamp_field(&doc, "s", NOW), Ok(Some(1_700_000_000_250)));
        assert_eq!(stamp_field(&doc, "ms", NOW), Ok(Some(1_700_000_000_250)));
        assert_eq!(stamp_field(&doc, "t.at", NOW), Ok(Some(1_500)));
        // Not there: the reading applies unstamped.
        assert_eq!(stamp_field(&doc, "ts", NOW), Ok(None));
        assert_eq!(stamp_field(&doc, "t.x", NOW), Ok(None));
        assert_eq!(
            stamp_field(&doc, "early", NOW).unwrap_err(),
            "stamp \"early\" is -5, before 1970"
        );
        assert_eq!(
            stamp_field(&doc, "word", NOW).unwrap_err(),
            "stamp: JSON field \"word\": payload \"noon\" is not a number"
        );
        // A device clock a year ahead is refused, not taken.
        let ahead: Value = serde_json::from_str(r#"{"ts": 1767225600}"#).unwrap();
        assert_eq!(
            stamp_field(&ahead, "ts", NOW).unwrap_err(),
            "stamp \"ts\" is 1767225600, more than a day ahead of the twin's clock"
        );
        assert_eq!(
            stamp_field(&ahead, "ts", NOW + 366 * 86_400_000),
            Ok(Some(1_767_225_600_000))
        );
        assert_eq!(
            stamp_field(&doc, "n", NOW).unwrap_err(),
            "stamp: JSON field \"n\" is null, expected a number"
        );
    }

    #[test]
    fn a_stamp_travels_with_its_sample_and_a_bad_one_rejects_it() {
        let scene = parse(
            r#"(name: "t", twins: [(id: "m", name: "M", kind: "k", sensors: [
                (name: "v", unit: "", range: (0, 9), binding: (topic: "m/v", decode: Json("v"), stamp: Some("ts"))),
            ])])"#,
            "t.scene.ron",
        )
        .unwrap();
        let router = Router::from_scene(&scene);
        let mut out = vec![];
        let (n, err) = decode_message(&router, "m/v", br#"{"v": 2, "ts": 60}"#, 7, |s| out.push(s));
        assert_eq!((n, err), (1, None));
        assert_eq!(
            (out[0].value, out[0].stamp_ms, out[0].time_ms),
            (2.0, Some(60_000), 7)
        );
        let (n, err) = decode_message(&router, "m/v", br#"{"v": 3}"#, 8, |s| out.push(s));
        assert_eq!((n, err, out[1].stamp_ms), (1, None, None));
        let (n, err) = decode_message(&router, "m/v", br#"{"v": 4, "ts": "x"}"#, 9, |s| {
            out.push(s)
        });
        assert_eq!(n, 0);
        assert_eq!(
            err.unwrap().to_string(),
            "topic \"m/v\": stamp: JSON field \"ts\": payload \"x\" is not a number"
        );
    }

    #[test]
    fn json_paths_decode() {
        let doc: Value =
            serde_json::from_str(r#"{"a":{"b":[1.5,{"c":-2}]},"on":true,"s":"4.25","n":null}"#)
                .unwrap();
        assert_eq!(json_field(&doc, "a.b.0"), Ok(1.5));
        assert_eq!(json_field(&doc, "a.b.1.c"), Ok(-2.0));
        assert_eq!(json_field(&doc, "on"), Ok(1.0));
        assert_eq!(json_field(&doc, "s"), Ok(4.25));
        assert_eq!(
            json_field(&doc, "a.x").unwrap_err(),
            "JSON field \"a.x\" is missing (no \"x\")"
        );
        assert_eq!(
            json_field(&doc, "a.b.7").unwrap_err(),
            "JSON field \"a.b.7\" is missing (no \"7\")"
        );
        assert_eq!(
            json_field(&doc, "n").unwrap_err(),
            "JSON field \"n\" is null, expected a number"
        );
        assert_eq!(
            json_field(&doc, "a").unwrap_err(),
            "JSON field \"a\" is an object, expected a number"
        );
    }

    const SCENE: &str = r#"(
        name: "t",
        twins: [
            (id: "m1", name: "M1", kind: "mill", sensors: [
                (name: "temp", unit: "C", range: (0, 100), binding: (topic: "sensor/temperature")),
                (name: "power", unit: "kW", range: (0, 10), binding: (topic: "m1/state", decode: Json("power.kw"))),
                (name: "speed", unit: "rpm", range: (0, 9000), binding: (topic: "m1/state", decode: Json("speed"))),
                (name: "vib", unit: "mm/s", range: (0, 10)),
            ]),
            (id: "m2", name: "M2", kind: "mill", sensors: [
                (name: "vib", unit: "mm/s", range: (0, 10)),
            ]),
        ],
        templates: [
            (topic: "plant/{twin}/vib", sensor: "vib"),
            (topic: "plant/{twin}/state", sensor: "vib", decode: Json("vib")),
            (topic: "plant/{twin}/state", sensor: "power", decode: Json("power.kw")),
        ],
    )"#;

    fn decode(topic: &str, payload: &str) -> Result<Vec<(u32, f64)>, Reject> {
        let scene = parse(SCENE, "t.scene.ron").unwrap();
        let router = Router::from_scene(&scene);
        let mut out = vec![];
        match decode_message(&router, topic, payload.as_bytes(), 7, |s| {
            out.push((s.sensor, s.value))
        }) {
            (n, None) => {
                assert_eq!(n, out.len());
                Ok(out)
            }
            (_, Some(e)) => Err(e),
        }
    }

    #[test]
    fn messages_route_to_the_right_sensors() {
        assert_eq!(decode("sensor/temperature", "23.5"), Ok(vec![(0, 23.5)]));
        assert_eq!(
            decode("m1/state", r#"{"power":{"kw":3.5},"speed":1200}"#),
            Ok(vec![(1, 3.5), (2, 1200.0)])
        );
        assert_eq!(decode("plant/m1/vib", "2.5"), Ok(vec![(3, 2.5)]));
        assert_eq!(decode("plant/m2/vib", "0.5"), Ok(vec![(4, 0.5)]));
        // m2 has no power sensor: the template for it stays quiet.
        assert_eq!(
            decode("plant/m2/state", r#"{"vib":1.5}"#),
            Ok(vec![(4, 1.5)])
        );
        assert_eq!(
            decode("plant/m1/state", r#"{"vib":1,"power":{"kw":2}}"#),
            Ok(vec![(3, 1.0), (1, 2.0)])
        );
    }

    #[test]
    fn bad_messages_are_rejected_with_the_topic_and_reason() {
        assert_eq!(
            decode("nobody/listens", "1").unwrap_err().to_string(),
            "topic \"nobody/listens\" is bound to no sensor"
        );
        assert_eq!(
            decode("plant/m9/vib", "1").unwrap_err().to_string(),
            "topic \"plant/m9/vib\": twin \"m9\" has no sensor \"vib\""
        );
        assert_eq!(
            decode("sensor/temperature", "warm")
                .unwrap_err()
                .to_string(),
            "topic \"sensor/temperature\": payload \"warm\" is not a number"
        );
        let e = decode("m1/state", "{oops").unwrap_err().to_string();
        assert!(
            e.starts_with("topic \"m1/state\": payload is not valid JSON"),
            "{e}"
        );
    }

    #[test]
    fn a_partly_good_json_message_keeps_the_good_fields_and_reports_the_rest() {
        let scene = parse(SCENE, "t.scene.ron").unwrap();
        let router = Router::from_scene(&scene);
        let mut out = vec![];
        let (n, err) = decode_message(&router, "m1/state", br#"{"speed":900}"#, 7, |s| {
            out.push((s.sensor, s.value))
        });
        assert_eq!((n, out), (1, vec![(2, 900.0)]));
        assert_eq!(
            err.unwrap().to_string(),
            "topic \"m1/state\": JSON field \"power.kw\" is missing (no \"power\")"
        );
    }
}

//! Recordings as CSV rows: `timestamp,twin,sensor,topic,value`, one applied
//! sample per row (times as `time.rs` writes them). pandas reads a recording
//! with `pd.read_csv(f, parse_dates=["timestamp"])`.
//!
//! Reading is forgiving in what a user's own file may hold: the columns may
//! come in any order, `timestamp` (or `time`) may take any form `time.rs`
//! reads, and a file may leave out `twin`/`sensor` (rows are then routed by
//! `topic`, with `value` as the payload, exactly like a live message).
//! Anything it cannot read is an error naming the file, line and column.

use std::io::Write;

use super::RecordingError;
use super::time::{format_time, parse_time};
use crate::telemetry::Sample;

/// One row of a recording.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub time_ms: u64,
    pub twin: String,
    pub sensor: String,
    pub topic: String,
    /// The value as written: a number, or for topic-only rows any payload.
    pub value: String,
    /// Line in the file, from 1.
    pub line: usize,
}

const HEADER: &str = "timestamp,twin,sensor,topic,value";

/// Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` inside quotes);
/// an error is the column and what is wrong there.
fn split_fields(line: &str) -> Result<Vec<String>, (usize, &'static str)> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '"') if at_start => {
                quoted = true;
                at_start = false;
            }
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => {
                quoted = false;
                if !matches!(chars.peek(), None | Some(',')) {
                    return Err((fields.len() + 1, "text after a closing quote"));
                }
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            (_, c) => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err((fields.len() + 1, "unclosed quote"));
    }
    fields.push(field);
    Ok(fields)
}

/// A field as CSV: quoted when it holds a comma, quote or line break.
fn quote(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// Parses a whole recording. Rows come back sorted by time (stably, so rows
/// with the same timestamp keep their order).
pub(crate) fn parse(text: &str, file: &str) -> Result<Vec<Row>, RecordingError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(RecordingError::Empty {
            file: file.into(),
            header: HEADER,
        });
    };
    let quote_error = |line: usize| {
        move |(column, why)| RecordingError::Quote {
            file: file.into(),
            line,
            column,
            why,
        }
    };
    let names = split_fields(header).map_err(quote_error(header_line))?;
    let col = |name: &str| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(name))
    };
    let time = col("timestamp").or_else(|| col("time"));
    let value = col("value");
    let (twin, sensor, topic) = (col("twin"), col("sensor"), col("topic"));
    let (Some(time), Some(value)) = (time, value) else {
        return Err(RecordingError::NoTimeOrValue {
            file: file.into(),
            line: header_line,
            found: header.into(),
            header: HEADER,
        });
    };
    if (twin.is_none() || sensor.is_none()) && topic.is_none() {
        return Err(RecordingError::NoRoute {
            file: file.into(),
            line: header_line,
        });
    }
    let mut rows = Vec::new();
    for (line, text) in lines {
        let fields = split_fields(text).map_err(quote_error(line))?;
        if fields.len() != names.len() {
            return Err(RecordingError::FieldCount {
                file: file.into(),
                line,
                found: fields.len(),
                expected: names.len(),
            });
        }
        let get = |c: Option<usize>| c.map_or(String::new(), |c| fields[c].trim().to_string());
        let time_ms = parse_time(&fields[time]).map_err(|source| RecordingError::Time {
            file: file.into(),
            line,
            column: time + 1,
            source,
        })?;
        let row = Row {
            time_ms,
            twin: get(twin),
            sensor: get(sensor),
            topic: get(topic),
            value: fields[value].clone(),
            line,
        };
        if (row.twin.is_empty() || row.sensor.is_empty()) && row.topic.is_empty() {
            return Err(RecordingError::Unrouted {
                file: file.into(),
                line,
            });
        }
        rows.push(row);
    }
    rows.sort_by_key(|r| r.time_ms);
    Ok(rows)
}

/// Writes every applied sample of the running twin (`--record FILE.csv`).
pub(crate) struct Recorder {
    out: Box<dyn Write + Send + Sync>,
    /// (twin id, sensor name, topic) by sensor number, already CSV-quoted.
    names: Vec<String>,
    /// Why recording stopped, once it has (a full disk, a removed file).
    stopped: Option<String>,
}

impl Recorder {
    pub(crate) fn new(mut out: Box<dyn Write + Send + Sync>) -> std::io::Result<Recorder> {
        writeln!(out, "{HEADER}")?;
        Ok(Recorder {
            out,
            names: Vec::new(),
            stopped: None,
        })
    }

    /// The sensors of the scene now running, in scene order.
    pub(crate) fn set_sensors<'a>(
        &mut self,
        sensors: impl Iterator<Item = (&'a str, &'a str, &'a str)>,
    ) {
        self.names = sensors
            .map(|(twin, sensor, topic)| {
                format!("{},{},{}", quote(twin), quote(sensor), quote(topic))
            })
            .collect();
    }

    pub(crate) fn write(&mut self, sample: &Sample) {
        if self.stopped.is_some() {
            return;
        }
        let Some(names) = self.names.get(sample.sensor as usize) else {
            return;
        };
        let result = writeln!(
            self.out,
            "{},{names},{}",
            format_time(sample.time_ms),
            sample.value
        );
        if let Err(e) = result {
            self.stopped = Some(e.to_string());
        }
    }

    pub(crate) fn flush(&mut self) -> Result<(), RecordingError> {
        if let Some(reason) = &self.stopped {
            return Err(RecordingError::Stopped {
                reason: reason.clone(),
            });
        }
        self.out.flush().map_err(|e| RecordingError::Stopped {
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn recordings_parse_sorted_with_errors_located() {
        let text = "timestamp,twin,sensor,topic,value\n\
                    2026-11-26T10:00:01.000Z,cnc-1,temperature,sensor/temperature,21.5\n\
                    2026-11-26T10:00:00.500Z,press-1,vibration,plant/press-1/vibration,0.25\n";
        let rows = parse(text, "r.csv").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].twin.as_str(), rows[0].line), ("press-1", 3));
        assert_eq!(rows[1].value, "21.5");

        let topic_only = "value,topic,time\n21.5,sensor/temperature,1764150000\n";
        let rows = parse(topic_only, "t.csv").unwrap();
        assert_eq!(
            (rows[0].topic.as_str(), rows[0].time_ms),
            ("sensor/temperature", 1_764_150_000_000)
        );

        let e = parse(
            "timestamp,twin,sensor,topic,value\n2026-11-26T10:00:00Z,a,b,c\n",
            "r.csv",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "r.csv:2: 4 fields, but the header has 5");
        let e = parse(
            "timestamp,twin,sensor,topic,value\n\nnoon,a,b,c,1\n",
            "r.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("r.csv:3:1: timestamp \"noon\""), "{e}");
        let e = parse("when,value\n", "r.csv").unwrap_err().to_string();
        assert!(
            e.starts_with("r.csv:1: the header needs columns \"timestamp\" and \"value\" (found \"when,value\""),
            "{e}"
        );
        let e = parse("time,value\n", "r.csv").unwrap_err().to_string();
        assert!(e.starts_with("r.csv:1: the header needs \"twin\""), "{e}");
        let e = parse("time,topic,value\n1,t,\n2,,3\n", "r.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv:3: the row names neither a twin and sensor nor a topic"
        );
        assert!(
            parse("", "r.csv")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        assert!(
            parse(" \n\n", "r.csv")
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn fields_split_with_quotes() {
        assert_eq!(split_fields("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            split_fields(r#"t,"{""temp"": 21.5, ""rpm"": 3}",x"#).unwrap(),
            ["t", r#"{"temp": 21.5, "rpm": 3}"#, "x"]
        );
        assert_eq!(split_fields(r#"a,"open"#), Err((2, "unclosed quote")));
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote(r#"a,"b""#), r#""a,""b""""#);
        assert_eq!(split_fields(&quote(r#"a,"b""#)).unwrap(), [r#"a,"b""#]);
    }

    #[test]
    fn the_recorder_writes_the_same_bytes_as_ever() {
        let buf = Shared::default();
        let mut rec = Recorder::new(Box::new(buf.clone())).unwrap();
        rec.set_sensors(
            [
                ("cnc-1", "temperature", "sensor/temperature"),
                ("line, A", "say \"hi\"", "a/+/b"),
            ]
            .into_iter(),
        );
        for (sensor, value, time_ms) in [
            (1, 0.125, 1_764_150_000_250),
            (0, -3.0, 1_764_150_001_000),
            (7, 1.0, 1_764_150_002_000),
        ] {
            rec.write(&Sample {
                sensor,
                value,
                time_ms,
            });
        }
        rec.flush().unwrap();
        // Times: `date -u -d @1764150000.250 +%FT%T.%3NZ`. Sensor 7 is not
        // in the scene, so it is not written.
        assert_eq!(
            buf.text(),
            "timestamp,twin,sensor,topic,value\n\
             2025-11-26T09:40:00.250Z,\"line, A\",\"say \"\"hi\"\"\",a/+/b,0.125\n\
             2025-11-26T09:40:01.000Z,cnc-1,temperature,sensor/temperature,-3\n"
        );
        let rows = parse(&buf.text(), "mem").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].twin.as_str(), rows[0].sensor.as_str()),
            ("line, A", "say \"hi\"")
        );
        assert_eq!(rows[0].value.parse::<f64>(), Ok(0.125));
        assert_eq!(rows[1].time_ms, 1_764_150_001_000);
    }

    #[test]
    fn a_recorder_that_cannot_write_says_why() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // Buffered, as the file is: the header waits, and the flush fails.
        let mut rec = Recorder::new(Box::new(std::io::BufWriter::new(Full))).unwrap();
        let e = rec.flush().unwrap_err();
        assert_eq!(e.to_string(), "recording stopped: disk full");
    }
}

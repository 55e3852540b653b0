//! Recordings as CSV rows: `timestamp,twin,sensor,topic,value`, one applied
//! sample per row (times as `time.rs` writes them). pandas reads a recording
//! with `pd.read_csv(f, parse_dates=["timestamp"])`.
//!
//! Reading is forgiving in what a user's own file may hold: the columns may
//! come in any order, `timestamp` (or `time`) may take any form `time.rs`
//! reads, and a file may leave out `twin`/`sensor` (rows are then routed by
//! `topic`, with `value` as the payload, exactly like a live message).
//! Anything it cannot read is an error naming the file, line and column. The
//! `csv` crate does the quoting (RFC 4180) both ways.

use std::fmt::Write as _;
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

/// The columns a recording is written with.
const COLUMNS: [&str; 5] = ["timestamp", "twin", "sensor", "topic", "value"];

/// The header line, for messages.
const HEADER: &str = "timestamp,twin,sensor,topic,value";

/// Bytes the recorder gathers before writing to its file.
const WRITE_BUFFER_BYTES: usize = 1 << 16;

/// Parses a whole recording. Rows come back sorted by time (stably, so rows
/// with the same timestamp keep their order).
pub(crate) fn parse(text: &str, file: &str) -> Result<Vec<Row>, RecordingError> {
    let mut records = Records::new(text, file);
    let Some((header_line, names)) = records.next_record()? else {
        return Err(RecordingError::Empty {
            file: file.into(),
            header: HEADER,
        });
    };
    let names: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
    let col = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
    let time = col("timestamp").or_else(|| col("time"));
    let value = col("value");
    let (twin, sensor, topic) = (col("twin"), col("sensor"), col("topic"));
    let (Some(time), Some(value)) = (time, value) else {
        return Err(RecordingError::NoTimeOrValue {
            file: file.into(),
            line: header_line,
            found: records.line_text(header_line).into(),
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
    while let Some((line, fields)) = records.next_record()? {
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
            value: fields[value].to_string(),
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

/// The records of a file, blank lines skipped, each with the line it starts on.
struct Records<'a> {
    text: &'a str,
    file: &'a str,
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    /// A byte offset and its line, from which the next line is counted.
    seen: (usize, usize),
}

impl<'a> Records<'a> {
    fn new(text: &'a str, file: &'a str) -> Records<'a> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        Records {
            text,
            file,
            reader,
            record: csv::StringRecord::new(),
            seen: (0, 1),
        }
    }

    fn next_record(&mut self) -> Result<Option<(usize, &csv::StringRecord)>, RecordingError> {
        loop {
            let more =
                self.reader
                    .read_record(&mut self.record)
                    .map_err(|e| RecordingError::Csv {
                        file: self.file.into(),
                        line: e.position().map_or(0, |p| p.line() as usize),
                        why: e.to_string(),
                    })?;
            if !more {
                return Ok(None);
            }
            let byte = self.record.position().map_or(0, |p| p.byte() as usize);
            let line = self.line_at(byte);
            // The reader takes a quote that is never closed as a field
            // running to the end of the file. In RFC 4180 quotes appear only
            // around and doubled inside quoted fields, always in pairs, so
            // an odd count in the record that ends the file is that quote.
            let rest = self.text.get(byte..).unwrap_or("");
            let last = self.reader.position().byte() as usize >= self.text.len();
            if last && rest.matches('"').count() % 2 == 1 {
                return Err(RecordingError::UnclosedQuote {
                    file: self.file.into(),
                    line,
                });
            }
            if self.record.len() == 1 && self.record[0].trim().is_empty() {
                continue;
            }
            return Ok(Some((line, &self.record)));
        }
    }

    /// The line (from 1) of the record that starts at or after `byte`
    /// (past any blank lines). The reader's own count skips blank lines.
    fn line_at(&mut self, byte: usize) -> usize {
        let start = byte
            + self.text.as_bytes()[byte.min(self.text.len())..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let (seen_byte, seen_line) = self.seen;
        let newlines = self.text.as_bytes()[seen_byte.min(start)..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.seen = (start, seen_line + newlines);
        seen_line + newlines
    }

    /// Line `line` (from 1) of the file as written.
    fn line_text(&self, line: usize) -> &'a str {
        self.text
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// Writes every applied sample of the running twin (`--record FILE.csv`).
pub(crate) struct Recorder {
    out: csv::Writer<Box<dyn Write + Send + Sync>>,
    /// (twin id, sensor name, topic) by sensor number.
    names: Vec<[String; 3]>,
    /// The value being written, kept to spare an allocation per row.
    value: String,
    /// Why recording stopped, once it has (a full disk, a removed file).
    stopped: Option<String>,
}

impl Recorder {
    pub(crate) fn new(out: Box<dyn Write + Send + Sync>) -> std::io::Result<Recorder> {
        let mut out = csv::WriterBuilder::new()
            .buffer_capacity(WRITE_BUFFER_BYTES)
            .from_writer(out);
        out.write_record(COLUMNS)?;
        Ok(Recorder {
            out,
            names: Vec::new(),
            value: String::new(),
            stopped: None,
        })
    }

    /// The sensors of the scene now running, in scene order.
    pub(crate) fn set_sensors<'a>(
        &mut self,
        sensors: impl Iterator<Item = (&'a str, &'a str, &'a str)>,
    ) {
        self.names = sensors
            .map(|(twin, sensor, topic)| [twin.into(), sensor.into(), topic.into()])
            .collect();
    }

    pub(crate) fn write(&mut self, sample: &Sample) {
        if self.stopped.is_some() {
            return;
        }
        let Some([twin, sensor, topic]) = self.names.get(sample.sensor as usize) else {
            return;
        };
        self.value.clear();
        let _ = write!(self.value, "{}", sample.value);
        let time = format_time(sample.time_ms);
        if let Err(e) = self
            .out
            .write_record([time.as_str(), twin, sensor, topic, &self.value])
        {
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
    fn a_users_csv_with_offsets_quotes_and_windows_line_ends_parses() {
        // What pandas writes for time-zone-aware times, with Windows line
        // ends, a blank line, a JSON payload quoted and a header in another order.
        let text = "time,value,topic\r\n\
                    2024-03-01 08:00:01+02:00,21.5,sensor/temperature\r\n\
                    \r\n\
                    2024-03-01 08:00:00+02:00,\"{\"\"temp\"\": 21.5, \"\"rpm\"\": 3}\",plant/cnc-1\r\n";
        let rows = parse(text, "u.csv").unwrap();
        assert_eq!(rows.len(), 2);
        // 2024-03-01T06:00:00Z is 1709272800 s (`date -u -d`).
        assert_eq!((rows[0].time_ms, rows[0].line), (1_709_272_800_000, 4));
        assert_eq!(rows[0].value, r#"{"temp": 21.5, "rpm": 3}"#);
        assert_eq!(rows[0].topic, "plant/cnc-1");
        assert_eq!(
            (rows[1].time_ms, rows[1].value.as_str()),
            (1_709_272_801_000, "21.5")
        );
    }

    #[test]
    fn a_quote_never_closed_is_refused_at_its_row() {
        let e = parse(
            "time,topic,value\n1,a,1\n2,b,\"{\"\"open\"\": 1\n3,c,3\n",
            "q.csv",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "q.csv:3: a quote opened in this row is never closed"
        );
        // Closed quotes on the last line, with or without a line end, are fine.
        for end in ["", "\n"] {
            let text = format!("time,topic,value\n1,a,\"x,\"\"y\"\"\"{end}");
            assert_eq!(parse(&text, "q.csv").unwrap()[0].value, "x,\"y\"");
        }
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
                stamp_ms: None,
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

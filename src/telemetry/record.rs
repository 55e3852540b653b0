//! Recorded data as CSV: `timestamp,twin,sensor,topic,value`, one applied
//! sample per row, timestamps in ISO 8601 UTC with milliseconds
//! (`2026-11-26T13:22:02.123Z`). pandas reads it with
//! `pd.read_csv(f, parse_dates=["timestamp"])`.
//!
//! Reading is forgiving in what a user's own file may hold: the columns may
//! come in any order, `timestamp` may also be Unix seconds, and a file may
//! leave out `twin`/`sensor` (rows are then routed by `topic`, with `value`
//! as the payload, exactly like a live message). Anything it cannot read is
//! an error naming the file, line and column.

use std::io::Write;

use super::Sample;

/// One row of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub time_ms: u64,
    pub twin: String,
    pub sensor: String,
    pub topic: String,
    /// The value as written: a number, or for topic-only rows any payload.
    pub value: String,
    /// Line in the file, from 1.
    pub line: usize,
}

pub const HEADER: &str = "timestamp,twin,sensor,topic,value";

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_time(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        ms % 1000
    )
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fff][Z]` (a space may replace the `T`; no
/// other zone than UTC), or Unix seconds such as `1764163322.5`.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return if secs.is_finite() && secs >= 0.0 {
            Ok((secs * 1000.0).round() as u64)
        } else {
            Err(format!("timestamp \"{s}\" is not a time after 1970"))
        };
    }
    let bad = || {
        format!("timestamp \"{s}\" is neither ISO 8601 (2026-11-26T13:22:02.123Z) nor Unix seconds")
    };
    let body = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = body.split_once(['T', ' ']).ok_or_else(bad)?;
    let num = |t: &str, len: usize| -> Result<u32, String> {
        if t.len() == len && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let mut d = date.split('-');
    let (Some(y), Some(mo), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad());
    };
    let (y, mo, dd) = (num(y, 4)?, num(mo, 2)?, num(dd, 2)?);
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let (Some(h), Some(mi), Some(sec), None) = (t.next(), t.next(), t.next(), t.next()) else {
        return Err(bad());
    };
    let (h, mi, sec) = (num(h, 2)?, num(mi, 2)?, num(sec, 2)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&dd) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let ms = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits: String = f.chars().chain("000".chars()).take(3).collect();
            digits.parse::<u64>().map_err(|_| bad())?
        }
        Some(_) => return Err(bad()),
    };
    let days = days_from_civil(i64::from(y), mo, dd);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec);
    u64::try_from(secs)
        .map(|s| s * 1000 + ms)
        .map_err(|_| bad())
}

/// Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` inside quotes).
pub fn split_fields(line: &str) -> Result<Vec<String>, String> {
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
                    return Err(format!(
                        "column {}: text after a closing quote",
                        fields.len() + 1
                    ));
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
        return Err(format!("column {}: unclosed quote", fields.len() + 1));
    }
    fields.push(field);
    Ok(fields)
}

/// A field as CSV: quoted when it holds a comma, quote or line break.
pub fn quote(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\"")).into()
    } else {
        field.into()
    }
}

/// Parses a whole recording. Rows come back sorted by time (stably, so rows
/// with the same timestamp keep their order).
pub fn parse(text: &str, file: &str) -> Result<Vec<Row>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(format!(
            "{file}: the file is empty (expected the header \"{HEADER}\")"
        ));
    };
    let names = split_fields(header).map_err(|e| format!("{file}:{header_line}: {e}"))?;
    let col = |name: &str| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(name))
    };
    let time = col("timestamp").or_else(|| col("time"));
    let value = col("value");
    let (twin, sensor, topic) = (col("twin"), col("sensor"), col("topic"));
    let (Some(time), Some(value)) = (time, value) else {
        return Err(format!(
            "{file}:{header_line}: the header needs columns \"timestamp\" and \"value\" (found \"{header}\"; expected \"{HEADER}\")"
        ));
    };
    if (twin.is_none() || sensor.is_none()) && topic.is_none() {
        return Err(format!(
            "{file}:{header_line}: the header needs \"twin\" and \"sensor\" columns, or a \"topic\" column"
        ));
    }
    let mut rows = Vec::new();
    for (line, text) in lines {
        let fields = split_fields(text).map_err(|e| format!("{file}:{line}: {e}"))?;
        if fields.len() != names.len() {
            return Err(format!(
                "{file}:{line}: {} fields, but the header has {}",
                fields.len(),
                names.len()
            ));
        }
        let get = |c: Option<usize>| c.map_or(String::new(), |c| fields[c].trim().to_string());
        let time_ms =
            parse_time(&fields[time]).map_err(|e| format!("{file}:{line}:{}: {e}", time + 1))?;
        let row = Row {
            time_ms,
            twin: get(twin),
            sensor: get(sensor),
            topic: get(topic),
            value: fields[value].clone(),
            line,
        };
        if (row.twin.is_empty() || row.sensor.is_empty()) && row.topic.is_empty() {
            return Err(format!(
                "{file}:{line}: the row names neither a twin and sensor nor a topic"
            ));
        }
        rows.push(row);
    }
    rows.sort_by_key(|r| r.time_ms);
    Ok(rows)
}

/// Writes every applied sample of the running twin (`--record FILE.csv`).
pub struct Recorder {
    out: Box<dyn Write + Send + Sync>,
    /// (twin id, sensor name, topic) by sensor number, already CSV-quoted.
    names: Vec<String>,
    pub rows: u64,
    error: Option<String>,
}

impl Recorder {
    pub fn new(mut out: Box<dyn Write + Send + Sync>) -> std::io::Result<Recorder> {
        writeln!(out, "{HEADER}")?;
        Ok(Recorder {
            out,
            names: Vec::new(),
            rows: 0,
            error: None,
        })
    }

    /// The sensors of the scene now running, in scene order.
    pub fn set_sensors<'a>(&mut self, sensors: impl Iterator<Item = (&'a str, &'a str, &'a str)>) {
        self.names = sensors
            .map(|(twin, sensor, topic)| {
                format!("{},{},{}", quote(twin), quote(sensor), quote(topic))
            })
            .collect();
    }

    pub fn write(&mut self, sample: &Sample) {
        if self.error.is_some() {
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
        match result {
            Ok(()) => self.rows += 1,
            Err(e) => self.error = Some(format!("recording stopped: {e}")),
        }
    }

    pub fn flush(&mut self) -> Result<(), String> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.out
            .flush()
            .map_err(|e| format!("recording stopped: {e}"))
    }

    /// Why recording stopped, if it did (a full disk, a removed file).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_iso_8601() {
        // 2026-11-26T13:22:02.123Z, 20,783 days after
        // 1970-01-01 (Python: (date(2026, 11, 26) - date(1970, 1, 1)).days), plus 13 h 22 min 2.123 s.
        let ms = (20_783 * 86_400 + 13 * 3600 + 22 * 60 + 2) * 1000 + 123;
        assert_eq!(format_time(ms), "2026-11-26T13:22:02.123Z");
        assert_eq!(parse_time("2026-11-26T13:22:02.123Z"), Ok(ms));
        assert_eq!(parse_time("2026-11-26 13:22:02.123"), Ok(ms));
        assert_eq!(parse_time("2026-11-26T13:22:02.1Z"), Ok(ms - 23));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Ok(951_782_400_000));
        assert_eq!(parse_time("1764163322.5"), Ok(1_764_163_322_500));
        for t in [0, 1, 999, 86_399_999, 4_102_444_800_000, 1_764_163_322_123] {
            assert_eq!(parse_time(&format_time(t)), Ok(t), "{t}");
        }
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-26T25:00:00Z",
            "-5",
            "2026-11-26T1:2:3Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fields_split_with_quotes() {
        assert_eq!(split_fields("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            split_fields(r#"t,"{""temp"": 21.5, ""rpm"": 3}",x"#).unwrap(),
            ["t", r#"{"temp": 21.5, "rpm": 3}"#, "x"]
        );
        assert!(split_fields(r#"a,"open"#).unwrap_err().contains("column 2"));
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote(r#"a,"b""#), r#""a,""b""""#);
        assert_eq!(split_fields(&quote(r#"a,"b""#)).unwrap(), [r#"a,"b""#]);
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
        assert_eq!(e, "r.csv:2: 4 fields, but the header has 5");
        let e = parse(
            "timestamp,twin,sensor,topic,value\n\nnoon,a,b,c,1\n",
            "r.csv",
        )
        .unwrap_err();
        assert!(e.starts_with("r.csv:3:1: timestamp \"noon\""), "{e}");
        let e = parse("when,value\n", "r.csv").unwrap_err();
        assert!(e.starts_with("r.csv:1: the header needs"), "{e}");
        assert!(parse("", "r.csv").unwrap_err().contains("empty"));
    }

    #[test]
    fn the_recorder_writes_rows_that_parse_back() {
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
        let buf = Shared::default();
        let mut rec = Recorder::new(Box::new(buf.clone())).unwrap();
        rec.set_sensors(
            [
                ("cnc-1", "temperature", "sensor/temperature"),
                ("line, A", "rate", "a/+/b"),
            ]
            .into_iter(),
        );
        rec.write(&Sample {
            sensor: 1,
            value: 0.125,
            time_ms: 1_764_150_000_250,
        });
        rec.write(&Sample {
            sensor: 0,
            value: -3.0,
            time_ms: 1_764_150_001_000,
        });
        rec.write(&Sample {
            sensor: 7,
            value: 1.0,
            time_ms: 1_764_150_002_000,
        });
        rec.flush().unwrap();
        assert_eq!(rec.rows, 2, "a sensor outside the scene is not written");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let rows = parse(&text, "mem").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].twin, "line, A");
        assert_eq!(rows[0].topic, "a/+/b");
        assert_eq!(rows[0].value.parse::<f64>(), Ok(0.125));
        assert_eq!(rows[1].time_ms, 1_764_150_001_000);
        assert_eq!(rows[1].value.parse::<f64>(), Ok(-3.0));
    }
}

//! The times a recording carries, as milliseconds since the Unix epoch:
//! written as ISO 8601 in UTC with milliseconds (`2026-11-26T13:22:02.123Z`),
//! which pandas reads with `parse_dates`; read from that form (a space may
//! replace the `T`; no other zone than UTC) or from Unix seconds.

/// A time a recording could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("timestamp \"{text}\" is neither ISO 8601 (2026-11-26T13:22:02.123Z) nor Unix seconds")]
    Unreadable { text: String },
    #[error("timestamp \"{text}\" is not a time after 1970")]
    Before1970 { text: String },
}

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
pub(crate) fn parse_time(s: &str) -> Result<u64, TimeError> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return if secs.is_finite() && secs >= 0.0 {
            Ok((secs * 1000.0).round() as u64)
        } else {
            Err(TimeError::Before1970 { text: s.into() })
        };
    }
    let bad = || TimeError::Unreadable { text: s.into() };
    let body = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = body.split_once(['T', ' ']).ok_or_else(bad)?;
    let num = |t: &str, len: usize| -> Result<u32, TimeError> {
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
}

//! The times a recording carries, as milliseconds since the Unix epoch.
//!
//! Written times are ISO 8601 in UTC with milliseconds
//! (`2026-11-26T13:22:02.123Z`), which pandas reads with `parse_dates`.
//! Read times are whatever a user's own CSV is likely to hold: ISO 8601 /
//! RFC 3339 with `Z` or an offset (`+02:00`, `+0200`, `+02`), a space or
//! `T` between date and time, seconds optional and fractions of any length
//! (digits past the nanosecond are dropped), or Unix seconds with an
//! optional fraction. A date and time without a zone, as pandas writes naive
//! times (`2024-03-01 08:00:00`), is taken as UTC. A zone name in brackets
//! (`+01:00[Europe/Berlin]`) is ignored after an offset and refused without
//! one: there is no time zone database here (nor in the browser). The
//! calendar is jiff's; only the choice of forms is ours.

use std::borrow::Cow;

use jiff::Timestamp;
use jiff::fmt::temporal::Pieces;
use jiff::tz::Offset;

/// Digits of a fraction of a second that jiff reads (nanoseconds).
const MAX_FRACTION_DIGITS: usize = 9;

/// Milliseconds in a second.
const MS_PER_S: f64 = 1000.0;

/// A time a recording could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "timestamp \"{text}\" is neither ISO 8601 (2026-11-26T13:22:02.123Z, \
         2024-03-01 08:00:00+02:00) nor Unix seconds ({why})"
    )]
    Unreadable { text: String, why: String },
    #[error("timestamp \"{text}\" is not a time from 1970 to 9999")]
    OutOfRange { text: String },
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`. Times
/// past jiff's last instant (9999-12-30T22:00Z) are written as it.
pub fn format_time(ms: u64) -> String {
    let ts = i64::try_from(ms)
        .ok()
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .unwrap_or(Timestamp::MAX);
    format!("{ts:.3}")
}

/// Reads one timestamp (see the module's note for the forms it takes).
pub(crate) fn parse_time(text: &str) -> Result<u64, TimeError> {
    let text = text.trim();
    let out_of_range = || TimeError::OutOfRange { text: text.into() };
    if let Ok(secs) = text.parse::<f64>() {
        let ms = (secs * MS_PER_S).round();
        let last_ms = Timestamp::MAX.as_millisecond() as f64;
        return if secs.is_finite() && secs >= 0.0 && ms <= last_ms {
            Ok(ms as u64)
        } else {
            Err(out_of_range())
        };
    }
    let unreadable = |why: String| TimeError::Unreadable {
        text: text.into(),
        why,
    };
    let text_9 = trim_fraction(text);
    let pieces = Pieces::parse(text_9.as_ref()).map_err(|e| unreadable(e.to_string()))?;
    let Some(time) = pieces.time() else {
        return Err(unreadable("a date without a time of day".into()));
    };
    let offset = match (pieces.to_numeric_offset(), pieces.time_zone_annotation()) {
        (Some(offset), _) => offset,
        (None, None) => Offset::UTC,
        (None, Some(_)) => {
            return Err(unreadable("a time zone name without an offset".into()));
        }
    };
    let ts = offset
        .to_timestamp(pieces.date().to_datetime(time))
        .map_err(|_| out_of_range())?;
    u64::try_from(ts.as_millisecond()).map_err(|_| out_of_range())
}

/// `text` with any fraction of a second cut to the digits jiff reads.
fn trim_fraction(text: &str) -> Cow<'_, str> {
    let Some(dot) = text.find(['.', ',']) else {
        return Cow::Borrowed(text);
    };
    let digits = text[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits <= MAX_FRACTION_DIGITS {
        return Cow::Borrowed(text);
    }
    let keep = dot + 1 + MAX_FRACTION_DIGITS;
    Cow::Owned(format!("{}{}", &text[..keep], &text[dot + 1 + digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-03-01T06:00:00Z: `date -u -d '2024-03-01 08:00:00+02:00' +%s`
    /// and Python's `datetime(2024, 3, 1, 6, tzinfo=timezone.utc)` both
    /// give 1709272800 s.
    const MARCH_1_0600_UTC_MS: u64 = 1_709_272_800_000;
    /// 2024-03-01T08:00:00Z, two hours later: 1709280000 s.
    const MARCH_1_0800_UTC_MS: u64 = 1_709_280_000_000;

    #[test]
    fn times_round_trip_through_iso_8601() {
        // 2026-11-26T13:22:02.123Z, 20,783 days after 1970-01-01 (Python:
        // (date(2026, 11, 26) - date(1970, 1, 1)).days), plus 13 h 22 min 2.123 s.
        let ms = (20_783 * 86_400 + 13 * 3600 + 22 * 60 + 2) * 1000 + 123;
        assert_eq!(format_time(ms), "2026-11-26T13:22:02.123Z");
        assert_eq!(parse_time("2026-11-26T13:22:02.123Z"), Ok(ms));
        assert_eq!(parse_time("2026-11-26 13:22:02.123"), Ok(ms));
        assert_eq!(parse_time("2026-11-26T13:22:02.1Z"), Ok(ms - 23));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Ok(951_782_400_000));
        for t in [0, 1, 999, 86_399_999, 4_102_444_800_000, 1_764_163_322_123] {
            assert_eq!(parse_time(&format_time(t)), Ok(t), "{t}");
        }
        // jiff's last instant, 2 h before the end of 9999 (so that every
        // offset still has a date; Python: 253402207200.999 s), and anything
        // later written as it.
        assert_eq!(format_time(253_402_207_200_999), "9999-12-30T22:00:00.999Z");
        assert_eq!(format_time(u64::MAX), "9999-12-30T22:00:00.999Z");
    }

    #[test]
    fn times_that_pandas_and_people_write_are_read() {
        for (text, want) in [
            // pandas' time-zone-aware times, and RFC 3339 offsets.
            ("2024-03-01 08:00:00+02:00", MARCH_1_0600_UTC_MS),
            ("2024-03-01T08:00:00+02:00", MARCH_1_0600_UTC_MS),
            ("2024-03-01T08:00:00+0200", MARCH_1_0600_UTC_MS),
            ("2024-03-01T08:00:00+02", MARCH_1_0600_UTC_MS),
            ("2024-03-01T06:00:00Z", MARCH_1_0600_UTC_MS),
            ("2024-03-01T06:00:00+00:00", MARCH_1_0600_UTC_MS),
            // 21:30 at -05:30 the day before is 03:00 UTC on March 1
            // (`date -u -d '2024-02-29 21:30:00-05:30' +%s`: 1709262000).
            ("2024-02-29 21:30:00-05:30", 1_709_262_000_000),
            // Across a year end: 2025-01-01T00:30Z, 1735691400 s.
            ("2024-12-31T23:30:00-01:00", 1_735_691_400_000),
            // pandas' naive times are UTC.
            ("2024-03-01 08:00:00", MARCH_1_0800_UTC_MS),
            ("2024-03-01T08:00:00", MARCH_1_0800_UTC_MS),
            // No seconds.
            ("2024-03-01 08:00", MARCH_1_0800_UTC_MS),
            ("2024-03-01T10:00+02:00", MARCH_1_0800_UTC_MS),
            // Fractions of any length, cut to the millisecond.
            ("2024-03-01 08:00:00.5", MARCH_1_0800_UTC_MS + 500),
            ("2024-03-01 08:00:00.123456", MARCH_1_0800_UTC_MS + 123),
            (
                "2024-03-01 08:00:00.123456789123+02:00",
                MARCH_1_0600_UTC_MS + 123,
            ),
            (
                "2024-03-01T08:00:00.9999999999999Z",
                MARCH_1_0800_UTC_MS + 999,
            ),
            // Unix seconds, with a fraction, and spaces around.
            ("1709272800", MARCH_1_0600_UTC_MS),
            (" 1709272800.25 ", MARCH_1_0600_UTC_MS + 250),
            ("1764163322.5", 1_764_163_322_500),
        ] {
            assert_eq!(parse_time(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn bad_times_are_refused_with_the_text() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-26T25:00:00Z",
            "2026-11-26T1:2:3Z",
            "2024-03-01",
            "2024-03-01T08:00:00+2:00",
            "2024-03-01 08:00:00 +02:00",
            "2024-03-01T08:00:00[Europe/Berlin]",
            "2024-03-01T08:00:00.Z",
        ] {
            let e = parse_time(bad).unwrap_err();
            assert!(matches!(e, TimeError::Unreadable { .. }), "{bad:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("timestamp \"{}\"", bad.trim())),
                "{e}"
            );
        }
        for early_or_late in [
            "-5",
            "1e300",
            "inf",
            "1969-12-31T23:59:59Z",
            "1970-01-01T01:00:00+02:00",
        ] {
            assert_eq!(
                parse_time(early_or_late),
                Err(TimeError::OutOfRange {
                    text: early_or_late.into()
                }),
                "{early_or_late:?}"
            );
        }
    }
}

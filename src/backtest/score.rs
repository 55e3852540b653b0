//! Scoring one sensor's countdowns against its alarms: a pure core.
//!
//! Countdowns are asked for at regular times. A run of consecutive times
//! that all had a countdown is an *episode*. An alarm was *predicted* when an
//! episode started before it and was still running at most
//! `STILL_PREDICTING_S` before it; its *lead time* is how long before the
//! alarm that episode started, and each countdown in it is scored by when it
//! said the limit would be reached against when the alarm came. An episode
//! that no alarm followed within its own latest time (plus the same grace),
//! where the recording goes on long enough to tell, is a *false* prediction.

use serde::Serialize;

use crate::analytics::countdown::Countdown;

/// An episode that ended this many seconds or less before an alarm still
/// predicted it (a countdown stops once the value is at the limit, a couple
/// of seconds before the alarm's minimum duration has passed).
pub(crate) const STILL_PREDICTING_S: f64 = 30.0;

/// One sensor's countdowns under one model, and its alarms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Track {
    /// (time, countdown then), in time order.
    pub(crate) asks: Vec<(f64, Option<Countdown>)>,
    /// When its alarm-level alarms were raised, in time order.
    pub(crate) alarms: Vec<f64>,
    /// The recording's last time.
    pub(crate) end: f64,
}

/// How one sensor's countdowns under one model fared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    pub alarms: usize,
    /// Lead time of each predicted alarm, seconds.
    pub lead_times_s: Vec<f64>,
    pub missed: usize,
    /// |predicted − actual| alarm time of every countdown of a predicting
    /// episode, seconds.
    pub countdown_errors_s: Vec<f64>,
    /// How many of those countdowns had the alarm inside their range.
    pub within_range: usize,
    /// Episodes no alarm followed.
    pub false_predictions: usize,
    /// Episodes the recording ends too soon to judge.
    pub open: usize,
}

struct Episode {
    /// Indices into `asks`, first and last.
    first: usize,
    last: usize,
}

fn episodes(asks: &[(f64, Option<Countdown>)]) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    let mut open: Option<usize> = None;
    for (i, (_, c)) in asks.iter().enumerate() {
        match (c, open) {
            (Some(_), None) => open = Some(i),
            (None, Some(first)) => {
                out.push(Episode { first, last: i - 1 });
                open = None;
            }
            _ => {}
        }
    }
    if let Some(first) = open {
        out.push(Episode {
            first,
            last: asks.len() - 1,
        });
    }
    out
}

/// Scores `track`.
pub(crate) fn score(track: &Track) -> Score {
    let asks = &track.asks;
    let episodes = episodes(asks);
    let mut used = vec![false; episodes.len()];
    let mut s = Score {
        alarms: track.alarms.len(),
        ..Score::default()
    };
    for &alarm in &track.alarms {
        let predicting = episodes
            .iter()
            .position(|e| asks[e.first].0 < alarm && asks[e.last].0 >= alarm - STILL_PREDICTING_S);
        let Some(i) = predicting else {
            s.missed += 1;
            continue;
        };
        used[i] = true;
        let e = &episodes[i];
        s.lead_times_s.push(alarm - asks[e.first].0);
        for (t, c) in &asks[e.first..=e.last] {
            let Some(c) = c else { continue };
            if *t >= alarm {
                break;
            }
            s.countdown_errors_s.push((t + c.expected_s - alarm).abs());
            if t + c.low_s <= alarm && alarm <= t + c.high_s {
                s.within_range += 1;
            }
        }
    }
    for (e, used) in episodes.iter().zip(used) {
        if used {
            continue;
        }
        let (t, c) = &asks[e.last];
        let deadline = t + c.map_or(0.0, |c| c.high_s) + STILL_PREDICTING_S;
        let followed = track
            .alarms
            .iter()
            .any(|&a| a >= asks[e.first].0 && a <= deadline);
        if followed {
            continue;
        }
        if deadline <= track.end {
            s.false_predictions += 1;
        } else {
            s.open += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(expected_s: f64, low_s: f64, high_s: f64) -> Option<Countdown> {
        Some(Countdown {
            expected_s,
            low_s,
            high_s,
        })
    }

    /// Asked every 10 s from 0 to 300 s; an alarm at 200 s.
    /// - 100–190 s: a countdown saying 100 s at 100 s, then 10 s less each
    ///   time, except at 120 s where it says 70 (190: 10 s early); its
    ///   range of ±15 s holds the alarm every time (175..205 at 120 s), so
    ///   the errors are 0 nine times and 10 once.
    /// - 30–40 s: a countdown saying 60 s (range to 80); nothing came by
    ///   40 + 80 + 30 = 150 s: a false prediction.
    /// - 280–300 s: a countdown saying 100 s (range to 150): the recording
    ///   ends at 300, before 300 + 150 + 30: open.
    ///
    /// Lead time: 200 − 100 = 100 s.
    #[test]
    fn a_worked_track_scores_as_done_by_hand() {
        let mut asks: Vec<(f64, Option<Countdown>)> =
            (0..=30).map(|i| (i as f64 * 10.0, None)).collect();
        for (t, ask) in &mut asks[10..=19] {
            let eta = if *t == 120.0 { 70.0 } else { 200.0 - *t };
            *ask = c(eta, eta - 15.0, eta + 15.0);
        }
        asks[3].1 = c(60.0, 50.0, 80.0);
        asks[4].1 = c(60.0, 50.0, 80.0);
        for (_, ask) in &mut asks[28..=30] {
            *ask = c(100.0, 50.0, 150.0);
        }
        let s = score(&Track {
            asks,
            alarms: vec![200.0],
            end: 300.0,
        });
        assert_eq!(s.alarms, 1);
        assert_eq!(s.lead_times_s, vec![100.0]);
        assert_eq!(s.missed, 0);
        assert_eq!(s.countdown_errors_s.len(), 10);
        assert_eq!(s.countdown_errors_s.iter().sum::<f64>(), 10.0);
        assert_eq!(s.within_range, 10, "190 lies in 175..205 too");
        assert_eq!(s.false_predictions, 1);
        assert_eq!(s.open, 1);
    }

    #[test]
    fn an_alarm_without_a_running_countdown_is_missed() {
        // A countdown from 0 to 20 s, over by 60 s before the alarm at 100 s
        // (it said 10 s, range to 20: false, as nothing came by 70 s).
        let mut asks: Vec<(f64, Option<Countdown>)> =
            (0..=12).map(|i| (i as f64 * 10.0, None)).collect();
        for a in &mut asks[0..=2] {
            a.1 = c(10.0, 5.0, 20.0);
        }
        let s = score(&Track {
            asks,
            alarms: vec![100.0],
            end: 120.0,
        });
        assert_eq!(
            (s.missed, s.false_predictions, s.lead_times_s.len()),
            (1, 1, 0)
        );
    }
}

//! The flow's ledger: the pure bookkeeping that turns what the twin hears
//! (each machine's count of parts made, each buffer's level, the line's
//! shipped count) into what the parts should do — put a part on a belt,
//! take the front part off, release one onto the outfeed.
//!
//! Design: like rumqttc's `MqttState`, the ledger holds no bodies and
//! touches no ECS. The systems in this folder read the sensors, ask the
//! ledger what to do, and carry it out with rigid bodies; everything about
//! counting (the first reading, jumps, a counter going back, the spacing
//! between parts) lives here and is unit-tested on its own.

use std::collections::VecDeque;

/// Most parts one counter rise releases at once: a jump of thousands is a
/// bad reading or a reset plant, not parts to show.
pub(crate) const MAX_JUMP_PARTS: u64 = 64;

/// Gap between two parts put on the same belt, in part lengths of travel,
/// so that none lands on another.
pub(crate) const RELEASE_GAP_PART_LENGTHS: f32 = 1.5;

/// Slowest belt speed the spacing is worked out for (m/s): a belt set to
/// stand still would otherwise never release a part.
pub(crate) const MIN_SPACING_SPEED_M_S: f32 = 0.05;

/// A take is owed once the parts the next station has taken (made, less
/// what still waits) exceed what the flow has taken by this many parts.
const OWED_PARTS: f64 = 0.5;

/// Frames a take must stay owed before a part is taken: one frame may see a
/// count change before the level that goes with it.
const TAKE_AFTER_FRAMES: u32 = 2;

/// Physics steps between two parts put on a belt of `speed` (m/s), for
/// parts of `part_size` (m) and steps of `step_s` (s).
pub(crate) fn spacing_steps(part_size: f32, speed: f32, step_s: f32) -> u32 {
    (RELEASE_GAP_PART_LENGTHS * part_size / speed.max(MIN_SPACING_SPEED_M_S) / step_s).ceil() as u32
}

/// What one reading of a counter means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// Nothing to do: the first reading (it only sets where counting
    /// starts), the same count again, or a rise of less than half a part.
    Same,
    /// The count rose by this many parts (at most `MAX_JUMP_PARTS`).
    Rose(u64),
    /// The count went back (a restarted plant): counting starts again.
    Fell,
}

/// A counter sensor as the ledger follows it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Counter {
    last: Option<f64>,
}

impl Counter {
    /// Takes a reading; a reading that is not a finite number is ignored.
    pub(crate) fn read(&mut self, now: f64) -> Count {
        if !now.is_finite() {
            return Count::Same;
        }
        let change = match self.last {
            Some(last) if now > last => {
                Count::Rose((now - last).round().min(MAX_JUMP_PARTS as f64) as u64)
            }
            Some(last) if now < last => Count::Fell,
            _ => Count::Same,
        };
        self.last = Some(now);
        change
    }

    /// The last reading, once there is one.
    pub(crate) fn last(&self) -> Option<f64> {
        self.last
    }
}

/// The outfeed: every part the line ships is released onto it, one per
/// `spacing` steps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outfeed {
    shipped: Counter,
    /// Parts counted and not yet released.
    pub(crate) pending: u64,
    since_release: u32,
    spacing: u32,
}

impl Outfeed {
    pub(crate) fn new(spacing: u32) -> Outfeed {
        Outfeed {
            spacing,
            ..Outfeed::default()
        }
    }

    /// A reading of the line's shipped counter.
    pub(crate) fn read(&mut self, shipped: f64) {
        if let Count::Rose(n) = self.shipped.read(shipped) {
            self.pending += n;
        }
    }

    /// `steps` physics steps went by: whether to release a part now.
    pub(crate) fn release(&mut self, steps: u32) -> bool {
        self.since_release = self.since_release.saturating_add(steps);
        if self.pending == 0 || self.since_release < self.spacing {
            return false;
        }
        self.pending -= 1;
        self.since_release = 0;
        true
    }
}

/// What a buffer belt's readings ask for this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Moves {
    /// The first level reading: this many parts already wait on the belt.
    pub(crate) fill: Option<usize>,
    /// The next station took a part: the front one goes to one of its machines.
    pub(crate) take: bool,
}

/// A buffer belt between two stations: fed by the machines of the station
/// before it (each with its count of parts made), emptied by the next one.
#[derive(Debug, Clone)]
pub(crate) struct Buffer {
    made: Vec<Counter>,
    /// Parts made and not yet put on the belt, by feeder.
    to_put: VecDeque<usize>,
    /// Parts the next station had taken when all counts were first known
    /// (made before, less waiting), and taken off the belt since.
    taken_base: Option<f64>,
    taken: f64,
    owing: u32,
    filled: bool,
    since_put: u32,
    spacing: u32,
    /// Whose turn it is among the next station's machines.
    turn: usize,
}

impl Buffer {
    /// A buffer fed by `feeders` machines, putting parts on `spacing` steps apart.
    pub(crate) fn new(feeders: usize, spacing: u32) -> Buffer {
        Buffer {
            made: vec![Counter::default(); feeders],
            to_put: VecDeque::new(),
            taken_base: None,
            taken: 0.0,
            owing: 0,
            filled: false,
            since_put: u32::MAX,
            spacing,
            turn: 0,
        }
    }

    /// Feeder `f`'s count of parts made.
    pub(crate) fn read_made(&mut self, f: usize, now: f64) {
        let Some(counter) = self.made.get_mut(f) else {
            return;
        };
        match counter.read(now) {
            Count::Rose(n) => self.to_put.extend(std::iter::repeat_n(f, n as usize)),
            // A count that went back (a restarted plant) starts the
            // accounting of what was taken again.
            Count::Fell => {
                self.taken_base = None;
                self.taken = 0.0;
            }
            Count::Same => {}
        }
    }

    /// The buffer's level (parts waiting) this frame, once the made counts
    /// of the frame are read; `room` is how many parts fit on the belt.
    pub(crate) fn read_level(&mut self, level: f64, room: usize) -> Moves {
        let mut moves = Moves::default();
        if !self.filled {
            self.filled = true;
            moves.fill = Some(level.round().clamp(0.0, room as f64) as usize);
        }
        // Taken so far by the next station: made, less what still waits.
        let made: Option<f64> = self.made.iter().map(Counter::last).sum();
        let owed = match (made, self.taken_base) {
            (Some(made), None) => {
                self.taken_base = Some(made - level);
                0.0
            }
            (Some(made), Some(base)) => made - level - base - self.taken,
            (None, _) => 0.0,
        };
        self.owing = if owed >= OWED_PARTS {
            self.owing + 1
        } else {
            0
        };
        if self.owing >= TAKE_AFTER_FRAMES {
            self.owing = 0;
            self.taken += 1.0;
            moves.take = true;
        }
        moves
    }

    /// The next part made, taken straight from its machine (by feeder):
    /// for a take that finds the belt empty.
    pub(crate) fn take_made(&mut self) -> Option<usize> {
        self.to_put.pop_front()
    }

    /// `steps` physics steps went by: the feeder whose part goes onto the
    /// belt now, if one is due.
    pub(crate) fn put(&mut self, steps: u32) -> Option<usize> {
        self.since_put = self.since_put.saturating_add(steps);
        if self.since_put < self.spacing {
            return None;
        }
        let f = self.to_put.pop_front()?;
        self.since_put = 0;
        Some(f)
    }

    /// The machine (an index among `n`) that gets the next part taken, in
    /// turn: `rank(k)` is `None` for a machine that is not there, else
    /// (down, parts it holds); one that is up goes before one that is
    /// down, the least loaded first, ties in turn order.
    pub(crate) fn pick(
        &mut self,
        n: usize,
        rank: impl Fn(usize) -> Option<(bool, usize)>,
    ) -> Option<usize> {
        let best = (0..n)
            .map(|k| (self.turn + k) % n)
            .filter_map(|k| rank(k).map(|r| (k, r)))
            .min_by_key(|(_, r)| *r)?;
        self.turn = self.turn.wrapping_add(1);
        Some(best.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_starts_at_its_first_reading_caps_jumps_and_restarts_when_it_falls() {
        let mut c = Counter::default();
        assert_eq!(
            c.read(100.0),
            Count::Same,
            "the first reading only sets the start"
        );
        assert_eq!(c.read(103.0), Count::Rose(3));
        assert_eq!(c.read(103.0), Count::Same);
        assert_eq!(c.read(1e12), Count::Rose(64), "a jump is capped");
        assert_eq!(c.read(5.0), Count::Fell);
        assert_eq!(
            c.read(6.0),
            Count::Rose(1),
            "counting goes on from the new start"
        );
        assert_eq!(c.read(f64::NAN), Count::Same);
        assert_eq!(c.read(f64::INFINITY), Count::Same);
        assert_eq!(c.last(), Some(6.0), "non-finite readings are ignored");
    }

    #[test]
    fn spacing_is_one_and_a_half_part_lengths_of_travel() {
        // 0.3 m parts on a 0.8 m/s belt: 0.45 m of travel = 0.5625 s = 33.75
        // steps of 1/60 s, so 34.
        assert_eq!(spacing_steps(0.3, 0.8, 1.0 / 60.0), 34);
        // A stopped belt spaces as if it ran at 5 cm/s: 9 s = 540 steps.
        assert_eq!(spacing_steps(0.3, 0.0, 1.0 / 60.0), 540);
    }

    #[test]
    fn the_outfeed_releases_what_was_shipped_one_per_spacing() {
        let mut out = Outfeed::new(10);
        out.read(40.0);
        assert!(!out.release(1), "nothing shipped yet");
        out.read(43.0);
        assert_eq!(out.pending, 3);
        // Ten steps after the start, then ten steps apart.
        let released: Vec<u32> = (1..=30).filter(|_| out.release(1)).collect();
        assert_eq!(released, [9, 19, 29]);
        assert_eq!(out.pending, 0);
        // A frame of 12 steps is past the spacing in one go.
        out.read(44.0);
        assert!(out.release(12));
        // A plant restarted at 0 releases nothing, then counts from there.
        out.read(0.0);
        out.read(2.0);
        assert_eq!(out.pending, 2);
        out.read(1e12);
        assert_eq!(out.pending, 66, "at most 64 at once");
    }

    #[test]
    fn a_buffer_fills_once_then_takes_what_the_next_station_took() {
        // Two feeders; the level sensor says 3 wait; 10 fit.
        let mut b = Buffer::new(2, 5);
        b.read_made(0, 10.0);
        b.read_made(1, 7.0);
        assert_eq!(
            b.read_level(3.0, 10),
            Moves {
                fill: Some(3),
                take: false
            }
        );
        // Feeder 1 makes one, and the level rises with it: nothing taken.
        b.read_made(1, 8.0);
        assert_eq!(b.read_level(4.0, 10), Moves::default());
        assert_eq!(b.put(5), Some(1), "feeder 1's part goes on");
        assert_eq!(b.put(5), None);
        // The level falls by one with no part made: the next station took
        // one, confirmed on the second frame.
        assert_eq!(b.read_level(3.0, 10), Moves::default());
        assert_eq!(
            b.read_level(3.0, 10),
            Moves {
                fill: None,
                take: true
            }
        );
        assert_eq!(b.read_level(3.0, 10), Moves::default(), "taken once only");
        // A level that comes back before the second frame takes nothing.
        assert_eq!(b.read_level(2.0, 10), Moves::default());
        assert_eq!(b.read_level(3.0, 10), Moves::default());
    }

    #[test]
    fn a_first_level_above_the_room_fills_the_belt_and_no_more() {
        let mut b = Buffer::new(1, 5);
        b.read_made(0, 0.0);
        assert_eq!(b.read_level(42.6, 8).fill, Some(8));
        let mut b = Buffer::new(1, 5);
        assert_eq!(b.read_level(-3.0, 8).fill, Some(0));
    }

    #[test]
    fn a_buffer_puts_parts_made_in_order_spaced_and_capped() {
        let mut b = Buffer::new(2, 3);
        b.read_made(0, 0.0);
        b.read_made(1, 0.0);
        b.read_made(0, 2.0);
        b.read_made(1, 1.0);
        let put: Vec<Option<usize>> = (0..7).map(|_| b.put(1)).collect();
        assert_eq!(put, [Some(0), None, None, Some(0), None, None, Some(1)]);
        b.read_made(0, 1e9);
        assert_eq!(b.to_put.len(), 64);
        assert_eq!(b.take_made(), Some(0));
        // A take straight from the machines gets the oldest part made, by
        // whichever feeder made it; none when nothing waits.
        let mut b = Buffer::new(2, 3);
        b.read_made(1, 0.0);
        b.read_made(1, 1.0);
        assert_eq!(b.take_made(), Some(1));
        assert_eq!(b.take_made(), None);
    }

    #[test]
    fn a_counter_going_back_restarts_what_was_taken() {
        let mut b = Buffer::new(1, 1);
        b.read_made(0, 20.0);
        b.read_level(5.0, 10);
        b.read_level(4.0, 10);
        assert!(b.read_level(4.0, 10).take);
        // The plant restarts: made 0, level 0. Without the restart the
        // ledger would owe -20 parts for ever; with it, it starts again.
        b.read_made(0, 0.0);
        assert_eq!(b.read_level(0.0, 10), Moves::default());
        b.read_made(0, 1.0);
        b.read_level(0.0, 10);
        assert!(b.read_level(0.0, 10).take, "a part made and taken at once");
    }

    #[test]
    fn machines_are_picked_up_before_down_least_loaded_in_turn() {
        let mut b = Buffer::new(1, 1);
        // Three machines, all up and empty: in turn.
        let all_free = |_| Some((false, 0));
        let picks: Vec<_> = (0..4).map(|_| b.pick(3, all_free)).collect();
        assert_eq!(picks, [Some(0), Some(1), Some(2), Some(0)]);
        // Machine 1 down, machine 2 busy: machine 0 whatever the turn.
        let rank = |k| Some([(false, 0), (true, 0), (false, 1)][k]);
        assert_eq!(b.pick(3, rank), Some(0));
        assert_eq!(b.pick(3, rank), Some(0));
        // All down: still one of them (the least loaded); none there: none.
        assert_eq!(b.pick(2, |k| Some((true, 1 - k))), Some(1));
        assert_eq!(b.pick(2, |_| None), None);
    }
}

//! The client's clocks, as plain arithmetic on the milliseconds the driver
//! passes in: when to ping, when a ping went unanswered, and how long to
//! wait before the next connection attempt. Nothing here reads a clock, so
//! tests step time by hand.

/// The first wait before reconnecting after a connection failed or dropped.
pub(crate) const RECONNECT_FIRST_MS: u64 = 500;

/// The longest wait between connection attempts: the waits double from
/// `RECONNECT_FIRST_MS` up to this.
pub(crate) const RECONNECT_MAX_MS: u64 = 15_000;

/// What the keepalive asks of the client at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    /// Nothing was sent for a keepalive interval: send PINGREQ.
    Ping,
    /// A PINGREQ went unanswered for this many milliseconds: the link is dead.
    Dead {
        waited_ms: u64,
    },
}

/// MQTT's keepalive seen from the client (MQTT 3.1.1 §3.1.2.10): the client
/// sends something at least once per interval, a PINGREQ when it has
/// nothing else to send, and a PINGRESP that does not come back within
/// `timeout_ms` means the link is dead (the broker, for its part, drops a
/// client it has not heard from for 1.5 intervals).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keepalive {
    interval_ms: u64,
    timeout_ms: u64,
    last_sent_ms: u64,
    ping_sent_ms: Option<u64>,
}

impl Keepalive {
    pub(crate) fn new(interval_ms: u64, timeout_ms: u64, now_ms: u64) -> Self {
        Keepalive {
            interval_ms,
            timeout_ms,
            last_sent_ms: now_ms,
            ping_sent_ms: None,
        }
    }

    /// Something was sent at `now_ms`.
    pub(crate) fn sent(&mut self, now_ms: u64) {
        self.last_sent_ms = self.last_sent_ms.max(now_ms);
    }

    /// A PINGREQ was sent at `now_ms`.
    pub(crate) fn pinged(&mut self, now_ms: u64) {
        self.sent(now_ms);
        self.ping_sent_ms = Some(now_ms);
    }

    /// The broker answered the ping.
    pub(crate) fn answered(&mut self) {
        self.ping_sent_ms = None;
    }

    /// What is due at `now_ms`. Times that go backwards (a wall clock
    /// that was set back) count as no time passing.
    pub(crate) fn due(&self, now_ms: u64) -> Due {
        if let Some(sent) = self.ping_sent_ms {
            let waited_ms = now_ms.saturating_sub(sent);
            return if waited_ms >= self.timeout_ms {
                Due::Dead { waited_ms }
            } else {
                Due::Nothing
            };
        }
        if now_ms.saturating_sub(self.last_sent_ms) >= self.interval_ms {
            Due::Ping
        } else {
            Due::Nothing
        }
    }
}

/// Exponential backoff between connection attempts, without jitter: one
/// browser tab reconnecting to one broker has no herd to spread out, and a
/// fixed sequence is what tests can check.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait before the next attempt, counting one more failure.
    pub(crate) fn next_wait_ms(&mut self) -> u64 {
        // 2^20 × the first wait is far past any cap; stop shifting there.
        let wait = RECONNECT_FIRST_MS << self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        wait.min(RECONNECT_MAX_MS)
    }

    /// A connection was accepted: the next failure waits the first wait again.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waits_double_up_to_the_cap_and_start_over_after_a_connection() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| b.next_wait_ms()).collect();
        assert_eq!(
            waits,
            [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]
        );
        for _ in 0..100 {
            assert_eq!(b.next_wait_ms(), RECONNECT_MAX_MS, "no overflow");
        }
        b.reset();
        assert_eq!(b.next_wait_ms(), RECONNECT_FIRST_MS);
    }

    #[test]
    fn a_ping_is_due_one_interval_after_the_last_send() {
        let mut k = Keepalive::new(1_000, 300, 0);
        assert_eq!(k.due(999), Due::Nothing);
        assert_eq!(k.due(1_000), Due::Ping);
        k.sent(600);
        assert_eq!(k.due(1_599), Due::Nothing, "a send postpones the ping");
        assert_eq!(k.due(1_600), Due::Ping);
        k.sent(100);
        assert_eq!(k.due(1_599), Due::Nothing, "an older time changes nothing");
        assert_eq!(k.due(50), Due::Nothing, "time going backwards is no time");
    }

    #[test]
    fn an_unanswered_ping_is_a_dead_link_after_the_timeout() {
        let mut k = Keepalive::new(1_000, 300, 0);
        k.pinged(1_000);
        assert_eq!(k.due(1_299), Due::Nothing);
        assert_eq!(k.due(2_500), Due::Dead { waited_ms: 1_500 });
        k.answered();
        assert_eq!(k.due(1_999), Due::Nothing);
        assert_eq!(k.due(2_000), Due::Ping);
    }
}

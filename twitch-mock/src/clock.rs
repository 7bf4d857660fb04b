//! The mock's notion of time.
//!
//! Codes, tokens and rate-limit buckets all read the time from one [`Clock`], so a test can move
//! it forward ([`crate::MockTwitch::advance_clock`]) to see a token expire without sleeping.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an offset that tests can grow; a test can also stop it.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: Duration,
    stopped_at: Option<SystemTime>,
}

impl Clock {
    pub(crate) fn now(&self) -> SystemTime {
        self.stopped_at.unwrap_or_else(SystemTime::now) + self.offset
    }

    /// Stops the clock where it is (it still moves by [`Clock::advance`]), or lets it run again.
    pub(crate) fn stop(&mut self, stopped: bool) {
        self.stopped_at = stopped.then(SystemTime::now);
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset += by;
    }
}

/// Seconds since the Unix epoch (0 for times before it, which the mock never produces).
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// Whole seconds from `now` until `deadline`, or `None` once the deadline has passed.
pub(crate) fn seconds_left(now: SystemTime, deadline: SystemTime) -> Option<u64> {
    match deadline.duration_since(now) {
        Ok(left) if !left.is_zero() => Some(left.as_secs()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_left_is_none_once_the_deadline_passed() {
        let now = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(seconds_left(now, now + Duration::from_secs(5)), Some(5));
        assert_eq!(seconds_left(now, now), None);
        assert_eq!(seconds_left(now, now - Duration::from_secs(1)), None);
    }

    #[test]
    fn a_stopped_clock_moves_only_when_advanced() {
        let mut clock = Clock::default();
        clock.stop(true);
        let at = clock.now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now(), at);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), at + Duration::from_secs(1));
        clock.stop(false);
        assert!(clock.now() > at + Duration::from_secs(1));
    }

    #[test]
    fn advancing_the_clock_moves_now_forward() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::from_secs(3600));
    }
}

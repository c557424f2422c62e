//! Token buckets for bufferevent rate limits (libevent's
//! `ev_token_bucket_cfg`): each tick adds `rate` bytes of allowance up to
//! `maximum` (the burst); reads and writes spend it, possibly below zero.

use std::time::Duration;

/// The largest rate or burst libevent accepts (`EV_RATE_LIMIT_MAX`).
pub const RATE_LIMIT_MAX: usize = isize::MAX as usize;

/// A rate-limit configuration, shared by every bucket that uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct BucketConfig {
    pub read_rate: i64,
    pub read_maximum: i64,
    pub write_rate: i64,
    pub write_maximum: i64,
    /// How often allowance is added.
    pub tick: Duration,
    msec_per_tick: u64,
}

impl BucketConfig {
    /// As `ev_token_bucket_cfg_new`: a rate must be at least 1 and at most
    /// its burst. A tick shorter than a millisecond is refused (libevent
    /// would divide by zero).
    pub fn new(
        read_rate: usize,
        read_burst: usize,
        write_rate: usize,
        write_burst: usize,
        tick: Duration,
    ) -> Option<BucketConfig> {
        if read_rate > read_burst || write_rate > write_burst || read_rate < 1 || write_rate < 1 {
            return None;
        }
        if [read_rate, read_burst, write_rate, write_burst]
            .iter()
            .any(|&v| v > RATE_LIMIT_MAX)
        {
            return None;
        }
        let msec_per_tick = tick.as_millis() as u64;
        if msec_per_tick == 0 {
            return None;
        }
        Some(BucketConfig {
            read_rate: read_rate as i64,
            read_maximum: read_burst as i64,
            write_rate: write_rate as i64,
            write_maximum: write_burst as i64,
            tick,
            msec_per_tick,
        })
    }

    /// The tick number of a time given in milliseconds.
    pub fn tick_at(&self, msec: u64) -> u32 {
        (msec / self.msec_per_tick) as u32
    }
}

/// Allowance left in each direction, as of tick `last_updated`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bucket {
    pub read_limit: i64,
    pub write_limit: i64,
    last_updated: u32,
}

impl Bucket {
    /// A fresh bucket holds one tick's worth.
    pub fn new(cfg: &BucketConfig, tick: u32) -> Bucket {
        Bucket {
            read_limit: cfg.read_rate,
            write_limit: cfg.write_rate,
            last_updated: tick,
        }
    }

    /// On a new configuration: only clip to the new bursts (what was spent
    /// this tick stays spent).
    pub fn clip(&mut self, cfg: &BucketConfig) {
        self.read_limit = self.read_limit.min(cfg.read_maximum);
        self.write_limit = self.write_limit.min(cfg.write_maximum);
    }

    /// Adds the allowance of the ticks since the last update. Answers
    /// whether any tick passed (a clock that went back adds nothing).
    pub fn update(&mut self, cfg: &BucketConfig, tick: u32) -> bool {
        let n = tick.wrapping_sub(self.last_updated);
        if n == 0 || n > i32::MAX as u32 {
            return false;
        }
        let n = i64::from(n);
        self.read_limit = refill(self.read_limit, cfg.read_rate, cfg.read_maximum, n);
        self.write_limit = refill(self.write_limit, cfg.write_rate, cfg.write_maximum, n);
        self.last_updated = tick;
        true
    }
}

/// `limit + n * rate`, capped at `maximum` without overflowing.
fn refill(limit: i64, rate: i64, maximum: i64, n: i64) -> i64 {
    if (maximum - limit) / n < rate {
        maximum
    } else {
        limit + n * rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BucketConfig {
        BucketConfig::new(100, 250, 10, 10, Duration::from_millis(50)).unwrap()
    }

    #[test]
    fn bad_configurations_are_refused() {
        let s = Duration::from_secs(1);
        assert!(BucketConfig::new(0, 10, 1, 1, s).is_none());
        assert!(BucketConfig::new(11, 10, 1, 1, s).is_none());
        assert!(BucketConfig::new(1, 1, 2, 1, s).is_none());
        assert!(BucketConfig::new(1, RATE_LIMIT_MAX + 1, 1, 1, s).is_none());
        assert!(BucketConfig::new(1, 1, 1, 1, Duration::from_micros(999)).is_none());
        assert!(BucketConfig::new(1, 1, 1, 1, s).is_some());
    }

    #[test]
    fn ticks_add_rate_up_to_the_burst() {
        let c = cfg();
        assert_eq!(c.tick_at(1049), 20);
        let mut b = Bucket::new(&c, 20);
        assert_eq!((b.read_limit, b.write_limit), (100, 10));
        b.read_limit -= 180;
        assert!(!b.update(&c, 20));
        assert!(b.update(&c, 21));
        assert_eq!(b.read_limit, 20);
        assert!(b.update(&c, 23));
        assert_eq!(b.read_limit, 220);
        assert!(b.update(&c, 24));
        assert_eq!(b.read_limit, 250, "capped at the burst");
        assert_eq!(b.write_limit, 10);
    }

    #[test]
    fn time_going_back_adds_nothing_and_huge_gaps_do_not_overflow() {
        let c = BucketConfig::new(RATE_LIMIT_MAX, RATE_LIMIT_MAX, 1, 1, Duration::from_secs(1))
            .unwrap();
        let mut b = Bucket::new(&c, 10);
        assert!(!b.update(&c, 9));
        assert!(b.update(&c, 10 + 1_000_000));
        assert_eq!(b.read_limit, c.read_maximum);
    }

    #[test]
    fn a_new_configuration_clips_downwards_only() {
        let mut b = Bucket::new(&cfg(), 0);
        b.read_limit = 240;
        let smaller = BucketConfig::new(5, 50, 1, 1, Duration::from_secs(1)).unwrap();
        b.clip(&smaller);
        assert_eq!(b.read_limit, 50);
        b.read_limit = -3;
        b.clip(&smaller);
        assert_eq!(b.read_limit, -3);
    }
}

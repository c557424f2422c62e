//! What the loop keeps while it runs a pass: the time read once for the
//! pass (libevent's `tv_cache`, but read when first asked for: a pass with
//! no timer to check and no callback asking reads no clock), and the event whose callback runs
//! (`current_event`) with the calls it still owes (`ev_pncalls`), which a
//! delete or re-add from a callback cuts short.

use std::num::NonZeroUsize;
use std::time::Duration;

use super::clock;
use super::event::Key;

/// What one base's loop keeps during a pass.
pub struct Pass {
    /// Monotonic time (ns) cached for the current pass, once read.
    cached: Option<u64>,
    /// A pass runs: the first time read is kept for the rest of it.
    in_pass: bool,
    /// Its wall-clock equivalent, worked out once when first asked for.
    cached_wall: Option<Duration>,
    use_cache: bool,
    /// The event being called (no key is 0, so this is one word, stored
    /// once per callback), and how many calls remain.
    running: Option<NonZeroUsize>,
    calls_left: u32,
}

impl Pass {
    /// `use_cache`: false for `EVENT_BASE_FLAG_NO_CACHE_TIME`.
    pub fn new(use_cache: bool) -> Pass {
        Pass {
            cached: None,
            in_pass: false,
            cached_wall: None,
            use_cache,
            running: None,
            calls_left: 0,
        }
    }

    /// Monotonic now: the pass's cached time, read now if it has none yet.
    pub fn now(&mut self) -> u64 {
        if let Some(mono) = self.cached {
            return mono;
        }
        let mono = clock::now_ns();
        if self.in_pass && self.use_cache {
            self.cached = Some(mono);
        }
        mono
    }

    /// A pass starts: its time is read when first asked for.
    pub fn begin(&mut self) {
        self.in_pass = true;
        self.cached = None;
        self.cached_wall = None;
    }

    /// Reads the time for the pass again (`event_base_update_cache_time`).
    pub fn update_cache(&mut self) {
        if self.in_pass && self.use_cache {
            self.cached = Some(clock::now_ns());
            self.cached_wall = None;
        }
    }

    /// Outside a pass, time is read when asked for.
    pub fn end(&mut self) {
        self.in_pass = false;
        self.cached = None;
    }

    /// Wall-clock time of the pass (`event_base_gettimeofday_cached`).
    pub fn wall_time(&mut self) -> Duration {
        if !(self.in_pass && self.use_cache) {
            return clock::wall();
        }
        let mono = self.now();
        *self
            .cached_wall
            .get_or_insert_with(|| clock::mono_to_wall(mono))
    }

    /// The event whose callback runs.
    pub fn running(&self) -> Option<Key> {
        self.running.map(NonZeroUsize::get)
    }

    /// Event `key` starts its `calls` calls.
    pub fn start_calls(&mut self, key: Key, calls: u32) {
        self.running = NonZeroUsize::new(key);
        self.calls_left = calls;
    }

    /// Takes one of the running event's calls; false when none remain.
    pub fn take_call(&mut self) -> bool {
        if self.calls_left == 0 {
            return false;
        }
        self.calls_left -= 1;
        true
    }

    /// Cancels the remaining calls of `key` if it is the running event.
    pub fn stop_calls(&mut self, key: Key) {
        if self.running() == Some(key) {
            self.calls_left = 0;
        }
    }

    /// The running event's calls are over.
    pub fn end_calls(&mut self) {
        self.running = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick() {
        std::thread::sleep(Duration::from_millis(2));
    }

    #[test]
    fn a_pass_reads_its_time_once_when_first_asked() {
        let mut p = Pass::new(true);
        p.begin();
        let before = clock::now_ns();
        tick();
        let first = p.now();
        assert!(first > before + 1_000_000, "read when asked, not at begin");
        tick();
        assert_eq!(p.now(), first);
        p.update_cache();
        assert!(p.now() > first);
        p.end();
        let outside = p.now();
        tick();
        assert!(p.now() > outside, "outside a pass every read is fresh");
    }

    #[test]
    fn no_cache_time_reads_the_clock_every_time() {
        let mut p = Pass::new(false);
        p.begin();
        let first = p.now();
        tick();
        assert!(p.now() > first);
        p.update_cache();
        let wall = p.wall_time();
        tick();
        assert!(p.wall_time() > wall);
    }

    #[test]
    fn the_cached_wall_time_stays_for_the_pass() {
        let mut p = Pass::new(true);
        p.begin();
        let wall = p.wall_time();
        tick();
        assert_eq!(p.wall_time(), wall);
        p.begin();
        tick();
        assert!(p.wall_time() > wall);
    }
}

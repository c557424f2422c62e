//! What the loop keeps while it runs a pass: the time read once for the
//! pass (libevent's `tv_cache`), and the event whose callback runs
//! (`current_event`) with the calls it still owes (`ev_pncalls`), which a
//! delete or re-add from a callback cuts short.

use std::time::Duration;

use super::clock;
use super::event::Key;

/// What one base's loop keeps during a pass.
pub struct Pass {
    /// Monotonic time (ns) cached for the current pass.
    cached: Option<u64>,
    /// Its wall-clock equivalent, worked out once when first asked for.
    cached_wall: Option<Duration>,
    use_cache: bool,
    /// The event being called, and how many calls remain.
    running: Option<Key>,
    calls_left: u32,
}

impl Pass {
    /// `use_cache`: false for `EVENT_BASE_FLAG_NO_CACHE_TIME`.
    pub fn new(use_cache: bool) -> Pass {
        Pass {
            cached: None,
            cached_wall: None,
            use_cache,
            running: None,
            calls_left: 0,
        }
    }

    /// Monotonic now: the pass's cached time when there is one.
    pub fn now(&self) -> u64 {
        match self.cached {
            Some(mono) if self.use_cache => mono,
            _ => clock::now_ns(),
        }
    }

    /// Reads the time for the pass (again).
    pub fn update_cache(&mut self) {
        self.cached = Some(clock::now_ns());
        self.cached_wall = None;
    }

    /// Outside a pass, time is read when asked for.
    pub fn clear_cache(&mut self) {
        self.cached = None;
    }

    /// Wall-clock time of the pass (`event_base_gettimeofday_cached`).
    pub fn wall_time(&mut self) -> Duration {
        match self.cached {
            Some(mono) if self.use_cache => *self
                .cached_wall
                .get_or_insert_with(|| clock::mono_to_wall(mono)),
            _ => clock::wall(),
        }
    }

    /// The event whose callback runs.
    pub fn running(&self) -> Option<Key> {
        self.running
    }

    /// Event `key` starts its `calls` calls.
    pub fn start_calls(&mut self, key: Key, calls: u32) {
        self.running = Some(key);
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
        if self.running == Some(key) {
            self.calls_left = 0;
        }
    }

    /// The running event's calls are over.
    pub fn end_calls(&mut self) {
        self.running = None;
    }
}

//! Clocks: deadlines are nanoseconds on CLOCK_MONOTONIC; wall-clock time is
//! only needed for what the API reports (cached time, `event_pending`).

use std::time::Duration;

fn read(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; both clocks exist on every target.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Monotonic time in nanoseconds.
pub fn now_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC).as_nanos() as u64
}

/// Wall-clock time since the Unix epoch.
pub fn wall() -> Duration {
    read(libc::CLOCK_REALTIME)
}

/// Converts a monotonic time (past or future) to wall-clock time, as seen now.
pub fn mono_to_wall(deadline_ns: u64) -> Duration {
    let (mono, wall) = (now_ns(), wall());
    if deadline_ns >= mono {
        wall + Duration::from_nanos(deadline_ns - mono)
    } else {
        wall.saturating_sub(Duration::from_nanos(mono - deadline_ns))
    }
}

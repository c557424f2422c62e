//! Clocks: deadlines are nanoseconds on CLOCK_MONOTONIC; wall-clock time is
//! only needed for what the API reports (cached time, `event_pending`).

use std::time::Duration;

fn read(clock: libc::clockid_t) -> libc::timespec {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; both clocks exist on every target.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts
}

/// Monotonic time in nanoseconds (u64 arithmetic: this is read on every
/// `event_add` with a timeout).
pub fn now_ns() -> u64 {
    let ts = read(libc::CLOCK_MONOTONIC);
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// `d` in nanoseconds, saturating, without 128-bit arithmetic.
pub fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

/// Wall-clock time since the Unix epoch.
pub fn wall() -> Duration {
    let ts = read(libc::CLOCK_REALTIME);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
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

/// Makes this thread's kernel waits end on time: Linux lets a sleeping
/// thread's timeout slip by its "timer slack" (50 us by default) to batch
/// wake-ups. Done once per thread whose loop waits with a timeout (slack
/// delays nothing else). Not inlined: the loop would otherwise look up the
/// thread-local on every call, blocking or not.
#[inline(never)]
pub fn tighten_timer_slack() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        if !DONE.replace(true) {
            // SAFETY: prctl with integer arguments only affects this thread.
            unsafe {
                libc::prctl(
                    libc::PR_SET_TIMERSLACK,
                    1 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                    0 as libc::c_ulong,
                )
            };
        }
    }
}

//! Helpers the backends share.

use std::io;
use std::mem;
use std::os::fd::RawFd;
use std::time::Duration;

pub(super) use crate::fdutil::cvt;

/// `EBADF` unless `fd` is open. poll and select would only notice at wait
/// time (or never), so their `set` checks up front.
pub(super) fn check_open(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) }).map(drop)
}

/// A wait's `cvt` result as a count of events. EINTR is no error: a signal
/// cut the wait short and nothing was reported. (`cvt` passes only counts
/// that are not negative, so the conversion cannot fail.)
pub(super) fn ready_count<T: TryInto<usize>>(r: io::Result<T>) -> io::Result<usize> {
    match r {
        Ok(n) => Ok(n.try_into().unwrap_or(0)),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
        Err(e) => Err(e),
    }
}

/// `timeout` in whole milliseconds, rounded up so a wait is never short;
/// -1 (no limit) for `None`. Whole seconds are exact in ms, so only the
/// fraction needs rounding: 64-bit math where `as_nanos` would divide in 128.
pub(super) fn millis(timeout: Option<Duration>) -> libc::c_int {
    if timeout == Some(Duration::ZERO) {
        return 0; // every busy pass polls
    }
    timeout.map_or(-1, |d| {
        let ms = d
            .as_secs()
            .saturating_mul(1_000)
            .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
        libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
    })
}

/// `d` as a timespec, capped at 10^8 s (over three years) because macOS
/// rejects longer timeouts with EINVAL; such a wait may end early, which
/// callers tolerate as they recompute their timeout anyway.
pub(super) fn timespec(d: Duration) -> libc::timespec {
    const MAX_SECS: u64 = 100_000_000;
    // SAFETY: timespec is plain integers (plus padding on some targets), for
    // which all zeroes is valid.
    let mut ts: libc::timespec = unsafe { mem::zeroed() };
    ts.tv_sec = d.as_secs().min(MAX_SECS) as libc::time_t;
    ts.tv_nsec = d.subsec_nanos() as _;
    ts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_rounds_up_and_saturates() {
        let cases = [
            (None, -1),
            (Some(Duration::ZERO), 0),
            (Some(Duration::from_nanos(1)), 1),
            (Some(Duration::from_micros(1_000)), 1),
            (Some(Duration::from_micros(1_001)), 2),
            (Some(Duration::new(2, 999_000_001)), 3_000),
            (Some(Duration::from_secs(3_000_000)), libc::c_int::MAX),
            (Some(Duration::MAX), libc::c_int::MAX),
        ];
        for (timeout, ms) in cases {
            assert_eq!(millis(timeout), ms, "{timeout:?}");
        }
    }
}

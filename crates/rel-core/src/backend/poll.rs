//! poll(2). `set` edits a table under a lock; `wait` polls its own copy,
//! refreshed only after a change, so a blocked wait never holds the lock
//! `set` needs.

use std::collections::HashMap;
use std::io;
use std::mem;
use std::os::fd::RawFd;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::bits::{READ, WRITE};
use super::{features, Backend, Ready};

/// The poll events standing for each readiness bit. Only Linux has a
/// peer-shutdown event; elsewhere CLOSED is not offered (no EARLY_CLOSE).
const EVENTS: &[(libc::c_short, u8)] = &[
    (libc::POLLIN, READ),
    (libc::POLLOUT, WRITE),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (libc::POLLRDHUP, super::bits::CLOSED),
];

pub const FEATURES: u32 = features::FDS
    | if cfg!(any(target_os = "linux", target_os = "android")) {
        features::EARLY_CLOSE
    } else {
        0
    };

#[derive(Default)]
struct Table {
    fds: Vec<libc::pollfd>,
    /// Position of each fd in `fds`.
    index: HashMap<RawFd, usize>,
    /// Set by every edit, cleared when the waiter takes a copy.
    changed: bool,
}

impl Table {
    fn put(&mut self, fd: RawFd, events: libc::c_short) {
        match self.index.get(&fd) {
            Some(&i) if self.fds[i].events == events => return,
            Some(&i) => self.fds[i].events = events,
            None => {
                self.index.insert(fd, self.fds.len());
                self.fds.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
            }
        }
        self.changed = true;
    }

    fn remove(&mut self, fd: RawFd) {
        if let Some(i) = self.index.remove(&fd) {
            self.fds.swap_remove(i);
            if let Some(moved) = self.fds.get(i) {
                self.index.insert(moved.fd, i);
            }
            self.changed = true;
        }
    }
}

#[derive(Default)]
pub struct Poll {
    table: Mutex<Table>,
    /// The waiter's copy of `table.fds`; only the waiting thread locks it.
    scratch: Mutex<Vec<libc::pollfd>>,
}

pub fn create() -> io::Result<Box<dyn Backend>> {
    Ok(Box::<Poll>::default())
}

/// `EBADF` unless `fd` is open. poll and select would only notice at wait
/// time (or never), so their `set` checks up front.
pub(super) fn check_open(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
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

fn interest(bits: u8) -> libc::c_short {
    EVENTS
        .iter()
        .filter(|&&(_, bit)| bits & bit != 0)
        .fold(0, |acc, &(event, _)| acc | event)
}

/// Errors, hang-ups and closed fds wake both readers and writers, as in libevent.
fn readiness(revents: libc::c_short) -> u8 {
    let failed = revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0;
    EVENTS
        .iter()
        .filter(|&&(event, _)| revents & event != 0)
        .fold(if failed { READ | WRITE } else { 0 }, |acc, &(_, bit)| {
            acc | bit
        })
}

/// ppoll takes nanoseconds; Apple systems lack it, so round up to whole ms.
/// A zero or infinite wait goes through poll(2): same result, and the kernel
/// skips ppoll's timespec copy in and out.
#[cfg(not(target_vendor = "apple"))]
fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> libc::c_int {
    let ms = match timeout {
        None => Some(-1),
        Some(d) if d.is_zero() => Some(0),
        Some(_) => None,
    };
    if let Some(ms) = ms {
        // SAFETY: `fds` is a valid array of its length.
        return unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    }
    let ts = timeout.map(timespec);
    let tsp = ts.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: `fds` is a valid array of its length; `tsp` is null or points
    // at `ts`, alive across the call; a null sigmask leaves the mask alone.
    unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            tsp,
            std::ptr::null(),
        )
    }
}

#[cfg(target_vendor = "apple")]
fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> libc::c_int {
    let ms = timeout.map_or(-1, |d| {
        libc::c_int::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(libc::c_int::MAX)
    });
    // SAFETY: `fds` is a valid array of its length.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) }
}

impl Backend for Poll {
    fn set(&self, fd: RawFd, _old: u8, new: u8) -> io::Result<()> {
        let events = interest(new);
        if events != 0 {
            check_open(fd)?;
        }
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if events == 0 {
            table.remove(fd);
        } else {
            table.put(fd, events);
        }
        Ok(())
    }

    fn wait(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        let mut fds = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            if table.changed {
                fds.clone_from(&table.fds);
                table.changed = false;
            }
        }
        let n = poll_fds(&mut fds, timeout);
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                return Ok(());
            }
            return Err(err);
        }
        // poll counts the entries with any revents: stop after the last one
        // rather than scan the whole table (most entries are quiet).
        let mut left = n as usize;
        for p in fds.iter() {
            if left == 0 {
                break;
            }
            if p.revents != 0 {
                left -= 1;
                let bits = readiness(p.revents);
                if bits != 0 {
                    out.push(Ready { fd: p.fd, bits });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, socketpair};
    use super::*;
    use std::os::fd::AsRawFd;

    fn reg() -> Box<dyn Backend> {
        create().unwrap()
    }

    testkit::shared_tests!(reg(); reports_every_ready_fd, reports_read_and_write, removal_stops_reports, removal_keeps_other_fds, timeout_not_early, peer_close_reports_closed, change_during_wait);

    #[test]
    fn unopened_fd_is_ebadf() {
        testkit::unopened_fd_is_ebadf(&*reg());
        let err = reg().set(-1, 0, READ).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn hangup_reports_read_write() {
        testkit::hangup_reports_read_write(&*reg(), READ);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn removing_a_closed_fd_succeeds() {
        let reg = reg();
        let (_a, b) = socketpair();
        let fd = b.as_raw_fd();
        reg.set(fd, 0, WRITE).unwrap();
        drop(b);
        reg.set(fd, WRITE, 0).unwrap();
        assert!(testkit::wait(&*reg, Duration::ZERO).is_empty());
    }

    #[test]
    fn copy_is_refreshed_only_after_changes() {
        let reg = Poll::default();
        let (_a, b) = socketpair();
        reg.set(b.as_raw_fd(), 0, WRITE).unwrap();
        assert!(reg.table.lock().unwrap().changed);
        testkit::wait(&reg, Duration::ZERO);
        assert!(!reg.table.lock().unwrap().changed);
        // Same interest again is no change.
        reg.set(b.as_raw_fd(), WRITE, WRITE).unwrap();
        assert!(!reg.table.lock().unwrap().changed);
    }
}

//! poll(2). `set` edits a table under a lock; `wait` polls its own copy,
//! refreshed only after a change, so a blocked wait never holds the lock
//! `set` needs.

use std::io;
use std::os::fd::RawFd;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::bits::{READ, WRITE};
#[cfg(not(target_vendor = "apple"))]
use super::sys::timespec;
use super::sys::{check_open, cvt, millis, ready_count};
use super::{features, Backend, Ready};
use crate::growth::{cover, grow_for_one};

/// The poll events standing for each readiness bit. Only Linux has a
/// peer-shutdown event; elsewhere CLOSED is not offered (no EARLY_CLOSE).
const EVENTS: &[(libc::c_short, u8)] = &[
    (libc::POLLIN, READ),
    (libc::POLLOUT, WRITE),
    #[cfg(linux_kernel)]
    (libc::POLLRDHUP, super::bits::CLOSED),
];

pub const FEATURES: u32 = features::FDS
    | if cfg!(linux_kernel) {
        features::EARLY_CLOSE
    } else {
        0
    };

#[derive(Default)]
struct Table {
    fds: Vec<libc::pollfd>,
    /// Position of each fd in `fds` (ABSENT for none), by fd number: 4
    /// bytes an fd where a hash map took several times that. The fds were
    /// open when added, so their numbers are real ones.
    index: Vec<u32>,
    /// Set by every edit, cleared when the waiter takes a copy.
    changed: bool,
}

const ABSENT: u32 = u32::MAX;

impl Table {
    fn position(&self, fd: RawFd) -> Option<usize> {
        let i = *self.index.get(usize::try_from(fd).ok()?)?;
        (i != ABSENT).then_some(i as usize)
    }

    fn put(&mut self, fd: RawFd, events: libc::c_short) {
        match self.position(fd) {
            Some(i) if self.fds[i].events == events => return,
            Some(i) => self.fds[i].events = events,
            None => {
                cover(&mut self.index, fd as usize + 1, ABSENT);
                self.index[fd as usize] = self.fds.len() as u32;
                grow_for_one(&mut self.fds);
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
        if let Some(i) = self.position(fd) {
            self.index[fd as usize] = ABSENT;
            self.fds.swap_remove(i);
            if let Some(moved) = self.fds.get(i) {
                self.index[moved.fd as usize] = i as u32;
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

/// Polls `fds`, returning how many have revents. ppoll takes nanoseconds;
/// Apple systems lack it, so there the wait is rounded up to whole ms. A zero
/// or infinite wait goes through poll(2) everywhere: same result, and the
/// kernel skips ppoll's timespec copy in and out.
fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let (addr, len) = (fds.as_mut_ptr(), fds.len() as libc::nfds_t);
    #[cfg(not(target_vendor = "apple"))]
    if let Some(d) = timeout.filter(|d| !d.is_zero()) {
        let ts = timespec(d);
        // SAFETY: `fds` is a valid array of `len` entries and `ts` outlives
        // the call; a null sigmask leaves the mask alone.
        return ready_count(cvt(unsafe {
            libc::ppoll(addr, len, &ts, std::ptr::null())
        }));
    }
    // SAFETY: `fds` is a valid array of `len` entries.
    ready_count(cvt(unsafe { libc::poll(addr, len, millis(timeout)) }))
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
        // poll counts the entries with any revents: stop after the last one
        // rather than scan the whole table (most entries are quiet).
        let mut left = poll_fds(&mut fds, timeout)?;
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

    testkit::shared_tests!(reg(); reports_every_ready_fd, reports_read_and_write, removal_stops_reports, removal_keeps_other_fds, timeout_not_early, change_during_wait);
    #[cfg(linux_kernel)]
    testkit::shared_tests!(reg(); peer_close_reports_closed);

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

    #[cfg(linux_kernel)]
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

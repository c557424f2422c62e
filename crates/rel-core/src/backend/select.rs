//! select(2). Like poll: `set` edits the master sets under a lock and `wait`
//! works on its own copy, refreshed only after a change.

use std::io;
use std::mem;
use std::os::fd::RawFd;
use std::ptr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::bits::{READ, WRITE};
use super::sys::{check_open, cvt, ready_count};
use super::{features, Backend, Ready};

pub const FEATURES: u32 = features::FDS;

/// Every fd in 0..FD_SETSIZE fits in an `fd_set`; `set` refuses any other.
#[derive(Clone, Copy)]
struct FdSet(libc::fd_set);

impl FdSet {
    fn new() -> Self {
        // SAFETY: fd_set is an array of integers; all zeroes is the empty set.
        Self(unsafe { mem::zeroed() })
    }

    fn assign(&mut self, fd: RawFd, on: bool) {
        // SAFETY: fd is in 0..FD_SETSIZE (see the type's doc).
        unsafe {
            if on {
                libc::FD_SET(fd, &mut self.0);
            } else {
                libc::FD_CLR(fd, &mut self.0);
            }
        }
    }

    fn contains(&self, fd: RawFd) -> bool {
        // SAFETY: fd is in 0..FD_SETSIZE (see the type's doc).
        unsafe { libc::FD_ISSET(fd, &self.0) }
    }
}

#[derive(Clone, Copy)]
struct Sets {
    read: FdSet,
    write: FdSet,
    /// One past the highest fd in either set.
    nfds: RawFd,
}

impl Sets {
    fn contains(&self, fd: RawFd) -> bool {
        self.read.contains(fd) || self.write.contains(fd)
    }
}

struct Table {
    sets: Sets,
    /// Set by every edit, cleared when the waiter takes a copy.
    changed: bool,
}

pub struct Select {
    table: Mutex<Table>,
    /// The waiter's copy of `table.sets`; only the waiting thread locks it.
    scratch: Mutex<Sets>,
}

pub fn create() -> io::Result<Box<dyn Backend>> {
    Ok(Box::new(Select::new()))
}

impl Select {
    fn new() -> Self {
        let empty = Sets {
            read: FdSet::new(),
            write: FdSet::new(),
            nfds: 0,
        };
        Self {
            table: Mutex::new(Table {
                sets: empty,
                changed: false,
            }),
            scratch: Mutex::new(empty),
        }
    }
}

/// `d` in microseconds, rounded up, capped at 10^8 s (macOS rejects more
/// with EINVAL; such a wait may end early, which callers tolerate).
fn timeval(d: Duration) -> libc::timeval {
    const MAX_SECS: u128 = 100_000_000;
    let us = d.as_nanos().div_ceil(1_000);
    libc::timeval {
        tv_sec: (us / 1_000_000).min(MAX_SECS) as libc::time_t,
        tv_usec: (us % 1_000_000) as _,
    }
}

impl Backend for Select {
    fn set(&self, fd: RawFd, _old: u8, new: u8) -> io::Result<()> {
        if !(0..libc::FD_SETSIZE as RawFd).contains(&fd) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let (read, write) = (new & READ != 0, new & WRITE != 0);
        if read || write {
            check_open(fd)?;
        }
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let sets = &mut table.sets;
        sets.read.assign(fd, read);
        sets.write.assign(fd, write);
        if read || write {
            sets.nfds = sets.nfds.max(fd + 1);
        } else {
            while sets.nfds > 0 && !sets.contains(sets.nfds - 1) {
                sets.nfds -= 1;
            }
        }
        table.changed = true;
        Ok(())
    }

    fn wait(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        let mut master = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            if table.changed {
                *master = table.sets;
                table.changed = false;
            }
        }
        // select overwrites the sets it is given.
        let mut ready = *master;
        let mut tv = timeout.map(timeval);
        let tvp = tv.as_mut().map_or(ptr::null_mut(), ptr::from_mut);
        // select counts set bits (an fd both readable and writable twice):
        // stop after the last one.
        // SAFETY: the sets are valid fd_sets and `tvp` is null or points at
        // `tv`; all outlive the call.
        let mut left = ready_count(cvt(unsafe {
            libc::select(
                ready.nfds,
                &mut ready.read.0,
                &mut ready.write.0,
                ptr::null_mut(),
                tvp,
            )
        }))?;
        for fd in 0..ready.nfds {
            if left == 0 {
                break;
            }
            let (r, w) = (ready.read.contains(fd), ready.write.contains(fd));
            if r || w {
                left = left.saturating_sub(usize::from(r) + usize::from(w));
                let bits = if r { READ } else { 0 } | if w { WRITE } else { 0 };
                out.push(Ready { fd, bits });
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

    testkit::shared_tests!(reg(); reports_every_ready_fd, reports_read_and_write, removal_stops_reports, removal_keeps_other_fds, timeout_not_early, unopened_fd_is_ebadf, change_during_wait);

    #[test]
    fn fd_outside_fd_setsize_is_einval() {
        let reg = reg();
        for fd in [-1, libc::FD_SETSIZE as RawFd, 2000] {
            let err = reg.set(fd, 0, READ).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "fd {fd}");
        }
    }

    #[test]
    fn hangup_reports_read_write() {
        // select knows no hang-up: both directions simply turn ready.
        testkit::hangup_reports_read_write(&*reg(), READ | WRITE);
    }

    #[test]
    fn removing_the_highest_fd_lowers_nfds() {
        let reg = Select::new();
        let (a, b) = socketpair();
        let (lo, hi) = (
            a.as_raw_fd().min(b.as_raw_fd()),
            a.as_raw_fd().max(b.as_raw_fd()),
        );
        reg.set(lo, 0, READ).unwrap();
        reg.set(hi, 0, WRITE).unwrap();
        assert_eq!(reg.table.lock().unwrap().sets.nfds, hi + 1);
        reg.set(hi, WRITE, 0).unwrap();
        assert_eq!(reg.table.lock().unwrap().sets.nfds, lo + 1);
        reg.set(lo, READ, 0).unwrap();
        assert_eq!(reg.table.lock().unwrap().sets.nfds, 0);
    }
}

//! BSD and macOS kqueue. As with epoll the kernel keeps the interest set, so
//! `set` submits changes at once and only the event buffer needs a lock.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::bits::{ET, READ, WRITE};
use super::sys::{cvt, ready_count, timespec};
use super::{features, Backend, Ready};

pub const FEATURES: u32 = features::ET | features::O1 | features::FDS;

const INITIAL_EVENTS: usize = 32;
const MAX_EVENTS: usize = 4096;

pub struct Kqueue {
    kq: OwnedFd,
    /// Only the waiting thread locks this.
    events: Mutex<EventBuf>,
}

/// `kevent` carries a `udata` pointer, which keeps it from being `Send`.
struct EventBuf(Vec<libc::kevent>);

// SAFETY: `udata` is never set or read here; the buffer is plain data.
unsafe impl Send for EventBuf {}

pub fn create() -> io::Result<Box<dyn Backend>> {
    // SAFETY: no pointers involved.
    let fd = cvt(unsafe { libc::kqueue() })?;
    // SAFETY: `fd` was just created and nothing else owns it.
    let kq = unsafe { OwnedFd::from_raw_fd(fd) };
    // A kqueue is not inherited across fork, but would survive a bare exec.
    // SAFETY: plain fcntl on a descriptor we own.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(Box::new(Kqueue {
        kq,
        events: Mutex::new(EventBuf(vec![blank(); INITIAL_EVENTS])),
    }))
}

fn blank() -> libc::kevent {
    // SAFETY: kevent holds integers and (on some systems) a pointer, for all
    // of which zero is valid.
    unsafe { mem::zeroed() }
}

impl Kqueue {
    /// Applies one change on its own, so its error comes back as errno.
    fn submit(&self, change: &libc::kevent) -> io::Result<()> {
        // SAFETY: one valid change in, no event list out, no waiting.
        cvt(unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                change,
                1,
                ptr::null_mut(),
                0,
                ptr::null(),
            )
        })
        .map(drop)
    }
}

impl Backend for Kqueue {
    fn set(&self, fd: RawFd, old: u8, new: u8) -> io::Result<()> {
        // Field and constant types differ between systems (NetBSD widens
        // them), so let the kevent fields decide.
        let change = |filter, flags| {
            let mut ev = blank();
            ev.ident = fd as _;
            ev.filter = filter;
            ev.flags = flags;
            self.submit(&ev)
        };
        let et_changed = (old ^ new) & ET != 0;
        let add = libc::EV_ADD | if new & ET != 0 { libc::EV_CLEAR } else { 0 };
        for (bit, filter) in [(READ, libc::EVFILT_READ), (WRITE, libc::EVFILT_WRITE)] {
            let (had, want) = (old & bit != 0, new & bit != 0);
            if want && (!had || et_changed) {
                // EV_ADD on a present filter updates it in place.
                change(filter, add)?;
            } else if had && !want {
                match change(filter, libc::EV_DELETE) {
                    // Closing an fd already dropped its filters.
                    Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EBADF)) => {}
                    r => r?,
                }
            }
        }
        Ok(())
    }

    fn wait(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        let mut guard = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let buf = &mut guard.0;
        let ts = timeout.map(timespec);
        let tsp = ts.as_ref().map_or(ptr::null(), ptr::from_ref);
        // SAFETY: `buf` has room for its length in events (at most
        // MAX_EVENTS, so the count fits); `tsp` is null or points at `ts`,
        // alive across the call.
        let n = ready_count(cvt(unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                ptr::null(),
                0,
                buf.as_mut_ptr(),
                buf.len() as _,
                tsp,
            )
        }))?;
        // Read and write arrive as separate events; the base merges per fd.
        // EV_EOF needs no mapping: the filter fires, and the read or write
        // then sees the end or the error.
        out.extend(buf[..n].iter().filter_map(|ev| {
            // EV_ERROR only answers submitted changes; skip it should one appear.
            let bits = if ev.flags & libc::EV_ERROR != 0 {
                0
            } else if ev.filter == libc::EVFILT_READ {
                READ
            } else if ev.filter == libc::EVFILT_WRITE {
                WRITE
            } else {
                0
            };
            // As epoll: reported readiness is edge-capable (EV_ET results).
            (bits != 0).then_some(Ready {
                fd: ev.ident as RawFd,
                bits: bits | ET,
            })
        }));
        // A full buffer suggests more were ready: make room for next time.
        if n == buf.len() && n < MAX_EVENTS {
            buf.resize(n * 2, blank());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit;
    use super::*;

    fn reg() -> Box<dyn Backend> {
        create().unwrap()
    }

    testkit::shared_tests!(reg(); reports_every_ready_fd, reports_read_and_write, removal_stops_reports, removal_keeps_other_fds, timeout_not_early, unopened_fd_is_ebadf, change_during_wait, edge_triggered_reports_once_per_edge);

    #[test]
    fn hangup_reports_read_write() {
        testkit::hangup_reports_read_write(&*reg(), READ | WRITE);
    }
}

//! Linux epoll. The kernel keeps the interest set, so `set` is a direct
//! `epoll_ctl` (thread-safe on its own) and only the event buffer needs a lock.

use std::cell::UnsafeCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::bits::{CLOSED, DISARMED, ET, ONCE, READ, WRITE};
use super::sys::{cvt, millis, ready_count};
use super::{features, Backend, Ready};

pub const FEATURES: u32 = features::ET | features::O1 | features::EARLY_CLOSE;

const INITIAL_EVENTS: usize = 32;
const MAX_EVENTS: usize = 4096;
const NO_EVENT: libc::epoll_event = libc::epoll_event { events: 0, u64: 0 };

/// The kernel's `struct __kernel_timespec`: 64-bit fields on every ABI,
/// unlike `libc::timespec` on 32-bit targets.
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

pub struct Epoll {
    epfd: OwnedFd,
    /// Cleared once `epoll_pwait2` proves unavailable (Linux < 5.11, or a
    /// seccomp filter that answers EPERM for syscalls it does not know).
    pwait2: AtomicBool,
    /// The wait's event buffer, used by one wait at a time: a base runs one
    /// loop at a time, so `in_wait` never finds it taken (a second wait
    /// would be refused, not let in). A flag, not a mutex: it is taken on
    /// every pass of the loop and a mutex costs its poison checks there.
    events: UnsafeCell<Vec<libc::epoll_event>>,
    in_wait: AtomicBool,
}

// SAFETY: `events` is only reached by the wait that set `in_wait` (see
// `Epoll::wait`); everything else is an fd or an atomic.
unsafe impl Sync for Epoll {}

pub fn create() -> io::Result<Box<dyn Backend>> {
    Ok(Box::new(Epoll::new()?))
}

impl Epoll {
    fn new() -> io::Result<Self> {
        // SAFETY: no pointers involved.
        let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        Ok(Self {
            // SAFETY: `fd` was just created and nothing else owns it.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            pwait2: AtomicBool::new(true),
            events: UnsafeCell::new(vec![NO_EVENT; INITIAL_EVENTS]),
            in_wait: AtomicBool::new(false),
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events,
            u64: fd as u64,
        };
        // SAFETY: `ev` outlives the call (kernels before 2.6.9 want it even for DEL).
        cvt(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut ev) }).map(drop)
    }

    /// Fills the front of `buf`, returning how many events arrived (none
    /// when a signal interrupted the wait).
    fn kernel_wait(
        &self,
        buf: &mut [libc::epoll_event],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        // At most MAX_EVENTS, so it fits.
        let max = buf.len() as libc::c_int;
        let epfd = self.epfd.as_raw_fd();
        // Only a wait with a deadline needs epoll_pwait2's nanoseconds. A
        // poll (zero timeout) and a wait without one go to epoll_wait, which
        // has no timespec to copy in and convert (~20% cheaper per call
        // here), and no generic syscall() wrapper to pass through.
        if let Some(d) = timeout.filter(|d| !d.is_zero() && self.pwait2.load(Ordering::Relaxed)) {
            let ts = KernelTimespec {
                tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(d.subsec_nanos()),
            };
            // SAFETY: `buf` has room for `max` events and `ts` is alive
            // across the call; a null sigmask leaves the signal mask alone
            // (its size argument is then unused).
            let r = cvt(unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    buf.as_mut_ptr(),
                    max,
                    ptr::from_ref(&ts),
                    ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            });
            match r {
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                    self.pwait2.store(false, Ordering::Relaxed);
                }
                r => return ready_count(r),
            }
        }
        // SAFETY: `buf` has room for `max` events.
        ready_count(cvt(unsafe {
            libc::epoll_wait(epfd, buf.as_mut_ptr(), max, millis(timeout))
        }))
    }
}

/// The epoll events for interest `bits`; 0 when nothing is wanted.
fn interest(bits: u8) -> u32 {
    let mut ev = 0;
    if bits & READ != 0 {
        ev |= libc::EPOLLIN;
    }
    if bits & WRITE != 0 {
        ev |= libc::EPOLLOUT;
    }
    if bits & CLOSED != 0 {
        ev |= libc::EPOLLRDHUP;
    }
    if ev != 0 && bits & ET != 0 {
        ev |= libc::EPOLLET;
    }
    if ev != 0 && bits & ONCE != 0 {
        ev |= libc::EPOLLONESHOT;
    }
    ev as u32
}

/// Errors and hang-ups wake both readers and writers, as in libevent.
/// Unlike libevent, EPOLLRDHUP still counts alongside EPOLLHUP: a full close
/// of a Unix socket's peer raises both, and a CLOSED-only watcher must see it.
const fn readiness(events: u32) -> u8 {
    const FAILED: libc::c_int = libc::EPOLLERR | libc::EPOLLHUP;
    let ev = events as libc::c_int;
    let mut bits = 0;
    if ev & (libc::EPOLLIN | FAILED) != 0 {
        bits |= READ;
    }
    if ev & (libc::EPOLLOUT | FAILED) != 0 {
        bits |= WRITE;
    }
    if ev & libc::EPOLLRDHUP != 0 {
        bits |= CLOSED;
    }
    bits
}

/// The events READ and WRITE come from: EPOLLIN, EPOLLPRI, EPOLLOUT,
/// EPOLLERR and EPOLLHUP, the low five bits.
const LOW: u32 = 0x1f;

/// [`readiness`] of each combination of the [`LOW`] bits: a report then
/// costs a load instead of two tests and their merging.
const LOW_READINESS: [u8; LOW as usize + 1] = {
    let mut table = [0; LOW as usize + 1];
    let mut i = 0;
    while i <= LOW {
        table[i as usize] = readiness(i);
        i += 1;
    }
    table
};

/// [`readiness`], by [`LOW_READINESS`] and a shift that lands EPOLLRDHUP
/// (0x2000) on CLOSED (0x80).
#[inline(always)]
fn readiness_of_report(events: u32) -> u8 {
    const _: () = assert!((libc::EPOLLRDHUP as u32) >> 6 == CLOSED as u32);
    LOW_READINESS[(events & LOW) as usize] | ((events >> 6) as u8 & CLOSED)
}

fn errno_in(result: &io::Result<()>, codes: &[libc::c_int]) -> bool {
    matches!(result, Err(e) if e.raw_os_error().is_some_and(|c| codes.contains(&c)))
}

impl Backend for Epoll {
    fn set(&self, fd: RawFd, old: u8, new: u8) -> io::Result<()> {
        let (old_ev, new_ev) = (interest(old), interest(new));
        // A disarmed registration reports nothing: it needs no DEL, and
        // re-arming it is a MOD.
        let disarmed = old & DISARMED != 0;
        if new_ev == 0 {
            if old_ev == 0 || disarmed {
                return Ok(());
            }
            let r = self.ctl(libc::EPOLL_CTL_DEL, fd, 0);
            // Closing an fd already removed it from the set.
            if errno_in(&r, &[libc::ENOENT, libc::EBADF, libc::EPERM]) {
                return Ok(());
            }
            return r;
        }
        if old_ev == 0 && !disarmed {
            let r = self.ctl(libc::EPOLL_CTL_ADD, fd, new_ev);
            // Already there: the caller's view was stale (or a dup'd fd shares the entry).
            if errno_in(&r, &[libc::EEXIST]) {
                return self.ctl(libc::EPOLL_CTL_MOD, fd, new_ev);
            }
            return r;
        }
        let r = self.ctl(libc::EPOLL_CTL_MOD, fd, new_ev);
        // Gone: the fd was closed (dropping its entry) and the number reused.
        if errno_in(&r, &[libc::ENOENT]) {
            return self.ctl(libc::EPOLL_CTL_ADD, fd, new_ev);
        }
        r
    }

    fn wait(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()> {
        self.collect(out, |buf| self.kernel_wait(buf, timeout))
    }

    /// epoll_wait with no timespec to convert and no epoll_pwait2 to try.
    fn poll(&self, out: &mut Vec<Ready>) -> io::Result<()> {
        self.collect(out, |buf| {
            // SAFETY: `buf` has room for its length in events (at most MAX_EVENTS).
            ready_count(cvt(unsafe {
                libc::epoll_wait(
                    self.epfd.as_raw_fd(),
                    buf.as_mut_ptr(),
                    buf.len() as libc::c_int,
                    0,
                )
            }))
        })
    }
}

impl Epoll {
    /// Runs `kernel` on the event buffer and appends what it filled to `out`.
    #[inline(always)]
    fn collect(
        &self,
        out: &mut Vec<Ready>,
        kernel: impl FnOnce(&mut [libc::epoll_event]) -> io::Result<usize>,
    ) -> io::Result<()> {
        if self.in_wait.swap(true, Ordering::Acquire) {
            return Err(io::Error::from(io::ErrorKind::ResourceBusy));
        }
        // SAFETY: `in_wait` was false and is now ours: no other wait holds
        // the buffer until we clear it below.
        let buf = unsafe { &mut *self.events.get() };
        let r = kernel(buf).map(|n| {
            // Every report carries a bit that readiness() maps (the kernel
            // reports what was asked, and errors and hang-ups): one
            // reservation, no check per event. An edge-triggering backend
            // marks what it reports as such, so EV_ET events get EV_ET in
            // their result, as in libevent.
            out.extend(buf[..n].iter().map(|e| Ready {
                fd: e.u64 as RawFd,
                bits: readiness_of_report(e.events) | ET,
            }));
            // A full buffer suggests more were ready: room for next time.
            if n == buf.len() && n < MAX_EVENTS {
                buf.resize(n * 2, NO_EVENT);
            }
        });
        self.in_wait.store(false, Ordering::Release);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, bits_for, send_byte, socketpair, wait};
    use super::*;
    use std::fs::File;

    /// The table's reading agrees with the tests', for every combination of
    /// the bits a report can carry.
    #[test]
    fn a_report_reads_as_its_bits_say() {
        let report_bits = [
            libc::EPOLLIN,
            libc::EPOLLPRI,
            libc::EPOLLOUT,
            libc::EPOLLERR,
            libc::EPOLLHUP,
            libc::EPOLLRDHUP,
            libc::EPOLLRDNORM,
            libc::EPOLLWRNORM,
            libc::EPOLLET,
            libc::EPOLLONESHOT,
        ];
        for combo in 0..1u32 << report_bits.len() {
            let events = (0..report_bits.len())
                .filter(|i| combo & 1 << i != 0)
                .fold(0, |acc, i| acc | report_bits[i] as u32);
            assert_eq!(
                readiness_of_report(events),
                readiness(events),
                "{events:#x}"
            );
        }
        assert_eq!(readiness_of_report(libc::EPOLLRDHUP as u32), CLOSED);
        assert_eq!(readiness_of_report(libc::EPOLLHUP as u32), READ | WRITE);
    }

    fn fallback() -> Epoll {
        let reg = Epoll::new().unwrap();
        reg.pwait2.store(false, Ordering::Relaxed);
        reg
    }

    #[test]
    fn reports_read_and_write() {
        testkit::reports_read_and_write(&*create().unwrap());
        testkit::reports_read_and_write(&fallback());
    }

    testkit::shared_tests!(create().unwrap(); reports_every_ready_fd, removal_stops_reports, removal_keeps_other_fds, timeout_not_early, unopened_fd_is_ebadf, peer_close_reports_closed, change_during_wait, edge_triggered_reports_once_per_edge);

    #[test]
    fn timeout_not_early_without_pwait2() {
        testkit::timeout_not_early(&fallback());
    }

    #[test]
    fn hangup_reports_read_write() {
        testkit::hangup_reports_read_write(&*create().unwrap(), READ);
    }

    #[test]
    fn regular_file_is_eperm() {
        let file = File::open(std::env::current_exe().unwrap()).unwrap();
        let err = create()
            .unwrap()
            .set(file.as_raw_fd(), 0, READ)
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
    }

    #[test]
    fn stale_interest_is_repaired() {
        let reg = create().unwrap();
        let (_a, b) = socketpair();
        let fd = b.as_raw_fd();
        // ADD of a present fd falls back to MOD.
        reg.set(fd, 0, READ).unwrap();
        reg.set(fd, 0, WRITE).unwrap();
        assert_eq!(bits_for(&wait(&*reg, Duration::ZERO), &b), WRITE);
        // MOD of an absent fd falls back to ADD.
        reg.set(fd, WRITE, 0).unwrap();
        reg.set(fd, READ, WRITE).unwrap();
        assert_eq!(bits_for(&wait(&*reg, Duration::ZERO), &b), WRITE);
        // DEL of an fd that is no longer there is fine.
        reg.set(fd, WRITE, 0).unwrap();
        reg.set(fd, WRITE, 0).unwrap();
    }

    #[test]
    fn one_shot_reports_once_until_rearmed() {
        let reg = Epoll::new().unwrap();
        let (a, b) = socketpair();
        let fd = b.as_raw_fd();
        reg.set(fd, 0, READ | ONCE).unwrap();
        send_byte(&a);
        assert_eq!(bits_for(&wait(&reg, Duration::ZERO), &b), READ);
        // Still readable, but the report disarmed it.
        assert_eq!(bits_for(&wait(&reg, Duration::ZERO), &b), 0);
        // Re-arming modifies the registration that is still there.
        reg.set(fd, READ | ONCE | DISARMED, READ | ONCE).unwrap();
        assert_eq!(bits_for(&wait(&reg, Duration::ZERO), &b), READ);
        // Dropping a disarmed registration is no call: the kernel still
        // holds it. A plain one made after it is a MOD and reports on
        // every wait.
        reg.set(fd, READ | ONCE | DISARMED, 0).unwrap();
        let again = reg.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLIN as u32);
        assert!(errno_in(&again, &[libc::EEXIST]), "{again:?}");
        reg.set(fd, DISARMED, READ).unwrap();
        for _ in 0..2 {
            assert_eq!(bits_for(&wait(&reg, Duration::ZERO), &b), READ);
        }
    }

    #[test]
    fn a_disarmed_fd_closed_beside_its_dup_stays_quiet() {
        let reg = create().unwrap();
        let (a, b) = socketpair();
        let (c, d) = socketpair();
        let dup = b.try_clone().unwrap();
        let fd = b.as_raw_fd();
        reg.set(fd, 0, READ | ONCE).unwrap();
        send_byte(&a);
        assert_eq!(wait(&*reg, Duration::ZERO).len(), 1);
        // The number goes to another socket in one step (no other thread
        // of the test can take it meanwhile); `b` owns that one now. The
        // kernel keeps the old registration while `dup` holds the socket,
        // and it can no longer be deleted by number: disarmed, it is
        // harmless.
        // SAFETY: both are descriptors this test owns.
        assert_eq!(unsafe { libc::dup2(d.as_raw_fd(), fd) }, fd);
        send_byte(&a);
        assert!(wait(&*reg, Duration::from_millis(20)).is_empty());
        // Registering the number for the new socket: the MOD finds no
        // registration of it and falls back to ADD.
        reg.set(fd, DISARMED, READ | ONCE).unwrap();
        send_byte(&c);
        assert_eq!(bits_for(&wait(&*reg, Duration::ZERO), &b), READ);
        drop(dup);
    }

    #[test]
    fn removing_a_closed_fd_succeeds() {
        let reg = create().unwrap();
        let (_a, b) = socketpair();
        let fd = b.as_raw_fd();
        reg.set(fd, 0, WRITE).unwrap();
        drop(b);
        reg.set(fd, WRITE, 0).unwrap();
    }

    #[test]
    fn event_buffer_grows_when_filled() {
        let reg = Epoll::new().unwrap();
        let pairs: Vec<_> = (0..100).map(|_| socketpair()).collect();
        for (_, b) in &pairs {
            reg.set(b.as_raw_fd(), 0, WRITE).unwrap();
        }
        let mut seen = Vec::new();
        for expect in [32, 64, 100] {
            let out = wait(&reg, Duration::ZERO);
            assert_eq!(out.len(), expect);
            seen.extend(out.iter().map(|r| r.fd));
        }
        // SAFETY: no wait runs.
        assert_eq!(unsafe { &*reg.events.get() }.len(), 128);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 100);
    }
}

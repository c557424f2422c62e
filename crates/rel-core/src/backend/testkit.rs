//! Scenarios every backend's tests run, so each backend only lists them.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::thread;
use std::time::{Duration, Instant};

use super::bits::{READ, WRITE};
use super::{Backend, Ready};

const LONG: Duration = Duration::from_secs(5);

/// A connected pair of Unix stream sockets.
pub fn socketpair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) };
    assert_eq!(r, 0, "socketpair: {}", io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

pub fn send_byte(fd: &OwnedFd) {
    // SAFETY: writes one byte from a live local.
    let n = unsafe { libc::write(fd.as_raw_fd(), b"x".as_ptr().cast(), 1) };
    assert_eq!(n, 1, "write: {}", io::Error::last_os_error());
}

/// A descriptor number below FD_SETSIZE that is not open (at the time of the call).
pub fn unopened_fd() -> RawFd {
    (900..1000)
        // SAFETY: F_GETFD only queries the descriptor.
        .find(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1)
        .expect("some fd in 900..1000 is free")
}

pub fn wait(reg: &dyn Backend, timeout: Duration) -> Vec<Ready> {
    let mut out = Vec::new();
    reg.wait(Some(timeout), &mut out).expect("wait");
    out
}

/// The readiness reported for `fd`, merged over all its reports, without
/// the ET mark of edge-triggering backends.
pub fn bits_for(out: &[Ready], fd: &OwnedFd) -> u8 {
    raw_bits_for(out, fd) & !super::bits::ET
}

fn raw_bits_for(out: &[Ready], fd: &OwnedFd) -> u8 {
    out.iter()
        .filter(|r| r.fd == fd.as_raw_fd())
        .fold(0, |acc, r| acc | r.bits)
}

pub fn assert_each_fd_once(out: &[Ready]) {
    let mut fds: Vec<RawFd> = out.iter().map(|r| r.fd).collect();
    fds.sort_unstable();
    fds.dedup();
    assert_eq!(fds.len(), out.len(), "an fd reported twice: {out:?}");
}

pub fn reports_read_and_write(reg: &dyn Backend) {
    let (a, b) = socketpair();
    reg.set(b.as_raw_fd(), 0, READ | WRITE).unwrap();
    assert_eq!(bits_for(&wait(reg, Duration::ZERO), &b), WRITE);
    send_byte(&a);
    // Level-triggered: reported again while the byte stays unread.
    for _ in 0..2 {
        let out = wait(reg, LONG);
        assert_eq!(bits_for(&out, &b), READ | WRITE);
        assert_each_fd_once(&out);
    }
}

/// Quiet fds between ready ones, a ready one registered last, fds ready both
/// ways: every ready fd is reported, each once, however the backend counts.
pub fn reports_every_ready_fd(reg: &dyn Backend) {
    let pairs: Vec<_> = (0..12).map(|_| socketpair()).collect();
    let mut want = Vec::new();
    for (i, (a, b)) in pairs.iter().enumerate() {
        let fd = b.as_raw_fd();
        match i % 3 {
            0 => reg.set(fd, 0, READ).unwrap(), // quiet: nothing to read
            1 => {
                reg.set(fd, 0, READ | WRITE).unwrap();
                send_byte(a);
                want.push((fd, READ | WRITE));
            }
            _ => {
                reg.set(fd, 0, WRITE).unwrap();
                want.push((fd, WRITE));
            }
        }
    }
    let out = wait(reg, LONG);
    assert_each_fd_once(&out);
    let mut got: Vec<_> = out
        .iter()
        .filter(|r| pairs.iter().any(|(_, b)| b.as_raw_fd() == r.fd))
        .map(|r| (r.fd, r.bits & !super::bits::ET))
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
}

pub fn removal_stops_reports(reg: &dyn Backend) {
    let (a, b) = socketpair();
    let fd = b.as_raw_fd();
    reg.set(fd, 0, READ | WRITE).unwrap();
    send_byte(&a);
    assert_eq!(bits_for(&wait(reg, LONG), &b), READ | WRITE);
    reg.set(fd, READ | WRITE, READ).unwrap();
    assert_eq!(bits_for(&wait(reg, LONG), &b), READ);
    reg.set(fd, READ, 0).unwrap();
    assert_eq!(bits_for(&wait(reg, Duration::ZERO), &b), 0);
}

/// Several fds in the table; dropping one in the middle keeps the others.
pub fn removal_keeps_other_fds(reg: &dyn Backend) {
    let pairs: Vec<_> = (0..3).map(|_| socketpair()).collect();
    for (_, b) in &pairs {
        reg.set(b.as_raw_fd(), 0, WRITE).unwrap();
    }
    reg.set(pairs[0].1.as_raw_fd(), WRITE, 0).unwrap();
    let out = wait(reg, Duration::ZERO);
    assert_eq!(bits_for(&out, &pairs[0].1), 0);
    assert_eq!(bits_for(&out, &pairs[1].1), WRITE);
    assert_eq!(bits_for(&out, &pairs[2].1), WRITE);
}

/// Waits are never cut short, including below the kernel's native unit.
pub fn timeout_not_early(reg: &dyn Backend) {
    let (_a, b) = socketpair();
    reg.set(b.as_raw_fd(), 0, READ).unwrap();
    for d in [Duration::from_millis(1), Duration::from_micros(300)] {
        let start = Instant::now();
        let out = wait(reg, d);
        let took = start.elapsed();
        assert!(out.is_empty(), "{out:?}");
        assert!(took >= d, "{d:?} wait returned after {took:?}");
        assert!(took < Duration::from_millis(50), "{d:?} wait took {took:?}");
    }
    let start = Instant::now();
    assert!(wait(reg, Duration::ZERO).is_empty());
    assert!(start.elapsed() < Duration::from_millis(50));
}

pub fn unopened_fd_is_ebadf(reg: &dyn Backend) {
    let err = reg.set(unopened_fd(), 0, READ).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
}

/// After the peer closes, the hang-up shows as READ | WRITE.
pub fn hangup_reports_read_write(reg: &dyn Backend, interest: u8) {
    let (a, b) = socketpair();
    reg.set(b.as_raw_fd(), 0, interest).unwrap();
    drop(a);
    let bits = bits_for(&wait(reg, LONG), &b);
    assert_eq!(bits & (READ | WRITE), READ | WRITE, "bits {bits:#x}");
}

/// CLOSED is reported for a half close and for a full close of the peer.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn peer_close_reports_closed(reg: &dyn Backend) {
    use super::bits::CLOSED;

    let (a, b) = socketpair();
    reg.set(b.as_raw_fd(), 0, CLOSED).unwrap();
    assert_eq!(bits_for(&wait(reg, Duration::ZERO), &b), 0);
    // SAFETY: plain syscall on a live descriptor.
    assert_eq!(unsafe { libc::shutdown(a.as_raw_fd(), libc::SHUT_WR) }, 0);
    assert_eq!(bits_for(&wait(reg, LONG), &b), CLOSED);

    let (a, b) = socketpair();
    reg.set(b.as_raw_fd(), 0, CLOSED).unwrap();
    drop(a);
    assert_ne!(bits_for(&wait(reg, LONG), &b) & CLOSED, 0);
}

/// `set` from another thread while `wait` blocks: the waiter is woken through
/// an fd it already watches (as the base does), unless the backend applied the
/// change at once, and sees the change by the next wait.
/// An edge-triggered watch reports readiness once per new edge, not while
/// the data stays unread (backends with `EV_FEATURE_ET`).
#[cfg(any(linux_kernel, kqueue))]
pub fn edge_triggered_reports_once_per_edge(reg: &dyn Backend) {
    let (a, b) = socketpair();
    reg.set(b.as_raw_fd(), 0, READ | super::bits::ET).unwrap();
    send_byte(&a);
    let out = wait(reg, LONG);
    assert_eq!(bits_for(&out, &b), READ);
    assert_ne!(
        raw_bits_for(&out, &b) & super::bits::ET,
        0,
        "an edge backend marks ET"
    );
    // The byte is still unread, but there was no new edge.
    assert_eq!(bits_for(&wait(reg, Duration::ZERO), &b), 0);
    send_byte(&a);
    assert_eq!(bits_for(&wait(reg, LONG), &b), READ);
}

pub fn change_during_wait(reg: &dyn Backend) {
    let (wake_tx, wake_rx) = socketpair();
    let (_a, b) = socketpair();
    reg.set(wake_rx.as_raw_fd(), 0, READ).unwrap();
    let out = thread::scope(|s| {
        let waiter = s.spawn(|| wait(reg, LONG));
        thread::sleep(Duration::from_millis(20));
        reg.set(b.as_raw_fd(), 0, WRITE).unwrap();
        send_byte(&wake_tx);
        waiter.join().expect("waiter")
    });
    assert!(bits_for(&out, &wake_rx) == READ || bits_for(&out, &b) == WRITE);
    assert_eq!(bits_for(&wait(reg, Duration::ZERO), &b), WRITE);
}

/// Declares, as `#[test]` functions, the named scenarios of this module run
/// on the registrar `$make` builds (each backend lists the ones it shares).
macro_rules! shared_tests {
    ($make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                super::super::testkit::$name(&*$make);
            }
        )+
    };
}
pub(crate) use shared_tests;

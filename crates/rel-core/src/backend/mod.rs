//! Backends: the kernel readiness interfaces (libevent's "methods").
//!
//! Each backend lives in its own file behind the [`Backend`] trait. The base
//! calls [`Backend::set`] with its lock held (so calls are serialized),
//! [`Backend::poll`] (which never blocks) with it held too, and
//! [`Backend::wait`] from the one looping thread with the lock released, so a
//! backend must tolerate `set` running concurrently with `wait` (the base wakes
//! the waiter afterwards through its own wake-up fd, so a backend may apply a
//! change only on its next `wait`).

use std::ffi::CStr;
use std::io;
use std::os::unix::io::RawFd;
use std::time::Duration;

// `linux_kernel` and `kqueue` name platform families; see build.rs.
#[cfg(linux_kernel)]
mod epoll;
#[cfg(kqueue)]
mod kqueue;
mod poll;
mod select;
mod sys;
#[cfg(test)]
mod testkit;

/// Interest and readiness bits; the values are libevent's `EV_*` so they pass
/// through unchanged.
pub mod bits {
    pub const READ: u8 = 0x02;
    pub const WRITE: u8 = 0x04;
    pub const ET: u8 = 0x20;
    pub const CLOSED: u8 = 0x80;
    /// Not `EV_*` values: how an fd stands with a backend that honours
    /// [`super::Method::disarms`]. In an interest asked for, ONCE: the
    /// kernel may disarm the registration after one report (epoll's
    /// EPOLLONESHOT). In an interest held, DISARMED: a report did disarm
    /// it, so it is still registered but reports nothing (re-arming it is a
    /// MOD, dropping it needs no call at all).
    pub const ONCE: u8 = 0x01;
    pub const DISARMED: u8 = 0x08;
}

/// `EV_FEATURE_*` values.
pub mod features {
    pub const ET: u32 = 0x01;
    pub const O1: u32 = 0x02;
    pub const FDS: u32 = 0x04;
    pub const EARLY_CLOSE: u32 = 0x08;
}

/// One readiness report: the fd and the `bits::{READ,WRITE,CLOSED}` that hold.
/// Errors and hang-ups are reported as `READ | WRITE`, as libevent does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ready {
    pub fd: RawFd,
    pub bits: u8,
}

/// A kernel readiness interface.
pub trait Backend: Send + Sync {
    /// Change the interest for `fd` from `old` to `new` (each a combination of
    /// `bits::READ | WRITE | CLOSED | ET`; either may be 0). Errors: `EBADF`
    /// for an fd that is not open, `EINVAL` for an fd the backend cannot hold
    /// (select: fd >= FD_SETSIZE), or what the kernel says.
    fn set(&self, fd: RawFd, old: u8, new: u8) -> io::Result<()>;

    /// Block until at least one fd is ready or `timeout` passes (`None`: no
    /// limit, `Some(ZERO)`: do not block), then append reports to `out`.
    /// Timeouts are honoured with at least microsecond precision and never
    /// cut short (rounded up). `EINTR` is not an error: return `Ok` with
    /// nothing appended.
    fn wait(&self, timeout: Option<Duration>, out: &mut Vec<Ready>) -> io::Result<()>;

    /// [`Backend::wait`] without blocking: what is ready now.
    fn poll(&self, out: &mut Vec<Ready>) -> io::Result<()> {
        self.wait(Some(Duration::ZERO), out)
    }
}

/// One backend as libevent names it (its "method"): the name, the
/// `EV_FEATURE_*` bits and the constructor, written once. Selection,
/// `event_get_supported_methods` and `event_base_get_features` all read
/// [`METHODS`].
pub struct Method {
    pub name: &'static CStr,
    pub features: u32,
    /// Whether `set` honours [`bits::ONCE`] (and [`bits::DISARMED`]).
    pub disarms: bool,
    pub open: fn() -> io::Result<Box<dyn Backend>>,
}

impl Method {
    /// The name as Rust text ("epoll", ...).
    pub fn name(&self) -> &'static str {
        self.name.to_str().unwrap_or_default()
    }

    /// Environment variable that removes this method, e.g. `EVENT_NOEPOLL`.
    pub fn env_var(&self) -> String {
        format!("EVENT_NO{}", self.name().to_ascii_uppercase())
    }
}

/// Every backend this build has, fastest first (libevent's preference order).
pub const METHODS: &[Method] = &[
    #[cfg(kqueue)]
    Method {
        name: c"kqueue",
        features: kqueue::FEATURES,
        disarms: false,
        open: kqueue::create,
    },
    #[cfg(linux_kernel)]
    Method {
        name: c"epoll",
        features: epoll::FEATURES,
        disarms: true,
        open: epoll::create,
    },
    Method {
        name: c"poll",
        features: poll::FEATURES,
        disarms: false,
        open: poll::create,
    },
    Method {
        name: c"select",
        features: select::FEATURES,
        disarms: false,
        open: select::create,
    },
];

//! The one boundary between C callers and librel.
//!
//! Every `extern "C"` function has the same three steps: convert the
//! arguments, call the core, map the result.
//!
//! ```ignore
//! #[no_mangle]
//! pub unsafe extern "C" fn event_reinit(base: *mut event_base) -> c_int {
//!     entry("event_reinit", || {
//!         let b: &event_base = arg!(base)?;
//!         b.core.reinit()?;
//!         Ok(0)
//!     })
//! }
//! ```
//!
//! [`entry`] is the only place that catches a panic or logs a refusal. The
//! log line reads `"{function}: {why}"` and C gets the return type's
//! [`Fallback`]: -1 for `int`, NULL for pointers, 0 for `short`, nothing
//! for `void`.
//!
//! # The contract every entry point relies on
//!
//! librel's C functions assume of their callers what libevent's assume:
//!
//! 1. a pointer argument is NULL or points to a live value of its type for
//!    the duration of the call: a `struct event` the caller owns, an
//!    `event_base` or `event_config` that librel returned, a `timeval`, a
//!    NUL-terminated string;
//! 2. an out-pointer is NULL or writable;
//! 3. a function pointer has the C signature it is declared with.
//!
//! Within that contract librel checks what can be checked: NULL, objects
//! that are not (or no longer) librel's, events never assigned. Those
//! checks are the [`FromC`] conversions; [`arg!`] is the one place where
//! their `unsafe` is discharged, by this contract.

use std::fmt;
use std::os::raw::{c_int, c_short, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use rel_core::log::warn;

/// Why an entry point refused its call; logged as `"{function}: {self}"`.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A required pointer was NULL.
    Missing(&'static str),
    /// A base pointer that `event_base_new` did not return, or a freed base.
    NotLiveBase,
    /// A `struct event` librel never assigned (or a byte copy of one).
    NotAssigned,
    /// An event without a base: never given one, or its base was freed.
    NoBase,
    /// A timeout outside what the clock can hold.
    Timeout { sec: i64, usec: i64 },
    /// A misuse libevent documents, in words.
    Misuse(&'static str),
    /// The core refused.
    Core(rel_core::Error),
    /// Refused without a log line, as libevent answers these quietly.
    Quiet,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Missing(what) => write!(f, "no {what} given"),
            Refusal::NotLiveBase => f.write_str("not a live event_base"),
            Refusal::NotAssigned => {
                f.write_str("event has not been assigned (event_assign/event_new)")
            }
            Refusal::NoBase => f.write_str("event has no event_base set."),
            Refusal::Timeout { sec, usec } => write!(f, "timeout {{{sec}, {usec}}} out of range"),
            Refusal::Misuse(why) => f.write_str(why),
            Refusal::Core(e) => e.fmt(f),
            Refusal::Quiet => Ok(()),
        }
    }
}

impl From<rel_core::Error> for Refusal {
    fn from(e: rel_core::Error) -> Refusal {
        Refusal::Core(e)
    }
}

/// What C gets back when a call is refused or panics.
pub(crate) trait Fallback {
    const FALLBACK: Self;
}

impl Fallback for c_int {
    const FALLBACK: c_int = -1;
}

/// Event bits: none.
impl Fallback for c_short {
    const FALLBACK: c_short = 0;
}

impl Fallback for i64 {
    const FALLBACK: i64 = 0;
}

/// `ev_ssize_t`, the sizes of the buffer layer: -1, as `ssize_t` errors.
impl Fallback for isize {
    const FALLBACK: isize = -1;
}

impl Fallback for () {
    const FALLBACK: () = ();
}

impl<T> Fallback for *mut T {
    const FALLBACK: *mut T = std::ptr::null_mut();
}

impl<T> Fallback for *const T {
    const FALLBACK: *const T = std::ptr::null();
}

impl<T> Fallback for Option<T> {
    const FALLBACK: Option<T> = None;
}

/// Runs the body of entry point `func`: a refusal is logged and a panic
/// caught, and either gives C the return type's fallback.
#[inline(always)]
pub(crate) fn entry<R: Fallback>(func: &str, body: impl FnOnce() -> Result<R, Refusal>) -> R {
    entry_or(func, R::FALLBACK, body)
}

/// [`entry`] for the few calls whose C contract answers a refusal with
/// something other than the type's fallback (`event_pending`: 0, "not
/// pending").
#[inline(always)]
pub(crate) fn entry_or<R>(func: &str, fallback: R, body: impl FnOnce() -> Result<R, Refusal>) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(r)) => r,
        Ok(Err(why)) => {
            log_refusal(func, &why);
            fallback
        }
        Err(_) => {
            log_panic(func);
            fallback
        }
    }
}

/// Kept out of line so that the checks on hot paths stay small.
#[cold]
#[inline(never)]
fn log_refusal(func: &str, why: &Refusal) {
    if !matches!(why, Refusal::Quiet) {
        warn(&format!("{func}: {why}"));
    }
}

#[cold]
#[inline(never)]
fn log_panic(func: &str) {
    warn(&format!("{func}: internal error caught at the C boundary"));
}

/// A checked conversion of an argument C passed.
pub(crate) trait FromC<P>: Sized {
    /// # Safety
    ///
    /// `p` is an argument of a running entry point, passed under the
    /// contract in the module documentation.
    unsafe fn from_c(p: P) -> Result<Self, Refusal>;
}

/// Converts an argument of the running entry point with its [`FromC`]
/// implementation (the target type picks it).
macro_rules! arg {
    ($p:expr) => {
        // SAFETY: `$p` is an argument of the running entry point, which C
        // passed under the boundary contract (src/boundary.rs).
        unsafe { $crate::boundary::FromC::from_c($p) }
    };
}
pub(crate) use arg;

/// A required argument that C may have left out (a callback, say).
pub(crate) fn given<T>(value: Option<T>, what: &'static str) -> Result<T, Refusal> {
    value.ok_or(Refusal::Missing(what))
}

/// A C byte range given as pointer and length; NULL is allowed only when
/// the length is 0.
///
/// # Safety
///
/// `data` is NULL or readable for `len` bytes (the boundary contract).
pub(crate) unsafe fn bytes_in<'a>(data: *const c_void, len: usize) -> Result<&'a [u8], Refusal> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Refusal::Missing("data"));
    }
    // SAFETY: by the contract above.
    Ok(unsafe { std::slice::from_raw_parts(data.cast(), len) })
}

/// A writable C byte range; NULL is allowed only when the length is 0.
///
/// # Safety
///
/// `data` is NULL or writable for `len` bytes (the boundary contract).
pub(crate) unsafe fn bytes_out<'a>(data: *mut c_void, len: usize) -> Result<&'a mut [u8], Refusal> {
    if len == 0 {
        return Ok(&mut []);
    }
    if data.is_null() {
        return Err(Refusal::Missing("data"));
    }
    // SAFETY: by the contract above.
    Ok(unsafe { std::slice::from_raw_parts_mut(data.cast(), len) })
}

//! librel's loop for interpreters (the Python package's fast path).
//!
//! Calling an interpreter through a generic C callback (ctypes, cffi) costs
//! a wrapper per event: argument conversion, lock juggling, an extra frame.
//! An interpreter that hands librel its own entry points instead gets its
//! callbacks called directly: events made with [`rel_hosted`] as their
//! callback carry an interpreter object as their argument, and
//! [`rel_base_loop_hosted`] calls a method of it with the event's result.
//! Events made with [`rel_hosted_call`] skip even that method: librel calls
//! the interpreter's callable itself and looks at what it returns. The
//! interpreter's lock is held throughout, except while the loop blocks.

use std::io;
use std::os::raw::{c_int, c_long, c_short, c_void};
use std::ptr::null_mut;

use rel_core::base::Dispatch;
use rel_core::event::{Callback, Current, Key};
use rel_core::log::warn;

use crate::boundary::{arg, entry, Refusal};
use crate::dispatch::{call_c, run_finalizer};
use crate::legacy::{gotsig_raised, sigcb_aborts};
use crate::objects::{event_base, read_current};

/// The callback that marks an event as hosted: its argument is an object
/// of the interpreter running [`rel_base_loop_hosted`], which calls it.
/// Other loops cannot, and skip it with a warning.
#[no_mangle]
pub extern "C" fn rel_hosted(fd: c_int, what: c_short, arg: *mut c_void) {
    let _ = (fd, what, arg);
    warn("rel_hosted: a hosted event ran outside rel_base_loop_hosted; skipped");
}

/// The callback that marks an event as a direct hosted call: its argument is
/// an interpreter list `[callable, args, decline]`. The loop calls
/// `callable(*args)` and, when that returns something false, `decline()`.
/// Other loops cannot, and skip it with a warning.
#[no_mangle]
pub extern "C" fn rel_hosted_call(fd: c_int, what: c_short, arg: *mut c_void) {
    let _ = (fd, what, arg);
    warn("rel_hosted_call: a hosted event ran outside rel_base_loop_hosted; skipped");
}

/// An interpreter's entry points, as CPython's C API spells them.
#[repr(C)]
pub struct rel_host {
    /// Releases the interpreter lock before the loop blocks
    /// (`PyEval_SaveThread`); returns what `reacquire` needs.
    pub release: Option<unsafe extern "C" fn() -> *mut c_void>,
    /// Takes the lock back after the wait (`PyEval_RestoreThread`).
    pub reacquire: Option<unsafe extern "C" fn(state: *mut c_void)>,
    /// Makes an object of an event's result (`PyLong_FromLong`).
    pub wrap: Option<unsafe extern "C" fn(what: c_long) -> *mut c_void>,
    /// Calls method `name` of `args[0]` with the other arguments
    /// (`PyObject_VectorcallMethod`); NULL means it failed (an exception is
    /// set).
    pub call_method: Option<
        unsafe extern "C" fn(
            name: *mut c_void,
            args: *const *mut c_void,
            nargs: usize,
            kwnames: *mut c_void,
        ) -> *mut c_void,
    >,
    /// The name of the method hosted events run (a string object).
    pub method: *mut c_void,
    /// Takes a reference (`Py_IncRef`): a target is held for the time of its
    /// call, which may drop its owner's last one.
    pub keep: Option<unsafe extern "C" fn(obj: *mut c_void)>,
    /// Drops a reference (`Py_DecRef`).
    pub drop: Option<unsafe extern "C" fn(obj: *mut c_void)>,
    /// Calls an object with a tuple of arguments and no keywords
    /// (`PyObject_Call`); NULL means it failed.
    pub call: Option<
        unsafe extern "C" fn(
            callable: *mut c_void,
            args: *mut c_void,
            kwargs: *mut c_void,
        ) -> *mut c_void,
    >,
    /// Calls an object with no arguments (`PyObject_CallNoArgs`).
    pub call_none: Option<unsafe extern "C" fn(callable: *mut c_void) -> *mut c_void>,
    /// An object's truth (`PyObject_IsTrue`): 1, 0, or -1 when that failed.
    pub truth: Option<unsafe extern "C" fn(obj: *mut c_void) -> c_int>,
    /// Item `index` of a list, borrowed (`PyList_GetItem`); NULL on failure.
    pub item: Option<unsafe extern "C" fn(list: *mut c_void, index: isize) -> *mut c_void>,
}

type Release = unsafe extern "C" fn() -> *mut c_void;
type Reacquire = unsafe extern "C" fn(*mut c_void);
type Wrap = unsafe extern "C" fn(c_long) -> *mut c_void;
type CallMethod =
    unsafe extern "C" fn(*mut c_void, *const *mut c_void, usize, *mut c_void) -> *mut c_void;
type Refcount = unsafe extern "C" fn(*mut c_void);
type Call = unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_void) -> *mut c_void;
type CallNone = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
type Truth = unsafe extern "C" fn(*mut c_void) -> c_int;
type Item = unsafe extern "C" fn(*mut c_void, isize) -> *mut c_void;

/// How a hosted event is run.
enum Hosted {
    Method,
    Direct,
}

fn hosted(callback: &Callback) -> Option<Hosted> {
    match callback.func {
        f if f == rel_hosted as *const () as usize => Some(Hosted::Method),
        f if f == rel_hosted_call as *const () as usize => Some(Hosted::Direct),
        _ => None,
    }
}

struct Host {
    release: Release,
    reacquire: Reacquire,
    wrap: Wrap,
    call_method: CallMethod,
    method: *mut c_void,
    keep: Refcount,
    drop: Refcount,
    call: Call,
    call_none: CallNone,
    truth: Truth,
    item: Item,
    /// A callback failed: the loop ends, returning -1.
    failed: bool,
}

impl Host {
    /// Calls `target(what)`; false if it failed.
    fn run(&self, target: *mut c_void, what: u16) -> bool {
        // SAFETY: the interpreter's entry points, called with its lock held,
        // on an object the event's owner keeps alive while the event exists.
        unsafe {
            let boxed = (self.wrap)(c_long::from(what));
            if boxed.is_null() {
                return false;
            }
            (self.keep)(target);
            let args = [target, boxed];
            let result = (self.call_method)(self.method, args.as_ptr(), 2, null_mut());
            (self.drop)(target);
            (self.drop)(boxed);
            if result.is_null() {
                return false;
            }
            (self.drop)(result);
        }
        true
    }

    /// Runs a direct event's `[callable, args, decline]`; false if it failed.
    fn run_direct(&self, record: *mut c_void) -> bool {
        // SAFETY: as in `run`. The record is held for the call, and so is
        // each item while it is used: the callable may replace them.
        unsafe {
            (self.keep)(record);
            let args = (self.item)(record, 1);
            let ok = (!args.is_null())
                .then(|| self.call_item(record, 0, Some(args)))
                .flatten()
                .and_then(|result| {
                    let truth = (self.truth)(result);
                    (self.drop)(result);
                    match truth {
                        0 => self.call_item(record, 2, None).map(|r| (self.drop)(r)),
                        1 => Some(()),
                        _ => None,
                    }
                })
                .is_some();
            (self.drop)(record);
            ok
        }
    }

    /// Calls item `index` of `record` with the tuple `args`, or with no
    /// arguments; returns its new result, or None if anything failed.
    unsafe fn call_item(
        &self,
        record: *mut c_void,
        index: isize,
        args: Option<*mut c_void>,
    ) -> Option<*mut c_void> {
        // SAFETY: see run_direct.
        unsafe {
            let callable = (self.item)(record, index);
            if callable.is_null() {
                return None;
            }
            (self.keep)(callable);
            let result = match args {
                None => (self.call_none)(callable),
                Some(args) => {
                    (self.keep)(args);
                    let r = (self.call)(callable, args, null_mut());
                    (self.drop)(args);
                    r
                }
            };
            (self.drop)(callable);
            (!result.is_null()).then_some(result)
        }
    }
}

impl Dispatch for Host {
    fn call(&mut self, callback: Callback, fd: c_int, res: u16) -> bool {
        let target = callback.arg as *mut c_void;
        let ran = match hosted(&callback) {
            None => return call_c(callback, fd, res),
            Some(Hosted::Method) => self.run(target, res),
            Some(Hosted::Direct) => self.run_direct(target),
        };
        if !ran {
            self.failed = true;
            return false;
        }
        !gotsig_raised()
    }

    fn call_event(&mut self, key: Key, res: u16, _: fn(Key) -> Current) -> bool {
        let c = read_current(key);
        self.call(c.callback, c.fd, res)
    }

    fn finalize(&mut self, event: Key, finalizer: Callback) {
        run_finalizer(event, finalizer);
    }

    fn abort_requested(&mut self) -> bool {
        self.failed || sigcb_aborts()
    }

    fn wraps_waits(&self) -> bool {
        true
    }

    fn around_wait(&mut self, wait: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
        // SAFETY: the interpreter's entry points; the lock is held on entry.
        let state = unsafe { (self.release)() };
        let r = wait();
        // SAFETY: as above, with what `release` returned.
        unsafe { (self.reacquire)(state) };
        r
    }
}

/// Runs `base`'s loop as `event_base_loop(base, flags)`, with the calling
/// thread holding the interpreter lock that `host` releases around every
/// blocking wait. Events whose callback is [`rel_hosted`] are run by
/// calling method `host->method` of their argument with
/// `host->wrap(result)`, those with [`rel_hosted_call`] as that describes;
/// when a call fails, the loop
/// stops at once (the rest of the pass stays active) and returns -1,
/// leaving the failure (the interpreter's exception) in place.
///
/// Returns what `event_base_loop` returns; -1 for bad arguments.
#[no_mangle]
pub unsafe extern "C" fn rel_base_loop_hosted(
    base: *mut event_base,
    flags: c_int,
    host: *const rel_host,
) -> c_int {
    entry("rel_base_loop_hosted", || {
        let b: &event_base = arg!(base)?;
        // SAFETY: NULL or the caller's table (the boundary contract).
        let host = unsafe { host.as_ref() }.and_then(|h| {
            Some(Host {
                release: h.release?,
                reacquire: h.reacquire?,
                wrap: h.wrap?,
                call_method: h.call_method?,
                method: (!h.method.is_null()).then_some(h.method)?,
                keep: h.keep?,
                drop: h.drop?,
                call: h.call?,
                call_none: h.call_none?,
                truth: h.truth?,
                item: h.item?,
                failed: false,
            })
        });
        let mut host = host.ok_or(Refusal::Misuse("needs every entry point of the host"))?;
        Ok(b.core.run(flags, &mut host)?)
    })
}

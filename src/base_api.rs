//! Base-level calls of `event2/event.h`: bases, configs, the loop, once
//! events and introspection.

use std::ffi::CStr;
use std::fmt::Write as _;
use std::os::raw::{c_char, c_int, c_short, c_uint, c_void};
use std::ptr::null_mut;
use std::time::Duration;

use super::event_api::event_callback_fn;
use super::layout::event;
use super::util::evutil_socket_t;
use super::{
    core_callback, default_config, event_base, event_config, guard, refused, timeout_arg,
    to_timeval, EventPtr,
};
use rel_core::backend::METHODS;
use rel_core::base::{Base, Config, DelMode, Dispatch, MAX_PRIORITIES};
use rel_core::clock;
use rel_core::event::{ev, evlist, Action, Callback};
use rel_core::log::warn;

pub const EVLOOP_ONCE: c_int = 0x01;
pub const EVLOOP_NONBLOCK: c_int = 0x02;
pub const EVLOOP_NO_EXIT_ON_EMPTY: c_int = 0x04;

pub const EVENT_BASE_COUNT_ACTIVE: c_uint = 1;
pub const EVENT_BASE_COUNT_VIRTUAL: c_uint = 2;
pub const EVENT_BASE_COUNT_ADDED: c_uint = 4;

pub const EVENT_MAX_PRIORITIES: c_int = 256;
const _: () = assert!(EVENT_MAX_PRIORITIES as usize == MAX_PRIORITIES);

/// Backend features (`event_base_get_features`, `event_config_require_features`).
#[repr(C)]
pub enum event_method_feature {
    EV_FEATURE_ET = 0x01,
    EV_FEATURE_O1 = 0x02,
    EV_FEATURE_FDS = 0x04,
    EV_FEATURE_EARLY_CLOSE = 0x08,
}

const EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST: c_int = 0x10;

/// Flags for `event_config_set_flag`.
#[repr(C)]
pub enum event_base_config_flag {
    EVENT_BASE_FLAG_NOLOCK = 0x01,
    EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
    EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
    EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,
    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,
    EVENT_BASE_FLAG_PRECISE_TIMER = 0x20,
}

pub type event_base_foreach_event_cb =
    Option<unsafe extern "C" fn(*const event_base, *const event, *mut c_void) -> c_int>;

unsafe fn base_ref<'a>(base: *const event_base, func: &str) -> Option<&'a event_base> {
    // SAFETY: forwarded caller pointer, checked inside.
    unsafe { event_base::from_ptr(base, func) }
}

unsafe fn config_ref<'a>(cfg: *const event_config) -> Option<&'a mut event_config> {
    if cfg.is_null() {
        warn("event_config: no config given");
        return None;
    }
    // SAFETY: non-null pointer from event_config_new, exclusively the caller's.
    Some(unsafe { &mut *(cfg as *mut event_config) })
}

#[no_mangle]
pub extern "C" fn event_base_new() -> *mut event_base {
    guard(null_mut(), || {
        Base::new(&default_config()).map_or_else(
            |e| {
                refused("event_base_new", e);
                null_mut()
            },
            event_base::new,
        )
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_new_with_config(cfg: *const event_config) -> *mut event_base {
    guard(null_mut(), || {
        let cfg = if cfg.is_null() {
            default_config()
        } else {
            // SAFETY: non-null pointer from event_config_new.
            unsafe { (*cfg).cfg.clone() }
        };
        Base::new(&cfg).map_or_else(
            |e| {
                refused("event_base_new_with_config", e);
                null_mut()
            },
            event_base::new,
        )
    })
}

/// Frees a base; `run_finalizers` says whether pending finalizers run first.
unsafe fn free_base(base: *mut event_base, run_finalizers: bool) {
    guard((), || {
        // As in libevent, NULL means the 1.4 current base.
        let base = if base.is_null() {
            super::compat::current_base()
        } else {
            base
        };
        // SAFETY: forwarded caller pointer.
        let Some(b) = (unsafe { base_ref(base, "event_base_free") }) else {
            return;
        };
        if b.core.is_looping() {
            warn("event_base_free: the base's loop is running; not freed");
            return;
        }
        // Events still added lose their base, so later calls on them are
        // refused instead of touching freed memory.
        for (key, ..) in b.core.events() {
            let e = EventPtr(key as *mut event);
            b.core.del(key, &e, DelMode::NoBlock);
            e.ev_mut().ev_base = null_mut();
        }
        for finalizer in b.core.take_finalizers() {
            // SAFETY: a finalizer queued by event_finalize, consumed once.
            unsafe { super::event_api::finish_finalizer(finalizer, run_finalizers) };
        }
        super::compat::forget_base(base);
        // SAFETY: the pointer came from event_base::new and is live.
        unsafe { event_base::bury(base) };
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free(base: *mut event_base) {
    // SAFETY: forwarded caller pointer.
    unsafe { free_base(base, true) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free_nofinalize(base: *mut event_base) {
    // SAFETY: forwarded caller pointer.
    unsafe { free_base(base, false) }
}

#[no_mangle]
pub unsafe extern "C" fn event_reinit(base: *mut event_base) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(b) = (unsafe { base_ref(base, "event_reinit") }) else {
            return -1;
        };
        b.core
            .reinit()
            .map_or_else(|e| refused("event_reinit", e), |()| 0)
    })
}

/// Calls a C callback; false when 1.4's `event_gotsig` asks to end the pass.
pub(crate) fn call_c(callback: Callback, fd: c_int, res: u16) -> bool {
    // SAFETY: a callback and argument the program registered together.
    unsafe { super::call_callback(callback, fd, res as c_short) };
    !super::compat::gotsig_raised()
}

/// Calls C callbacks for the core's loop, with 1.4's `event_gotsig` hooks.
struct CallC;

impl Dispatch for CallC {
    fn call(&mut self, callback: Callback, fd: c_int, res: u16) -> bool {
        call_c(callback, fd, res)
    }

    fn abort_requested(&mut self) -> bool {
        super::compat::sigcb_aborts()
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loop(base: *mut event_base, flags: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(b) = (unsafe { base_ref(base, "event_base_loop") }) else {
            return -1;
        };
        b.core
            .run(flags, &mut CallC)
            .unwrap_or_else(|e| refused("event_base_loop", e))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dispatch(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { event_base_loop(base, 0) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopexit(
    base: *mut event_base,
    tv: *const libc::timeval,
) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointers.
        let Some(b) = (unsafe { base_ref(base, "event_base_loopexit") }) else {
            return -1;
        };
        let Ok(timeout) = (unsafe { timeout_arg(tv, "event_base_loopexit") }) else {
            return -1;
        };
        b.core
            .loopexit(timeout)
            .map_or_else(|e| refused("event_base_loopexit", e), |()| 0)
    })
}

/// Runs `f` on the base, or returns -1 for a bad pointer.
unsafe fn with_base(base: *mut event_base, func: &str, f: impl FnOnce(&Base) -> c_int) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        unsafe { base_ref(base, func) }.map_or(-1, |b| f(&b.core))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopbreak(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_loopbreak", |b| {
            b.loopbreak();
            0
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopcontinue(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_loopcontinue", |b| {
            b.loopcontinue();
            0
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_exit(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { with_base(base, "event_base_got_exit", |b| b.got_exit().into()) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_break(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { with_base(base, "event_base_got_break", |b| b.got_break().into()) }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_method(base: *const event_base) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: forwarded caller pointer.
        unsafe { base_ref(base, "event_base_get_method") }.map_or(std::ptr::null(), |b| {
            let method = b.core.method();
            match (
                method.name(),
                b.core.has_flag(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST),
            ) {
                ("epoll", true) => c"epoll (with changelist)".as_ptr(),
                _ => method.name.as_ptr(),
            }
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_features(base: *const event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base as *mut _, "event_base_get_features", |b| {
            b.method().features as c_int
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_npriorities(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_get_npriorities", |b| {
            b.npriorities() as c_int
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_priority_init(base: *mut event_base, n: c_int) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_priority_init", |b| {
            if n < 1 {
                return -1;
            }
            b.priority_init(n as usize).map_or(-1, |()| 0)
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_num_events(base: *mut event_base, what: c_uint) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_get_num_events", |b| {
            let c = b.counts();
            let mut n = 0;
            if what & EVENT_BASE_COUNT_ACTIVE != 0 {
                n += c.active;
            }
            if what & EVENT_BASE_COUNT_ADDED != 0 {
                n += c.added;
            }
            n as c_int
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_max_events(
    base: *mut event_base,
    what: c_uint,
    clear: c_int,
) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_get_max_events", |b| {
            let c = b.counts();
            let (active, added) = (
                what & EVENT_BASE_COUNT_ACTIVE != 0,
                what & EVENT_BASE_COUNT_ADDED != 0,
            );
            let n = if active { c.max_active } else { 0 } + if added { c.max_added } else { 0 };
            if clear != 0 {
                b.clear_max_counts(active, added);
            }
            n as c_int
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_running_event(base: *mut event_base) -> *mut event {
    guard(null_mut(), || {
        // SAFETY: forwarded caller pointer.
        unsafe { base_ref(base, "event_base_get_running_event") }
            .and_then(|b| b.core.running_event())
            .map_or(null_mut(), |key| key as *mut event)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_set(base: *mut event_base, ev: *mut event) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointers.
        let Some(e) = (unsafe { EventPtr::assigned(ev, "event_base_set") }) else {
            return -1;
        };
        let Some(new) = (unsafe { base_ref(base, "event_base_set") }) else {
            return -1;
        };
        if e.is_pending("event_base_set") {
            warn("event_base_set: event is pending; delete it first");
            return -1;
        }
        let m = e.ev_mut();
        m.ev_base = base;
        m.ev_evcallback.evcb_pri = (new.core.npriorities() / 2) as u8;
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_once(
    base: *mut event_base,
    fd: evutil_socket_t,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointers.
        let Some(b) = (unsafe { base_ref(base, "event_base_once") }) else {
            return -1;
        };
        let Some(func) = callback else {
            warn("event_base_once: no callback given");
            return -1;
        };
        let Ok(timeout) = (unsafe { timeout_arg(tv, "event_base_once") }) else {
            return -1;
        };
        let action = Action::Call(core_callback(func, arg));
        b.core
            .once(fd, events as u16, action, timeout)
            .map_or_else(|e| refused("event_base_once", e), |()| 0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_foreach_event(
    base: *mut event_base,
    f: event_base_foreach_event_cb,
    arg: *mut c_void,
) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded caller pointer.
        let Some(b) = (unsafe { base_ref(base, "event_base_foreach_event") }) else {
            return -1;
        };
        let Some(f) = f else {
            warn("event_base_foreach_event: no callback given");
            return -1;
        };
        // Visited without the lock held, so the callback may query the base.
        for (key, ..) in b.core.events() {
            // SAFETY: a registered event is live caller memory.
            let r = unsafe { f(base, key as *const event, arg) };
            if r != 0 {
                return r;
            }
        }
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dump_events(base: *mut event_base, out: *mut libc::FILE) {
    guard((), || {
        // SAFETY: forwarded caller pointer.
        let Some(b) = (unsafe { base_ref(base, "event_base_dump_events") }) else {
            return;
        };
        if out.is_null() {
            return;
        }
        let mut text = String::from("Inserted events:\n");
        let events = b.core.events();
        let describe = |text: &mut String, key: usize, fd: c_int, events: u16| {
            let names = [
                (ev::READ, " Read"),
                (ev::WRITE, " Write"),
                (ev::CLOSED, " EOF"),
                (ev::SIGNAL, " Signal"),
                (ev::PERSIST, " Persist"),
                (ev::ET, " ET"),
            ];
            let _ = write!(text, "  {key:#x} [fd {fd}]");
            for (bit, name) in names {
                if events & bit != 0 {
                    text.push_str(name);
                }
            }
            text.push('\n');
        };
        for &(key, fd, evs, flags) in &events {
            if flags & (evlist::INSERTED | evlist::TIMEOUT) != 0 {
                describe(&mut text, key, fd, evs);
            }
        }
        text.push_str("Active events:\n");
        for &(key, fd, evs, flags) in &events {
            if flags & evlist::ACTIVE != 0 {
                describe(&mut text, key, fd, evs);
            }
        }
        if let Ok(c) = std::ffi::CString::new(text) {
            // SAFETY: a valid C string and the caller's FILE*.
            unsafe { libc::fputs(c.as_ptr(), out) };
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_fd(
    base: *mut event_base,
    fd: evutil_socket_t,
    events: c_short,
) {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_active_by_fd", |b| {
            b.activate_fd(fd, events as u16);
            0
        })
    };
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_signal(base: *mut event_base, sig: c_int) {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_active_by_signal", |b| {
            b.activate_signal(sig);
            0
        })
    };
}

#[no_mangle]
pub unsafe extern "C" fn event_base_gettimeofday_cached(
    base: *mut event_base,
    tv: *mut libc::timeval,
) -> c_int {
    if tv.is_null() {
        return -1;
    }
    guard(-1, || {
        // SAFETY: a NULL base means "now", as in libevent.
        let now = match unsafe { base.as_ref() } {
            None => clock::wall(),
            Some(_) => match unsafe { base_ref(base, "event_base_gettimeofday_cached") } {
                Some(b) => b.core.cached_time(),
                None => return -1,
            },
        };
        // SAFETY: non-null out-pointer.
        unsafe { *tv = to_timeval(now) };
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_update_cache_time(base: *mut event_base) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_base(base, "event_base_update_cache_time", |b| {
            b.update_cache_time();
            0
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_gettime_monotonic(
    base: *mut event_base,
    tp: *mut libc::timeval,
) -> c_int {
    if tp.is_null() {
        return -1;
    }
    // SAFETY: forwarded caller pointers; tp checked non-null.
    unsafe {
        with_base(base, "event_gettime_monotonic", |_| {
            *tp = to_timeval(Duration::from_nanos(clock::now_ns()));
            0
        })
    }
}

/// Durations are kept exactly, so a "common" timeout is just a stable
/// pointer to an equal timeval that the base owns.
#[no_mangle]
pub unsafe extern "C" fn event_base_init_common_timeout(
    base: *mut event_base,
    duration: *const libc::timeval,
) -> *const libc::timeval {
    guard(std::ptr::null(), || {
        // SAFETY: forwarded caller pointers.
        let Some(b) = (unsafe { base_ref(base, "event_base_init_common_timeout") }) else {
            return std::ptr::null();
        };
        let Ok(Some(d)) = (unsafe { timeout_arg(duration, "event_base_init_common_timeout") })
        else {
            return std::ptr::null();
        };
        let tv = to_timeval(d);
        let mut list = b.common_timeouts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = list
            .iter()
            .find(|t| t.tv_sec == tv.tv_sec && t.tv_usec == tv.tv_usec)
        {
            return &**existing as *const libc::timeval;
        }
        list.push(Box::new(tv));
        &**list.last().expect("just pushed") as *const libc::timeval
    })
}

/// NULL-terminated list of every method this build has, fastest first.
struct MethodList([*const c_char; METHODS.len() + 1]);
// SAFETY: the pointers are to immutable 'static C strings.
unsafe impl Sync for MethodList {}
// SAFETY: as above.
unsafe impl Send for MethodList {}

static SUPPORTED: std::sync::LazyLock<MethodList> = std::sync::LazyLock::new(|| {
    let mut list = [std::ptr::null(); METHODS.len() + 1];
    for (slot, method) in list.iter_mut().zip(METHODS) {
        *slot = method.name.as_ptr();
    }
    MethodList(list)
});

#[no_mangle]
pub extern "C" fn event_get_supported_methods() -> *mut *const c_char {
    SUPPORTED.0.as_ptr().cast_mut()
}

#[no_mangle]
pub extern "C" fn event_config_new() -> *mut event_config {
    guard(null_mut(), || {
        Box::into_raw(Box::new(event_config {
            cfg: default_config(),
        }))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_free(cfg: *mut event_config) {
    if !cfg.is_null() {
        // SAFETY: a pointer from event_config_new, freed once.
        guard((), || drop(unsafe { Box::from_raw(cfg) }));
    }
}

/// Runs `f` on the config, or returns -1 for NULL.
unsafe fn with_config(cfg: *mut event_config, f: impl FnOnce(&mut Config) -> c_int) -> c_int {
    // SAFETY: forwarded caller pointer.
    guard(-1, || {
        unsafe { config_ref(cfg) }.map_or(-1, |c| f(&mut c.cfg))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_avoid_method(
    cfg: *mut event_config,
    method: *const c_char,
) -> c_int {
    if method.is_null() {
        return -1;
    }
    // SAFETY: non-null C string from the caller.
    let name = unsafe { CStr::from_ptr(method) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_config(cfg, |c| {
            c.avoid.push(name);
            0
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_config_require_features(
    cfg: *mut event_config,
    features: c_int,
) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_config(cfg, |c| {
            c.require_features = features as u32;
            0
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_flag(cfg: *mut event_config, flag: c_int) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_config(cfg, |c| {
            c.flags |= flag;
            0
        })
    }
}

/// Accepted for compatibility; only IOCP on Windows uses the hint.
#[no_mangle]
pub unsafe extern "C" fn event_config_set_num_cpus_hint(
    cfg: *mut event_config,
    _cpus: c_int,
) -> c_int {
    // SAFETY: forwarded caller pointer.
    unsafe { with_config(cfg, |_| 0) }
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut event_config,
    max_interval: *const libc::timeval,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    // SAFETY: forwarded caller pointers.
    let Ok(interval) =
        (unsafe { timeout_arg(max_interval, "event_config_set_max_dispatch_interval") })
    else {
        return -1;
    };
    // SAFETY: forwarded caller pointer.
    unsafe {
        with_config(cfg, |c| {
            c.max_interval = interval;
            c.max_callbacks = u32::try_from(max_callbacks).ok().filter(|&n| n > 0);
            c.min_priority = min_priority.max(0) as usize;
            0
        })
    }
}

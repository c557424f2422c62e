//! Base-level calls of `event2/event.h`: bases, configs, the loop, once
//! events and introspection.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_short, c_uint, c_void};
use std::ptr::null_mut;
use std::time::Duration;

use rel_core::assign;
use rel_core::backend::METHODS;
use rel_core::base::{Base, Config, MAX_PRIORITIES};
use rel_core::clock;
use rel_core::event::Action;

use crate::boundary::{arg, entry, given, Refusal};
use crate::dispatch::{run_finalizer, CallC};
use crate::event_api::event_callback_fn;
use crate::layout::event;
use crate::legacy::{forget_base, or_current};
use crate::objects::{
    core_callback, default_config, event_base, event_config, to_timeval, AssignedEvent, Timeout,
};
use crate::util::evutil_socket_t;

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

// What C passes and reads is the core's, unconverted.
const _: () = {
    use event_base_config_flag::*;
    use event_method_feature::*;
    use rel_core::backend::features;
    use rel_core::base::{flag, run_flag};
    assert!(EVLOOP_ONCE == run_flag::ONCE);
    assert!(EVLOOP_NONBLOCK == run_flag::NONBLOCK);
    assert!(EVLOOP_NO_EXIT_ON_EMPTY == run_flag::NO_EXIT_ON_EMPTY);
    assert!(EV_FEATURE_ET as u32 == features::ET);
    assert!(EV_FEATURE_O1 as u32 == features::O1);
    assert!(EV_FEATURE_FDS as u32 == features::FDS);
    assert!(EV_FEATURE_EARLY_CLOSE as u32 == features::EARLY_CLOSE);
    assert!(EVENT_BASE_FLAG_IGNORE_ENV as c_int == flag::IGNORE_ENV);
    assert!(EVENT_BASE_FLAG_NO_CACHE_TIME as c_int == flag::NO_CACHE_TIME);
};

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

#[no_mangle]
pub extern "C" fn event_base_new() -> *mut event_base {
    entry("event_base_new", || new_base(&default_config()))
}

fn new_base(cfg: &Config) -> Result<*mut event_base, Refusal> {
    Ok(event_base::new(Base::new(cfg)?))
}

#[no_mangle]
pub unsafe extern "C" fn event_base_new_with_config(cfg: *const event_config) -> *mut event_base {
    entry("event_base_new_with_config", || {
        let cfg: Option<&event_config> = arg!(cfg)?;
        match cfg {
            Some(c) => new_base(&c.cfg),
            None => new_base(&default_config()),
        }
    })
}

/// Frees a base; `run_finalizers` says whether pending finalizers run first.
fn free_base(base: *mut event_base, run_finalizers: bool) {
    entry("event_base_free", || {
        let base = or_current(base);
        let b: &event_base = arg!(base)?;
        for (event, finalizer) in b.core.shut_down()? {
            if run_finalizers {
                run_finalizer(event, finalizer);
            }
        }
        forget_base(base);
        b.bury();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free(base: *mut event_base) {
    free_base(base, true)
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free_nofinalize(base: *mut event_base) {
    free_base(base, false)
}

#[no_mangle]
pub unsafe extern "C" fn event_reinit(base: *mut event_base) -> c_int {
    entry("event_reinit", || {
        let b: &event_base = arg!(base)?;
        b.core.reinit()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loop(base: *mut event_base, flags: c_int) -> c_int {
    entry("event_base_loop", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core.run(flags, &mut CallC)?)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dispatch(base: *mut event_base) -> c_int {
    entry("event_base_dispatch", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core.run(0, &mut CallC)?)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopexit(
    base: *mut event_base,
    tv: *const libc::timeval,
) -> c_int {
    entry("event_base_loopexit", || {
        let b: &event_base = arg!(base)?;
        let timeout = match arg!(tv) {
            Ok(Timeout(t)) => t,
            // A delay in the past ends the loop at the next pass, as in
            // libevent: refusing it would leave the loop running forever.
            Err(Refusal::Timeout { sec, usec }) if sec < 0 || usec < 0 => Some(Duration::ZERO),
            Err(e) => return Err(e),
        };
        b.core.loopexit(timeout)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopbreak(base: *mut event_base) -> c_int {
    entry("event_base_loopbreak", || {
        let b: &event_base = arg!(base)?;
        b.core.loopbreak();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopcontinue(base: *mut event_base) -> c_int {
    entry("event_base_loopcontinue", || {
        let b: &event_base = arg!(base)?;
        b.core.loopcontinue();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_exit(base: *mut event_base) -> c_int {
    entry("event_base_got_exit", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core.got_exit().into())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_break(base: *mut event_base) -> c_int {
    entry("event_base_got_break", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core.got_break().into())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_method(base: *const event_base) -> *const c_char {
    entry("event_base_get_method", || {
        let b: &event_base = arg!(base)?;
        let method = b.core.method();
        let changelist = b
            .core
            .has_flag(event_base_config_flag::EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST as c_int);
        Ok(match (method.name(), changelist) {
            ("epoll", true) => c"epoll (with changelist)".as_ptr(),
            _ => method.name.as_ptr(),
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_features(base: *const event_base) -> c_int {
    entry("event_base_get_features", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core.method().features as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_npriorities(base: *mut event_base) -> c_int {
    entry("event_base_get_npriorities", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core.npriorities() as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_priority_init(base: *mut event_base, n: c_int) -> c_int {
    entry("event_base_priority_init", || {
        let b: &event_base = arg!(base)?;
        let n = usize::try_from(n).map_err(|_| Refusal::Quiet)?;
        // Silent, as libevent.
        b.core.priority_init(n).map_err(|_| Refusal::Quiet)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_num_events(base: *mut event_base, what: c_uint) -> c_int {
    entry("event_base_get_num_events", || {
        let b: &event_base = arg!(base)?;
        let c = b.core.counts();
        let mut n = 0;
        if what & EVENT_BASE_COUNT_ACTIVE != 0 {
            n += c.active;
        }
        if what & EVENT_BASE_COUNT_ADDED != 0 {
            n += c.added;
        }
        Ok(n as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_max_events(
    base: *mut event_base,
    what: c_uint,
    clear: c_int,
) -> c_int {
    entry("event_base_get_max_events", || {
        let b: &event_base = arg!(base)?;
        let c = b.core.counts();
        let (active, added) = (
            what & EVENT_BASE_COUNT_ACTIVE != 0,
            what & EVENT_BASE_COUNT_ADDED != 0,
        );
        let n = if active { c.max_active } else { 0 } + if added { c.max_added } else { 0 };
        if clear != 0 {
            b.core.clear_max_counts(active, added);
        }
        Ok(n as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_running_event(base: *mut event_base) -> *mut event {
    entry("event_base_get_running_event", || {
        let b: &event_base = arg!(base)?;
        Ok(b.core
            .running_event()
            .map_or(null_mut(), |key| key as *mut event))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_set(base: *mut event_base, ev: *mut event) -> c_int {
    entry("event_base_set", || {
        let e: AssignedEvent = arg!(ev)?;
        let new: &event_base = arg!(base)?;
        if e.is_pending() {
            return Err(Refusal::Misuse("event is pending; delete it first"));
        }
        e.set_base(base);
        e.set_priority(assign::default_priority(new.core.npriorities()));
        Ok(0)
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
    entry("event_base_once", || {
        let b: &event_base = arg!(base)?;
        let func = given(callback, "callback")?;
        let Timeout(timeout) = arg!(tv)?;
        let action = Action::Call(core_callback(func, arg));
        b.core.once(fd, events as u16, action, timeout)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_foreach_event(
    base: *mut event_base,
    f: event_base_foreach_event_cb,
    arg: *mut c_void,
) -> c_int {
    entry("event_base_foreach_event", || {
        let b: &event_base = arg!(base)?;
        let f = given(f, "callback")?;
        // Visited without the lock held, so the callback may query the base.
        for (key, ..) in b.core.events() {
            // SAFETY: a registered event is live caller memory, and `f` the
            // program's callback with its C signature.
            let r = unsafe { f(base, key as *const event, arg) };
            if r != 0 {
                return Ok(r);
            }
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dump_events(base: *mut event_base, out: *mut libc::FILE) {
    entry("event_base_dump_events", || {
        let b: &event_base = arg!(base)?;
        if out.is_null() {
            return Ok(());
        }
        let text = b.core.dump();
        if let Ok(c) = std::ffi::CString::new(text) {
            // SAFETY: a valid C string and the caller's FILE*.
            unsafe { libc::fputs(c.as_ptr(), out) };
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_fd(
    base: *mut event_base,
    fd: evutil_socket_t,
    events: c_short,
) {
    entry("event_base_active_by_fd", || {
        let b: &event_base = arg!(base)?;
        b.core.activate_fd(fd, events as u16);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_signal(base: *mut event_base, sig: c_int) {
    entry("event_base_active_by_signal", || {
        let b: &event_base = arg!(base)?;
        b.core.activate_signal(sig);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_gettimeofday_cached(
    base: *mut event_base,
    tv: *mut libc::timeval,
) -> c_int {
    entry("event_base_gettimeofday_cached", || {
        if tv.is_null() {
            return Err(Refusal::Quiet);
        }
        // A NULL base means "now", as in libevent.
        let now = if base.is_null() {
            clock::wall()
        } else {
            let b: &event_base = arg!(base)?;
            b.core.cached_time()
        };
        // SAFETY: a non-NULL out-pointer (the boundary contract).
        unsafe { *tv = to_timeval(now) };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_update_cache_time(base: *mut event_base) -> c_int {
    entry("event_base_update_cache_time", || {
        let b: &event_base = arg!(base)?;
        b.core.update_cache_time();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_gettime_monotonic(
    base: *mut event_base,
    tp: *mut libc::timeval,
) -> c_int {
    entry("event_gettime_monotonic", || {
        if tp.is_null() {
            return Err(Refusal::Quiet);
        }
        let _: &event_base = arg!(base)?;
        // SAFETY: a non-NULL out-pointer (the boundary contract).
        unsafe { *tp = to_timeval(Duration::from_nanos(clock::now_ns())) };
        Ok(0)
    })
}

/// Durations are kept exactly, so a "common" timeout is just a stable
/// pointer to an equal timeval that the base owns.
#[no_mangle]
pub unsafe extern "C" fn event_base_init_common_timeout(
    base: *mut event_base,
    duration: *const libc::timeval,
) -> *const libc::timeval {
    entry("event_base_init_common_timeout", || {
        let b: &event_base = arg!(base)?;
        let Timeout(Some(d)) = arg!(duration)? else {
            return Err(Refusal::Quiet);
        };
        let tv = to_timeval(d);
        let mut list = b.common_timeouts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = list
            .iter()
            .find(|t| t.tv_sec == tv.tv_sec && t.tv_usec == tv.tv_usec)
        {
            return Ok(&**existing as *const libc::timeval);
        }
        list.push(Box::new(tv));
        Ok(&**list.last().expect("just pushed") as *const libc::timeval)
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
    entry("event_config_new", || {
        Ok(Box::into_raw(Box::new(event_config {
            cfg: default_config(),
        })))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_free(cfg: *mut event_config) {
    entry("event_config_free", || {
        if !cfg.is_null() {
            // SAFETY: a config from event_config_new, freed once (the
            // boundary contract).
            drop(unsafe { Box::from_raw(cfg) });
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_avoid_method(
    cfg: *mut event_config,
    method: *const c_char,
) -> c_int {
    entry("event_config_avoid_method", || {
        let c: &mut event_config = arg!(cfg)?;
        let name: &CStr = arg!(method)?;
        c.cfg.avoid.push(name.to_string_lossy().into_owned());
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_require_features(
    cfg: *mut event_config,
    features: c_int,
) -> c_int {
    entry("event_config_require_features", || {
        let c: &mut event_config = arg!(cfg)?;
        c.cfg.require_features = features as u32;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_flag(cfg: *mut event_config, flag: c_int) -> c_int {
    entry("event_config_set_flag", || {
        let c: &mut event_config = arg!(cfg)?;
        c.cfg.flags |= flag;
        Ok(0)
    })
}

/// Accepted for compatibility; only IOCP on Windows uses the hint.
#[no_mangle]
pub unsafe extern "C" fn event_config_set_num_cpus_hint(
    cfg: *mut event_config,
    _cpus: c_int,
) -> c_int {
    entry("event_config_set_num_cpus_hint", || {
        let _: &mut event_config = arg!(cfg)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut event_config,
    max_interval: *const libc::timeval,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    entry("event_config_set_max_dispatch_interval", || {
        let Timeout(interval) = arg!(max_interval)?;
        let c: &mut event_config = arg!(cfg)?;
        c.cfg.max_interval = interval;
        c.cfg.max_callbacks = u32::try_from(max_callbacks).ok().filter(|&n| n > 0);
        c.cfg.min_priority = min_priority.max(0) as usize;
        Ok(0)
    })
}

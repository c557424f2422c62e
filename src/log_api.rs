//! Logging, fatal-error and allocator hooks of `event2/event.h`.

use std::os::raw::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::RwLock;

use rel_core::log::{self, Severity};

pub const EVENT_LOG_DEBUG: c_int = 0;
pub const EVENT_LOG_MSG: c_int = 1;
pub const EVENT_LOG_WARN: c_int = 2;
pub const EVENT_LOG_ERR: c_int = 3;

pub const EVENT_DBG_NONE: u32 = 0;
pub const EVENT_DBG_ALL: u32 = 0xffff_ffff;

pub type event_log_cb = Option<unsafe extern "C" fn(c_int, *const c_char)>;
pub type event_fatal_cb = Option<unsafe extern "C" fn(c_int)>;

type MallocFn = unsafe extern "C" fn(usize) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);

static LOG_CB: RwLock<event_log_cb> = RwLock::new(None);
/// The program's allocator pair, if it set one: read on every allocation
/// handed to C (a line from `evbuffer_readln`, an `event_new`), so one
/// atomic load rather than a lock. Each pair set is leaked: programs set it
/// once, before anything else, as libevent requires.
static MEM: AtomicPtr<(MallocFn, FreeFn)> = AtomicPtr::new(std::ptr::null_mut());

fn to_callback(severity: Severity, msg: &str) {
    let cb = *LOG_CB.read().unwrap_or_else(|e| e.into_inner());
    match (cb, std::ffi::CString::new(msg.replace('\0', " "))) {
        // SAFETY: the program's callback with a valid C string.
        (Some(cb), Ok(c)) => unsafe { cb(severity as c_int, c.as_ptr()) },
        _ => eprintln!(
            "[{}] {msg}",
            ["debug", "msg", "warn", "err"][severity as usize]
        ),
    }
}

/// Routes core diagnostics through `event_set_log_callback`'s callback
/// (stderr by default, as libevent's `[warn] ...` lines).
#[no_mangle]
pub extern "C" fn event_set_log_callback(cb: event_log_cb) {
    *LOG_CB.write().unwrap_or_else(|e| e.into_inner()) = cb;
    log::set_sink(to_callback);
}

/// librel never aborts the process on an internal error (it refuses the
/// call instead), so this callback is accepted and never called.
#[no_mangle]
pub extern "C" fn event_set_fatal_callback(_cb: event_fatal_cb) {}

/// Debug mode's checks (assign/add misuse) are always on in librel.
#[no_mangle]
pub extern "C" fn event_enable_debug_mode() {}

#[no_mangle]
pub extern "C" fn event_enable_debug_logging(_which: u32) {}

/// librel holds no global resources that need releasing.
#[no_mangle]
pub extern "C" fn libevent_global_shutdown() {}

/// The allocator used for memory handed to the program (`event_new`).
/// realloc is not needed by the core and is accepted for compatibility.
#[no_mangle]
pub extern "C" fn event_set_mem_functions(
    malloc_fn: Option<unsafe extern "C" fn(usize) -> *mut c_void>,
    _realloc_fn: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    free_fn: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    let pair = malloc_fn
        .zip(free_fn)
        .map_or(std::ptr::null_mut(), |p| Box::into_raw(Box::new(p)));
    MEM.store(pair, Ordering::Release);
}

fn allocator() -> Option<(MallocFn, FreeFn)> {
    // SAFETY: NULL or a pair leaked by `event_set_mem_functions`, never freed.
    unsafe { MEM.load(Ordering::Acquire).as_ref().copied() }
}

pub(crate) fn mem_alloc(size: usize) -> *mut c_void {
    let mem = allocator();
    // SAFETY: either the program's malloc or libc's, with a plain size.
    unsafe { mem.map_or_else(|| libc::malloc(size), |(m, _)| m(size)) }
}

pub(crate) fn mem_free(p: *mut c_void) {
    let mem = allocator();
    // SAFETY: `p` came from mem_alloc with the same allocator.
    unsafe { mem.map_or_else(|| libc::free(p), |(_, f)| f(p)) }
}

//! `event2/thread.h`: every librel base, buffer and bufferevent locks
//! itself and wakes its loop from other threads on its own, so a program's
//! threading setup has nothing to configure. These calls accept it and
//! report success, as libevent does on first configuration.

use std::os::raw::{c_int, c_uint, c_ulong, c_void};

use crate::objects::event_base;

pub const EVTHREAD_WRITE: c_uint = 0x04;
pub const EVTHREAD_READ: c_uint = 0x08;
pub const EVTHREAD_TRY: c_uint = 0x10;
pub const EVTHREAD_LOCK_API_VERSION: c_int = 1;
pub const EVTHREAD_LOCKTYPE_RECURSIVE: c_uint = 1;
pub const EVTHREAD_LOCKTYPE_READWRITE: c_uint = 2;
pub const EVTHREAD_CONDITION_API_VERSION: c_int = 1;

/// A threading library's locks, for libevent; librel does not need them.
#[repr(C)]
pub struct evthread_lock_callbacks {
    pub lock_api_version: c_int,
    pub supported_locktypes: c_uint,
    pub alloc: Option<unsafe extern "C" fn(c_uint) -> *mut c_void>,
    pub free: Option<unsafe extern "C" fn(*mut c_void, c_uint)>,
    pub lock: Option<unsafe extern "C" fn(c_uint, *mut c_void) -> c_int>,
    pub unlock: Option<unsafe extern "C" fn(c_uint, *mut c_void) -> c_int>,
}

/// A threading library's condition variables; librel does not need them.
#[repr(C)]
pub struct evthread_condition_callbacks {
    pub condition_api_version: c_int,
    pub alloc_condition: Option<unsafe extern "C" fn(c_uint) -> *mut c_void>,
    pub free_condition: Option<unsafe extern "C" fn(*mut c_void)>,
    pub signal_condition: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    pub wait_condition:
        Option<unsafe extern "C" fn(*mut c_void, *mut c_void, *const libc::timeval) -> c_int>,
}

#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn evthread_set_lock_callbacks(_cbs: *const evthread_lock_callbacks) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn evthread_set_condition_callbacks(
    _cbs: *const evthread_condition_callbacks,
) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn evthread_set_id_callback(_id_fn: Option<unsafe extern "C" fn() -> c_ulong>) {}

#[no_mangle]
pub extern "C" fn evthread_make_base_notifiable(base: *mut event_base) -> c_int {
    if base.is_null() {
        -1
    } else {
        0
    }
}

#[no_mangle]
pub extern "C" fn evthread_enable_lock_debugging() {}

/// libevent's old, misspelled name for the call above.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debuging() {}

//! `event2/thread.h`: every librel base is locked and wakes its loop from
//! other threads on its own, so these only report success.

use std::os::raw::c_int;

use crate::objects::event_base;

#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    0
}

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

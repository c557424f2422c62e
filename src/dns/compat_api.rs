//! `event2/dns_compat.h`: the 1.4 calls, on one process-wide base made
//! by `evdns_init` (or on first use by the calls that configure it) on
//! the current event base.

use std::os::raw::{c_char, c_int, c_ulong, c_void};
use std::sync::atomic::Ordering;

use super::resolver_api::*;
use super::{evdns_base, evdns_callback_type, global, GLOBAL};
use crate::boundary::entry;

/// The global base, made (with no nameservers) if there is none yet.
fn global_or_new() -> *mut evdns_base {
    let g = global();
    if !g.is_null() {
        return g;
    }
    // SAFETY: NULL picks the current event base.
    let b = unsafe { evdns_base_new(std::ptr::null_mut(), 0) };
    GLOBAL.store(b, Ordering::Release);
    b
}

#[no_mangle]
pub extern "C" fn evdns_init() -> c_int {
    entry("evdns_init", || {
        // SAFETY: NULL picks the current event base; 1 reads resolv.conf.
        let b = unsafe { evdns_base_new(std::ptr::null_mut(), 1) };
        if b.is_null() {
            return Ok(-1);
        }
        GLOBAL.store(b, Ordering::Release);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn evdns_get_global_base() -> *mut evdns_base {
    global()
}

#[no_mangle]
pub extern "C" fn evdns_shutdown(fail_requests: c_int) {
    let b = GLOBAL.swap(std::ptr::null_mut(), Ordering::AcqRel);
    if !b.is_null() {
        // SAFETY: the global base, taken out above so freed once.
        unsafe { evdns_base_free(b, fail_requests) };
    }
    super::set_log_fn(None);
}

#[no_mangle]
pub extern "C" fn evdns_nameserver_add(address: c_ulong) -> c_int {
    // SAFETY: the global base (made if needed).
    unsafe { evdns_base_nameserver_add(global_or_new(), address) }
}

#[no_mangle]
pub extern "C" fn evdns_count_nameservers() -> c_int {
    // SAFETY: the global base or NULL, which is refused.
    unsafe { evdns_base_count_nameservers(global()) }
}

#[no_mangle]
pub extern "C" fn evdns_clear_nameservers_and_suspend() -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_clear_nameservers_and_suspend(global()) }
}

#[no_mangle]
pub extern "C" fn evdns_resume() -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_resume(global()) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_nameserver_ip_add(ip_as_string: *const c_char) -> c_int {
    // SAFETY: forwarded argument; the global base (made if needed).
    unsafe { evdns_base_nameserver_ip_add(global_or_new(), ip_as_string) }
}

/// 0 if the resolve started, -1 if not.
fn started<T>(h: *mut T) -> c_int {
    if h.is_null() {
        -1
    } else {
        0
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_ipv4(
    name: *const c_char,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut c_void,
) -> c_int {
    // SAFETY: forwarded arguments; the global base or NULL (refused).
    started(unsafe { evdns_base_resolve_ipv4(global(), name, flags, callback, ptr) })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_ipv6(
    name: *const c_char,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut c_void,
) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_ipv6(global(), name, flags, callback, ptr) })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_reverse(
    r#in: *const libc::in_addr,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut c_void,
) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_reverse(global(), r#in, flags, callback, ptr) })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolve_reverse_ipv6(
    r#in: *const libc::in6_addr,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut c_void,
) -> c_int {
    // SAFETY: as above.
    started(unsafe { evdns_base_resolve_reverse_ipv6(global(), r#in, flags, callback, ptr) })
}

/// `flags` is ignored, as libevent ignores it: every option applies.
#[no_mangle]
pub unsafe extern "C" fn evdns_set_option(
    option: *const c_char,
    val: *const c_char,
    flags: c_int,
) -> c_int {
    let _ = flags;
    // SAFETY: forwarded arguments; the global base (made if needed).
    unsafe { evdns_base_set_option(global_or_new(), option, val) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_resolv_conf_parse(flags: c_int, filename: *const c_char) -> c_int {
    // SAFETY: as above.
    unsafe { evdns_base_resolv_conf_parse(global_or_new(), flags, filename) }
}

#[no_mangle]
pub extern "C" fn evdns_search_clear() {
    // SAFETY: the global base or NULL (refused).
    unsafe { evdns_base_search_clear(global()) }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_search_add(domain: *const c_char) {
    // SAFETY: forwarded argument; the global base or NULL (refused).
    unsafe { evdns_base_search_add(global(), domain) }
}

#[no_mangle]
pub extern "C" fn evdns_search_ndots_set(ndots: c_int) {
    // SAFETY: the global base or NULL (refused).
    unsafe { evdns_base_search_ndots_set(global(), ndots) }
}

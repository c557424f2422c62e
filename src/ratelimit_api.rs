//! The rate-limit half of `event2/bufferevent.h`: token-bucket
//! configurations, per-bufferevent limits, groups, and the single-read and
//! single-write caps.

use std::os::raw::c_int;
use std::time::Duration;

use rel_core::bufferevent::ratelimit::BucketConfig;

use crate::boundary::{arg, entry, Refusal};
use crate::bufferevent::ratelimit::{self, bufferevent_rate_limit_group, ev_token_bucket_cfg};
use crate::bufferevent::{BevRef, DEFAULT_MAX_SINGLE};
use crate::layout::bufferevent;
use crate::objects::{event_base, Timeout};
use crate::util::{ev_ssize_t, ev_uint64_t};

/// Returns a new configuration, or NULL when a rate is 0 or above its
/// burst, a value is above `EV_RATE_LIMIT_MAX`, or the tick is shorter
/// than a millisecond. A NULL tick means one second.
#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: *const libc::timeval,
) -> *mut ev_token_bucket_cfg {
    entry("ev_token_bucket_cfg_new", || {
        let tick = if tick_len.is_null() {
            Duration::from_secs(1)
        } else {
            arg!(tick_len)
                .map(|t: Timeout| t.0)?
                .unwrap_or(Duration::ZERO)
        };
        let cfg = BucketConfig::new(read_rate, read_burst, write_rate, write_burst, tick)
            .ok_or(Refusal::Quiet)?;
        Ok(Box::into_raw(Box::new(ev_token_bucket_cfg { cfg })))
    })
}

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_free(cfg: *mut ev_token_bucket_cfg) {
    entry("ev_token_bucket_cfg_free", || {
        if !cfg.is_null() {
            // SAFETY: made by `ev_token_bucket_cfg_new` (boundary contract).
            drop(unsafe { Box::from_raw(cfg) });
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_rate_limit(
    bev: *mut bufferevent,
    cfg: *mut ev_token_bucket_cfg,
) -> c_int {
    entry("bufferevent_set_rate_limit", || {
        let b: BevRef = arg!(bev)?;
        Ok(ratelimit::set(b, cfg))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_token_bucket_cfg(
    bev: *const bufferevent,
) -> *const ev_token_bucket_cfg {
    entry("bufferevent_get_token_bucket_cfg", || {
        let b: BevRef = arg!(bev)?;
        Ok(ratelimit::cfg(b))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_new(
    base: *mut event_base,
    cfg: *const ev_token_bucket_cfg,
) -> *mut bufferevent_rate_limit_group {
    entry("bufferevent_rate_limit_group_new", || {
        let _: &event_base = arg!(base.cast_const())?;
        // SAFETY: NULL or a configuration from ev_token_bucket_cfg_new.
        let cfg = unsafe { cfg.as_ref() }.ok_or(Refusal::Missing("ev_token_bucket_cfg"))?;
        Ok(bufferevent_rate_limit_group::new(base, cfg))
    })
}

/// The group (or configuration) arguments: NULL or from their `_new`.
fn group<'a>(
    g: *mut bufferevent_rate_limit_group,
) -> Result<&'a bufferevent_rate_limit_group, Refusal> {
    // SAFETY: the boundary contract: NULL or a live group.
    unsafe { g.as_ref() }.ok_or(Refusal::Missing("rate-limit group"))
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_cfg(
    g: *mut bufferevent_rate_limit_group,
    cfg: *const ev_token_bucket_cfg,
) -> c_int {
    entry("bufferevent_rate_limit_group_set_cfg", || {
        // SAFETY: as in `group`.
        let cfg = unsafe { cfg.as_ref() }.ok_or(Refusal::Missing("ev_token_bucket_cfg"))?;
        group(g)?.set_cfg(cfg);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_set_min_share(
    g: *mut bufferevent_rate_limit_group,
    share: usize,
) -> c_int {
    entry("bufferevent_rate_limit_group_set_min_share", || {
        Ok(group(g)?.set_min_share(share))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_free(g: *mut bufferevent_rate_limit_group) {
    entry("bufferevent_rate_limit_group_free", || {
        group(g)?;
        // SAFETY: a live group (checked) the program gives up.
        unsafe { bufferevent_rate_limit_group::free(g) };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_add_to_rate_limit_group(
    bev: *mut bufferevent,
    g: *mut bufferevent_rate_limit_group,
) -> c_int {
    entry("bufferevent_add_to_rate_limit_group", || {
        let b: BevRef = arg!(bev)?;
        let g = group(g)?;
        if g.base() != b.base() && !b.base().is_null() {
            return Err(Refusal::Misuse(
                "the group and the bufferevent have different bases",
            ));
        }
        g.add(b);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_remove_from_rate_limit_group(bev: *mut bufferevent) -> c_int {
    entry("bufferevent_remove_from_rate_limit_group", || {
        let b: BevRef = arg!(bev)?;
        b.bev().rate.release(b);
        Ok(0)
    })
}

/// 0 (or more than ssize_t holds) restores the default, 16384.
#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_read(
    bev: *mut bufferevent,
    size: usize,
) -> c_int {
    entry("bufferevent_set_max_single_read", || {
        let b: BevRef = arg!(bev)?;
        b.bev()
            .max_single_read
            .store(single(size), std::sync::atomic::Ordering::Relaxed);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_set_max_single_write(
    bev: *mut bufferevent,
    size: usize,
) -> c_int {
    entry("bufferevent_set_max_single_write", || {
        let b: BevRef = arg!(bev)?;
        b.bev()
            .max_single_write
            .store(single(size), std::sync::atomic::Ordering::Relaxed);
        Ok(0)
    })
}

fn single(size: usize) -> usize {
    if size == 0 || size > isize::MAX as usize {
        DEFAULT_MAX_SINGLE
    } else {
        size
    }
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_read(bev: *mut bufferevent) -> ev_ssize_t {
    entry("bufferevent_get_max_single_read", || {
        let b: BevRef = arg!(bev)?;
        Ok(b.bev()
            .max_single_read
            .load(std::sync::atomic::Ordering::Relaxed) as ev_ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_single_write(bev: *mut bufferevent) -> ev_ssize_t {
    entry("bufferevent_get_max_single_write", || {
        let b: BevRef = arg!(bev)?;
        Ok(b.bev()
            .max_single_write
            .load(std::sync::atomic::Ordering::Relaxed) as ev_ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_read_limit(bev: *mut bufferevent) -> ev_ssize_t {
    entry("bufferevent_get_read_limit", || {
        let b: BevRef = arg!(bev)?;
        Ok(ratelimit::limit(b, false))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_write_limit(bev: *mut bufferevent) -> ev_ssize_t {
    entry("bufferevent_get_write_limit", || {
        let b: BevRef = arg!(bev)?;
        Ok(ratelimit::limit(b, true))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_read(bev: *mut bufferevent) -> ev_ssize_t {
    entry("bufferevent_get_max_to_read", || {
        let b: BevRef = arg!(bev)?;
        Ok(b.max_to_read() as ev_ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_get_max_to_write(bev: *mut bufferevent) -> ev_ssize_t {
    entry("bufferevent_get_max_to_write", || {
        let b: BevRef = arg!(bev)?;
        Ok(b.max_to_write() as ev_ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_read_limit(
    bev: *mut bufferevent,
    decr: ev_ssize_t,
) -> c_int {
    entry("bufferevent_decrement_read_limit", || {
        let b: BevRef = arg!(bev)?;
        match ratelimit::decrement(b, false, decr) {
            0 => Ok(0),
            _ => Err(Refusal::Misuse("the bufferevent has no rate limit")),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_decrement_write_limit(
    bev: *mut bufferevent,
    decr: ev_ssize_t,
) -> c_int {
    entry("bufferevent_decrement_write_limit", || {
        let b: BevRef = arg!(bev)?;
        match ratelimit::decrement(b, true, decr) {
            0 => Ok(0),
            _ => Err(Refusal::Misuse("the bufferevent has no rate limit")),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_read_limit(
    g: *mut bufferevent_rate_limit_group,
) -> ev_ssize_t {
    entry("bufferevent_rate_limit_group_get_read_limit", || {
        Ok(group(g)?.limit(false))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_write_limit(
    g: *mut bufferevent_rate_limit_group,
) -> ev_ssize_t {
    entry("bufferevent_rate_limit_group_get_write_limit", || {
        Ok(group(g)?.limit(true))
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_read(
    g: *mut bufferevent_rate_limit_group,
    decr: ev_ssize_t,
) -> c_int {
    entry("bufferevent_rate_limit_group_decrement_read", || {
        group(g)?.decrement(false, decr);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_decrement_write(
    g: *mut bufferevent_rate_limit_group,
    decr: ev_ssize_t,
) -> c_int {
    entry("bufferevent_rate_limit_group_decrement_write", || {
        group(g)?.decrement(true, decr);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_get_totals(
    g: *mut bufferevent_rate_limit_group,
    total_read_out: *mut ev_uint64_t,
    total_written_out: *mut ev_uint64_t,
) {
    entry("bufferevent_rate_limit_group_get_totals", || {
        let (r, w) = group(g)?.totals();
        // SAFETY: out-pointers are NULL or writable (boundary contract).
        unsafe {
            if !total_read_out.is_null() {
                *total_read_out = r;
            }
            if !total_written_out.is_null() {
                *total_written_out = w;
            }
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn bufferevent_rate_limit_group_reset_totals(
    g: *mut bufferevent_rate_limit_group,
) {
    entry("bufferevent_rate_limit_group_reset_totals", || {
        group(g)?.reset_totals();
        Ok(())
    })
}

//! `event2/buffer.h`: evbuffer, the buffered bytes under bufferevents.
//!
//! Each entry point converts its pointers, calls the buffer's core
//! ([`rel_core::buffer::SyncBuffer`]) and maps the result.
//!
//! For the other C-layer modules (bufferevents):
//! - [`evbuffer::new`] makes a buffer (`*mut evbuffer`), `evbuffer::free`
//!   frees one (as `evbuffer_free`);
//! - `arg!(p)` into `&evbuffer` (or `evbuffer::live(p)`) checks a pointer
//!   C passed; `.core` is the `SyncBuffer`: `read_from`, `write_to`, `add`,
//!   `move_to`, `add_buffer`, `len`, `set_frozen`, `add_cb` with a Rust
//!   closure, `defer_callbacks` with a scheduler, `lock`/`unlock`;
//! - [`evbuffer_ptr`], [`evbuffer_cb_info`] and the callback typedefs are
//!   the `#[repr(C)]` types of the header.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uchar, c_uint, c_void};
use std::ptr::null_mut;
use std::sync::Arc;

use rel_core::buffer::{
    Bytes, CbInfo, Eol, FileSegment, Kind, Refused, CB_ENABLED, FLAG_DRAINS_TO_FD,
    FS_CLOSE_ON_FREE, FS_DISABLE_LOCKING, FS_DISABLE_MMAP, FS_DISABLE_SENDFILE, MAX_EXTENTS,
};
use rel_core::event::{ev, Action};

use crate::boundary::{arg, bytes_in, bytes_out, entry, entry_or, given, Refusal};
pub use crate::buffer_obj::{evbuffer, evbuffer_cb_entry, evbuffer_file_segment};
use crate::buffer_obj::{evbuffer_eol_style, evbuffer_ptr_how, iovec, run_deferred, Lent};
use crate::log_api::mem_alloc;
use crate::objects::{core_callback, event_base};
use crate::util::{ev_off_t, ev_ssize_t, ev_uint32_t, ev_uint64_t, evutil_socket_t};
use crate::variadic::{rel_c_vsnprintf_copy, va_list};

pub const EVBUFFER_FLAG_DRAINS_TO_FD: u64 = 1;
pub const EVBUFFER_CB_ENABLED: u32 = 1;
pub const EVBUF_FS_CLOSE_ON_FREE: u32 = 0x01;
pub const EVBUF_FS_DISABLE_MMAP: u32 = 0x02;
pub const EVBUF_FS_DISABLE_SENDFILE: u32 = 0x04;
pub const EVBUF_FS_DISABLE_LOCKING: u32 = 0x08;

const _: () = {
    assert!(EVBUFFER_FLAG_DRAINS_TO_FD == FLAG_DRAINS_TO_FD);
    assert!(EVBUFFER_CB_ENABLED == CB_ENABLED);
    assert!(EVBUF_FS_CLOSE_ON_FREE == FS_CLOSE_ON_FREE);
    assert!(EVBUF_FS_DISABLE_MMAP == FS_DISABLE_MMAP);
    assert!(EVBUF_FS_DISABLE_SENDFILE == FS_DISABLE_SENDFILE);
    assert!(EVBUF_FS_DISABLE_LOCKING == FS_DISABLE_LOCKING);
};

/// `struct evbuffer_ptr`: 24 bytes, returned by value; not found is
/// `pos == -1`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evbuffer_ptr {
    pub pos: ev_ssize_t,
    pub internal_: evbuffer_ptr_internal,
}

/// The fields libevent tells programs not to touch: here the chain's index
/// plus one (NULL at the end of the buffer) and the offset in it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evbuffer_ptr_internal {
    pub chain: *mut c_void,
    pub pos_in_chain: usize,
}

/// `struct evbuffer_cb_info`.
#[repr(C)]
pub struct evbuffer_cb_info {
    pub orig_size: usize,
    pub n_added: usize,
    pub n_deleted: usize,
}

pub type evbuffer_cb_func =
    Option<unsafe extern "C" fn(*mut evbuffer, *const evbuffer_cb_info, *mut c_void)>;
pub type evbuffer_ref_cleanup_cb = Option<unsafe extern "C" fn(*const c_void, usize, *mut c_void)>;

pub type evbuffer_file_segment_cleanup_cb =
    Option<unsafe extern "C" fn(*const evbuffer_file_segment, c_int, *mut c_void)>;

const NOT_FOUND: evbuffer_ptr = evbuffer_ptr {
    pos: -1,
    internal_: evbuffer_ptr_internal {
        chain: null_mut(),
        pos_in_chain: 0,
    },
};

/// Largest size a single expand or reservation may ask for.
const MAX_REQUEST: usize = 1 << 32;

impl From<Refused> for Refusal {
    /// libevent refuses all of these without a log line; a failed system
    /// call leaves its errno for the program.
    fn from(r: Refused) -> Refusal {
        if let Refused::Io(e) = &r {
            if let Some(code) = e.raw_os_error() {
                // SAFETY: errno is this thread's.
                unsafe { *libc::__errno_location() = code };
            }
        }
        Refusal::Quiet
    }
}

/// A position as C's `evbuffer_ptr`.
fn ptr_at(b: &evbuffer, pos: Option<usize>) -> evbuffer_ptr {
    let Some(pos) = pos else {
        return NOT_FOUND;
    };
    let (chain, off) = b
        .core
        .peek(|buf| buf.locate(pos))
        .map_or((null_mut(), 0), |(i, off)| ((i + 1) as *mut c_void, off));
    evbuffer_ptr {
        pos: pos as ev_ssize_t,
        internal_: evbuffer_ptr_internal {
            chain,
            pos_in_chain: off,
        },
    }
}

/// Where a C `evbuffer_ptr` argument says to start.
enum Start {
    At(usize),
    /// A pointer at the end of the buffer, or one a search did not find:
    /// libevent answers "nothing" without looking.
    Nowhere,
}

/// # Safety
///
/// `p` is NULL or a readable `evbuffer_ptr` (the boundary contract).
unsafe fn start_of(p: *const evbuffer_ptr) -> Start {
    // SAFETY: by the contract above.
    match unsafe { p.as_ref() } {
        None => Start::At(0),
        Some(p) if p.internal_.chain.is_null() || p.pos < 0 => Start::Nowhere,
        Some(p) => Start::At(p.pos as usize),
    }
}

#[no_mangle]
pub extern "C" fn evbuffer_new() -> *mut evbuffer {
    entry("evbuffer_new", || Ok(evbuffer::new()))
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_free(buf: *mut evbuffer) {
    entry("evbuffer_free", || {
        let b: &evbuffer = arg!(buf)?;
        b.free();
        Ok(())
    })
}

/// librel's buffers always lock; this records that the program asked
/// (a second call is refused, as in libevent). A lock the program passes
/// is not used.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_enable_locking(buf: *mut evbuffer, lock: *mut c_void) -> c_int {
    let _ = lock;
    entry("evbuffer_enable_locking", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.enable_locking()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_lock(buf: *mut evbuffer) {
    entry("evbuffer_lock", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.lock();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_unlock(buf: *mut evbuffer) {
    entry("evbuffer_unlock", || {
        let b: &evbuffer = arg!(buf)?;
        if !b.core.unlock() {
            return Err(Refusal::Misuse("the calling thread does not hold the lock"));
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_set_flags(buf: *mut evbuffer, flags: ev_uint64_t) -> c_int {
    entry("evbuffer_set_flags", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.set_flags(flags & u64::from(u32::MAX), 0);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_clear_flags(buf: *mut evbuffer, flags: ev_uint64_t) -> c_int {
    entry("evbuffer_clear_flags", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.set_flags(0, flags & u64::from(u32::MAX));
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_length(buf: *const evbuffer) -> usize {
    entry_or("evbuffer_get_length", 0, || {
        let b: &evbuffer = arg!(buf)?;
        Ok(b.core.len())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_get_contiguous_space(buf: *const evbuffer) -> usize {
    entry_or("evbuffer_get_contiguous_space", 0, || {
        let b: &evbuffer = arg!(buf)?;
        Ok(b.core.contiguous())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_expand(buf: *mut evbuffer, datlen: usize) -> c_int {
    entry("evbuffer_expand", || {
        let b: &evbuffer = arg!(buf)?;
        if datlen > MAX_REQUEST {
            return Err(Refusal::Misuse("size too large"));
        }
        b.core.expand(datlen);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_reserve_space(
    buf: *mut evbuffer,
    size: ev_ssize_t,
    vec: *mut iovec,
    n_vecs: c_int,
) -> c_int {
    entry("evbuffer_reserve_space", || {
        let b: &evbuffer = arg!(buf)?;
        if n_vecs < 1 || vec.is_null() {
            return Err(Refusal::Quiet);
        }
        if size < 0 || size as usize > MAX_REQUEST {
            return Err(Refusal::Misuse("size out of range"));
        }
        let ext = b.core.reserve(size as usize, n_vecs as usize)?;
        for (i, &(addr, len)) in ext.ext[..ext.n].iter().enumerate() {
            // SAFETY: `vec` has `n_vecs` >= ext.n writable entries (the
            // boundary contract).
            unsafe {
                *vec.add(i) = iovec {
                    iov_base: addr as *mut c_void,
                    iov_len: len,
                }
            };
        }
        Ok(ext.n as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_commit_space(
    buf: *mut evbuffer,
    vec: *mut iovec,
    n_vecs: c_int,
) -> c_int {
    entry("evbuffer_commit_space", || {
        let b: &evbuffer = arg!(buf)?;
        if n_vecs < 0 || n_vecs as usize > MAX_EXTENTS || (n_vecs > 0 && vec.is_null()) {
            return Err(Refusal::Quiet);
        }
        let mut ext = [(0usize, 0usize); MAX_EXTENTS];
        for (i, e) in ext.iter_mut().enumerate().take(n_vecs as usize) {
            // SAFETY: `vec` has `n_vecs` readable entries.
            let v = unsafe { *vec.add(i) };
            *e = (v.iov_base as usize, v.iov_len);
        }
        b.core.commit(&ext[..n_vecs as usize])?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add(
    buf: *mut evbuffer,
    data: *const c_void,
    datlen: usize,
) -> c_int {
    entry("evbuffer_add", || {
        let b: &evbuffer = arg!(buf)?;
        // SAFETY: the boundary contract: `datlen` readable bytes.
        let data = unsafe { bytes_in(data, datlen) }?;
        b.core.add(data)?;
        Ok(0)
    })
}

/// Each extent is an `evbuffer_add` of its own (callbacks run per extent,
/// as in libevent); returns the bytes added before any refusal.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_iovec(
    buf: *mut evbuffer,
    vec: *mut iovec,
    n_vec: c_int,
) -> usize {
    entry_or("evbuffer_add_iovec", 0, || {
        let b: &evbuffer = arg!(buf)?;
        if n_vec <= 0 || vec.is_null() {
            return Ok(0);
        }
        // SAFETY: `vec` has `n_vec` readable entries.
        let vecs = unsafe { std::slice::from_raw_parts(vec, n_vec as usize) };
        b.core.lock();
        let total: usize = vecs.iter().map(|v| v.iov_len).sum();
        b.core.expand(total.min(MAX_REQUEST));
        let mut added = 0;
        for v in vecs {
            // SAFETY: each extent is readable for its length.
            let Ok(data) = (unsafe { bytes_in(v.iov_base, v.iov_len) }) else {
                break;
            };
            if b.core.add(data).is_err() {
                break;
            }
            added += v.iov_len;
        }
        b.core.unlock();
        Ok(added)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_prepend(
    buf: *mut evbuffer,
    data: *const c_void,
    size: usize,
) -> c_int {
    entry("evbuffer_prepend", || {
        let b: &evbuffer = arg!(buf)?;
        // SAFETY: the boundary contract: `size` readable bytes.
        let data = unsafe { bytes_in(data, size) }?;
        b.core.prepend(data)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_drain(buf: *mut evbuffer, len: usize) -> c_int {
    entry("evbuffer_drain", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.drain(len)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove(
    buf: *mut evbuffer,
    data: *mut c_void,
    datlen: usize,
) -> c_int {
    entry("evbuffer_remove", || {
        let b: &evbuffer = arg!(buf)?;
        // SAFETY: the boundary contract: `datlen` writable bytes.
        let out = unsafe { bytes_out(data, datlen) }?;
        let n = b.core.remove(out)?;
        Ok(n.min(c_int::MAX as usize) as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_copyout(
    buf: *mut evbuffer,
    data_out: *mut c_void,
    datlen: usize,
) -> ev_ssize_t {
    // SAFETY: forwarded under the same contract.
    unsafe { evbuffer_copyout_from(buf, std::ptr::null(), data_out, datlen) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_copyout_from(
    buf: *mut evbuffer,
    pos: *const evbuffer_ptr,
    data_out: *mut c_void,
    datlen: usize,
) -> ev_ssize_t {
    entry_or("evbuffer_copyout_from", -1, || {
        let b: &evbuffer = arg!(buf)?;
        // SAFETY: the boundary contract: NULL or a readable position.
        let start = match unsafe { pos.as_ref() } {
            None => 0,
            Some(p) if p.pos < 0 => return Err(Refusal::Misuse("position not found")),
            Some(p) => p.pos as usize,
        };
        // SAFETY: the boundary contract: `datlen` writable bytes.
        let out = unsafe { bytes_out(data_out, datlen) }?;
        Ok(b.core.copy_out(start, out)? as ev_ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_buffer(
    src: *mut evbuffer,
    dst: *mut evbuffer,
    datlen: usize,
) -> c_int {
    entry("evbuffer_remove_buffer", || {
        let s: &evbuffer = arg!(src)?;
        let d: &evbuffer = arg!(dst)?;
        let n = s.core.move_to(&d.core, datlen)?;
        Ok(n.min(c_int::MAX as usize) as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_buffer(outbuf: *mut evbuffer, inbuf: *mut evbuffer) -> c_int {
    entry("evbuffer_add_buffer", || {
        let o: &evbuffer = arg!(outbuf)?;
        let i: &evbuffer = arg!(inbuf)?;
        o.core.add_buffer(&i.core)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_prepend_buffer(dst: *mut evbuffer, src: *mut evbuffer) -> c_int {
    entry("evbuffer_prepend_buffer", || {
        let d: &evbuffer = arg!(dst)?;
        let s: &evbuffer = arg!(src)?;
        d.core.prepend_buffer(&s.core)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_buffer_reference(
    outbuf: *mut evbuffer,
    inbuf: *mut evbuffer,
) -> c_int {
    entry("evbuffer_add_buffer_reference", || {
        let o: &evbuffer = arg!(outbuf)?;
        let i: &evbuffer = arg!(inbuf)?;
        o.core.reference(&i.core)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_reference(
    outbuf: *mut evbuffer,
    data: *const c_void,
    datlen: usize,
    cleanupfn: evbuffer_ref_cleanup_cb,
    cleanupfn_arg: *mut c_void,
) -> c_int {
    entry("evbuffer_add_reference", || {
        let o: &evbuffer = arg!(outbuf)?;
        if data.is_null() && datlen > 0 {
            return Err(Refusal::Missing("data"));
        }
        let lent = Arc::new(Lent::new(data, datlen, cleanupfn, cleanupfn_arg));
        if let Err(e) = o.core.add_shared(lent.clone(), Kind::Memory, 0, datlen) {
            // Never the buffer's: libevent runs no cleanup for a refusal.
            lent.disarm();
            return Err(e.into());
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_pullup(buf: *mut evbuffer, size: ev_ssize_t) -> *mut c_uchar {
    entry("evbuffer_pullup", || {
        let b: &evbuffer = arg!(buf)?;
        let n = if size < 0 { None } else { Some(size as usize) };
        Ok(b.core.pullup(n).map_or(null_mut(), |(p, _)| p.cast_mut()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_readln(
    buffer: *mut evbuffer,
    n_read_out: *mut usize,
    eol_style: evbuffer_eol_style,
) -> *mut c_char {
    // SAFETY: the boundary contract: NULL or writable.
    let out = unsafe { n_read_out.as_mut() };
    let r = entry("evbuffer_readln", || {
        let b: &evbuffer = arg!(buffer)?;
        let Some(eol) = Eol::from_raw(eol_style) else {
            return Ok(None);
        };
        let line = b.core.readln(eol, |n| {
            let p = mem_alloc(n + 1).cast::<u8>();
            // SAFETY: a fresh allocation of n + 1 bytes (or NULL).
            (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(p, n + 1) })
        });
        Ok(line.map(|(mem, n)| {
            mem[n] = 0;
            (mem.as_mut_ptr().cast::<c_char>(), n)
        }))
    });
    let (p, n) = r.unwrap_or((null_mut(), 0));
    if let Some(out) = out {
        *out = n;
    }
    p
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search(
    buffer: *mut evbuffer,
    what: *const c_char,
    len: usize,
    start: *const evbuffer_ptr,
) -> evbuffer_ptr {
    // SAFETY: forwarded under the same contract.
    unsafe { evbuffer_search_range(buffer, what, len, start, std::ptr::null()) }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search_range(
    buffer: *mut evbuffer,
    what: *const c_char,
    len: usize,
    start: *const evbuffer_ptr,
    end: *const evbuffer_ptr,
) -> evbuffer_ptr {
    entry_or("evbuffer_search_range", NOT_FOUND, || {
        let b: &evbuffer = arg!(buffer)?;
        // SAFETY: the boundary contract: `len` readable bytes.
        let what = unsafe { bytes_in(what.cast(), len) }?;
        // SAFETY: NULL or a readable position.
        let from = unsafe { start_of(start) };
        if what.is_empty() {
            // libevent hands the start back unchanged.
            // SAFETY: as above.
            return Ok(unsafe { start.as_ref() }
                .copied()
                .unwrap_or_else(|| ptr_at(b, Some(0))));
        }
        let Start::At(from) = from else {
            return Ok(NOT_FOUND);
        };
        // SAFETY: as above.
        let end = unsafe { end.as_ref() }.map(|e| e.pos.max(-1));
        let found = match end {
            Some(e) if e < 0 => None,
            Some(e) => b.core.search(what, from, Some(e as usize)),
            None => b.core.search(what, from, None),
        };
        Ok(ptr_at(b, found))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_ptr_set(
    buffer: *mut evbuffer,
    ptr: *mut evbuffer_ptr,
    position: usize,
    how: evbuffer_ptr_how,
) -> c_int {
    entry("evbuffer_ptr_set", || {
        let b: &evbuffer = arg!(buffer)?;
        // SAFETY: the boundary contract: a writable position.
        let p = unsafe { ptr.as_mut() }.ok_or(Refusal::Missing("evbuffer_ptr"))?;
        let target = match how {
            0 => position,
            1 => {
                if p.pos < 0 {
                    return Err(Refusal::Quiet);
                }
                (p.pos as usize)
                    .checked_add(position)
                    .ok_or(Refusal::Quiet)?
            }
            _ => return Err(Refusal::Misuse("unknown evbuffer_ptr_how")),
        };
        if target > b.core.len() {
            *p = NOT_FOUND;
            return Err(Refusal::Quiet);
        }
        *p = ptr_at(b, Some(target));
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_search_eol(
    buffer: *mut evbuffer,
    start: *mut evbuffer_ptr,
    eol_len_out: *mut usize,
    eol_style: evbuffer_eol_style,
) -> evbuffer_ptr {
    // SAFETY: the boundary contract: NULL or writable.
    let len_out = unsafe { eol_len_out.as_mut() };
    let (p, n) = entry_or("evbuffer_search_eol", (NOT_FOUND, 0), || {
        let b: &evbuffer = arg!(buffer)?;
        // SAFETY: NULL or a readable position.
        let Start::At(from) = (unsafe { start_of(start) }) else {
            return Ok((NOT_FOUND, 0));
        };
        let Some(eol) = Eol::from_raw(eol_style) else {
            return Ok((NOT_FOUND, 0));
        };
        Ok(match b.core.search_eol(from, eol) {
            Some((pos, n)) => (ptr_at(b, Some(pos)), n),
            None => (NOT_FOUND, 0),
        })
    });
    if let Some(out) = len_out {
        *out = n;
    }
    p
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_peek(
    buffer: *mut evbuffer,
    len: ev_ssize_t,
    start_at: *mut evbuffer_ptr,
    vec_out: *mut iovec,
    n_vec: c_int,
) -> c_int {
    entry("evbuffer_peek", || {
        let b: &evbuffer = arg!(buffer)?;
        // SAFETY: NULL or a readable position.
        let from = match unsafe { start_of(start_at) } {
            Start::Nowhere => return Ok(0),
            Start::At(p) => p,
        };
        let n_vec = if vec_out.is_null() {
            0
        } else {
            n_vec.max(0) as usize
        };
        let given_start = !start_at.is_null();
        Ok(b.core.peek(|buf| {
            let mut len = len;
            if n_vec == 0 && len < 0 {
                len = buf.len().saturating_sub(from) as ev_ssize_t;
            }
            let (mut idx, mut so_far) = (0usize, 0isize);
            for (k, part) in buf.chunks_from(from).enumerate() {
                // A given start always yields its first extent.
                let first_of_start = given_start && k == 0;
                if !first_of_start && len >= 0 && so_far >= len {
                    break;
                }
                if idx < n_vec {
                    // SAFETY: `vec_out` has `n_vec` writable entries.
                    unsafe {
                        *vec_out.add(idx) = iovec {
                            iov_base: part.as_ptr().cast_mut().cast(),
                            iov_len: part.len(),
                        }
                    };
                } else if len < 0 {
                    break;
                }
                idx += 1;
                so_far += part.len() as isize;
            }
            idx as c_int
        }))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_vprintf(
    buf: *mut evbuffer,
    fmt: *const c_char,
    ap: va_list,
) -> c_int {
    entry("evbuffer_add_vprintf", || {
        let b: &evbuffer = arg!(buf)?;
        let fmt: &CStr = arg!(fmt)?;
        // Formatted straight into the free space: once if it fits, else
        // again into the size the first pass measured.
        let n = b.core.add_written(|space| {
            // SAFETY: `space` is writable for its length, and `ap` is the
            // caller's argument list for `fmt` (copied for each pass).
            let n = unsafe {
                rel_c_vsnprintf_copy(space.as_mut_ptr().cast(), space.len(), fmt.as_ptr(), ap)
            };
            n as isize
        })?;
        if n < 0 {
            return Err(Refusal::Misuse("format error"));
        }
        Ok(n as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_write_atmost(
    buffer: *mut evbuffer,
    fd: evutil_socket_t,
    howmuch: ev_ssize_t,
) -> c_int {
    entry("evbuffer_write_atmost", || {
        let b: &evbuffer = arg!(buffer)?;
        let max = if howmuch < 0 {
            None
        } else {
            Some(howmuch as usize)
        };
        let n = b.core.write_to(fd, max)?;
        Ok(n.min(c_int::MAX as usize) as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_write(buffer: *mut evbuffer, fd: evutil_socket_t) -> c_int {
    // SAFETY: forwarded under the same contract.
    unsafe { evbuffer_write_atmost(buffer, fd, -1) }
}

/// Reads what one call takes: the last chain's free space plus at most one
/// new chain, up to 64 KiB (`howmuch` < 0) or `howmuch`; no FIONREAD.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_read(
    buffer: *mut evbuffer,
    fd: evutil_socket_t,
    howmuch: c_int,
) -> c_int {
    entry("evbuffer_read", || {
        let b: &evbuffer = arg!(buffer)?;
        let max = if howmuch < 0 {
            None
        } else {
            Some(howmuch as usize)
        };
        let n = b.core.read_from(fd, max)?;
        Ok(n as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_freeze(buf: *mut evbuffer, at_front: c_int) -> c_int {
    entry("evbuffer_freeze", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.set_frozen(at_front != 0, true);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_unfreeze(buf: *mut evbuffer, at_front: c_int) -> c_int {
    entry("evbuffer_unfreeze", || {
        let b: &evbuffer = arg!(buf)?;
        b.core.set_frozen(at_front != 0, false);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_cb(
    buffer: *mut evbuffer,
    cb: evbuffer_cb_func,
    cbarg: *mut c_void,
) -> *mut evbuffer_cb_entry {
    entry("evbuffer_add_cb", || {
        let b: &evbuffer = arg!(buffer)?;
        let f = given(cb, "callback")?;
        let me = b.as_ptr() as usize;
        let arg = cbarg as usize;
        let e = b.core.add_cb(
            (f as usize, arg),
            Box::new(move |i: &CbInfo| {
                let info = evbuffer_cb_info {
                    orig_size: i.orig_size,
                    n_added: i.n_added,
                    n_deleted: i.n_deleted,
                };
                // SAFETY: the program's callback with the signature it was
                // registered with, for the buffer it was registered on.
                unsafe { f(me as *mut evbuffer, &info, arg as *mut c_void) }
            }),
        );
        Ok(Arc::as_ptr(&e).cast_mut())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_cb_entry(
    buffer: *mut evbuffer,
    ent: *mut evbuffer_cb_entry,
) -> c_int {
    entry("evbuffer_remove_cb_entry", || {
        let b: &evbuffer = arg!(buffer)?;
        if !b.core.remove_cb_entry(ent) {
            return Err(Refusal::Misuse("not a callback of this evbuffer"));
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_remove_cb(
    buffer: *mut evbuffer,
    cb: evbuffer_cb_func,
    cbarg: *mut c_void,
) -> c_int {
    entry("evbuffer_remove_cb", || {
        let b: &evbuffer = arg!(buffer)?;
        let key = (cb.map_or(0, |f| f as usize), cbarg as usize);
        if !b.core.remove_cb(key) {
            return Err(Refusal::Quiet);
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_cb_set_flags(
    buffer: *mut evbuffer,
    cb: *mut evbuffer_cb_entry,
    flags: ev_uint32_t,
) -> c_int {
    entry("evbuffer_cb_set_flags", || {
        let b: &evbuffer = arg!(buffer)?;
        if !b.core.cb_flags(cb, flags & CB_ENABLED, 0) {
            return Err(Refusal::Misuse("not a callback of this evbuffer"));
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_cb_clear_flags(
    buffer: *mut evbuffer,
    cb: *mut evbuffer_cb_entry,
    flags: ev_uint32_t,
) -> c_int {
    entry("evbuffer_cb_clear_flags", || {
        let b: &evbuffer = arg!(buffer)?;
        if !b.core.cb_flags(cb, 0, flags & CB_ENABLED) {
            return Err(Refusal::Misuse("not a callback of this evbuffer"));
        }
        Ok(0)
    })
}

/// Callbacks then run from `base`'s loop, with the changes summed since
/// their last run.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_defer_callbacks(
    buffer: *mut evbuffer,
    base: *mut event_base,
) -> c_int {
    entry("evbuffer_defer_callbacks", || {
        let b: &evbuffer = arg!(buffer)?;
        let _: &event_base = arg!(base)?;
        let (me, base) = (b.as_ptr() as usize, base as usize);
        b.core
            .defer_callbacks(Arc::new(move || schedule_deferred(me, base)));
        Ok(0)
    })
}

/// Queues a run of buffer `me`'s callbacks on base `base`'s loop.
fn schedule_deferred(me: usize, base: usize) {
    // SAFETY: `base` was a base pointer when deferral was set up; bases
    // keep a tombstone when freed, which `live` refuses.
    let Ok(base) = (unsafe { event_base::live(base as *const event_base) }) else {
        return;
    };
    // SAFETY: `me` is a buffer header, never freed.
    let b = unsafe { &*(me as *const evbuffer) };
    b.defer_started();
    let action = Action::Call(core_callback(run_deferred, me as *mut c_void));
    if base.core.once(-1, ev::TIMEOUT, action, None).is_err() {
        b.defer_done();
    }
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_new(
    fd: c_int,
    offset: ev_off_t,
    length: ev_off_t,
    flags: c_uint,
) -> *mut evbuffer_file_segment {
    entry("evbuffer_file_segment_new", || {
        let seg = FileSegment::new(fd, offset, length, flags).map_err(Refused::Io)?;
        Ok(evbuffer_file_segment::new(seg))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_free(seg: *mut evbuffer_file_segment) {
    entry("evbuffer_file_segment_free", || {
        let _: &evbuffer_file_segment = arg!(seg)?;
        // SAFETY: a live segment; the program gives up its count.
        unsafe { evbuffer_file_segment::release(seg) };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_file_segment_add_cleanup_cb(
    seg: *mut evbuffer_file_segment,
    cb: evbuffer_file_segment_cleanup_cb,
    arg: *mut c_void,
) {
    entry("evbuffer_file_segment_add_cleanup_cb", || {
        let s: &evbuffer_file_segment = arg!(seg)?;
        s.set_cleanup(cb, arg);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_file_segment(
    buf: *mut evbuffer,
    seg: *mut evbuffer_file_segment,
    offset: ev_off_t,
    length: ev_off_t,
) -> c_int {
    entry("evbuffer_add_file_segment", || {
        let b: &evbuffer = arg!(buf)?;
        let s: &evbuffer_file_segment = arg!(seg)?;
        s.segment().materialize().map_err(Refused::Io)?;
        let total = s.segment().len() as i64;
        if offset < 0 || offset > total {
            return Err(Refusal::Quiet);
        }
        let length = if length < 0 { total - offset } else { length };
        if offset + length > total {
            return Err(Refusal::Quiet);
        }
        // SAFETY: a live segment C holds a count of.
        let shared: Arc<dyn Bytes> = unsafe { evbuffer_file_segment::share(seg) };
        b.core.add_shared(
            shared,
            Kind::File,
            offset as usize,
            (offset + length) as usize,
        )?;
        Ok(0)
    })
}

/// The segment closes `fd` when the buffer is done with it, or at once if
/// the add is refused.
#[no_mangle]
pub unsafe extern "C" fn evbuffer_add_file(
    buf: *mut evbuffer,
    fd: c_int,
    offset: ev_off_t,
    length: ev_off_t,
) -> c_int {
    entry("evbuffer_add_file", || {
        let _: &evbuffer = arg!(buf)?;
        let seg = FileSegment::new(fd, offset, length, FS_CLOSE_ON_FREE).map_err(Refused::Io)?;
        let p = evbuffer_file_segment::new(seg);
        // SAFETY: forwarded under the same contract; `p` is a fresh segment.
        let r = unsafe { evbuffer_add_file_segment(buf, p, 0, -1) };
        // SAFETY: our count of the fresh segment, given up either way.
        unsafe { evbuffer_file_segment::release(p) };
        if r < 0 {
            return Err(Refusal::Quiet);
        }
        Ok(0)
    })
}

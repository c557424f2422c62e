//! `event2/tag.h`: evtag, libevent's tagged marshalling, on evbuffers.
//!
//! Each entry point converts its pointers, calls
//! [`rel_extra::tag::stream`] on the buffer's core and maps the result.
//! A decode that fails returns -1 quietly, as libevent's do; pointers
//! libevent would dereference unchecked (out-pointers, data, strings) are
//! refused before anything is consumed.
//!
//! `evtag_decode_int`, `_int64`, `evtag_encode_tag` and
//! `evtag_decode_tag` are exported, as libevent exports them, but no
//! public header declares them (build.rs leaves them out of tag.h).

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

use rel_core::buffer::SyncBuffer;
use rel_extra::tag::stream::{self, Timeval};
use rel_extra::tag::{TagError, Width};

use crate::boundary::{arg, bytes_in, entry, FromC, Refusal};
use crate::buffer_obj::evbuffer;
use crate::log_api::mem_alloc;
use crate::util::{ev_uint32_t, ev_uint64_t};

impl From<TagError> for Refusal {
    /// libevent's evtag calls fail with -1 and no log line.
    fn from(_: TagError) -> Refusal {
        Refusal::Quiet
    }
}

/// An out-pointer: NULL when the caller does not want the value.
struct Out<'a, T>(Option<&'a mut T>);

impl<T> FromC<*mut T> for Out<'_, T> {
    unsafe fn from_c(p: *mut T) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or writable.
        Ok(Out(unsafe { p.as_mut() }))
    }
}

impl<'a, T> Out<'a, T> {
    /// Writes `v` if the caller asked for it and the decode found it.
    fn set(&mut self, v: Option<T>) {
        if let (Some(p), Some(v)) = (self.0.as_deref_mut(), v) {
            *p = v;
        }
    }

    /// An out-pointer libevent writes unconditionally.
    fn required(self, what: &'static str) -> Result<&'a mut T, Refusal> {
        self.0.ok_or(Refusal::Missing(what))
    }
}

/// The buffer behind a pointer C passed, as a tag stream.
fn core(b: &evbuffer) -> &SyncBuffer {
    &b.core
}

/// Does nothing: kept for programs written against libevent 1.4, which
/// needed it.
#[no_mangle]
pub extern "C" fn evtag_init() {}

/// Consumes a record's tag (into `*ptag` if not NULL) and length; the
/// payload's length, or -1 if the buffer does not hold it.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_header(
    evbuf: *mut evbuffer,
    ptag: *mut ev_uint32_t,
) -> c_int {
    entry("evtag_unmarshal_header", || {
        let b: &evbuffer = arg!(evbuf)?;
        let mut out: Out<u32> = arg!(ptag)?;
        let mut tag = None;
        let r = stream::unmarshal_header(&mut core(b), &mut tag);
        out.set(tag);
        Ok(r? as c_int)
    })
}

/// Appends a record of `len` bytes from `data`.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal(
    evbuf: *mut evbuffer,
    tag: ev_uint32_t,
    data: *const c_void,
    len: ev_uint32_t,
) {
    entry("evtag_marshal", || {
        let b: &evbuffer = arg!(evbuf)?;
        // SAFETY: the boundary contract: `len` readable bytes.
        let data = unsafe { bytes_in(data, len as usize) }?;
        stream::marshal(&mut core(b), tag, data);
        Ok(())
    })
}

/// Appends a record whose payload is all of `data`, which it empties.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_buffer(
    evbuf: *mut evbuffer,
    tag: ev_uint32_t,
    data: *mut evbuffer,
) {
    entry("evtag_marshal_buffer", || {
        let b: &evbuffer = arg!(evbuf)?;
        let src: &evbuffer = arg!(data)?;
        stream::marshal_buffer(&b.core, tag, &src.core);
        Ok(())
    })
}

/// Appends `number` in evtag's integer encoding (no tag, no length).
#[no_mangle]
pub unsafe extern "C" fn evtag_encode_int(evbuf: *mut evbuffer, number: ev_uint32_t) {
    entry("evtag_encode_int", || {
        let b: &evbuffer = arg!(evbuf)?;
        stream::encode_int(&mut core(b), number.into());
        Ok(())
    })
}

/// Appends a 64-bit `number` in evtag's integer encoding.
#[no_mangle]
pub unsafe extern "C" fn evtag_encode_int64(evbuf: *mut evbuffer, number: ev_uint64_t) {
    entry("evtag_encode_int64", || {
        let b: &evbuffer = arg!(evbuf)?;
        stream::encode_int(&mut core(b), number);
        Ok(())
    })
}

/// Appends an integer record.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_int(
    evbuf: *mut evbuffer,
    tag: ev_uint32_t,
    integer: ev_uint32_t,
) {
    entry("evtag_marshal_int", || {
        let b: &evbuffer = arg!(evbuf)?;
        stream::marshal_int(&mut core(b), tag, integer.into());
        Ok(())
    })
}

/// Appends a 64-bit integer record.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_int64(
    evbuf: *mut evbuffer,
    tag: ev_uint32_t,
    integer: ev_uint64_t,
) {
    entry("evtag_marshal_int64", || {
        let b: &evbuffer = arg!(evbuf)?;
        stream::marshal_int(&mut core(b), tag, integer);
        Ok(())
    })
}

/// Appends a record holding `string` without its NUL.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_string(
    buf: *mut evbuffer,
    tag: ev_uint32_t,
    string: *const c_char,
) {
    entry("evtag_marshal_string", || {
        let b: &evbuffer = arg!(buf)?;
        let s: &CStr = arg!(string)?;
        stream::marshal(&mut core(b), tag, s.to_bytes());
        Ok(())
    })
}

/// Appends a timeval record: seconds and microseconds, 32 bits of each.
#[no_mangle]
pub unsafe extern "C" fn evtag_marshal_timeval(
    evbuf: *mut evbuffer,
    tag: ev_uint32_t,
    tv: *mut libc::timeval,
) {
    entry("evtag_marshal_timeval", || {
        let b: &evbuffer = arg!(evbuf)?;
        let tv = arg!(tv).and_then(|t: Out<libc::timeval>| t.required("timeval"))?;
        stream::marshal_timeval(&mut core(b), tag, tv.tv_sec as u32, tv.tv_usec as u32);
        Ok(())
    })
}

/// Moves one record's payload from `src` to `dst`; its length.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal(
    src: *mut evbuffer,
    ptag: *mut ev_uint32_t,
    dst: *mut evbuffer,
) -> c_int {
    entry("evtag_unmarshal", || {
        let s: &evbuffer = arg!(src)?;
        let d: &evbuffer = arg!(dst)?;
        let mut out: Out<u32> = arg!(ptag)?;
        let mut tag = None;
        let r = stream::unmarshal(&mut core(s), &mut tag, &mut core(d));
        out.set(tag);
        Ok(r? as c_int)
    })
}

/// The first record's tag, nothing consumed; the tag's encoded length.
#[no_mangle]
pub unsafe extern "C" fn evtag_peek(evbuf: *mut evbuffer, ptag: *mut ev_uint32_t) -> c_int {
    entry("evtag_peek", || {
        let b: &evbuffer = arg!(evbuf)?;
        let mut out: Out<u32> = arg!(ptag)?;
        let (tag, len) = stream::peek_tag(&core(b))?;
        out.set(Some(tag));
        Ok(len as c_int)
    })
}

/// The first record's whole length, header included, nothing consumed.
#[no_mangle]
pub unsafe extern "C" fn evtag_peek_length(
    evbuf: *mut evbuffer,
    plength: *mut ev_uint32_t,
) -> c_int {
    entry("evtag_peek_length", || {
        let b: &evbuffer = arg!(evbuf)?;
        let out = arg!(plength).and_then(|p: Out<u32>| p.required("length out-pointer"))?;
        *out = stream::peek_length(&core(b))?;
        Ok(0)
    })
}

/// The first record's payload length, nothing consumed.
#[no_mangle]
pub unsafe extern "C" fn evtag_payload_length(
    evbuf: *mut evbuffer,
    plength: *mut ev_uint32_t,
) -> c_int {
    entry("evtag_payload_length", || {
        let b: &evbuffer = arg!(evbuf)?;
        let out = arg!(plength).and_then(|p: Out<u32>| p.required("length out-pointer"))?;
        *out = stream::payload_length(&core(b))?;
        Ok(0)
    })
}

/// Skips one record.
#[no_mangle]
pub unsafe extern "C" fn evtag_consume(evbuf: *mut evbuffer) -> c_int {
    entry("evtag_consume", || {
        let b: &evbuffer = arg!(evbuf)?;
        stream::consume(&mut core(b))?;
        Ok(0)
    })
}

/// An integer record of `need_tag` (and `width`) into `*out`: the
/// encoded integer's length.
///
/// # Safety
///
/// `evbuf` and `out` are the running entry point's arguments.
unsafe fn unmarshal_int<T>(
    func: &str,
    evbuf: *mut evbuffer,
    need_tag: u32,
    width: Width,
    out: *mut T,
    narrow: fn(u64) -> T,
) -> c_int {
    entry(func, || {
        let b: &evbuffer = arg!(evbuf)?;
        let out = arg!(out).and_then(|p: Out<T>| p.required("integer out-pointer"))?;
        let mut value = None;
        let r = stream::unmarshal_int(&mut core(b), need_tag, width, &mut value);
        if let Some(v) = value {
            *out = narrow(v);
        }
        Ok(r? as c_int)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_int(
    evbuf: *mut evbuffer,
    need_tag: ev_uint32_t,
    pinteger: *mut ev_uint32_t,
) -> c_int {
    // SAFETY: this entry point's own arguments.
    unsafe {
        unmarshal_int(
            "evtag_unmarshal_int",
            evbuf,
            need_tag,
            Width::U32,
            pinteger,
            |v| v as u32,
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_int64(
    evbuf: *mut evbuffer,
    need_tag: ev_uint32_t,
    pinteger: *mut ev_uint64_t,
) -> c_int {
    // SAFETY: this entry point's own arguments.
    unsafe {
        unmarshal_int(
            "evtag_unmarshal_int64",
            evbuf,
            need_tag,
            Width::U64,
            pinteger,
            |v| v,
        )
    }
}

/// A record of `need_tag` and exactly `len` bytes, copied to `data`.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_fixed(
    src: *mut evbuffer,
    need_tag: ev_uint32_t,
    data: *mut c_void,
    len: usize,
) -> c_int {
    entry("evtag_unmarshal_fixed", || {
        let b: &evbuffer = arg!(src)?;
        // No record is longer than 32 bits can say; no slice longer than
        // isize::MAX may even be formed.
        if len > isize::MAX as usize {
            return Err(Refusal::Misuse("length out of range"));
        }
        if len > 0 && data.is_null() {
            return Err(Refusal::Missing("data"));
        }
        let out: &mut [u8] = if len == 0 {
            &mut []
        } else {
            // SAFETY: the boundary contract: `len` writable bytes.
            unsafe { std::slice::from_raw_parts_mut(data.cast(), len) }
        };
        stream::unmarshal_fixed(&mut core(b), need_tag, out)?;
        Ok(0)
    })
}

/// The payload of a record of `need_tag` as a NUL-terminated string the
/// caller frees (with the allocator of `event_set_mem_functions`).
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_string(
    evbuf: *mut evbuffer,
    need_tag: ev_uint32_t,
    pstring: *mut *mut c_char,
) -> c_int {
    entry("evtag_unmarshal_string", || {
        let b: &evbuffer = arg!(evbuf)?;
        let out = arg!(pstring).and_then(|p: Out<*mut c_char>| p.required("string out-pointer"))?;
        let bytes = stream::unmarshal_bytes(&mut core(b), need_tag)?;
        let p = mem_alloc(bytes.len() + 1).cast::<u8>();
        if p.is_null() {
            return Err(Refusal::Misuse("malloc failed"));
        }
        // SAFETY: `p` holds len + 1 bytes, just allocated.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            p.add(bytes.len()).write(0);
        }
        *out = p.cast();
        Ok(0)
    })
}

/// A timeval record of `need_tag`. The record is consumed even when its
/// contents are bad, and each field is written as soon as it is read.
#[no_mangle]
pub unsafe extern "C" fn evtag_unmarshal_timeval(
    evbuf: *mut evbuffer,
    need_tag: ev_uint32_t,
    ptv: *mut libc::timeval,
) -> c_int {
    entry("evtag_unmarshal_timeval", || {
        let b: &evbuffer = arg!(evbuf)?;
        let tv = arg!(ptv).and_then(|p: Out<libc::timeval>| p.required("timeval"))?;
        let mut found = Timeval::default();
        let r = stream::unmarshal_timeval(&mut core(b), need_tag, &mut found);
        if let Some(sec) = found.sec {
            tv.tv_sec = sec.into();
        }
        if let Some(usec) = found.usec {
            tv.tv_usec = usec.into();
        }
        r?;
        Ok(0)
    })
}

/// Consumes one integer (no tag, no length).
#[no_mangle]
pub unsafe extern "C" fn evtag_decode_int(
    pnumber: *mut ev_uint32_t,
    evbuf: *mut evbuffer,
) -> c_int {
    entry("evtag_decode_int", || {
        let b: &evbuffer = arg!(evbuf)?;
        let out = arg!(pnumber).and_then(|p: Out<u32>| p.required("number out-pointer"))?;
        *out = stream::take_int(&mut core(b), Width::U32)? as u32;
        Ok(0)
    })
}

/// Consumes one 64-bit integer.
#[no_mangle]
pub unsafe extern "C" fn evtag_decode_int64(
    pnumber: *mut ev_uint64_t,
    evbuf: *mut evbuffer,
) -> c_int {
    entry("evtag_decode_int64", || {
        let b: &evbuffer = arg!(evbuf)?;
        let out = arg!(pnumber).and_then(|p: Out<u64>| p.required("number out-pointer"))?;
        *out = stream::take_int(&mut core(b), Width::U64)?;
        Ok(0)
    })
}

/// Appends a tag (to nothing if `evbuf` is NULL); its encoded length.
#[no_mangle]
pub unsafe extern "C" fn evtag_encode_tag(evbuf: *mut evbuffer, tag: ev_uint32_t) -> c_int {
    entry("evtag_encode_tag", || {
        if evbuf.is_null() {
            return Ok(rel_extra::tag::put_tag(&mut Vec::new(), tag) as c_int);
        }
        let b: &evbuffer = arg!(evbuf)?;
        Ok(stream::encode_tag(&mut core(b), tag) as c_int)
    })
}

/// Consumes one tag; its encoded length.
#[no_mangle]
pub unsafe extern "C" fn evtag_decode_tag(ptag: *mut ev_uint32_t, evbuf: *mut evbuffer) -> c_int {
    entry("evtag_decode_tag", || {
        let b: &evbuffer = arg!(evbuf)?;
        let mut out: Out<u32> = arg!(ptag)?;
        let (tag, len) = stream::take_tag(&mut core(b))?;
        out.set(Some(tag));
        Ok(len as c_int)
    })
}

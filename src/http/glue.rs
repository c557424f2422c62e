//! The bufferevent, evbuffer and header-list calls evhttp makes, each
//! wrapped once. Every pointer passed here is a live object the calling
//! connection or request owns (a bufferevent it created or was given,
//! a request's buffers and header lists): the invariant the `http`
//! modules keep, which every SAFETY line below relies on.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_short, c_void};

use rel_core::buffer::{Eol, SyncBuffer};
use rel_extra::http::message as msg;

use crate::buffer_api as b;
use crate::buffer_obj::evbuffer;
use crate::bufferevent_api as bev;
use crate::layout::bufferevent_struct::{bufferevent, bufferevent_data_cb, bufferevent_event_cb};
use crate::layout::keyvalq_struct::evkeyvalq;

pub(crate) const EV_READ: c_short = 0x02;
pub(crate) const EV_WRITE: c_short = 0x04;

pub(crate) const BEV_EVENT_READING: c_short = 0x01;
pub(crate) const BEV_EVENT_WRITING: c_short = 0x02;
pub(crate) const BEV_EVENT_EOF: c_short = 0x10;
pub(crate) const BEV_EVENT_ERROR: c_short = 0x20;
pub(crate) const BEV_EVENT_TIMEOUT: c_short = 0x40;
pub(crate) const BEV_EVENT_CONNECTED: c_short = 0x80;

pub(crate) fn input(e: *mut bufferevent) -> *mut evbuffer {
    // SAFETY: a live bufferevent (module invariant).
    unsafe { bev::bufferevent_get_input(e) }
}

pub(crate) fn output(e: *mut bufferevent) -> *mut evbuffer {
    // SAFETY: as above.
    unsafe { bev::bufferevent_get_output(e) }
}

pub(crate) fn enable(e: *mut bufferevent, what: c_short) -> c_int {
    // SAFETY: as above.
    unsafe { bev::bufferevent_enable(e, what) }
}

pub(crate) fn disable(e: *mut bufferevent, what: c_short) {
    // SAFETY: as above.
    unsafe { bev::bufferevent_disable(e, what) };
}

pub(crate) fn setcb(
    e: *mut bufferevent,
    r: bufferevent_data_cb,
    w: bufferevent_data_cb,
    ev: bufferevent_event_cb,
    arg: *mut c_void,
) {
    // SAFETY: as above; the callbacks have bufferevent's signatures.
    unsafe { bev::bufferevent_setcb(e, r, w, ev, arg) };
}

/// Whether a read callback is set.
pub(crate) fn has_readcb(e: *mut bufferevent) -> bool {
    let mut r: bufferevent_data_cb = None;
    // SAFETY: as above; the out-pointers are locals (the others NULL).
    unsafe {
        bev::bufferevent_getcb(
            e,
            &mut r,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    r.is_some()
}

pub(crate) fn set_timeouts(e: *mut bufferevent, tv: &libc::timeval, tw: &libc::timeval) {
    // SAFETY: as above; the timevals are references.
    unsafe { bev::bufferevent_set_timeouts(e, tv, tw) };
}

pub(crate) fn getfd(e: *mut bufferevent) -> c_int {
    // SAFETY: as above.
    unsafe { bev::bufferevent_getfd(e) }
}

pub(crate) fn setfd(e: *mut bufferevent, fd: c_int) -> c_int {
    // SAFETY: as above.
    unsafe { bev::bufferevent_setfd(e, fd) }
}

/// Whether freeing `e` closes its socket (BEV_OPT_CLOSE_ON_FREE).
pub(crate) fn closes_on_free(e: *mut bufferevent) -> bool {
    let b: Result<crate::bufferevent::BevRef, _> = crate::boundary::arg!(e);
    b.is_ok_and(|b| b.is(crate::bufferevent::BEV_OPT_CLOSE_ON_FREE))
}

pub(crate) fn free_bev(e: *mut bufferevent) {
    // SAFETY: as above; the owner frees it once.
    unsafe { bev::bufferevent_free(e) };
}

pub(crate) fn len(buf: *mut evbuffer) -> usize {
    // SAFETY: a live evbuffer (module invariant).
    unsafe { b::evbuffer_get_length(buf) }
}

pub(crate) fn add(buf: *mut evbuffer, data: &[u8]) {
    // SAFETY: as above; `data` is a slice.
    unsafe { b::evbuffer_add(buf, data.as_ptr().cast(), data.len()) };
}

/// Moves all of `src` to the end of `dst`.
pub(crate) fn append(dst: *mut evbuffer, src: *mut evbuffer) {
    // SAFETY: as above.
    unsafe { b::evbuffer_add_buffer(dst, src) };
}

/// Moves up to `n` bytes from `src` to the end of `dst`.
pub(crate) fn move_n(src: *mut evbuffer, dst: *mut evbuffer, n: usize) {
    // SAFETY: as above.
    unsafe { b::evbuffer_remove_buffer(src, dst, n) };
}

pub(crate) fn drain(buf: *mut evbuffer, n: usize) {
    // SAFETY: as above.
    unsafe { b::evbuffer_drain(buf, n) };
}

pub(crate) fn new_buffer() -> *mut evbuffer {
    b::evbuffer_new()
}

pub(crate) fn free_buffer(buf: *mut evbuffer) {
    // SAFETY: as above; the owner frees it once.
    unsafe { b::evbuffer_free(buf) };
}

fn core<'a>(buf: *mut evbuffer) -> Option<&'a evbuffer> {
    // SAFETY: a live evbuffer (module invariant); the check costs a load.
    unsafe { evbuffer::live(buf) }.ok()
}

/// The next line (LF or CRLF ended), without its end, read into `line`
/// (whose memory is reused from line to line); false until one has
/// arrived. The same reading as `evbuffer_readln` with
/// `EVBUFFER_EOL_CRLF`, without its allocation.
pub(crate) fn readln(buf: *mut evbuffer, line: &mut Vec<u8>) -> bool {
    core(buf).is_some_and(|b| readln_into(&b.core, line))
}

fn readln_into(b: &SyncBuffer, line: &mut Vec<u8>) -> bool {
    let got = b.readln(Eol::Crlf, |n| {
        line.clear();
        line.resize(n, 0);
        Some(&mut line[..])
    });
    got.is_some()
}

/// How the walk over the first chain of a buffer ended.
enum Walk {
    /// The handler wanted no more lines.
    Stopped,
    /// No line end in what is there.
    NoLine,
    /// The first chain was used up; the next one may hold lines.
    Next,
    /// A line starts in the first chain and goes on in the next.
    Spans,
}

/// Hands the complete lines at the front of `buf` to `f` (each without
/// its end, as [`readln`] reads them), removing each, until `f` answers
/// false or no complete line is left. Lines are read where they lie,
/// and those of one chain removed in one drain; a line split across
/// chains is copied into `spill`. Nothing is read from a buffer whose
/// front is frozen, as readln reads nothing. `f` must not touch `buf`.
pub(crate) fn lines(buf: *mut evbuffer, spill: &mut Vec<u8>, mut f: impl FnMut(&[u8]) -> bool) {
    let Some(b) = core(buf) else {
        return;
    };
    let b = &b.core;
    b.lock();
    // A frozen front refuses even an empty drain (of a non-empty buffer).
    while b.drain(0).is_ok() {
        let (used, walk) = b.peek(|whole| {
            let Some(first) = whole.chunks_from(0).next() else {
                return (0, Walk::NoLine);
            };
            let mut used = 0;
            while let Some((line, n)) = msg::split_line(&first[used..]) {
                used += n;
                if !f(line) {
                    return (used, Walk::Stopped);
                }
            }
            let walk = match (used == first.len(), whole.len() > first.len()) {
                (_, false) => Walk::NoLine,
                (true, true) => Walk::Next,
                (false, true) => Walk::Spans,
            };
            (used, walk)
        });
        if used > 0 {
            let _ = b.drain(used);
        }
        match walk {
            Walk::Stopped | Walk::NoLine => break,
            Walk::Next => {}
            Walk::Spans => {
                if !readln_into(b, spill) || !f(spill) {
                    break;
                }
            }
        }
    }
    b.unlock();
}

/// Bytes put straight into an evbuffer's free tail: what does not fit is
/// counted, not written, so the caller can ask for enough room and write
/// again (the `vsnprintf` protocol of [`SyncBuffer::add_written`]).
///
/// [`SyncBuffer::add_written`]: rel_core::buffer::SyncBuffer::add_written
pub(crate) struct Tail<'a> {
    dst: &'a mut [MaybeUninit<u8>],
    n: usize,
}

impl Tail<'_> {
    pub(crate) fn put(&mut self, s: &[u8]) {
        if let Some(d) = self.dst.get_mut(self.n..self.n + s.len()) {
            for (d, &c) in d.iter_mut().zip(s) {
                d.write(c);
            }
        }
        self.n += s.len();
    }
}

/// Appends what `f` writes, in place and under one lock: the head of a
/// message goes out without being assembled anywhere else first. `f`
/// may run twice (the second time with room for all it wrote), so it
/// writes the same each time, and must not touch `buf`.
pub(crate) fn add_with(buf: *mut evbuffer, mut f: impl FnMut(&mut Tail)) {
    if let Some(b) = core(buf) {
        let _ = b.core.add_written(|dst| {
            let mut t = Tail { dst, n: 0 };
            f(&mut t);
            t.n as isize
        });
    }
}

/// The value of header `name` in `q`, up to its NUL.
pub(crate) fn find<'a>(q: *mut evkeyvalq, name: &[u8]) -> Option<&'a [u8]> {
    // SAFETY: a request's live header list (module invariant).
    let q = unsafe { q.as_ref() }?;
    let node = q.find_name(name)?;
    // SAFETY: a live node's value is a NUL-terminated string.
    Some(unsafe { CStr::from_ptr(node.as_ref().value) }.to_bytes())
}

pub(crate) fn add_header(q: *mut evkeyvalq, name: &[u8], value: &[u8]) -> bool {
    // SAFETY: as above.
    match unsafe { q.as_mut() } {
        Some(q) => q.push(name, value),
        None => false,
    }
}

pub(crate) fn remove_header(q: *mut evkeyvalq, name: &[u8]) {
    // SAFETY: as above.
    if let Some(q) = unsafe { q.as_mut() } {
        if let Some(n) = q.find_name(name) {
            q.remove(n);
        }
    }
}

pub(crate) fn clear_headers(q: *mut evkeyvalq) {
    // SAFETY: as above.
    if let Some(q) = unsafe { q.as_mut() } {
        q.clear();
    }
}

/// Appends ` more` to the value of the last header; false when there is
/// none or memory ran out.
pub(crate) fn fold_into_last(q: *mut evkeyvalq, more: &[u8]) -> bool {
    // SAFETY: as above.
    let Some(q) = (unsafe { q.as_mut() }) else {
        return false;
    };
    let Some(last) = q.nodes().last() else {
        return false;
    };
    // SAFETY: a live node's key and value are NUL-terminated strings.
    let (key, mut value) = unsafe {
        (
            CStr::from_ptr(last.as_ref().key).to_bytes().to_vec(),
            CStr::from_ptr(last.as_ref().value).to_bytes().to_vec(),
        )
    };
    value.push(b' ');
    value.extend_from_slice(more);
    q.remove(last);
    q.push(&key, &value)
}

/// The headers of `q` as `name: value\r\n` lines.
pub(crate) fn put_headers(t: &mut Tail, q: *mut evkeyvalq) {
    // SAFETY: as above.
    let Some(q) = (unsafe { q.as_ref() }) else {
        return;
    };
    for n in q.nodes() {
        // SAFETY: as above.
        unsafe {
            t.put(CStr::from_ptr(n.as_ref().key).to_bytes());
            t.put(b": ");
            t.put(CStr::from_ptr(n.as_ref().value).to_bytes());
        }
        t.put(b"\r\n");
    }
}

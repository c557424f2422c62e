//! A connection's state machine: reading a head and body off its
//! bufferevent, writing what a request or reply queued, and failing.
//!
//! Incoming (server) connections carry one request at a time: read it,
//! hand it to the server, write the reply, then read the next (pipelined
//! requests wait in the input buffer). Outgoing (client) connections
//! queue requests, connect on demand, write one, read its response.
//!
//! Callbacks into the program may free the request or the connection;
//! every path returns right after such a call without touching either,
//! which is also what libevent's evhttp relies on.
//!
//! - [`read`]: reading a message: first line, headers, body, chunks;
//! - [`incoming`]: a server's connections: accept, next request;
//! - [`reply`]: a server's replies, and what follows once one is written;
//! - [`outgoing`]: a client's connections: connect, retry.

mod incoming;
mod outgoing;
mod read;
mod reply;

pub(crate) use incoming::{accept, associate_new_request};
pub(crate) use outgoing::{cleanup_after_connect_failure, connect};
use read::{read_body, read_firstline, read_header, read_trailer};
pub(crate) use reply::{send_done, send_error, send_not_found, send_reply};

use std::collections::VecDeque;
use std::ffi::CString;
use std::os::raw::{c_int, c_short, c_void};
use std::ptr::null_mut;

use rel_extra::http::message::{self as msg, Framing, HeaderLine};

use super::glue::*;
use super::head;
use super::request_state::{self, req};
use super::structs::{self, evhttp, ConnCb};
pub(crate) use super::structs::{conn, evhttp_connection, State};
use super::*;
use crate::bufferevent_api::evdns_base;
use crate::layout::bufferevent_struct::bufferevent;
use crate::layout::event;
use crate::layout::http_struct::*;
use crate::objects::event_base;

/// How long a connection waits by default (seconds): to connect, and for
/// reads and writes.
const CONNECT_TIMEOUT: libc::time_t = 45;
const RW_TIMEOUT: libc::time_t = 50;

// Connection flags: the public ones (event2/http.h) and librel's own.
pub(crate) const CON_INCOMING: c_int = 0x0001;
pub(crate) const CON_OUTGOING: c_int = 0x0002;
pub(crate) const CON_CLOSEDETECT: c_int = 0x0004;
pub const EVHTTP_CON_REUSE_CONNECTED_ADDR: c_int = 0x0008;
pub const EVHTTP_CON_READ_ON_WRITE_ERROR: c_int = 0x0010;
pub const EVHTTP_CON_LINGERING_CLOSE: c_int = 0x0020;
pub const EVHTTP_CON_PUBLIC_FLAGS_END: c_int = 0x100000;
pub(crate) const CON_AUTOFREE: c_int = EVHTTP_CON_PUBLIC_FLAGS_END;
pub(crate) const CON_READING_ERROR: c_int = CON_AUTOFREE << 1;

fn tv(sec: libc::time_t) -> libc::timeval {
    libc::timeval {
        tv_sec: sec,
        tv_usec: 0,
    }
}

/// Read and write timeouts: `timeout`, or the defaults (50 s) when
/// `None`.
pub(crate) fn set_timeout(c: *mut evhttp_connection, timeout: Option<libc::timeval>) {
    conn(c).timeout = timeout;
    let t = timeout.unwrap_or(tv(RW_TIMEOUT));
    set_timeouts(conn(c).bufev, &t, &t);
}

/// A connection on `bev` (a fresh socket bufferevent when NULL).
pub(crate) fn new(
    base: *mut event_base,
    dns_base: *mut evdns_base,
    mut bev: *mut bufferevent,
    address: &[u8],
    port: u16,
) -> *mut evhttp_connection {
    if bev.is_null() {
        // SAFETY: `base` is NULL (the current base) or live (contract).
        bev = unsafe { crate::bufferevent_api::bufferevent_socket_new(base, -1, 0) };
        if bev.is_null() {
            return null_mut();
        }
    }
    let close_fd = !closes_on_free(bev);
    let address = CString::new(address).unwrap_or_default();
    let c = Box::into_raw(Box::new(evhttp_connection {
        bufev: bev,
        base,
        dns_base,
        server: null_mut(),
        handler: None,
        address,
        port,
        bind_address: None,
        bind_port: 0,
        state: State::Disconnected,
        flags: 0,
        max_headers_size: rel_extra::http::message::DEFAULT_MAX_HEADERS_SIZE,
        max_body_size: u64::MAX,
        timeout: None,
        retry_cnt: 0,
        retry_max: 0,
        initial_retry: tv(2),
        retry_ev: null_mut(),
        read_more_ev: null_mut(),
        closecb: None,
        closecb_arg: null_mut(),
        requests: VecDeque::new(),
        cb: None,
        cb_arg: null_mut(),
        ai_family: libc::AF_UNSPEC,
        peer: None,
        // SAFETY: all-zero is a valid sockaddr_storage.
        addr: unsafe { std::mem::zeroed() },
        close_fd,
        line: Vec::new(),
    }));
    setcb(bev, Some(read_cb), Some(write_cb), Some(error_cb), c.cast());
    if !base.is_null() {
        // SAFETY: live bufferevent and base.
        unsafe {
            if crate::bufferevent_api::bufferevent_get_base(bev) != base {
                crate::bufferevent_api::bufferevent_base_set(base, bev);
            }
        }
    } else {
        // SAFETY: as above.
        conn(c).base = unsafe { crate::bufferevent_api::bufferevent_get_base(bev) };
    }
    c
}

pub(crate) fn is_connected(c: *mut evhttp_connection) -> bool {
    !matches!(conn(c).state, State::Disconnected | State::Connecting)
}

fn free_event(ev: &mut *mut event) {
    if !ev.is_null() {
        // SAFETY: an event this connection made with event_new.
        unsafe { crate::event_api::event_free(*ev) };
        *ev = null_mut();
    }
}

/// Frees the connection, its queued requests and its bufferevent; the
/// close callback runs first if it was connected.
pub(crate) fn free(c: *mut evhttp_connection) {
    let fd = getfd(conn(c).bufev);
    if fd != -1 && is_connected(c) {
        if let Some(cb) = conn(c).closecb {
            // SAFETY: the program's close callback and argument.
            unsafe { cb(c, conn(c).closecb_arg) };
        }
    }
    while let Some(r) = conn(c).requests.pop_front() {
        request_state::free_auto(r);
    }
    let e = conn(c);
    if !e.server.is_null() {
        structs::forget_connection(e.server, c);
    }
    free_event(&mut e.retry_ev);
    free_event(&mut e.read_more_ev);
    let fd = getfd(e.bufev);
    free_bev(e.bufev);
    if fd != -1 {
        // SAFETY: plain socket calls on the connection's socket.
        unsafe {
            libc::shutdown(fd, libc::SHUT_WR);
            if e.close_fd {
                libc::close(fd);
            }
        }
    }
    // SAFETY: made by Box::into_raw in `new`, freed once.
    drop(unsafe { Box::from_raw(c) });
}

/// Back to disconnected: callbacks off, socket closed, buffers emptied.
pub(crate) fn reset(c: *mut evhttp_connection) {
    let bev = conn(c).bufev;
    setcb(bev, None, None, None, null_mut());
    disable(bev, EV_READ | EV_WRITE);
    let fd = getfd(bev);
    if fd != -1 {
        if is_connected(c) {
            if let Some(cb) = conn(c).closecb {
                // SAFETY: the program's close callback and argument.
                unsafe { cb(c, conn(c).closecb_arg) };
            }
        }
        // SAFETY: the connection's own socket, closed once.
        unsafe {
            libc::shutdown(fd, libc::SHUT_WR);
            libc::close(fd);
        }
    }
    setfd(bev, -1);
    drain(output(bev), usize::MAX);
    drain(input(bev), usize::MAX);
    let e = conn(c);
    e.flags &= !CON_READING_ERROR;
    e.state = State::Disconnected;
}

/// Queues what is in the output buffer; `cb` runs once it has drained.
pub(crate) fn write_buffer(c: *mut evhttp_connection, cb: ConnCb, arg: *mut c_void) {
    let e = conn(c);
    e.cb = cb;
    e.cb_arg = arg;
    // Reading stays on to notice a close; the data is not wanted now.
    setcb(e.bufev, None, Some(write_cb), Some(error_cb), c.cast());
    enable(e.bufev, EV_READ | EV_WRITE);
}

/// Reads the next message head.
pub(crate) fn start_read(c: *mut evhttp_connection) {
    let bev = conn(c).bufev;
    disable(bev, EV_WRITE);
    enable(bev, EV_READ);
    conn(c).state = State::ReadingFirstline;
    setcb(bev, Some(read_cb), Some(write_cb), Some(error_cb), c.cast());
    // Bytes already here (a pipelined request) get read soon, from the loop.
    if len(input(bev)) > 0 {
        schedule_read_more(c);
    }
}

fn schedule_read_more(c: *mut evhttp_connection) {
    let e = conn(c);
    if e.read_more_ev.is_null() {
        // SAFETY: the connection's base; the callback takes the
        // connection, which frees the event before it goes.
        e.read_more_ev =
            unsafe { crate::event_api::event_new(e.base, -1, 0, Some(read_more), c.cast()) };
    }
    if !e.read_more_ev.is_null() {
        // SAFETY: the event just made (or made before), live.
        unsafe { crate::event_api::event_active(e.read_more_ev, EV_READ.into(), 1) };
    }
}

unsafe extern "C" fn read_more(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    let bev = conn(c).bufev;
    if has_readcb(bev) {
        // SAFETY: our own read callback, on our connection.
        unsafe { read_cb(bev, arg) };
    }
}

fn cancel_read_more(c: *mut evhttp_connection) {
    let e = conn(c);
    if !e.read_more_ev.is_null() {
        // SAFETY: a live event of this connection.
        unsafe { crate::event_api::event_del(e.read_more_ev) };
    }
}

/// Done writing a request (client) or the 100-continue: now read.
pub(crate) fn start_write(c: *mut evhttp_connection) {
    let bev = conn(c).bufev;
    disable(bev, EV_WRITE);
    enable(bev, EV_READ);
    conn(c).state = State::Writing;
    write_buffer(c, Some(write_connectioncb), null_mut());
}

unsafe extern "C" fn write_cb(_bev: *mut bufferevent, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    if let Some(cb) = conn(c).cb {
        // SAFETY: one of this module's callbacks, or the program's chunk
        // callback with its argument.
        unsafe { cb(c, conn(c).cb_arg) };
    }
}

unsafe extern "C" fn read_cb(_bev: *mut bufferevent, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    cancel_read_more(c);
    let Some(&r) = conn(c).requests.front() else {
        // Data on an idle connection with nothing asked: drop it.
        reset(c);
        return;
    };
    match conn(c).state {
        State::ReadingFirstline => read_firstline(c, r),
        State::ReadingHeaders => read_header(c, r),
        State::ReadingBody => read_body(c, r),
        State::ReadingTrailer => read_trailer(c, r),
        State::Idle => reset(c),
        _ => {}
    }
}

/// A message has been read: a server hands the request to its handler;
/// a client hands the response to the request's callback, then goes on
/// with the next request, idles or closes.
pub(crate) fn done(c: *mut evhttp_connection) {
    let Some(&r) = conn(c).requests.front() else {
        return;
    };
    let outgoing = conn(c).flags & CON_OUTGOING != 0;
    let mut free_evcon = false;
    if outgoing {
        let need_close = request_state::wants_close(r);
        conn(c).requests.pop_front();
        req(r).evcon = null_mut();
        conn(c).state = State::Idle;
        if need_close {
            reset(c);
        }
        if !conn(c).requests.is_empty() {
            if !is_connected(c) {
                connect(c);
            } else {
                dispatch(c);
            }
        } else if !need_close {
            // Persistent: notice when the server closes it.
            conn(c).flags |= CON_CLOSEDETECT;
            enable(conn(c).bufev, EV_READ);
        } else if conn(c).flags & CON_AUTOFREE != 0 {
            free_evcon = true;
        }
    } else {
        conn(c).state = State::Writing;
    }
    if let Some(cb) = req(r).cb {
        // SAFETY: the request's callback and argument.
        unsafe { cb(r, req(r).cb_arg) };
    }
    if outgoing {
        request_state::free_auto(r);
        if free_evcon && conn(c).requests.is_empty() {
            free(c);
        }
    }
}

/// Ends the current request with `error`. A server answers 400 or 413
/// through its handler, or drops the connection on a timeout or close;
/// a client drops the request, tells its callbacks (the request
/// callback gets NULL), and goes on with the next.
pub(crate) fn fail(c: *mut evhttp_connection, error: evhttp_request_error) {
    let errsave = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let Some(&r) = conn(c).requests.front() else {
        return;
    };
    disable(conn(c).bufev, EV_READ | EV_WRITE);
    if conn(c).flags & CON_INCOMING != 0 {
        if !incoming_fail(r, error) {
            free(c);
        }
        return;
    }
    let error_cb = req(r).error_cb;
    let arg = req(r).cb_arg;
    let cb = if error != EVREQ_HTTP_REQUEST_CANCEL {
        req(r).cb
    } else {
        None
    };
    conn(c).requests.pop_front();
    request_state::free_auto(r);
    reset(c);
    if !conn(c).requests.is_empty() {
        connect(c);
    } else if conn(c).flags & CON_OUTGOING != 0 && conn(c).flags & CON_AUTOFREE != 0 {
        free(c);
    }
    // SAFETY: errno is this thread's.
    unsafe { *libc::__errno_location() = errsave };
    if let Some(ecb) = error_cb {
        // SAFETY: the program's error callback and argument.
        unsafe { ecb(error, arg) };
    }
    if let Some(cb) = cb {
        // SAFETY: the request's callback, told of the failure with NULL.
        unsafe { cb(null_mut(), arg) };
    }
}

/// `false` when the connection is to be dropped.
fn incoming_fail(r: *mut evhttp_request, error: evhttp_request_error) -> bool {
    req(r).response_code = if error == EVREQ_HTTP_DATA_TOO_LONG {
        413
    } else {
        400
    };
    if error == EVREQ_HTTP_TIMEOUT || error == EVREQ_HTTP_EOF {
        if req(r).bits & REQ_USERDONE == 0 {
            // The program still holds the request: keep it alive, but
            // without its connection.
            let c = req(r).evcon;
            conn(c).requests.retain(|&x| x != r);
            req(r).evcon = null_mut();
        }
        return false;
    }
    request_state::forget_uri(r);
    if let Some(cb) = req(r).cb {
        // SAFETY: the server's handler, which answers with an error.
        unsafe { cb(r, req(r).cb_arg) };
    }
    true
}

unsafe extern "C" fn error_cb(bev: *mut bufferevent, what: c_short, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    let front = conn(c).requests.front().copied();
    match conn(c).state {
        State::Connecting if what & BEV_EVENT_TIMEOUT != 0 => {
            cleanup_after_connect_failure(c);
            return;
        }
        State::ReadingBody => {
            if let Some(r) = front {
                if req(r).bits & REQ_CHUNKED == 0
                    && req(r).ntoread < 0
                    && what == (BEV_EVENT_READING | BEV_EVENT_EOF)
                {
                    // A body read to the close has ended.
                    done(c);
                    return;
                }
            }
        }
        _ => {}
    }
    if conn(c).flags & CON_CLOSEDETECT != 0 {
        conn(c).flags &= !CON_CLOSEDETECT;
        reset(c);
        let e = conn(c);
        if e.requests.is_empty() && e.flags & CON_OUTGOING != 0 && e.flags & CON_AUTOFREE != 0 {
            free(c);
        }
        return;
    }
    if front.is_none() {
        // Nothing asked of this connection (a client between requests).
        reset(c);
        return;
    }
    if what & BEV_EVENT_TIMEOUT != 0 {
        fail(c, EVREQ_HTTP_TIMEOUT);
    } else if what & (BEV_EVENT_EOF | BEV_EVENT_ERROR) != 0 {
        let flags = conn(c).flags;
        if what & BEV_EVENT_WRITING != 0 && flags & EVHTTP_CON_READ_ON_WRITE_ERROR != 0 {
            read_on_write_error(c, front.unwrap_or(null_mut()));
            return;
        }
        if what & BEV_EVENT_READING != 0
            && flags & EVHTTP_CON_READ_ON_WRITE_ERROR != 0
            && len(input(bev)) > 0
        {
            schedule_read_more(c);
            return;
        }
        fail(c, EVREQ_HTTP_EOF);
    } else if what == BEV_EVENT_CONNECTED {
    } else {
        fail(c, EVREQ_HTTP_BUFFER_ERROR);
    }
}

/// The write failed: maybe the server answered before closing, so read
/// that answer (once).
fn read_on_write_error(c: *mut evhttp_connection, r: *mut evhttp_request) {
    if conn(c).flags & CON_READING_ERROR != 0 {
        conn(c).flags &= !CON_READING_ERROR;
        fail(c, EVREQ_HTTP_EOF);
        return;
    }
    req(r).kind = EVHTTP_RESPONSE;
    drain(output(conn(c).bufev), usize::MAX);
    start_read(c);
    conn(c).flags |= CON_READING_ERROR;
}

/// The request (written by the client) has drained: read the response.
unsafe extern "C" fn write_connectioncb(c: *mut evhttp_connection, _arg: *mut c_void) {
    if len(output(conn(c).bufev)) > 0 {
        return;
    }
    if let Some(&r) = conn(c).requests.front() {
        req(r).kind = EVHTTP_RESPONSE;
    }
    start_read(c);
}

/// Writes the first queued request of a connected client.
pub(crate) fn dispatch(c: *mut evhttp_connection) {
    let Some(&r) = conn(c).requests.front() else {
        return;
    };
    conn(c).flags &= !CON_CLOSEDETECT;
    disable(conn(c).bufev, EV_READ);
    conn(c).state = State::Writing;
    make_header(c, r);
    write_buffer(c, Some(write_connectioncb), null_mut());
}

/// Writes the head of a request (client) or reply (server), then the
/// output buffer (unless a request waits for 100-continue).
pub(crate) fn make_header(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let out = output(conn(c).bufev);
    let is_request = req(r).kind == EVHTTP_REQUEST;
    if is_request {
        head::request_headers(r);
    } else {
        head::response_headers(r, conn(c).server);
    }
    add_with(out, |t| {
        if is_request {
            head::put_request_line(t, r);
        } else {
            head::put_status_line(t, r);
        }
        put_headers(t, req(r).output_headers);
        t.put(b"\r\n");
    });
    let waits = {
        let q = req(r);
        q.kind == EVHTTP_REQUEST
            && (q.major > 1 || (q.major == 1 && q.minor >= 1))
            && find(q.output_headers, b"Expect")
                .is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue"))
    };
    if !waits && len(req(r).output_buffer) > 0 {
        append(out, req(r).output_buffer);
    }
}

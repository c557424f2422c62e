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

use std::collections::VecDeque;
use std::ffi::CString;
use std::os::raw::{c_int, c_short, c_void};
use std::ptr::null_mut;

use rel_extra::http::message::{self as msg, Framing, HeaderLine};

use super::glue::*;
use super::request::{self, req};
use super::server::{self, evhttp};
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    Disconnected,
    Connecting,
    Idle,
    ReadingFirstline,
    ReadingHeaders,
    ReadingBody,
    ReadingTrailer,
    Writing,
}

/// What runs when the output buffer has drained.
pub(crate) type ConnCb = Option<unsafe extern "C" fn(*mut evhttp_connection, *mut c_void)>;

/// A connection (opaque to C).
pub struct evhttp_connection {
    pub(crate) bufev: *mut bufferevent,
    pub(crate) base: *mut event_base,
    pub(crate) dns_base: *mut evdns_base,
    pub(crate) server: *mut evhttp,
    pub(crate) address: CString,
    pub(crate) port: u16,
    pub(crate) bind_address: Option<CString>,
    pub(crate) bind_port: u16,
    pub(crate) state: State,
    pub(crate) flags: c_int,
    pub(crate) max_headers_size: usize,
    pub(crate) max_body_size: u64,
    pub(crate) timeout: Option<libc::timeval>,
    pub(crate) retry_cnt: c_int,
    pub(crate) retry_max: c_int,
    pub(crate) initial_retry: libc::timeval,
    pub(crate) retry_ev: *mut event,
    pub(crate) read_more_ev: *mut event,
    pub(crate) closecb: ConnCb,
    pub(crate) closecb_arg: *mut c_void,
    pub(crate) requests: VecDeque<*mut evhttp_request>,
    pub(crate) cb: ConnCb,
    pub(crate) cb_arg: *mut c_void,
    pub(crate) ai_family: c_int,
    /// The peer's address (accepted, or connected to).
    pub(crate) peer: Option<(libc::sockaddr_storage, libc::socklen_t)>,
    /// What `evhttp_connection_get_addr` shows: the peer's address, all
    /// zero (family 0) before there is one, as in libevent.
    pub(crate) addr: libc::sockaddr_storage,
    /// The bufferevent does not close its socket when freed (no
    /// BEV_OPT_CLOSE_ON_FREE), so the connection closes it.
    pub(crate) close_fd: bool,
}

/// The connection behind a pointer this module handed out or was given
/// back by C (the boundary contract: a live connection).
pub(crate) fn conn<'a>(c: *mut evhttp_connection) -> &'a mut evhttp_connection {
    // SAFETY: the http modules only pass live connections (module docs).
    unsafe { &mut *c }
}

fn tv(sec: libc::time_t) -> libc::timeval {
    libc::timeval {
        tv_sec: sec,
        tv_usec: 0,
    }
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
        address,
        port,
        bind_address: None,
        bind_port: 0,
        state: State::Disconnected,
        flags: 0,
        max_headers_size: usize::MAX,
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
        request::free_auto(r);
    }
    let e = conn(c);
    if !e.server.is_null() {
        server::forget_connection(e.server, c);
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

fn read_firstline(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let buf = input(conn(c).bufev);
    let max = conn(c).max_headers_size;
    let Some(line) = readln(buf) else {
        if len(buf) > max {
            fail(c, EVREQ_HTTP_INVALID_HEADER);
        }
        return;
    };
    if line.len() > max {
        fail(c, EVREQ_HTTP_INVALID_HEADER);
        return;
    }
    req(r).headers_size = line.len();
    let ok = if req(r).kind == EVHTTP_REQUEST {
        request::take_request_line(r, &line)
    } else {
        request::take_status_line(r, &line)
    };
    if !ok {
        fail(c, EVREQ_HTTP_INVALID_HEADER);
        return;
    }
    conn(c).state = State::ReadingHeaders;
    read_header(c, r);
}

/// Header lines until the empty one; `Some(true)` when the head is
/// complete, `None` when it is bad or too long.
fn parse_headers(c: *mut evhttp_connection, r: *mut evhttp_request) -> Option<bool> {
    let buf = input(conn(c).bufev);
    let max = conn(c).max_headers_size;
    let headers = req(r).input_headers;
    while let Some(line) = readln(buf) {
        req(r).headers_size += line.len();
        if req(r).headers_size > max {
            return None;
        }
        match msg::parse_header_line(&line) {
            HeaderLine::End => return Some(true),
            HeaderLine::Fold(more) => {
                if !fold_into_last(headers, more) {
                    return None;
                }
            }
            HeaderLine::Field(k, v) => {
                if !add_header(headers, k, v) {
                    return None;
                }
            }
            HeaderLine::Bad => return None,
        }
    }
    if req(r).headers_size.saturating_add(len(buf)) > max {
        return None;
    }
    Some(false)
}

fn read_header(c: *mut evhttp_connection, r: *mut evhttp_request) {
    match parse_headers(c, r) {
        None => {
            fail(c, EVREQ_HTTP_INVALID_HEADER);
            return;
        }
        Some(false) => return,
        Some(true) => {}
    }
    if let Some(hcb) = req(r).header_cb {
        // SAFETY: the program's header callback and argument.
        if unsafe { hcb(r, req(r).cb_arg) } < 0 {
            fail(c, EVREQ_HTTP_EOF);
            return;
        }
    }
    if req(r).kind == EVHTTP_REQUEST {
        get_body(c, r);
        return;
    }
    if req(r).response_code == 100 {
        // The server wants the body now.
        let out = output(conn(c).bufev);
        append(out, req(r).output_buffer);
        start_write(c);
        return;
    }
    if !msg::response_has_body(req(r).response_code, req(r).type_ as u32) {
        done(c);
    } else {
        get_body(c, r);
    }
}

fn get_body(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let incoming_req = req(r).kind == EVHTTP_REQUEST;
    if incoming_req && !msg::method_may_have_body(req(r).type_ as u32) {
        done(c);
        return;
    }
    conn(c).state = State::ReadingBody;
    let h = req(r).input_headers;
    match msg::framing(
        find(h, b"Transfer-Encoding"),
        find(h, b"Content-Length"),
        find(h, b"Connection"),
    ) {
        Some(Framing::Chunked) => {
            req(r).bits |= REQ_CHUNKED;
            req(r).ntoread = -1;
        }
        Some(f) => {
            req(r).ntoread = match f {
                Framing::Length(n) => n.min(i64::MAX as u64) as i64,
                _ => -1,
            };
            if incoming_req && req(r).ntoread < 1 {
                done(c);
                return;
            }
        }
        None => {
            fail(c, EVREQ_HTTP_INVALID_HEADER);
            return;
        }
    }
    match expect(r) {
        Expect::Continue => {
            let n = req(r).ntoread;
            if n > 0 && conn(c).max_body_size <= i64::MAX as u64 && n as u64 > conn(c).max_body_size
            {
                lingering_fail(c, r);
                return;
            }
            if len(input(conn(c).bufev)) == 0 {
                send_continue(c, r);
            }
        }
        Expect::Other => {
            request::send_error(r, 417, None);
            return;
        }
        Expect::No => {}
    }
    read_body(c, r);
}

enum Expect {
    No,
    Continue,
    Other,
}

/// A 1.1 request's `Expect` header.
fn expect(r: *mut evhttp_request) -> Expect {
    let q = req(r);
    if q.kind != EVHTTP_REQUEST || q.major < 1 || (q.major == 1 && q.minor < 1) {
        return Expect::No;
    }
    match find(q.input_headers, b"Expect") {
        None => Expect::No,
        Some(v) if v.eq_ignore_ascii_case(b"100-continue") => Expect::Continue,
        Some(_) => Expect::Other,
    }
}

fn send_continue(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let bev = conn(c).bufev;
    enable(bev, EV_WRITE);
    let line = format!(
        "HTTP/{}.{} 100 Continue\r\n\r\n",
        req(r).major,
        req(r).minor
    );
    add(output(bev), line.as_bytes());
    conn(c).cb = Some(continue_done);
    conn(c).cb_arg = null_mut();
    setcb(bev, Some(read_cb), Some(write_cb), Some(error_cb), c.cast());
}

unsafe extern "C" fn continue_done(c: *mut evhttp_connection, _arg: *mut c_void) {
    disable(conn(c).bufev, EV_WRITE);
}

enum Chunked {
    AllRead,
    More,
    Corrupt,
    Canceled,
}

fn read_chunks(c: *mut evhttp_connection, r: *mut evhttp_request) -> Chunked {
    let buf = input(conn(c).bufev);
    loop {
        let have = len(buf);
        if have == 0 {
            return Chunked::More;
        }
        if req(r).ntoread < 0 {
            let Some(line) = readln(buf) else {
                return Chunked::More;
            };
            if line.is_empty() {
                continue;
            }
            let Some(n) = msg::parse_chunk_size(&line) else {
                return Chunked::Corrupt;
            };
            let body = req(r).body_size as u64;
            if n > (usize::MAX as u64).saturating_sub(body) || body + n > conn(c).max_body_size {
                return Chunked::Corrupt;
            }
            req(r).body_size += n as usize;
            req(r).ntoread = n.min(i64::MAX as u64) as i64;
            if n == 0 {
                return Chunked::AllRead;
            }
            continue;
        }
        let want = req(r).ntoread as u64;
        if (have as u64) < want {
            return Chunked::More;
        }
        move_n(buf, req(r).input_buffer, want as usize);
        req(r).ntoread = -1;
        if let Some(ccb) = req(r).chunk_cb {
            req(r).flags |= EVHTTP_REQ_DEFER_FREE;
            // SAFETY: the program's chunk callback and argument.
            unsafe { ccb(r, req(r).cb_arg) };
            drain(req(r).input_buffer, usize::MAX);
            req(r).flags &= !EVHTTP_REQ_DEFER_FREE;
            if req(r).flags & EVHTTP_REQ_NEEDS_FREE != 0 {
                return Chunked::Canceled;
            }
        }
    }
}

fn read_trailer(c: *mut evhttp_connection, r: *mut evhttp_request) {
    match parse_trailer(c, r) {
        None => fail(c, EVREQ_HTTP_DATA_TOO_LONG),
        Some(true) => {
            disable(conn(c).bufev, EV_READ);
            done(c);
        }
        Some(false) => {}
    }
}

/// Trailer lines go into the input headers, as header lines do.
fn parse_trailer(c: *mut evhttp_connection, r: *mut evhttp_request) -> Option<bool> {
    parse_headers(c, r)
}

fn lingering_fail(c: *mut evhttp_connection, r: *mut evhttp_request) {
    if conn(c).flags & EVHTTP_CON_LINGERING_CLOSE != 0 {
        // Read (and drop) the rest of the body before answering 413.
        let buf = input(conn(c).bufev);
        let n = len(buf).min(req(r).ntoread.max(0) as usize);
        req(r).ntoread -= n as i64;
        req(r).body_size += n;
        drain(buf, n);
        if req(r).ntoread == 0 {
            fail(c, EVREQ_HTTP_DATA_TOO_LONG);
        }
    } else {
        fail(c, EVREQ_HTTP_DATA_TOO_LONG);
    }
}

fn read_body(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let buf = input(conn(c).bufev);
    if req(r).bits & REQ_CHUNKED != 0 {
        match read_chunks(c, r) {
            Chunked::AllRead => {
                conn(c).state = State::ReadingTrailer;
                read_trailer(c, r);
                return;
            }
            Chunked::Corrupt => {
                fail(c, EVREQ_HTTP_DATA_TOO_LONG);
                return;
            }
            Chunked::Canceled => {
                request::free_auto(r);
                return;
            }
            Chunked::More => {}
        }
    } else if req(r).ntoread < 0 {
        // Read to the close.
        let n = len(buf);
        req(r).body_size = req(r).body_size.saturating_add(n);
        append(req(r).input_buffer, buf);
    } else if req(r).chunk_cb.is_some() || len(buf) as u64 >= req(r).ntoread as u64 {
        let n = len(buf).min(req(r).ntoread as usize);
        req(r).ntoread -= n as i64;
        req(r).body_size += n;
        move_n(buf, req(r).input_buffer, n);
    }
    let max = conn(c).max_body_size;
    let q = req(r);
    if q.body_size as u64 > max
        || (q.bits & REQ_CHUNKED == 0 && q.ntoread >= 0 && q.ntoread as u64 > max)
    {
        lingering_fail(c, r);
        return;
    }
    if len(req(r).input_buffer) > 0 {
        if let Some(ccb) = req(r).chunk_cb {
            req(r).flags |= EVHTTP_REQ_DEFER_FREE;
            // SAFETY: the program's chunk callback and argument.
            unsafe { ccb(r, req(r).cb_arg) };
            req(r).flags &= !EVHTTP_REQ_DEFER_FREE;
            drain(req(r).input_buffer, usize::MAX);
            if req(r).flags & EVHTTP_REQ_NEEDS_FREE != 0 {
                request::free_auto(r);
                return;
            }
        }
    }
    if req(r).ntoread == 0 {
        disable(conn(c).bufev, EV_READ);
        done(c);
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
        let need_close = request::wants_close(r);
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
        request::free_auto(r);
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
    request::free_auto(r);
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
    request::forget_uri(r);
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
    if req(r).kind == EVHTTP_REQUEST {
        request::request_head(r, out);
    } else {
        let server = conn(c).server;
        let content_type = server::default_content_type(server);
        request::response_head(r, out, content_type);
    }
    write_headers(req(r).output_headers, out);
    add(out, b"\r\n");
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

// ------------------------------------------------------------ server side

/// A server's new connection on accepted socket `fd`.
pub(crate) fn accept(
    http: *mut evhttp,
    fd: c_int,
    sa: *const libc::sockaddr,
    salen: libc::socklen_t,
) -> *mut evhttp_connection {
    let Some((host, port)) = name_of(sa, salen) else {
        return null_mut();
    };
    let s = server::get(http);
    let bev = match s.bevcb {
        // SAFETY: the program's bufferevent factory and argument.
        Some(f) => unsafe { f(s.base, s.bevcb_arg) },
        None => null_mut(),
    };
    let c = new(s.base, null_mut(), bev, host.as_bytes(), port);
    if c.is_null() {
        return c;
    }
    let e = conn(c);
    e.max_headers_size = s.max_headers_size;
    e.max_body_size = s.max_body_size;
    if s.flags & server::EVHTTP_SERVER_LINGERING_CLOSE != 0 {
        e.flags |= EVHTTP_CON_LINGERING_CLOSE;
    }
    e.flags |= CON_INCOMING;
    e.state = State::ReadingFirstline;
    if setfd(e.bufev, fd) != 0 || enable(e.bufev, EV_READ) != 0 {
        free(c);
        return null_mut();
    }
    disable(e.bufev, EV_WRITE);
    // SAFETY: a zeroed sockaddr_storage, then `salen` bytes of the peer
    // address the listener gave (no more than the storage holds).
    unsafe {
        let mut ss: libc::sockaddr_storage = std::mem::zeroed();
        let n = (salen as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        std::ptr::copy_nonoverlapping(
            sa.cast::<u8>(),
            (&mut ss as *mut libc::sockaddr_storage).cast::<u8>(),
            n,
        );
        e.peer = Some((ss, n as libc::socklen_t));
        e.addr = ss;
    }
    c
}

/// Numeric host and port of a socket address.
fn name_of(sa: *const libc::sockaddr, salen: libc::socklen_t) -> Option<(String, u16)> {
    let mut host = [0 as libc::c_char; 1025];
    let mut serv = [0 as libc::c_char; 32];
    // SAFETY: `sa` is the accepted peer's address of `salen` bytes; the
    // output buffers are locals of the sizes given.
    let r = unsafe {
        libc::getnameinfo(
            sa,
            salen,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            serv.as_mut_ptr(),
            serv.len() as libc::socklen_t,
            libc::NI_NUMERICHOST | libc::NI_NUMERICSERV,
        )
    };
    if r != 0 {
        return None;
    }
    // SAFETY: getnameinfo wrote NUL-terminated strings.
    let (h, p) = unsafe {
        (
            std::ffi::CStr::from_ptr(host.as_ptr())
                .to_string_lossy()
                .into_owned(),
            std::ffi::CStr::from_ptr(serv.as_ptr())
                .to_string_lossy()
                .into_owned(),
        )
    };
    Some((h, p.parse().unwrap_or(0)))
}

/// Starts reading the next request of a server connection.
pub(crate) fn associate_new_request(c: *mut evhttp_connection) -> bool {
    let http = conn(c).server;
    let r = request::new(Some(server::handle_request), http.cast());
    if r.is_null() {
        return false;
    }
    let q = req(r);
    q.remote_host = crate::layout::keyvalq_struct::c_bytes(conn(c).address.as_bytes());
    q.remote_port = conn(c).port;
    q.evcon = c;
    q.flags |= EVHTTP_REQ_OWN_CONNECTION;
    q.bits |= REQ_USERDONE;
    q.kind = EVHTTP_REQUEST;
    conn(c).requests.push_back(r);
    start_read(c);
    true
}

/// The reply has been written: free the request, then close or read the
/// next one.
pub(crate) unsafe extern "C" fn send_done(c: *mut evhttp_connection, _arg: *mut c_void) {
    let Some(r) = conn(c).requests.pop_front() else {
        return;
    };
    if let Some(cb) = req(r).on_complete_cb {
        // SAFETY: the program's completion callback and argument.
        unsafe { cb(r, req(r).on_complete_cb_arg) };
    }
    let q = req(r);
    let before_11 = q.major < 1 || (q.major == 1 && q.minor < 1);
    let need_close = (before_11 && !msg::wants_keepalive(find(q.input_headers, b"Connection")))
        || request::wants_close(r);
    request::free(r);
    if need_close || !associate_new_request(c) {
        free(c);
    }
}

// ------------------------------------------------------------ client side

/// Connects (or reconnects) an outgoing connection.
pub(crate) fn connect(c: *mut evhttp_connection) -> c_int {
    if conn(c).state == State::Connecting {
        return 0;
    }
    let old_state = conn(c).state;
    let reuse = conn(c)
        .peer
        .filter(|_| conn(c).flags & EVHTTP_CON_REUSE_CONNECTED_ADDR != 0);
    reset(c);
    conn(c).flags |= CON_OUTGOING;
    let bev = conn(c).bufev;
    if conn(c).bind_address.is_some() || conn(c).bind_port != 0 {
        let e = conn(c);
        let fd = server::bind_socket(e.bind_address.as_deref(), e.bind_port, false);
        if fd == -1 || setfd(bev, fd) != 0 {
            return -1;
        }
    } else if setfd(bev, -1) != 0 {
        return -1;
    }
    setcb(bev, None, None, Some(connect_cb), c.cast());
    let t = conn(c).timeout.unwrap_or(tv(CONNECT_TIMEOUT));
    set_timeouts(bev, &t, &t);
    // With no socket yet, connecting enables writing itself (librel's
    // bufferevents refuse to watch fd -1, which libevent ignores).
    if getfd(bev) != -1 && enable(bev, EV_WRITE) != 0 {
        return -1;
    }
    conn(c).state = State::Connecting;
    let e = conn(c);
    let ret = match reuse {
        Some((ss, len)) if matches!(ss.ss_family as c_int, libc::AF_INET | libc::AF_INET6) => {
            // SAFETY: a live bufferevent; the address is a local copy.
            unsafe {
                crate::bufferevent_api::bufferevent_socket_connect(
                    bev,
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len as c_int,
                )
            }
        }
        // SAFETY: a live bufferevent; the host is a C string we own.
        _ => unsafe {
            crate::bufferevent_api::bufferevent_socket_connect_hostname(
                bev,
                e.dns_base,
                e.ai_family,
                e.address.as_ptr(),
                c_int::from(e.port),
            )
        },
    };
    if ret < 0 {
        conn(c).state = old_state;
        cleanup_after_connect_failure(c);
    }
    0
}

unsafe extern "C" fn connect_cb(bev: *mut bufferevent, what: c_short, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    if what & BEV_EVENT_CONNECTED == 0 {
        if std::io::Error::last_os_error().raw_os_error() == Some(libc::ECONNREFUSED) {
            cleanup_after_connect_failure(c);
            return;
        }
        // SAFETY: our own event callback, same arguments.
        unsafe { error_cb(bev, what, arg) };
        return;
    }
    let fd = getfd(bev);
    if fd == -1 || socket_error(fd) != 0 {
        cleanup_after_connect_failure(c);
        return;
    }
    let e = conn(c);
    e.peer = peer_of(fd);
    if let Some((ss, _)) = e.peer {
        e.addr = ss;
    }
    e.retry_cnt = 0;
    e.state = State::Idle;
    setcb(bev, Some(read_cb), Some(write_cb), Some(error_cb), c.cast());
    match e.timeout {
        Some(t) => set_timeouts(bev, &t, &t),
        None => set_timeouts(bev, &tv(RW_TIMEOUT), &tv(RW_TIMEOUT)),
    }
    dispatch(c);
}

fn socket_error(fd: c_int) -> c_int {
    let mut err: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into locals of the sizes given.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut c_int).cast(),
            &mut len,
        )
    };
    if r == -1 {
        -1
    } else {
        err
    }
}

fn peer_of(fd: c_int) -> Option<(libc::sockaddr_storage, libc::socklen_t)> {
    // SAFETY: getpeername into a zeroed local of the size given.
    unsafe {
        let mut ss: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        (libc::getpeername(
            fd,
            (&mut ss as *mut libc::sockaddr_storage).cast(),
            &mut len,
        ) == 0)
            .then_some((ss, len))
    }
}

/// Connecting failed: retry later (the wait doubling each time), or give
/// up and run every queued request's callback.
pub(crate) fn cleanup_after_connect_failure(c: *mut evhttp_connection) {
    reset(c);
    let e = conn(c);
    if e.retry_max < 0 || e.retry_cnt < e.retry_max {
        let mut wait = e.initial_retry;
        for _ in 0..e.retry_cnt {
            wait.tv_usec *= 2;
            if wait.tv_usec > 1_000_000 {
                wait.tv_usec -= 1_000_000;
                wait.tv_sec += 1;
            }
            wait.tv_sec *= 2;
            if wait.tv_sec > 3600 {
                wait.tv_sec = 3600;
                wait.tv_usec = 0;
            }
        }
        if e.retry_ev.is_null() {
            // SAFETY: the connection's base; the event is freed with it.
            e.retry_ev =
                unsafe { crate::event_api::event_new(e.base, -1, 0, Some(retry), c.cast()) };
        }
        if !e.retry_ev.is_null() {
            // SAFETY: a live event of this connection; `wait` is a local.
            unsafe { crate::event_api::event_add(e.retry_ev, &wait) };
        }
        e.retry_cnt += 1;
        return;
    }
    // The callbacks may queue new requests on this connection: run only
    // those queued now.
    let queued: Vec<_> = conn(c).requests.drain(..).collect();
    for r in queued {
        req(r).evcon = null_mut();
        if let Some(cb) = req(r).cb {
            // SAFETY: the request's callback and argument.
            unsafe { cb(r, req(r).cb_arg) };
        }
        request::free_auto(r);
    }
}

unsafe extern "C" fn retry(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    conn(c).state = State::Disconnected;
    connect(c);
}

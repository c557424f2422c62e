//! Servers (`struct evhttp`, laid out in `structs`): bound sockets, the
//! callbacks by path, virtual hosts and aliases, the limits new
//! connections get, and the handler that routes each request (or
//! answers 404, 501, 400, 413).

use std::borrow::Cow;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::null_mut;

use rel_extra::http::escape::{self, Plus};
use rel_extra::http::message::method;

use super::connection::{self, conn, set_timeout};
use super::glue::{disable, EV_READ};
use super::request::evhttp_request_get_host;
use super::request_state::req;
use super::socket::bind_socket;
use super::structs::{evhttp, evhttp_bound_socket, server, PathCb, EVHTTP_SERVER_LINGERING_CLOSE};
use super::vhost::find_vhost;
use crate::boundary::{arg, entry, Refusal};
use crate::layout::bufferevent_struct::bufferevent;
use crate::layout::http_struct::*;
use crate::listener_api::{self as lst, evconnlistener};
use crate::objects::event_base;
use crate::util::evutil_socket_t;

const TEXT_HTML: &CStr = c"text/html; charset=ISO-8859-1";

pub(crate) fn new_object(base: *mut event_base) -> *mut evhttp {
    Box::into_raw(Box::new(evhttp {
        base,
        sockets: Vec::new(),
        connections: Vec::new(),
        callbacks: Vec::new(),
        vhosts: Vec::new(),
        vhost_pattern: None,
        aliases: Vec::new(),
        timeout: None,
        max_headers_size: rel_extra::http::message::DEFAULT_MAX_HEADERS_SIZE,
        max_body_size: u64::MAX,
        default_content_type: TEXT_HTML.as_ptr(),
        allowed_methods: (method::GET | method::POST | method::HEAD | method::PUT | method::DELETE)
            as u16,
        flags: 0,
        gencb: None,
        gencb_arg: null_mut(),
        bevcb: None,
        bevcb_arg: null_mut(),
        date: Default::default(),
    }))
}

/// The server's handler for every request read (and failed) on its
/// connections.
unsafe extern "C" fn handle_request(r: *mut evhttp_request, arg: *mut c_void) {
    let mut h: *mut evhttp = arg.cast();
    let q = req(r);
    q.bits &= !REQ_USERDONE;
    disable(conn(q.evcon).bufev, EV_READ);
    if q.type_ == 0 || q.uri.is_null() {
        let code = q.response_code;
        connection::send_error(r, code, None);
        return;
    }
    if u32::from(server(h).allowed_methods) & q.type_ as u32 == 0 {
        connection::send_error(r, 501, None);
        return;
    }
    // Only virtual hosts and aliases care about the host.
    if !server(h).vhosts.is_empty() || !server(h).aliases.is_empty() {
        // SAFETY: a live request (we are its handler).
        let host = unsafe { evhttp_request_get_host(r) };
        if !host.is_null() {
            // SAFETY: a NUL-terminated string the request owns.
            let host = unsafe { CStr::from_ptr(host) }.to_bytes();
            if let Some(v) = find_vhost(h, host) {
                h = v;
            }
        }
    }
    // SAFETY: NULL or the request's own URI (parsed with it).
    let uri = unsafe { req(r).uri_elems.as_ref() };
    let path = uri.and_then(|u| u.path()).unwrap_or_default();
    // Only `%` escapes change a path (`+` stays).
    let decoded = if path.contains(&b'%') {
        Cow::Owned(escape::decode(path, Plus::Keep))
    } else {
        Cow::Borrowed(path)
    };
    let decoded = &decoded[..decoded
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(decoded.len())];
    if let Some(pc) = server(h)
        .callbacks
        .iter()
        .find(|pc| pc.path.as_bytes() == decoded)
    {
        if let Some(cb) = pc.cb {
            // SAFETY: the program's callback for this path, and its arg.
            unsafe { cb(r, pc.arg) };
            return;
        }
    }
    if let Some(cb) = server(h).gencb {
        // SAFETY: the program's general callback and its arg.
        unsafe { cb(r, server(h).gencb_arg) };
        return;
    }
    connection::send_not_found(r);
}

unsafe extern "C" fn accept_cb(
    _l: *mut evconnlistener,
    fd: evutil_socket_t,
    sa: *mut libc::sockaddr,
    salen: c_int,
    arg: *mut c_void,
) {
    let h: *mut evhttp = arg.cast();
    let c = connection::accept(h, fd, sa, salen as libc::socklen_t);
    if c.is_null() {
        // SAFETY: the accepted socket, which nobody else holds.
        unsafe { libc::close(fd) };
        return;
    }
    if let Some(t) = server(h).timeout {
        set_timeout(c, Some(t));
    }
    conn(c).server = h;
    conn(c).handler = Some(handle_request);
    server(h).connections.push(c);
    if !connection::associate_new_request(c) {
        connection::free(c);
    }
}

fn bind_listener(h: *mut evhttp, l: *mut evconnlistener) -> *mut evhttp_bound_socket {
    let b = Box::into_raw(Box::new(evhttp_bound_socket { listener: l }));
    server(h).sockets.push(b);
    // SAFETY: a live listener; our accept callback takes the server.
    unsafe { lst::evconnlistener_set_cb(l, Some(accept_cb), h.cast()) };
    b
}

fn accept_socket(h: *mut evhttp, fd: evutil_socket_t) -> *mut evhttp_bound_socket {
    let flags = lst::LEV_OPT_REUSEABLE | lst::LEV_OPT_CLOSE_ON_EXEC | lst::LEV_OPT_CLOSE_ON_FREE;
    // SAFETY: the server's base; a listening socket (backlog 0: already
    // listening).
    let l = unsafe { lst::evconnlistener_new(server(h).base, None, null_mut(), flags, 0, fd) };
    if l.is_null() {
        return null_mut();
    }
    bind_listener(h, l)
}

pub(crate) fn bind(h: *mut evhttp, address: Option<&CStr>, port: u16) -> *mut evhttp_bound_socket {
    let fd = bind_socket(address, port, true);
    if fd == -1 {
        return null_mut();
    }
    // SAFETY: a socket we just bound.
    if unsafe { libc::listen(fd, 128) } == -1 {
        // SAFETY: as above, closed once.
        unsafe { libc::close(fd) };
        return null_mut();
    }
    accept_socket(h, fd)
}

fn free_server(h: *mut evhttp) {
    for b in std::mem::take(&mut server(h).sockets) {
        free_bound(b);
    }
    while let Some(&c) = server(h).connections.first() {
        connection::free(c);
    }
    for v in std::mem::take(&mut server(h).vhosts) {
        free_server(v);
    }
    // SAFETY: made by Box::into_raw in `new_object`, freed once.
    drop(unsafe { Box::from_raw(h) });
}

fn free_bound(b: *mut evhttp_bound_socket) {
    // SAFETY: a bound socket of ours: its listener is live, and the box
    // was made by Box::into_raw, freed once.
    unsafe {
        lst::evconnlistener_free((*b).listener);
        drop(Box::from_raw(b));
    }
}

fn bound<'a>(b: *mut evhttp_bound_socket) -> Result<&'a evhttp_bound_socket, Refusal> {
    // SAFETY: NULL or a bound socket librel returned (the contract).
    unsafe { b.as_ref() }.ok_or(Refusal::Missing("bound socket"))
}

fn c_str<'a>(s: *const c_char, what: &'static str) -> Result<&'a CStr, Refusal> {
    if s.is_null() {
        return Err(Refusal::Missing(what));
    }
    // SAFETY: a NUL-terminated string (the boundary contract).
    Ok(unsafe { CStr::from_ptr(s) })
}

// ---------------------------------------------------------------- C API

#[no_mangle]
pub unsafe extern "C" fn evhttp_new(base: *mut event_base) -> *mut evhttp {
    entry("evhttp_new", || Ok(new_object(base)))
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_free(http: *mut evhttp) {
    entry("evhttp_free", || {
        let h: *mut evhttp = arg!(http)?;
        free_server(h);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_socket(
    http: *mut evhttp,
    address: *const c_char,
    port: u16,
) -> c_int {
    entry("evhttp_bind_socket", || {
        let h: *mut evhttp = arg!(http)?;
        let addr: Option<&CStr> = arg!(address).ok();
        Ok(if bind(h, addr, port).is_null() { -1 } else { 0 })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_socket_with_handle(
    http: *mut evhttp,
    address: *const c_char,
    port: u16,
) -> *mut evhttp_bound_socket {
    entry("evhttp_bind_socket_with_handle", || {
        let h: *mut evhttp = arg!(http)?;
        let addr: Option<&CStr> = arg!(address).ok();
        Ok(bind(h, addr, port))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_accept_socket(http: *mut evhttp, fd: evutil_socket_t) -> c_int {
    entry("evhttp_accept_socket", || {
        let h: *mut evhttp = arg!(http)?;
        Ok(if accept_socket(h, fd).is_null() {
            -1
        } else {
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_accept_socket_with_handle(
    http: *mut evhttp,
    fd: evutil_socket_t,
) -> *mut evhttp_bound_socket {
    entry("evhttp_accept_socket_with_handle", || {
        let h: *mut evhttp = arg!(http)?;
        Ok(accept_socket(h, fd))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bind_listener(
    http: *mut evhttp,
    listener: *mut evconnlistener,
) -> *mut evhttp_bound_socket {
    entry("evhttp_bind_listener", || {
        let h: *mut evhttp = arg!(http)?;
        if listener.is_null() {
            return Err(Refusal::Missing("listener"));
        }
        Ok(bind_listener(h, listener))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_socket_get_fd(
    bound: *mut evhttp_bound_socket,
) -> evutil_socket_t {
    entry("evhttp_bound_socket_get_fd", || {
        let b = self::bound(bound)?;
        // SAFETY: the bound socket's live listener.
        Ok(unsafe { lst::evconnlistener_get_fd(b.listener) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_bound_socket_get_listener(
    bound: *mut evhttp_bound_socket,
) -> *mut evconnlistener {
    entry("evhttp_bound_socket_get_listener", || {
        Ok(self::bound(bound)?.listener)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_del_accept_socket(
    http: *mut evhttp,
    bound: *mut evhttp_bound_socket,
) {
    entry("evhttp_del_accept_socket", || {
        let h: *mut evhttp = arg!(http)?;
        self::bound(bound)?;
        let socks = &mut server(h).sockets;
        let Some(i) = socks.iter().position(|&b| b == bound) else {
            return Err(Refusal::Misuse("not a bound socket of this evhttp"));
        };
        socks.remove(i);
        free_bound(bound);
        Ok(())
    })
}

/// `function(bound, argument)` for each bound socket, in binding order.
#[no_mangle]
pub unsafe extern "C" fn evhttp_foreach_bound_socket(
    http: *mut evhttp,
    function: Option<unsafe extern "C" fn(*mut evhttp_bound_socket, *mut c_void)>,
    argument: *mut c_void,
) {
    entry("evhttp_foreach_bound_socket", || {
        let h: *mut evhttp = arg!(http)?;
        let f = crate::boundary::given(function, "function")?;
        for b in server(h).sockets.clone() {
            // SAFETY: the program's function and argument.
            unsafe { f(b, argument) };
        }
        Ok(())
    })
}

/// 0, or -1 when `uri` already has a callback.
#[no_mangle]
pub unsafe extern "C" fn evhttp_set_cb(
    http: *mut evhttp,
    uri: *const c_char,
    cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
    cbarg: *mut c_void,
) -> c_int {
    entry("evhttp_set_cb", || {
        let h: *mut evhttp = arg!(http)?;
        let path = c_str(uri, "uri")?;
        if server(h)
            .callbacks
            .iter()
            .any(|pc| pc.path.as_c_str() == path)
        {
            return Ok(-1);
        }
        server(h).callbacks.push(PathCb {
            path: path.to_owned(),
            cb,
            arg: cbarg,
        });
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_del_cb(http: *mut evhttp, uri: *const c_char) -> c_int {
    entry("evhttp_del_cb", || {
        let h: *mut evhttp = arg!(http)?;
        let path = c_str(uri, "uri")?;
        let cbs = &mut server(h).callbacks;
        match cbs.iter().position(|pc| pc.path.as_c_str() == path) {
            Some(i) => {
                cbs.remove(i);
                Ok(0)
            }
            None => Ok(-1),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_gencb(
    http: *mut evhttp,
    cb: Option<unsafe extern "C" fn(*mut evhttp_request, *mut c_void)>,
    arg: *mut c_void,
) {
    entry("evhttp_set_gencb", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).gencb = cb;
        server(h).gencb_arg = arg;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_bevcb(
    http: *mut evhttp,
    cb: Option<unsafe extern "C" fn(*mut event_base, *mut c_void) -> *mut bufferevent>,
    arg: *mut c_void,
) {
    entry("evhttp_set_bevcb", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).bevcb = cb;
        server(h).bevcb_arg = arg;
        Ok(())
    })
}

/// 0, or -1 when `vhost` already is a virtual host, listens itself, or
/// is `http`.
#[no_mangle]
pub unsafe extern "C" fn evhttp_add_virtual_host(
    http: *mut evhttp,
    pattern: *const c_char,
    vhost: *mut evhttp,
) -> c_int {
    entry("evhttp_add_virtual_host", || {
        let h: *mut evhttp = arg!(http)?;
        let v: *mut evhttp = arg!(vhost)?;
        let p = c_str(pattern, "pattern")?;
        // A server as its own virtual host would make host lookups loop.
        if v == h || server(v).vhost_pattern.is_some() || !server(v).sockets.is_empty() {
            return Ok(-1);
        }
        server(v).vhost_pattern = Some(p.to_owned());
        server(h).vhosts.push(v);
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_virtual_host(
    http: *mut evhttp,
    vhost: *mut evhttp,
) -> c_int {
    entry("evhttp_remove_virtual_host", || {
        let h: *mut evhttp = arg!(http)?;
        let v: *mut evhttp = arg!(vhost)?;
        if server(v).vhost_pattern.is_none() {
            return Ok(-1);
        }
        server(h).vhosts.retain(|&x| x != v);
        server(v).vhost_pattern = None;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_add_server_alias(http: *mut evhttp, alias: *const c_char) -> c_int {
    entry("evhttp_add_server_alias", || {
        let h: *mut evhttp = arg!(http)?;
        let a = c_str(alias, "alias")?;
        server(h).aliases.push(a.to_owned());
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_server_alias(
    http: *mut evhttp,
    alias: *const c_char,
) -> c_int {
    entry("evhttp_remove_server_alias", || {
        let h: *mut evhttp = arg!(http)?;
        let a = c_str(alias, "alias")?.to_bytes();
        let list = &mut server(h).aliases;
        match list
            .iter()
            .position(|x| x.as_bytes().eq_ignore_ascii_case(a))
        {
            Some(i) => {
                list.remove(i);
                Ok(0)
            }
            None => Ok(-1),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_timeout(http: *mut evhttp, timeout_in_secs: c_int) {
    entry("evhttp_set_timeout", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).timeout = (timeout_in_secs != -1).then_some(libc::timeval {
            tv_sec: timeout_in_secs.into(),
            tv_usec: 0,
        });
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_timeout_tv(http: *mut evhttp, tv: *const libc::timeval) {
    entry("evhttp_set_timeout_tv", || {
        let h: *mut evhttp = arg!(http)?;
        // SAFETY: NULL or a readable timeval (the contract).
        server(h).timeout = unsafe { tv.as_ref() }.copied();
        Ok(())
    })
}

/// 0, or 1 for flags other than EVHTTP_SERVER_LINGERING_CLOSE.
#[no_mangle]
pub unsafe extern "C" fn evhttp_set_flags(http: *mut evhttp, flags: c_int) -> c_int {
    entry("evhttp_set_flags", || {
        let h: *mut evhttp = arg!(http)?;
        if flags & !EVHTTP_SERVER_LINGERING_CLOSE != 0 {
            return Ok(1);
        }
        server(h).flags = flags;
        Ok(0)
    })
}

/// A negative size means no limit.
#[no_mangle]
pub unsafe extern "C" fn evhttp_set_max_headers_size(http: *mut evhttp, max_headers_size: isize) {
    entry("evhttp_set_max_headers_size", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).max_headers_size = usize::try_from(max_headers_size).unwrap_or(usize::MAX);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_max_body_size(http: *mut evhttp, max_body_size: isize) {
    entry("evhttp_set_max_body_size", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).max_body_size = u64::try_from(max_body_size).unwrap_or(u64::MAX);
        Ok(())
    })
}

/// Keeps the pointer: the string must outlive the server (as in
/// libevent); NULL adds no Content-Type.
#[no_mangle]
pub unsafe extern "C" fn evhttp_set_default_content_type(
    http: *mut evhttp,
    content_type: *const c_char,
) {
    entry("evhttp_set_default_content_type", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).default_content_type = content_type;
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_set_allowed_methods(http: *mut evhttp, methods: u16) {
    entry("evhttp_set_allowed_methods", || {
        let h: *mut evhttp = arg!(http)?;
        server(h).allowed_methods = methods;
        Ok(())
    })
}

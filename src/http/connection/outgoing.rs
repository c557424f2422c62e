//! A client's connections: connecting on demand (to a name, or again to
//! the address connected to), and retrying with a doubling wait.

use std::os::raw::{c_int, c_short, c_void};
use std::ptr::null_mut;

use super::*;
use crate::http::socket::bind_socket;

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
        let fd = bind_socket(e.bind_address.as_deref(), e.bind_port, false);
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
        request_state::free_auto(r);
    }
}

unsafe extern "C" fn retry(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let c: *mut evhttp_connection = arg.cast();
    conn(c).state = State::Disconnected;
    connect(c);
}

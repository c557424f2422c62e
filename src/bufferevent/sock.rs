//! Socket bufferevents (libevent's bufferevent_sock.c): reads into the
//! input buffer and writes out of the output buffer when the descriptor is
//! ready, and connects, to an address or to a host name.

use std::ffi::CStr;
use std::os::raw::{c_int, c_short, c_void};
use std::sync::atomic::Ordering::{AcqRel, Acquire, SeqCst};

use crate::boundary::Refusal;
use crate::buffer_api::{evbuffer, evbuffer_cb_info};
use crate::event_api::{
    event_assign, event_get_fd, EV_FINALIZE, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE,
};
use crate::layout::bufferevent_ops;
use crate::objects::event_base;

use super::{
    errno, pending_io_or_timer, suspend, with_live, BevRef, Kind, BEV_EVENT_CONNECTED,
    BEV_EVENT_EOF, BEV_EVENT_ERROR, BEV_EVENT_READING, BEV_EVENT_TIMEOUT, BEV_EVENT_WRITING,
    BEV_OPT_CLOSE_ON_FREE, BEV_OPT_DEFER_CALLBACKS,
};

#[no_mangle]
pub static bufferevent_ops_socket: bufferevent_ops = bufferevent_ops { name: "socket" };

pub(crate) fn new(base: *mut event_base, fd: c_int, options: c_int) -> Result<BevRef, Refusal> {
    let b = BevRef::create(base, options, &bufferevent_ops_socket, Kind::Socket)?;
    assign(b, fd);
    b.output().add_cb(outbuf_cb, b.as_ptr().cast());
    b.input().freeze(false);
    b.output().freeze(true);
    Ok(b)
}

fn assign(b: BevRef, fd: c_int) {
    let arg: *mut c_void = b.as_ptr().cast();
    let flags = EV_PERSIST | EV_FINALIZE;
    // SAFETY: events inside a live bufferevent, callbacks of the C type.
    unsafe {
        event_assign(
            b.ev_read(),
            b.base(),
            fd,
            EV_READ | flags,
            Some(ready_to_read),
            arg,
        );
        event_assign(
            b.ev_write(),
            b.base(),
            fd,
            EV_WRITE | flags,
            Some(ready_to_write),
            arg,
        );
    }
}

pub(crate) fn fd(b: BevRef) -> c_int {
    // SAFETY: an event of a live bufferevent.
    unsafe { event_get_fd(b.ev_read()) }
}

/// `deferred_io` bits: the read event is to be deleted, the write event
/// added, when the read callback returns.
const DEFER_READ_DEL: u8 = 1;
const DEFER_WRITE_ADD: u8 = 2;

/// Identifies the calling thread: the address of a thread-local.
fn thread_token() -> usize {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|t| t as *const u8 as usize)
}

/// Whether the caller is this bufferevent's own read callback. Its event
/// changes wait until it returns: a callback that disables reading and
/// enables it again (evhttp does, per request), or enables writing and
/// has its output written on return, then costs no `epoll_ctl` at all.
fn in_own_read_callback(b: BevRef) -> bool {
    b.bev().reading_thread.load(Acquire) == thread_token()
}

pub(crate) fn enable(b: BevRef, what: c_short) -> c_int {
    let deferring = in_own_read_callback(b);
    if what & EV_READ != 0 {
        if deferring {
            b.bev().deferred_io.fetch_and(!DEFER_READ_DEL, AcqRel);
        }
        // Still pending after a deferred disable: this only restarts the
        // read timeout, as re-adding does.
        if BevRef::add_event(b.ev_read(), b.timeout_read()) < 0 {
            return -1;
        }
    }
    if what & EV_WRITE != 0 {
        if deferring {
            b.bev().deferred_io.fetch_or(DEFER_WRITE_ADD, AcqRel);
        } else if BevRef::add_event(b.ev_write(), b.timeout_write()) < 0 {
            return -1;
        }
    }
    0
}

pub(crate) fn disable(b: BevRef, what: c_short) -> c_int {
    let deferring = in_own_read_callback(b);
    if what & EV_READ != 0 {
        if deferring {
            b.bev().deferred_io.fetch_or(DEFER_READ_DEL, AcqRel);
        } else if BevRef::del_event(b.ev_read()) < 0 {
            return -1;
        }
    }
    // A connect in progress keeps watching for writability.
    if what & EV_WRITE != 0 && !b.bev().connecting.load(Acquire) {
        if deferring {
            b.bev().deferred_io.fetch_and(!DEFER_WRITE_ADD, AcqRel);
        }
        if BevRef::del_event(b.ev_write()) < 0 {
            return -1;
        }
    }
    0
}

pub(crate) fn destruct(b: BevRef) {
    let fd = fd(b);
    if b.is(BEV_OPT_CLOSE_ON_FREE) && fd >= 0 {
        // SAFETY: the program gave this descriptor to the bufferevent to close.
        unsafe { libc::close(fd) };
    }
}

/// `bufferevent_setfd`: the events move to `fd`, reading and writing
/// resume as enabled.
pub(crate) fn set_fd(b: BevRef, fd: c_int) {
    b.locked(|| {
        BevRef::del_event(b.ev_read());
        BevRef::del_event(b.ev_write());
        b.input().unfreeze(false);
        b.output().unfreeze(true);
        assign(b, fd);
        if fd >= 0 {
            b.enable(b.enabled());
        }
    });
}

fn retriable(e: c_int) -> bool {
    e == libc::EAGAIN || e == libc::EWOULDBLOCK || e == libc::EINTR
}

/// How much one read may take now (`None`: stop at the high watermark).
fn read_budget(b: BevRef) -> Option<usize> {
    let max = b.max_to_read();
    rel_core::bufferevent::read_budget(max, b.wm_read().high, b.input().len())
}

unsafe extern "C" fn ready_to_read(fd: c_int, what: c_short, arg: *mut c_void) {
    with_live(arg, |b| {
        let mut event = BEV_EVENT_READING;
        if what == EV_TIMEOUT {
            event |= BEV_EVENT_TIMEOUT;
        } else {
            let Some(budget) = read_budget(b) else {
                b.suspend_read(suspend::WM);
                return;
            };
            if b.read_suspended() {
                return;
            }
            let input = b.input();
            input.unfreeze(false);
            let res = input.read(fd, budget);
            let err = errno();
            input.freeze(false);
            if res > 0 {
                super::ratelimit::spend(b, false, res as usize);
                // What the read callback writes is sent right after it
                // returns (see `write_through`), not after another trip
                // through the kernel's readiness lists.
                b.bev().reading_thread.store(thread_token(), SeqCst);
                b.trigger(EV_READ, 0);
                b.bev().reading_thread.store(0, SeqCst);
                let deferred = b.bev().deferred_io.swap(0, AcqRel);
                if deferred & DEFER_READ_DEL != 0 && !b.freed() {
                    BevRef::del_event(b.ev_read());
                }
                write_through(b, fd, deferred & DEFER_WRITE_ADD != 0);
                if b.wm_read().high != 0 && read_budget(b).is_none() {
                    b.suspend_read(suspend::WM);
                }
                return;
            }
            if res < 0 {
                if retriable(err) {
                    return;
                }
                if err == libc::ECONNREFUSED {
                    b.bev()
                        .connection_refused
                        .store(true, std::sync::atomic::Ordering::Release);
                    return;
                }
                event |= BEV_EVENT_ERROR;
            } else {
                event |= BEV_EVENT_EOF;
            }
            super::set_errno(err);
        }
        b.disable(EV_READ);
        b.run_eventcb(event, 0);
    });
}

/// Whether a connect in progress finished: `Some(true)` connected,
/// `Some(false)` failed (errno set), `None` still going.
fn connect_finished(fd: c_int) -> Option<bool> {
    let mut e: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: an int-sized out-parameter for SO_ERROR.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&raw mut e).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Some(false);
    }
    if e == libc::EINPROGRESS || e == libc::EINTR {
        return None;
    }
    if e != 0 {
        super::set_errno(e);
        return Some(false);
    }
    Some(true)
}

unsafe extern "C" fn ready_to_write(fd: c_int, what: c_short, arg: *mut c_void) {
    use std::sync::atomic::Ordering::*;
    with_live(arg, |b| {
        let mut event = BEV_EVENT_WRITING;
        let mut connected = false;
        if what == EV_TIMEOUT {
            event |= BEV_EVENT_TIMEOUT;
            b.disable(EV_WRITE);
            b.run_eventcb(event, 0);
            return;
        }
        if b.bev().connecting.load(Acquire) {
            let mut outcome = connect_finished(fd);
            if b.bev().connection_refused.swap(false, AcqRel) {
                super::set_errno(libc::ECONNREFUSED);
                outcome = Some(false);
            }
            match outcome {
                None => return,
                Some(false) => {
                    b.bev().connecting.store(false, Release);
                    BevRef::del_event(b.ev_write());
                    BevRef::del_event(b.ev_read());
                    b.run_eventcb(BEV_EVENT_ERROR, 0);
                    return;
                }
                Some(true) => {
                    b.bev().connecting.store(false, Release);
                    connected = true;
                    b.run_eventcb(BEV_EVENT_CONNECTED, 0);
                    if b.enabled() & EV_WRITE == 0 || b.write_suspended() {
                        BevRef::del_event(b.ev_write());
                        return;
                    }
                }
            }
        }
        if b.write_suspended() {
            return;
        }
        let output = b.output();
        let mut res = 0;
        if output.len() > 0 {
            let err;
            (res, err) = write_out(b, fd);
            if res < 0 && retriable(err) {
                stop_writing_if_empty(b);
                return;
            }
            if res <= 0 {
                event |= if res < 0 {
                    BEV_EVENT_ERROR
                } else {
                    BEV_EVENT_EOF
                };
                super::set_errno(err);
                b.disable(EV_WRITE);
                b.run_eventcb(event, 0);
                return;
            }
        }
        stop_writing_if_empty(b);
        if res > 0 || !connected {
            b.trigger(EV_WRITE, 0);
        }
    });
}

/// After the read callback: a socket that just had data to read almost
/// always has room to write, so what the callback queued is written now.
/// libevent would add the write event, go back to the kernel and write on
/// the next pass: two `epoll_ctl` calls and a wait more per exchange. Only
/// what could not be written waits for the write event, as usual.
///
/// `enabled_now`: the callback enabled writing (its event not added yet).
/// With nothing to write the write event is added then, as enabling does:
/// it reports writability to the write callback, as in libevent.
fn write_through(b: BevRef, fd: c_int, enabled_now: bool) {
    let output = b.output();
    if b.freed()
        || b.enabled() & EV_WRITE == 0
        || b.write_suspended()
        || b.bev().connecting.load(Acquire)
    {
        return;
    }
    if output.len() == 0 {
        if enabled_now {
            BevRef::add_event(b.ev_write(), b.timeout_write());
        }
        return;
    }
    // A failed write leaves the output as it was: the write event then
    // meets the error again and reports it as libevent would.
    write_out(b, fd);
    if output.len() > 0 {
        if !pending_io_or_timer(b.ev_write()) {
            BevRef::add_event(b.ev_write(), b.timeout_write());
        }
    } else {
        if pending_io_or_timer(b.ev_write()) {
            BevRef::del_event(b.ev_write());
        }
        b.trigger(EV_WRITE, 0);
    }
}

/// One write of the output to `fd` (the output's front is frozen to the
/// program, as in libevent), charged to the rate limit. Answers the
/// result and the errno that came with it.
fn write_out(b: BevRef, fd: c_int) -> (isize, c_int) {
    let output = b.output();
    output.unfreeze(true);
    let res = output.write(fd, b.max_to_write());
    let err = errno();
    output.freeze(true);
    if res > 0 {
        super::ratelimit::spend(b, true, res as usize);
    }
    (res, err)
}

/// Stops watching for writability once the output is empty. Another
/// thread may add data meanwhile, and its buffer callback saw the write
/// event still pending; so look again after deleting it.
fn stop_writing_if_empty(b: BevRef) {
    if b.output().len() == 0 {
        BevRef::del_event(b.ev_write());
        if b.output().len() > 0 && b.enabled() & EV_WRITE != 0 && !b.write_suspended() {
            BevRef::add_event(b.ev_write(), b.timeout_write());
        }
    }
}

/// Data was added to the output: start writing if enabled and idle.
unsafe extern "C" fn outbuf_cb(
    _buf: *mut evbuffer,
    info: *const evbuffer_cb_info,
    arg: *mut c_void,
) {
    // SAFETY: evbuffer passes a valid info record for the call.
    let added = unsafe { (*info).n_added };
    if added == 0 {
        return;
    }
    with_live(arg, |b| {
        // During the read callback the write goes out when it returns.
        if b.bev().reading_thread.load(SeqCst) != 0 {
            return;
        }
        if b.enabled() & EV_WRITE != 0 && !b.write_suspended() && !pending_io_or_timer(b.ev_write())
        {
            BevRef::add_event(b.ev_write(), b.timeout_write());
        }
    });
}

/// `connect()` on a nonblocking socket: 1 connected, 0 in progress,
/// 2 refused at once, -1 failed.
fn start_connect(fd: c_int, sa: *const libc::sockaddr, len: libc::socklen_t) -> c_int {
    // SAFETY: the caller's address of `len` bytes (boundary contract).
    if unsafe { libc::connect(fd, sa, len) } == 0 {
        return 1;
    }
    match errno() {
        libc::EINTR | libc::EINPROGRESS => 0,
        libc::ECONNREFUSED => 2,
        _ => -1,
    }
}

/// `bufferevent_socket_connect`.
pub(crate) fn connect(b: BevRef, sa: *const libc::sockaddr, len: c_int) -> c_int {
    use std::sync::atomic::Ordering::*;
    b.hold(|| {
        b.locked(|| {
            let mut fd = fd(b);
            let mut own = false;
            if fd < 0 {
                if sa.is_null() {
                    return -1;
                }
                // SAFETY: a non-NULL address from the caller.
                let family = c_int::from(unsafe { (*sa).sa_family });
                // SAFETY: plain socket creation.
                fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0) };
                if fd < 0 {
                    return -1;
                }
                own = true;
            }
            let mut r = 0;
            if !sa.is_null() {
                r = start_connect(fd, sa, len as libc::socklen_t);
                if r < 0 {
                    if own {
                        // SAFETY: the socket made just above.
                        unsafe { libc::close(fd) };
                    }
                    return -1;
                }
            }
            set_fd(b, fd);
            match r {
                0 => {
                    if enable(b, EV_WRITE) == 0 {
                        b.bev().connecting.store(true, Release);
                        0
                    } else {
                        if own {
                            // SAFETY: the socket made above.
                            unsafe { libc::close(fd) };
                        }
                        -1
                    }
                }
                1 => {
                    b.bev().connecting.store(true, Release);
                    b.trigger(EV_WRITE, BEV_OPT_DEFER_CALLBACKS);
                    0
                }
                _ => {
                    b.run_eventcb(BEV_EVENT_ERROR, BEV_OPT_DEFER_CALLBACKS);
                    b.disable(EV_WRITE | EV_READ);
                    0
                }
            }
        })
    })
}

/// `bufferevent_socket_connect_hostname`, resolving with evdns when
/// given a base (see [`connect_via_evdns`]), else with the system's
/// resolver: an answer connects to its first address; a failure is kept
/// for `bufferevent_socket_get_dns_error` and reported as
/// BEV_EVENT_ERROR.
pub(crate) fn connect_hostname(
    b: BevRef,
    dns: *mut crate::dns::evdns_base,
    family: c_int,
    host: &CStr,
    port: c_int,
) -> c_int {
    if family != libc::AF_INET && family != libc::AF_INET6 && family != libc::AF_UNSPEC {
        return -1;
    }
    if !(1..=65535).contains(&port) {
        return -1;
    }
    b.bev()
        .dns_error
        .store(0, std::sync::atomic::Ordering::Relaxed);
    if !dns.is_null() {
        return connect_via_evdns(b, dns, family, host, port);
    }
    b.hold(|| {
        b.suspend_write(suspend::LOOKUP);
        b.suspend_read(suspend::LOOKUP);
        // SAFETY: all-zero is a valid addrinfo hint.
        let mut hint: libc::addrinfo = unsafe { std::mem::zeroed() };
        hint.ai_family = family;
        hint.ai_protocol = libc::IPPROTO_TCP;
        hint.ai_socktype = libc::SOCK_STREAM;
        let service = std::ffi::CString::new(port.to_string()).expect("digits");
        let mut ai: *mut libc::addrinfo = std::ptr::null_mut();
        // SAFETY: NUL-terminated strings, a hint and an out-pointer.
        let rc = unsafe { libc::getaddrinfo(host.as_ptr(), service.as_ptr(), &hint, &mut ai) };
        b.unsuspend_write(suspend::LOOKUP);
        b.unsuspend_read(suspend::LOOKUP);
        if rc != 0 {
            b.bev()
                .dns_error
                .store(rc, std::sync::atomic::Ordering::Relaxed);
            b.run_eventcb(BEV_EVENT_ERROR, 0);
            return 0;
        }
        // SAFETY: getaddrinfo succeeded: `ai` is a non-empty list.
        let (addr, len) = unsafe { ((*ai).ai_addr, (*ai).ai_addrlen) };
        if connect(b, addr, len as c_int) < 0 {
            b.run_eventcb(BEV_EVENT_ERROR, 0);
        }
        // SAFETY: the list getaddrinfo returned, freed once.
        unsafe { libc::freeaddrinfo(ai) };
        0
    })
}

/// The evdns path of [`connect_hostname`]: `evdns_getaddrinfo` answers
/// (at once for a numeric host, else from the loop) into
/// [`evdns_answered`]; the bufferevent keeps a reference and its reads
/// and writes stay suspended until then.
fn connect_via_evdns(
    b: BevRef,
    dns: *mut crate::dns::evdns_base,
    family: c_int,
    host: &CStr,
    port: c_int,
) -> c_int {
    b.incref();
    b.suspend_write(suspend::LOOKUP);
    b.suspend_read(suspend::LOOKUP);
    // SAFETY: all-zero is a valid addrinfo hint.
    let mut hint: libc::addrinfo = unsafe { std::mem::zeroed() };
    hint.ai_family = family;
    hint.ai_protocol = libc::IPPROTO_TCP;
    hint.ai_socktype = libc::SOCK_STREAM;
    let service = std::ffi::CString::new(port.to_string()).expect("digits");
    // SAFETY: a live evdns base (the caller's contract), NUL-terminated
    // strings, a hint, and this module's callback with the bufferevent
    // (held by the reference taken above) as its argument.
    unsafe {
        crate::dns::gai_api::evdns_getaddrinfo(
            dns,
            host.as_ptr(),
            service.as_ptr(),
            &hint,
            Some(evdns_answered),
            b.as_ptr().cast(),
        )
    };
    0
}

unsafe extern "C" fn evdns_answered(result: c_int, ai: *mut libc::addrinfo, arg: *mut c_void) {
    // SAFETY: the bufferevent `connect_via_evdns` passed, alive by the
    // reference it took, which is dropped here.
    let b = super::BevRef(unsafe { std::ptr::NonNull::new_unchecked(arg.cast()) });
    b.unsuspend_write(suspend::LOOKUP);
    b.unsuspend_read(suspend::LOOKUP);
    b.bev()
        .dns_error
        .store(result, std::sync::atomic::Ordering::Relaxed);
    if result == crate::dns::gai_api::EVUTIL_EAI_CANCEL {
        b.decref();
        return;
    }
    if result != 0 || ai.is_null() {
        b.run_eventcb(BEV_EVENT_ERROR, 0);
    } else {
        // SAFETY: a non-empty list from evdns_getaddrinfo.
        let (addr, len) = unsafe { ((*ai).ai_addr, (*ai).ai_addrlen) };
        if connect(b, addr, len as c_int) < 0 {
            b.run_eventcb(BEV_EVENT_ERROR, 0);
        }
    }
    if !ai.is_null() {
        // SAFETY: the list evdns_getaddrinfo gave this callback, freed once.
        unsafe { crate::util::evutil_freeaddrinfo(ai) };
    }
    b.decref();
}

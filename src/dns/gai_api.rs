//! `evdns_getaddrinfo`: numeric hosts, the hosts table, then A and AAAA
//! resolves whose answers are joined (the second one gets
//! `getaddrinfo-allow-skew` to arrive once the first is in).
//!
//! Results are `struct evutil_addrinfo` lists (glibc's `struct addrinfo`)
//! allocated as glibc's getaddrinfo allocates them (one malloc per node
//! holding its address, the canonical name malloc'd apart), so that
//! `evutil_freeaddrinfo` (glibc's freeaddrinfo) frees either kind.

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::raw::{c_char, c_int, c_short, c_void};
use std::sync::{Arc, Mutex};

use rel_extra::dns::gai::{self, Early, Entry, Hints};
use rel_extra::dns::resolver::Cb;
use rel_extra::dns::wire::{TYPE_A, TYPE_AAAA};
use rel_extra::dns::{DNS_ERR_CANCEL, DNS_ERR_SHUTDOWN, LOG_WARN};

use super::resolver_api::{evdns_cancel_request, hosts_lookup, inner_of, opt_str, resolve};
use super::{evdns_base, evdns_request, log, Inner};
use crate::boundary::{entry, given, Refusal};
use crate::event_api::{event_add, event_del, event_free, event_new};
use crate::layout::event;

pub type evdns_getaddrinfo_cb =
    Option<unsafe extern "C" fn(c_int, *mut libc::addrinfo, *mut c_void)>;

type GaiFn = unsafe extern "C" fn(c_int, *mut libc::addrinfo, *mut c_void);

/// A getaddrinfo canceled by its caller.
pub(crate) const EVUTIL_EAI_CANCEL: c_int = gai::EAI_CANCEL;

/// libevent marks the nodes it allocates so.
const AI_LIBEVENT_ALLOCATED: c_int = 0x8000_0000_u32 as c_int;

/// Opaque to C: a getaddrinfo in progress.
pub struct evdns_getaddrinfo_request {
    inner: Arc<Inner>,
    state: Mutex<GaiState>,
}

struct GaiState {
    hints: Hints,
    port: u16,
    user_cb: Option<GaiFn>,
    user_arg: usize,
    /// The A and AAAA requests still out (`*mut evdns_request`).
    v4: usize,
    v6: usize,
    cname: Option<Vec<u8>>,
    /// The first answer, while the second is awaited.
    pending: Option<Vec<Entry>>,
    pending_error: c_int,
    user_canceled: bool,
    done: bool,
    /// The skew timer (`*mut event`), made on first use.
    timer: usize,
}

/// A list of addrinfo nodes for `entries`; the canonical name on the
/// first. NULL for no entries.
fn addrinfo_list(entries: &[Entry], canon: Option<&[u8]>) -> *mut libc::addrinfo {
    let mut head: *mut libc::addrinfo = std::ptr::null_mut();
    let mut tail: *mut *mut libc::addrinfo = &mut head;
    for e in entries {
        let (ss, len) = crate::util::sockaddr_of(e.addr);
        let size = std::mem::size_of::<libc::addrinfo>() + len as usize;
        // SAFETY: plain allocation; glibc's freeaddrinfo frees it.
        let p = unsafe { libc::calloc(1, size) }.cast::<libc::addrinfo>();
        if p.is_null() {
            break;
        }
        // SAFETY: fresh zeroed memory for a node and its address right
        // after it; `tail` points at the list's last link.
        unsafe {
            let sa = p.add(1).cast::<libc::sockaddr>();
            std::ptr::copy_nonoverlapping(
                (&ss as *const libc::sockaddr_storage).cast::<u8>(),
                sa.cast::<u8>(),
                len as usize,
            );
            (*p).ai_flags = AI_LIBEVENT_ALLOCATED;
            (*p).ai_family = if e.addr.is_ipv4() {
                libc::AF_INET
            } else {
                libc::AF_INET6
            };
            (*p).ai_socktype = e.socktype;
            (*p).ai_protocol = e.protocol;
            (*p).ai_addrlen = len;
            (*p).ai_addr = sa;
            *tail = p;
            tail = &mut (*p).ai_next;
        }
    }
    if let (Some(name), false) = (canon, head.is_null()) {
        let c = CString::new(
            name.iter()
                .copied()
                .filter(|&b| b != 0)
                .collect::<Vec<u8>>(),
        )
        .expect("no NUL");
        // SAFETY: a NUL-terminated string; strdup's copy is freed by
        // freeaddrinfo.
        unsafe { (*head).ai_canonname = libc::strdup(c.as_ptr()) };
    }
    head
}

fn service_port(name: &str, proto: Option<&str>) -> Option<u16> {
    let n = CString::new(name).ok()?;
    let p = proto.map(|p| CString::new(p).expect("no NUL"));
    // SAFETY: NUL-terminated strings (or NULL for any protocol).
    let ent = unsafe {
        libc::getservbyname(
            n.as_ptr(),
            p.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
        )
    };
    // SAFETY: NULL or a servent in libc's static storage.
    unsafe { ent.as_ref() }.map(|e| u16::from_be(e.s_port as u16))
}

/// This host's interface addresses (for `AI_ADDRCONFIG`), read once, as
/// libevent reads them.
fn interfaces() -> Vec<IpAddr> {
    static SEEN: std::sync::OnceLock<Vec<IpAddr>> = std::sync::OnceLock::new();
    SEEN.get_or_init(|| {
        let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
        // SAFETY: a live out-pointer; the list is freed below.
        if unsafe { libc::getifaddrs(&mut list) } != 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut i = list;
        while !i.is_null() {
            // SAFETY: a node of the list getifaddrs made; its address is
            // NULL or a sockaddr of its family.
            unsafe {
                let a = (*i).ifa_addr;
                let len = match a.as_ref().map(|s| c_int::from(s.sa_family)) {
                    Some(libc::AF_INET) => std::mem::size_of::<libc::sockaddr_in>(),
                    Some(libc::AF_INET6) => std::mem::size_of::<libc::sockaddr_in6>(),
                    _ => 0,
                };
                if let Some(sa) = super::addr_of(a, len) {
                    out.push(sa.ip());
                }
                i = (*i).ifa_next;
            }
        }
        // SAFETY: the list getifaddrs made, freed once.
        unsafe { libc::freeifaddrs(list) };
        out
    })
    .clone()
}

fn numeric_v6(text: &str) -> Option<(Ipv6Addr, u32)> {
    let (ip, scope) = match text.split_once('%') {
        Some((ip, s)) => {
            let scope = s.parse::<u32>().ok().or_else(|| {
                let c = CString::new(s).ok()?;
                // SAFETY: a NUL-terminated interface name.
                let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
                (i != 0).then_some(i)
            })?;
            (ip, scope)
        }
        None => (text, 0),
    };
    let bytes = rel_core::inet::parse_ipv6(ip.as_bytes())?;
    Some((Ipv6Addr::from(bytes), scope))
}

#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo(
    dns_base: *mut evdns_base,
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const libc::addrinfo,
    cb: evdns_getaddrinfo_cb,
    arg: *mut c_void,
) -> *mut evdns_getaddrinfo_request {
    entry("evdns_getaddrinfo", || {
        let cb = given(cb, "callback")?;
        let dns_base = if dns_base.is_null() {
            super::global()
        } else {
            dns_base
        };
        if dns_base.is_null() {
            log(
                LOG_WARN,
                "Call to getaddrinfo_async with no evdns_base configured.",
            );
            // SAFETY: the program's callback.
            unsafe { cb(gai::EAI_FAIL, std::ptr::null_mut(), arg) };
            return Ok(std::ptr::null_mut());
        }
        let inner = inner_of(dns_base)?;
        // SAFETY: the boundary contract: NULL or a readable addrinfo.
        let h = unsafe { hints_in.as_ref() };
        if h.is_some_and(|h| h.ai_flags & libc::AI_NUMERICHOST != 0) {
            let mut res = std::ptr::null_mut();
            // SAFETY: forwarded arguments and a live out-pointer.
            let err =
                unsafe { crate::util::evutil_getaddrinfo(nodename, servname, hints_in, &mut res) };
            // SAFETY: the program's callback, given the list to own.
            unsafe { cb(err, res, arg) };
            return Ok(std::ptr::null_mut());
        }
        let mut hints = h.map_or(Hints::default(), |h| Hints {
            flags: h.ai_flags,
            family: h.ai_family,
            socktype: h.ai_socktype,
            protocol: h.ai_protocol,
        });
        gai::adjust_for_addrconfig(&mut hints, &interfaces());
        let node = opt_str(nodename)?;
        let serv = opt_str(servname)?;
        let node_s = node.map(|n| n.to_string_lossy().into_owned());
        let serv_s = serv.map(|s| s.to_string_lossy().into_owned());
        let port = match gai::early(
            node_s.as_deref(),
            serv_s.as_deref(),
            &mut hints,
            service_port,
            numeric_v6,
        ) {
            Early::Answer(err, entries) => {
                // SAFETY: the program's callback, given the list to own.
                unsafe { cb(err, addrinfo_list(&entries, None), arg) };
                return Ok(std::ptr::null_mut());
            }
            Early::Resolve(port) => port,
        };
        let name = node.expect("a name to resolve").to_bytes();
        if let Some(entries) = gai::from_hosts(&hosts_lookup(&inner, name), port, &hints) {
            // SAFETY: as above.
            unsafe { cb(0, addrinfo_list(&entries, None), arg) };
            return Ok(std::ptr::null_mut());
        }
        let data = Box::into_raw(Box::new(evdns_getaddrinfo_request {
            inner: inner.clone(),
            state: Mutex::new(GaiState {
                hints,
                port,
                user_cb: Some(cb),
                user_arg: arg as usize,
                v4: 0,
                v6: 0,
                cname: None,
                pending: None,
                pending_error: 0,
                user_canceled: false,
                done: false,
                timer: 0,
            }),
        }));
        let want_cname = hints.flags & gai::AI_CANONNAME != 0;
        let sub = |v6: bool| Cb {
            func: got_resolve as *const () as usize,
            arg: data as usize | usize::from(v6),
        };
        // The state is filled before either answer can come (callbacks
        // run from the loop, later).
        let v4 = if hints.family != gai::AF_INET6 {
            resolve(&inner, TYPE_A, name, 0, sub(false), want_cname)
        } else {
            std::ptr::null_mut()
        };
        let v6 = if hints.family != gai::AF_INET {
            resolve(&inner, TYPE_AAAA, name, 0, sub(true), want_cname)
        } else {
            std::ptr::null_mut()
        };
        if v4.is_null() && v6.is_null() {
            // SAFETY: the box made above, never handed out.
            drop(unsafe { Box::from_raw(data) });
            // SAFETY: the program's callback.
            unsafe { cb(gai::EAI_FAIL, std::ptr::null_mut(), arg) };
            return Ok(std::ptr::null_mut());
        }
        {
            // SAFETY: the box made above.
            let mut st = unsafe { &*data }
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            st.v4 = v4 as usize;
            st.v6 = v6 as usize;
        }
        Ok(data)
    })
}

/// Frees a finished getaddrinfo and what it still holds.
///
/// # Safety
///
/// `data` is a request [`evdns_getaddrinfo`] made, with neither resolve
/// still out; it is not used again.
unsafe fn free_request(data: *mut evdns_getaddrinfo_request) {
    // SAFETY: by the contract above.
    let d = unsafe { Box::from_raw(data) };
    let st = d.state.lock().unwrap_or_else(|e| e.into_inner());
    if st.timer != 0 {
        // SAFETY: the request's own timer, freed once.
        unsafe { event_free(st.timer as *mut event) };
    }
}

fn arm_skew_timer(data: *mut evdns_getaddrinfo_request, st: &mut GaiState, inner: &Arc<Inner>) {
    if st.timer == 0 {
        // SAFETY: a timer on the resolver's base with this request as
        // argument; freed with the request.
        st.timer = unsafe { event_new(inner.event_base(), -1, 0, Some(skew_timeout), data.cast()) }
            as usize;
    }
    if st.timer == 0 {
        return;
    }
    let skew = inner.with(|s| s.core.options.allow_skew);
    let tv = libc::timeval {
        tv_sec: skew.as_secs() as libc::time_t,
        tv_usec: skew.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: the request's live timer and a live timeval.
    unsafe { event_add(st.timer as *mut event, &tv) };
}

unsafe extern "C" fn skew_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let data = arg.cast::<evdns_getaddrinfo_request>();
    // SAFETY: the timer's argument: a live request (the timer dies with
    // it).
    let d = unsafe { &*data };
    let (subs, report) = {
        let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
        let subs = [st.v4, st.v6];
        let cname = st.cname.take();
        let report = st.user_cb.take().map(|cb| match st.pending.take() {
            Some(entries) => (cb, 0, addrinfo_list(&entries, cname.as_deref())),
            None => {
                let e = if st.pending_error != 0 {
                    st.pending_error
                } else {
                    gai::EAI_AGAIN
                };
                (cb, e, std::ptr::null_mut())
            }
        });
        (subs, report)
    };
    // The one still out is canceled; its (internal) cancel frees the
    // request. With none out (not expected), it is freed here.
    let none_out = subs.iter().all(|&s| s == 0);
    for s in subs.into_iter().filter(|&s| s != 0) {
        // SAFETY: a live request handle (its callback has not run).
        unsafe { evdns_cancel_request(std::ptr::null_mut(), s as *mut evdns_request) };
    }
    if let Some((cb, err, res)) = report {
        let user_arg = d.state.lock().unwrap_or_else(|e| e.into_inner()).user_arg;
        // SAFETY: the program's callback, given the list to own.
        unsafe { cb(err, res, user_arg as *mut c_void) };
    }
    if none_out {
        // SAFETY: neither sub-request is out: nothing else frees it.
        unsafe { free_request(data) };
    }
}

/// One resolve's answer: joined with the other, or reported.
unsafe extern "C" fn got_resolve(
    result: c_int,
    _type: c_char,
    count: c_int,
    _ttl: c_int,
    addresses: *mut c_void,
    arg: *mut c_void,
) {
    let is_v6 = arg as usize & 1 == 1;
    let data = (arg as usize & !1) as *mut evdns_getaddrinfo_request;
    // SAFETY: the request this sub-request belongs to: alive until both
    // sub-requests have answered (it is freed below, at the last).
    let d = unsafe { &*data };
    let inner = d.inner.clone();
    let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
    let other_out = if is_v6 { st.v4 != 0 } else { st.v6 != 0 };
    if result != DNS_ERR_SHUTDOWN && !other_out {
        st.done = true;
    }
    let user_canceled = st.user_canceled;
    if is_v6 {
        st.v6 = 0;
    } else {
        st.v4 = 0;
    }
    let finish = |st: std::sync::MutexGuard<'_, GaiState>| {
        drop(st);
        // SAFETY: neither sub-request is out any more.
        unsafe { free_request(data) };
    };
    if result == DNS_ERR_CANCEL && !user_canceled {
        // Canceled by the skew timer, which already answered.
        if !other_out {
            finish(st);
        }
        return;
    }
    let Some(cb) = st.user_cb else {
        if !other_out {
            finish(st);
        }
        return;
    };
    let user_arg = st.user_arg as *mut c_void;
    let err = match result {
        0 if count == 0 => gai::EAI_NODATA,
        0 => 0,
        r => gai::eai_of(r),
    };
    let report = |st: std::sync::MutexGuard<'_, GaiState>, err: c_int, res: *mut libc::addrinfo| {
        drop(st);
        // SAFETY: the program's callback, given the list to own.
        unsafe { cb(err, res, user_arg) };
        // SAFETY: neither sub-request is out any more.
        unsafe { free_request(data) };
    };
    if err != 0 {
        if other_out {
            if result != DNS_ERR_SHUTDOWN {
                arm_skew_timer(data, &mut st, &inner);
            }
            st.pending_error = err;
            return;
        }
        if user_canceled {
            return report(st, gai::EAI_CANCEL, std::ptr::null_mut());
        }
        if let Some(entries) = st.pending.take() {
            let cname = st.cname.take();
            let list = addrinfo_list(&entries, cname.as_deref());
            return report(st, 0, list);
        }
        return report(st, err, std::ptr::null_mut());
    }
    if user_canceled {
        if other_out {
            return;
        }
        return report(st, gai::EAI_CANCEL, std::ptr::null_mut());
    }
    let (size, v6) = if is_v6 { (16, true) } else { (4, false) };
    let n = usize::try_from(count).unwrap_or(0);
    // SAFETY: the resolver's answer: `count` addresses of `size` bytes.
    let raw = unsafe { std::slice::from_raw_parts(addresses.cast::<u8>(), n * size) };
    let mut entries = Vec::new();
    for chunk in raw.chunks(size) {
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(
                <[u8; 16]>::try_from(chunk).expect("16 bytes"),
            ))
        } else {
            IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(chunk).expect("4 bytes")))
        };
        entries.extend(gai::entries(SocketAddr::new(ip, st.port), &st.hints));
    }
    if other_out {
        arm_skew_timer(data, &mut st, &inner);
        st.pending = Some(entries);
        return;
    }
    if let Some(first) = st.pending.take() {
        // A answers first, whichever came first.
        entries = if is_v6 {
            first.into_iter().chain(entries).collect()
        } else {
            entries.into_iter().chain(first).collect()
        };
    }
    let cname = st.cname.take();
    let list = addrinfo_list(&entries, cname.as_deref());
    report(st, 0, list)
}

#[no_mangle]
pub unsafe extern "C" fn evdns_getaddrinfo_cancel(req: *mut evdns_getaddrinfo_request) {
    entry("evdns_getaddrinfo_cancel", || {
        // SAFETY: the boundary contract: NULL or a live request.
        let d = unsafe { req.as_ref() }.ok_or(Refusal::Missing("evdns_getaddrinfo_request"))?;
        let subs = {
            let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
            if st.done {
                return Ok(());
            }
            if st.timer != 0 {
                // SAFETY: the request's live timer.
                unsafe { event_del(st.timer as *mut event) };
            }
            st.user_canceled = true;
            [st.v4, st.v6]
        };
        for s in subs.into_iter().filter(|&s| s != 0) {
            // SAFETY: a live request handle (its callback has not run).
            unsafe { evdns_cancel_request(std::ptr::null_mut(), s as *mut evdns_request) };
        }
        Ok(())
    })
}

/// Keeps the first CNAME target a resolve sees (getaddrinfo's
/// `AI_CANONNAME`): stored when the A or AAAA answer is delivered.
pub(crate) fn note_cname(arg: usize, cname: &[u8]) {
    if arg == 0 {
        return;
    }
    let data = (arg & !1) as *mut evdns_getaddrinfo_request;
    // SAFETY: called just before that sub-request's callback: the
    // request is alive.
    let d = unsafe { &*data };
    let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
    if st.cname.is_none() {
        st.cname = Some(cname.to_vec());
    }
}

/// Whether `func` is this module's resolve callback (whose argument is a
/// getaddrinfo request), for passing CNAMEs along.
pub(crate) fn is_ours(func: usize) -> bool {
    func == got_resolve as *const () as usize
}

//! `event2/dns.h`'s server ports: a UDP socket whose requests go to a C
//! callback as `struct evdns_server_request`, answered with records the
//! program adds (names compressed) or dropped.
//!
//! A request holds a reference to its port: closing a port with
//! requests outstanding frees it (and closes its socket, as libevent
//! does) when the last one is answered or dropped.

use std::ffi::CStr;
use std::net::SocketAddr;
use std::os::raw::{c_char, c_int, c_short, c_void};
use std::sync::{Arc, Mutex};

use rel_extra::dns::wire::{
    self, build_response, Question, Record, RecordData, AA, CLASS_INET, QR, RD, TYPE_A, TYPE_AAAA,
    TYPE_CNAME, TYPE_PTR,
};
use rel_extra::dns::{resolver::reverse_name_v4, LOG_WARN};

use super::{log, recv_raw, send_to};
use crate::boundary::{arg, entry, given, Refusal};
use crate::event_api::{event_add, event_free, event_new, EV_PERSIST, EV_READ};
use crate::layout::{evdns_server_question, evdns_server_request, event};
use crate::legacy::or_current;
use crate::log_api::{mem_alloc, mem_free};
use crate::objects::event_base;
use crate::util::evutil_socket_t;

pub type evdns_request_callback_fn_type =
    Option<unsafe extern "C" fn(*mut evdns_server_request, *mut c_void)>;

type RequestFn = unsafe extern "C" fn(*mut evdns_server_request, *mut c_void);

/// Opaque to C: a server port.
pub struct evdns_server_port {
    inner: Arc<Port>,
}

struct Port {
    fd: evutil_socket_t,
    cb: RequestFn,
    user: usize,
    /// The read event (`*mut event`) and whether the port is being closed.
    state: Mutex<PortState>,
}

struct PortState {
    ev: usize,
    /// The event's argument: a raw `Arc<Port>`, released with the event.
    arg: usize,
    /// The program's reference plus one per request outstanding.
    refs: usize,
}

impl Port {
    /// Drops one reference; the last closes the socket and the event.
    fn release(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.refs -= 1;
        if st.refs == 0 {
            let ev = std::mem::replace(&mut st.ev, 0);
            let arg = std::mem::replace(&mut st.arg, 0);
            drop(st);
            if ev != 0 {
                // SAFETY: the port's event, freed once.
                unsafe { event_free(ev as *mut event) };
            }
            if arg != 0 {
                // SAFETY: the raw Arc the event held; with the event gone
                // no callback can use it.
                drop(unsafe { Arc::from_raw(arg as *const Port) });
            }
            if self.fd > 0 {
                // SAFETY: the port's socket, which libevent closes here too.
                unsafe { libc::close(self.fd) };
            }
        }
    }
}

/// A request as C sees it (`public`, first) and as librel keeps it.
#[repr(C)]
struct ServerRequest {
    public: evdns_server_request,
    port: Arc<Port>,
    id: u16,
    addr: libc::sockaddr_storage,
    addrlen: libc::socklen_t,
    questions: Vec<Question>,
    sections: [Vec<Record>; 3],
    /// Formatted once, on the first respond.
    response: Option<Vec<u8>>,
}

impl ServerRequest {
    fn free(p: *mut ServerRequest) {
        // SAFETY: a request this module boxed, freed once (by respond or
        // drop, the two ends of its life).
        let r = unsafe { Box::from_raw(p) };
        let n = r.public.nquestions as usize;
        for i in 0..n {
            // SAFETY: the array holds `n` questions this module allocated.
            mem_free(unsafe { *r.public.questions.add(i) }.cast());
        }
        mem_free(r.public.questions.cast());
        r.port.release();
    }
}

/// The request behind the public struct C holds.
///
/// # Safety
///
/// `p` is NULL or a request this module handed to a callback, not yet
/// answered or dropped (the boundary contract).
unsafe fn request<'a>(p: *mut evdns_server_request) -> Result<&'a mut ServerRequest, Refusal> {
    // SAFETY: by the contract above; the public struct is the first
    // field of a #[repr(C)] ServerRequest.
    unsafe { p.cast::<ServerRequest>().as_mut() }.ok_or(Refusal::Missing("evdns_server_request"))
}

/// The public questions: a malloc'd array of malloc'd questions whose
/// names run past the struct.
fn c_questions(qs: &[Question]) -> *mut *mut evdns_server_question {
    let arr = mem_alloc(qs.len().max(1) * std::mem::size_of::<usize>())
        .cast::<*mut evdns_server_question>();
    for (i, q) in qs.iter().enumerate() {
        let name: Vec<u8> = q.name.iter().copied().filter(|&b| b != 0).collect();
        let size = std::mem::offset_of!(evdns_server_question, name) + name.len() + 1;
        let p = mem_alloc(size.max(std::mem::size_of::<evdns_server_question>()))
            .cast::<evdns_server_question>();
        // SAFETY: fresh memory of `size` bytes, aligned by malloc, and an
        // array of `qs.len()` slots.
        unsafe {
            (*p).r#type = c_int::from(q.qtype);
            (*p).class = c_int::from(q.class);
            let dst = std::ptr::addr_of_mut!((*p).name).cast::<u8>();
            std::ptr::copy_nonoverlapping(name.as_ptr(), dst, name.len());
            *dst.add(name.len()) = 0;
            *arr.add(i) = p;
        }
    }
    arr
}

unsafe extern "C" fn port_ready(fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: the event's argument: the port's raw Arc, released only
    // after the event is freed; a reference of our own keeps the port
    // while its callback may close it.
    let port_arc = unsafe {
        Arc::increment_strong_count(arg.cast::<Port>());
        Arc::from_raw(arg.cast::<Port>())
    };
    let port = &*port_arc;
    let mut buf = [0u8; 1500];
    while let Some((n, addr, addrlen)) = recv_raw(fd, &mut buf) {
        if port.state.lock().unwrap_or_else(|e| e.into_inner()).ev == 0 {
            break; // closed by a callback
        }
        let Some(req) = wire::parse_request(&buf[..n]) else {
            continue;
        };
        let port_arc = port_arc.clone();
        port.state.lock().unwrap_or_else(|e| e.into_inner()).refs += 1;
        let flags = req.flags & (RD | wire::CD);
        let sr = Box::into_raw(Box::new(ServerRequest {
            public: evdns_server_request {
                flags: c_int::from(flags),
                nquestions: req.questions.len() as c_int,
                questions: c_questions(&req.questions),
            },
            port: port_arc,
            id: req.id,
            addr,
            addrlen,
            questions: req.questions,
            sections: Default::default(),
            response: None,
        }));
        // SAFETY: the program's callback with the request (now its to
        // answer or drop) and its argument.
        unsafe { (port.cb)(sr.cast(), port.user as *mut c_void) };
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port_with_base(
    base: *mut event_base,
    socket: evutil_socket_t,
    flags: c_int,
    callback: evdns_request_callback_fn_type,
    user_data: *mut c_void,
) -> *mut evdns_server_port {
    entry("evdns_add_server_port_with_base", || {
        if flags != 0 {
            return Err(Refusal::Quiet); // no flags are defined
        }
        let cb = given(callback, "callback")?;
        let port = Arc::new(Port {
            fd: socket,
            cb,
            user: user_data as usize,
            state: Mutex::new(PortState {
                ev: 0,
                arg: 0,
                refs: 1,
            }),
        });
        let arg = Arc::into_raw(port.clone());
        // SAFETY: the program's socket, this module's callback and the
        // port's raw Arc as its argument (released with the port).
        let ev = unsafe {
            event_new(
                or_current(base),
                socket,
                EV_READ | EV_PERSIST,
                Some(port_ready),
                arg as *mut c_void,
            )
        };
        // SAFETY: the event just made, if any.
        if ev.is_null() || unsafe { event_add(ev, std::ptr::null()) } < 0 {
            if !ev.is_null() {
                // SAFETY: as above, never shared.
                unsafe { event_free(ev) };
            }
            // SAFETY: the raw Arc made above, never shared.
            drop(unsafe { Arc::from_raw(arg) });
            return Err(Refusal::Quiet);
        }
        {
            let mut st = port.state.lock().unwrap_or_else(|e| e.into_inner());
            st.ev = ev as usize;
            st.arg = arg as usize;
        }
        Ok(Box::into_raw(Box::new(evdns_server_port { inner: port })))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_add_server_port(
    socket: evutil_socket_t,
    flags: c_int,
    callback: evdns_request_callback_fn_type,
    user_data: *mut c_void,
) -> *mut evdns_server_port {
    // SAFETY: forwarded arguments; NULL picks the current base.
    unsafe {
        evdns_add_server_port_with_base(std::ptr::null_mut(), socket, flags, callback, user_data)
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_close_server_port(port: *mut evdns_server_port) {
    entry("evdns_close_server_port", || {
        if port.is_null() {
            return Err(Refusal::Missing("evdns_server_port"));
        }
        // SAFETY: a live port (the contract), freed once.
        let p = unsafe { Box::from_raw(port) };
        p.inner.release();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_set_flags(
    req: *mut evdns_server_request,
    flags: c_int,
) {
    entry("evdns_server_request_set_flags", || {
        // SAFETY: the boundary contract (see `request`).
        let r = unsafe { request(req) }?;
        r.public.flags &= !(c_int::from(AA) | 0x80);
        r.public.flags |= flags;
        Ok(())
    })
}

/// Adds a record; -1 once answered or for a bad section.
fn add(r: &mut ServerRequest, section: c_int, rec: Record) -> c_int {
    if r.response.is_some() {
        return -1;
    }
    match usize::try_from(section)
        .ok()
        .and_then(|s| r.sections.get_mut(s))
    {
        Some(list) => {
            list.push(rec);
            0
        }
        None => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_reply(
    req: *mut evdns_server_request,
    section: c_int,
    name: *const c_char,
    r#type: c_int,
    dns_class: c_int,
    ttl: c_int,
    datalen: c_int,
    is_name: c_int,
    data: *const c_char,
) -> c_int {
    entry("evdns_server_request_add_reply", || {
        // SAFETY: the boundary contract (see `request`).
        let r = unsafe { request(req) }?;
        let name: &CStr = arg!(name)?;
        let data = if data.is_null() {
            RecordData::Raw(Vec::new())
        } else if is_name != 0 {
            let d: &CStr = arg!(data)?;
            RecordData::Name(d.to_bytes().to_vec())
        } else {
            let n = usize::try_from(datalen).map_err(|_| Refusal::Misuse("negative datalen"))?;
            // SAFETY: `data` is readable for `datalen` bytes (the contract).
            RecordData::Raw(unsafe { crate::boundary::bytes_in(data.cast(), n) }?.to_vec())
        };
        let rec = Record {
            name: name.to_bytes().to_vec(),
            rtype: r#type as u16,
            class: dns_class as u16,
            ttl: ttl as u32,
            data,
        };
        Ok(add(r, section, rec))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_a_reply(
    req: *mut evdns_server_request,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> c_int {
    // SAFETY: forwarded arguments under the same contract.
    unsafe {
        evdns_server_request_add_reply(
            req,
            0,
            name,
            c_int::from(TYPE_A),
            c_int::from(CLASS_INET),
            ttl,
            n * 4,
            0,
            addrs.cast(),
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_aaaa_reply(
    req: *mut evdns_server_request,
    name: *const c_char,
    n: c_int,
    addrs: *const c_void,
    ttl: c_int,
) -> c_int {
    // SAFETY: forwarded arguments under the same contract.
    unsafe {
        evdns_server_request_add_reply(
            req,
            0,
            name,
            c_int::from(TYPE_AAAA),
            c_int::from(CLASS_INET),
            ttl,
            n * 16,
            0,
            addrs.cast(),
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_ptr_reply(
    req: *mut evdns_server_request,
    r#in: *mut libc::in_addr,
    inaddr_name: *const c_char,
    hostname: *const c_char,
    ttl: c_int,
) -> c_int {
    entry("evdns_server_request_add_ptr_reply", || {
        // Exactly one of the address and its name.
        if r#in.is_null() == inaddr_name.is_null() {
            return Ok(-1);
        }
        let owned;
        let name = if r#in.is_null() {
            inaddr_name
        } else {
            // SAFETY: a readable in_addr (the contract).
            let a = unsafe { *r#in };
            owned =
                std::ffi::CString::new(reverse_name_v4(a.s_addr.to_ne_bytes())).expect("no NUL");
            owned.as_ptr()
        };
        // SAFETY: forwarded arguments under the same contract.
        Ok(unsafe {
            evdns_server_request_add_reply(
                req,
                0,
                name,
                c_int::from(TYPE_PTR),
                c_int::from(CLASS_INET),
                ttl,
                -1,
                1,
                hostname,
            )
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_add_cname_reply(
    req: *mut evdns_server_request,
    name: *const c_char,
    cname: *const c_char,
    ttl: c_int,
) -> c_int {
    // SAFETY: forwarded arguments under the same contract.
    unsafe {
        evdns_server_request_add_reply(
            req,
            0,
            name,
            c_int::from(TYPE_CNAME),
            c_int::from(CLASS_INET),
            ttl,
            -1,
            1,
            cname,
        )
    }
}

/// Sends the answer (rcode `err`, 0..=15) and frees the request; -1 if
/// it cannot be sent (the request stays the program's).
#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_respond(
    req: *mut evdns_server_request,
    err: c_int,
) -> c_int {
    entry("evdns_server_request_respond", || {
        // SAFETY: the boundary contract (see `request`).
        let r = unsafe { request(req) }?;
        if r.response.is_none() {
            if !(0..=15).contains(&err) {
                return Ok(-1);
            }
            let flags = (r.public.flags as u16) | QR | err as u16;
            let [a, b, c] = &r.sections;
            let bytes = build_response(r.id, flags, &r.questions, [a, b, c]);
            r.sections = Default::default();
            r.response = Some(bytes);
        }
        // SAFETY: the address recvfrom wrote, of `addrlen` bytes.
        let to: Option<SocketAddr> = unsafe {
            super::addr_of(
                (&r.addr as *const libc::sockaddr_storage).cast(),
                r.addrlen as usize,
            )
        };
        let sent =
            to.is_some_and(|to| send_to(r.port.fd, r.response.as_deref().unwrap_or_default(), to));
        if !sent {
            log(LOG_WARN, "Error while writing response to port");
            return Ok(-1);
        }
        ServerRequest::free(req.cast());
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_drop(req: *mut evdns_server_request) -> c_int {
    entry("evdns_server_request_drop", || {
        // SAFETY: the boundary contract (see `request`).
        unsafe { request(req) }?;
        ServerRequest::free(req.cast());
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_server_request_get_requesting_addr(
    req: *mut evdns_server_request,
    sa: *mut libc::sockaddr,
    addr_len: c_int,
) -> c_int {
    entry("evdns_server_request_get_requesting_addr", || {
        // SAFETY: the boundary contract (see `request`).
        let r = unsafe { request(req) }?;
        if addr_len < r.addrlen as c_int {
            return Ok(-1);
        }
        if sa.is_null() {
            return Err(Refusal::Missing("sockaddr"));
        }
        // SAFETY: `sa` writable for `addr_len` >= `addrlen` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&r.addr as *const libc::sockaddr_storage).cast::<u8>(),
                sa.cast::<u8>(),
                r.addrlen as usize,
            )
        };
        Ok(r.addrlen as c_int)
    })
}

//! evdns's C boundary (`event2/dns.h`, `dns_compat.h`, `dns_struct.h`).
//!
//! The resolver's rules live in `rel_extra::dns` ([`Resolver`]); an
//! `evdns_base` here is that state machine under a lock plus what only
//! C can hold: one UDP socket and read event per nameserver, one timer
//! for the machine's next deadline, and the program's callbacks, which
//! run deferred from the event loop (as libevent defers them) and never
//! under the lock.
//!
//! The modules: [`resolver_api`] (the base, nameservers, options,
//! resolves), [`server_api`] (server ports and their requests),
//! [`gai_api`] (`evdns_getaddrinfo`), [`compat_api`] (the 1.4 calls on
//! the global base).

pub mod compat_api;
pub mod gai_api;
pub mod resolver_api;
pub mod server_api;

use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::raw::{c_char, c_int, c_short, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::{Duration, Instant};

use rel_core::log::{emit, Severity};

use rel_core::keymap::KeyMap;
use rel_extra::dns::resolver::{Action, Cb, Outcome, Resolver};
use rel_extra::dns::wire::{TYPE_AAAA, TYPE_PTR};
use rel_extra::dns::LOG_WARN;
use resolver_api::CallbackFn;
pub use resolver_api::{evdns_callback_type, evdns_debug_log_fn_type};

use crate::base_api::event_base_once;
use crate::event_api::{event_add, event_del, event_free, event_new, EV_TIMEOUT};
use crate::layout::event;
use crate::legacy::or_current;
use crate::objects::event_base;
use crate::util::sockaddr_of;

/// The 1.4 calls' process-wide base (`evdns_init`), kept here so that
/// both the compat calls and the base calls taking NULL for it can
/// reach it without importing each other.
pub(crate) static GLOBAL: AtomicPtr<evdns_base> = AtomicPtr::new(std::ptr::null_mut());

/// The global base (NULL if none).
pub(crate) fn global() -> *mut evdns_base {
    GLOBAL.load(Ordering::Acquire)
}

/// The program's log function (`evdns_set_log_fn`), if any.
static LOG_FN: RwLock<evdns_debug_log_fn_type> = RwLock::new(None);

/// Logs a line as evdns does: to the program's evdns log function, or
/// to libevent's log.
pub(crate) fn log(severity: i32, msg: &str) {
    let f = *LOG_FN.read().unwrap_or_else(|e| e.into_inner());
    match f {
        Some(f) => {
            let text = CString::new(msg.replace('\0', "")).expect("no NUL");
            // SAFETY: the program's log function, with a live C string.
            unsafe { f(c_int::from(severity == LOG_WARN), text.as_ptr()) };
        }
        None if severity == LOG_WARN => emit(Severity::Warn, msg),
        None => emit(Severity::Msg, msg),
    }
}

pub(crate) fn set_log_fn(f: evdns_debug_log_fn_type) {
    *LOG_FN.write().unwrap_or_else(|e| e.into_inner()) = f;
}

/// A nameserver's socket and read event.
struct NsSock {
    fd: c_int,
    ev: usize,
    /// The event's argument (a `Box<NsArg>`), freed with the event.
    arg: usize,
}

struct NsArg {
    inner: Weak<Inner>,
    id: u64,
}

/// What an `evdns_base` holds.
pub(crate) struct Inner {
    /// The `*mut event_base` (NULL: the current base at each use).
    base: usize,
    state: Mutex<State>,
}

pub(crate) struct State {
    pub(crate) core: Resolver,
    socks: KeyMap<u64, NsSock>,
    /// Live requests' C handles (`*mut evdns_request`), by request key.
    handles: KeyMap<u64, usize>,
    /// The timer event and its argument (`Box<Weak<Inner>>`), made on
    /// first use.
    timer: Option<(usize, usize)>,
    /// When the timer is set to fire (None: not pending).
    armed: Option<Instant>,
    /// The actions vector carried out last, kept for its capacity.
    spare: Vec<Action>,
}

/// Opaque to C: the resolver.
pub struct evdns_base {
    pub(crate) inner: Arc<Inner>,
}

/// Opaque to C: one resolve in progress; freed after its callback ran
/// (or with its base).
pub struct evdns_request {
    key: u64,
    inner: Weak<Inner>,
}

fn secure_random(buf: &mut [u8]) {
    // SAFETY: a writable buffer of the stated length.
    unsafe { crate::util::evutil_secure_rng_get_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}

impl Inner {
    pub(crate) fn new(base: *mut event_base) -> Arc<Inner> {
        Arc::new(Inner {
            base: base as usize,
            state: Mutex::new(State {
                core: Resolver::new(Box::new(secure_random)),
                socks: KeyMap::default(),
                handles: KeyMap::default(),
                timer: None,
                armed: None,
                spare: Vec::new(),
            }),
        })
    }

    pub(crate) fn event_base(&self) -> *mut event_base {
        or_current(self.base as *mut event_base)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state, then carries out what the resolver asks
    /// for; log lines are written once the lock is released.
    pub(crate) fn with<R>(self: &Arc<Self>, f: impl FnOnce(&mut State) -> R) -> R {
        let mut logs = Vec::new();
        let r = {
            let mut st = self.lock();
            let r = f(&mut st);
            self.carry_out(&mut st, &mut logs);
            r
        };
        for (sev, msg) in logs {
            log(sev, &msg);
        }
        r
    }

    fn carry_out(self: &Arc<Self>, st: &mut State, logs: &mut Vec<(i32, String)>) {
        let mut actions = std::mem::take(&mut st.spare);
        let mut due = Vec::new();
        st.core.swap_actions(&mut actions);
        let pending = actions.len();
        for a in actions.drain(..) {
            match a {
                Action::Send { server, packet } => {
                    if let (Some(s), Some(addr)) =
                        (st.socks.get(&server), st.core.server_of(server))
                    {
                        send_to(s.fd, &packet, addr);
                    }
                }
                Action::Watch { server, on } => {
                    if let Some(s) = st.socks.get(&server) {
                        // SAFETY: the nameserver's own live event.
                        unsafe {
                            if on {
                                event_add(s.ev as *mut event, std::ptr::null());
                            } else {
                                event_del(s.ev as *mut event);
                            }
                        }
                    }
                }
                Action::Callback {
                    handle,
                    cb,
                    outcome,
                } => {
                    let h = st.handles.remove(&handle).unwrap_or(0);
                    if due.capacity() == 0 {
                        due.reserve(pending); // at most one each
                    }
                    due.push(Deferred {
                        cb,
                        outcome,
                        handle: h,
                    });
                }
                Action::Log { severity, msg } => logs.push((severity, msg)),
            }
        }
        st.spare = actions;
        if !due.is_empty() {
            defer(Box::new(Batch {
                base: self.event_base(),
                due,
                next: 0,
            }));
        }
        self.arm_timer(st);
    }

    fn arm_timer(self: &Arc<Self>, st: &mut State) {
        // Not an event_add per request: only when the timer must move.
        let Some(next) = st.core.timer_change(st.armed) else {
            return;
        };
        let (ev, _) = *st.timer.get_or_insert_with(|| {
            let arg = Box::into_raw(Box::new(Arc::downgrade(self)));
            // SAFETY: a timer on the resolver's base whose argument is
            // the box made here, freed with the event.
            let ev = unsafe { event_new(self.event_base(), -1, 0, Some(on_timer), arg.cast()) };
            (ev as usize, arg as usize)
        });
        if ev == 0 {
            return;
        }
        st.armed = next;
        match next {
            Some(at) => {
                let wait = at.saturating_duration_since(Instant::now());
                let tv = libc::timeval {
                    tv_sec: wait.as_secs() as libc::time_t,
                    tv_usec: wait.subsec_micros() as libc::suseconds_t,
                };
                // SAFETY: the resolver's live timer and a live timeval.
                unsafe { event_add(ev as *mut event, &tv) };
            }
            // SAFETY: as above.
            None => unsafe {
                event_del(ev as *mut event);
            },
        }
    }

    /// Adds nameserver `addr`: evdns's codes (0; 1 no socket; 2 bind or
    /// event failed; 3 already there; -SO_RCVBUF/-SO_SNDBUF).
    pub(crate) fn add_nameserver(self: &Arc<Self>, addr: SocketAddr) -> c_int {
        let r = self.with(|st| {
            if st.core.has_server(addr) {
                return 3;
            }
            let family = if addr.is_ipv4() {
                libc::AF_INET
            } else {
                libc::AF_INET6
            };
            // SAFETY: plain socket creation.
            let fd = unsafe {
                libc::socket(
                    family,
                    libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                    0,
                )
            };
            if fd < 0 {
                return 1;
            }
            let fail = |code: c_int| {
                // SAFETY: the socket made above, not shared.
                unsafe { libc::close(fd) };
                code
            };
            let o = st.core.options.clone();
            if let Some(local) = o.bind_to.filter(|_| !addr.ip().is_loopback()) {
                let (ss, len) = sockaddr_of(local);
                // SAFETY: a live sockaddr of `len` bytes.
                if unsafe { libc::bind(fd, (&ss as *const libc::sockaddr_storage).cast(), len) } < 0
                {
                    st.core_log(LOG_WARN, "Couldn't bind to outgoing address");
                    return fail(2);
                }
            }
            for (val, opt, name) in [
                (o.so_rcvbuf, libc::SO_RCVBUF, "SO_RCVBUF"),
                (o.so_sndbuf, libc::SO_SNDBUF, "SO_SNDBUF"),
            ] {
                if val != 0 {
                    // SAFETY: setsockopt with a live int of the stated size.
                    let r = unsafe {
                        libc::setsockopt(
                            fd,
                            libc::SOL_SOCKET,
                            opt,
                            (&val as *const c_int).cast(),
                            std::mem::size_of::<c_int>() as libc::socklen_t,
                        )
                    };
                    if r != 0 {
                        st.core_log(LOG_WARN, &format!("Couldn't set {name} to {val}"));
                        return fail(-opt);
                    }
                }
            }
            let arg = Box::into_raw(Box::new(NsArg {
                inner: Arc::downgrade(self),
                id: 0,
            }));
            // SAFETY: the socket made above, this module's callback and
            // its argument, freed with the event.
            let ev = unsafe {
                event_new(
                    self.event_base(),
                    fd,
                    crate::event_api::EV_READ | crate::event_api::EV_PERSIST,
                    Some(nameserver_ready),
                    arg.cast(),
                )
            };
            let watched = ev.is_null()
                || o.disable_when_inactive
                // SAFETY: the event just made.
                || unsafe { event_add(ev, std::ptr::null()) } == 0;
            if ev.is_null() || !watched {
                if !ev.is_null() {
                    // SAFETY: the event made above, not shared.
                    unsafe { event_free(ev) };
                }
                // SAFETY: the box made above, not shared.
                drop(unsafe { Box::from_raw(arg) });
                return fail(2);
            }
            let id = st.core.add_server(addr);
            // SAFETY: the box made above; its event runs on the loop
            // thread, which waits for this lock before reading it.
            unsafe { (*arg).id = id };
            st.socks.insert(
                id,
                NsSock {
                    fd,
                    ev: ev as usize,
                    arg: arg as usize,
                },
            );
            0
        });
        if r != 0 && r != 3 {
            log(
                LOG_WARN,
                &format!("Unable to add nameserver {addr}: error {r}"),
            );
        }
        r
    }

    /// Frees the requests' handles left and the timer, for a base freed.
    fn teardown(&self, st: &mut State) {
        for (_, h) in st.handles.drain() {
            // SAFETY: a handle this module boxed, whose callback will not
            // run: nothing else frees it.
            drop(unsafe { Box::from_raw(h as *mut evdns_request) });
        }
        if let Some((ev, arg)) = st.timer.take() {
            if ev != 0 {
                // SAFETY: the resolver's timer, freed once.
                unsafe { event_free(ev as *mut event) };
            }
            // SAFETY: the timer's argument box, freed once with it.
            drop(unsafe { Box::from_raw(arg as *mut Weak<Inner>) });
        }
    }
}

impl State {
    /// Queues a log line with the resolver's own, written after unlocking.
    fn core_log(&mut self, severity: i32, msg: &str) {
        self.core.push_log(severity, msg.to_owned());
    }

    /// Closes the sockets and frees the events of nameservers `ids`.
    fn drop_sockets(&mut self, ids: Vec<u64>) {
        for id in ids {
            if let Some(s) = self.socks.remove(&id) {
                if s.ev != 0 {
                    // SAFETY: the nameserver's event, freed once.
                    unsafe { event_free(s.ev as *mut event) };
                }
                // SAFETY: the event's argument box, freed with it.
                drop(unsafe { Box::from_raw(s.arg as *mut NsArg) });
                // SAFETY: the nameserver's own socket.
                unsafe { libc::close(s.fd) };
            }
        }
    }

    /// Registers the C handle of a new request.
    fn adopt(&mut self, key: u64, inner: &Arc<Inner>) -> *mut evdns_request {
        let h = Box::into_raw(Box::new(evdns_request {
            key,
            inner: Arc::downgrade(inner),
        }));
        self.handles.insert(key, h as usize);
        h
    }
}

unsafe extern "C" fn on_timer(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: the timer's argument: a live Box<Weak<Inner>> (freed only
    // with the timer, after which this cannot run).
    let weak = unsafe { &*arg.cast::<Weak<Inner>>() };
    if let Some(inner) = weak.upgrade() {
        // A little slack: the loop's clock may run a hair behind ours.
        let now = Instant::now() + Duration::from_millis(1);
        inner.with(|st| {
            st.armed = None;
            st.core.on_timer(now)
        });
    }
}

unsafe extern "C" fn nameserver_ready(fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: the event's argument: a live Box<NsArg>, freed only with
    // the event.
    let a = unsafe { &*arg.cast::<NsArg>() };
    let Some(inner) = a.inner.upgrade() else {
        return;
    };
    let id = a.id;
    inner.with(|st| {
        let Some(want) = st.core.server_of(id) else {
            return;
        };
        let mut buf = [0u8; 1500];
        while let Some((n, from)) = recv_from(fd, &mut buf) {
            // Only the address is compared, not the port (as evdns does).
            if from.map(|a| a.ip()) != Some(want.ip()) {
                let shown = from.map_or_else(|| "?".to_owned(), |a| a.to_string());
                st.core_log(
                    LOG_WARN,
                    &format!(
                        "Address mismatch on received DNS packet.  Apparent source was {shown}"
                    ),
                );
                return;
            }
            st.core.on_packet(Instant::now(), id, &buf[..n]);
        }
    });
}

/// A callback due: run from the event loop.
struct Deferred {
    cb: Cb,
    outcome: Outcome,
    /// The request's C handle, freed after the callback (0: none).
    handle: usize,
}

/// The callbacks one pass of the resolver made due, in order: one
/// activation for them all rather than one each (a reply burst makes
/// dozens at once).
struct Batch {
    base: *mut event_base,
    due: Vec<Deferred>,
    /// The first not yet run.
    next: usize,
}

fn defer(batch: Box<Batch>) {
    let base = batch.base;
    let p = Box::into_raw(batch);
    let r = if base.is_null() {
        -1
    } else {
        // SAFETY: a one-shot activation with this module's callback and
        // the box made above, which the callback frees.
        unsafe {
            event_base_once(
                base,
                -1,
                EV_TIMEOUT,
                Some(run_deferred),
                p.cast(),
                std::ptr::null(),
            )
        }
    };
    if r != 0 {
        // No loop to run it from: run it now.
        // SAFETY: the box made above, not handed out.
        unsafe { run_deferred(-1, 0, p.cast()) };
    }
}

unsafe extern "C" fn run_deferred(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: the box `defer` made, passed to this callback once.
    let mut batch = unsafe { Box::from_raw(arg.cast::<Batch>()) };
    while let Some(d) = batch.due.get_mut(batch.next) {
        batch.next += 1;
        deliver(d.cb, &mut d.outcome);
        if d.handle != 0 {
            // SAFETY: the request's handle, freed once its callback ran.
            drop(unsafe { Box::from_raw(d.handle as *mut evdns_request) });
        }
        // A callback that breaks the loop stops the others, as separate
        // activations would be: they run when the loop runs again.
        if batch.next < batch.due.len()
            && !batch.base.is_null()
            // SAFETY: the live base this batch runs from.
            && unsafe { crate::base_api::event_base_got_break(batch.base) } != 0
        {
            defer(batch);
            return;
        }
    }
}

/// Calls a resolve callback with `outcome`, as evdns lays answers out:
/// an array of `in_addr` or `in6_addr`, or a `char **` for PTR.
pub(crate) fn deliver(cb: Cb, o: &mut Outcome) {
    if cb.func == 0 {
        return;
    }
    if let (true, Some(c)) = (gai_api::is_ours(cb.func), &o.answer.cname) {
        gai_api::note_cname(cb.arg, c);
    }
    // SAFETY: `cb.func` is the address of a CallbackFn (the resolve
    // calls store nothing else).
    let f = unsafe { std::mem::transmute::<usize, CallbackFn>(cb.func) };
    let arg = cb.arg as *mut c_void;
    let ttl = o.ttl as c_int;
    if o.err != 0 {
        // SAFETY: the program's callback with its documented arguments.
        unsafe { f(o.err, 0, 0, ttl, std::ptr::null_mut(), arg) };
        return;
    }
    match o.qtype {
        TYPE_PTR => {
            let name = CString::new(
                o.answer
                    .ptr
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|&b| b != 0)
                    .collect::<Vec<u8>>(),
            )
            .expect("no NUL");
            let mut p = name.as_ptr() as *mut c_char;
            // SAFETY: as above; `p` points to a live C string.
            unsafe { f(0, 2, 1, ttl, (&mut p as *mut *mut c_char).cast(), arg) };
        }
        t => {
            let kind = if t == TYPE_AAAA { 3 } else { 1 };
            // SAFETY: as above; `addrs` holds `count` addresses.
            unsafe {
                f(
                    0,
                    kind,
                    o.answer.count as c_int,
                    ttl,
                    o.answer.addrs.as_mut_ptr().cast(),
                    arg,
                )
            };
        }
    }
}

// ---- sockets and addresses

/// The address in a sockaddr of `len` bytes, if IPv4 or IPv6.
///
/// # Safety
///
/// `sa` is NULL or readable for `len` bytes.
pub(crate) unsafe fn addr_of(sa: *const libc::sockaddr, len: usize) -> Option<SocketAddr> {
    if sa.is_null() || len < std::mem::size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: readable for at least the family (checked above).
    let family = c_int::from(unsafe { (*sa).sa_family });
    if family == libc::AF_INET && len >= std::mem::size_of::<libc::sockaddr_in>() {
        // SAFETY: a sockaddr_in by its family and length.
        let sin = unsafe { std::ptr::read_unaligned(sa.cast::<libc::sockaddr_in>()) };
        let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
        return Some(SocketAddr::V4(SocketAddrV4::new(
            ip,
            u16::from_be(sin.sin_port),
        )));
    }
    if family == libc::AF_INET6 && len >= std::mem::size_of::<libc::sockaddr_in6>() {
        // SAFETY: a sockaddr_in6 by its family and length.
        let s6 = unsafe { std::ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>()) };
        return Some(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(s6.sin6_addr.s6_addr),
            u16::from_be(s6.sin6_port),
            s6.sin6_flowinfo,
            s6.sin6_scope_id,
        )));
    }
    None
}

/// Sends one datagram; false if it could not go.
pub(crate) fn send_to(fd: c_int, packet: &[u8], to: SocketAddr) -> bool {
    let (ss, len) = sockaddr_of(to);
    // SAFETY: a live buffer and sockaddr of the stated lengths.
    let r = unsafe {
        libc::sendto(
            fd,
            packet.as_ptr().cast(),
            packet.len(),
            0,
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    r == packet.len() as isize
}

/// Receives one datagram and its source; `None` when nothing is left.
pub(crate) fn recv_from(fd: c_int, buf: &mut [u8]) -> Option<(usize, Option<SocketAddr>)> {
    let (n, ss, len) = recv_raw(fd, buf)?;
    // SAFETY: the address recvfrom wrote, of `len` bytes.
    let from = unsafe { addr_of((&ss as *const libc::sockaddr_storage).cast(), len as usize) };
    Some((n, from))
}

/// [`recv_from`] with the raw source address.
pub(crate) fn recv_raw(
    fd: c_int,
    buf: &mut [u8],
) -> Option<(usize, libc::sockaddr_storage, libc::socklen_t)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: a writable buffer and address of the stated sizes.
    let n = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            (&mut ss as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    (n >= 0).then_some((n as usize, ss, len))
}

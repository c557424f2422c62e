//! `event2/listener.h`: a listening socket whose readiness accepts
//! connections and hands each to a C callback.
//!
//! A listener is the core's [`Listener`] (state, references, the accept
//! loop) embedded here with an `EV_READ|EV_PERSIST` event of librel's own
//! event API and the calls into C. Freeing a listener from its own
//! callback, or from another thread while a callback runs, is safe (see
//! `rel_core::connlistener`); every listener is thread-safe, whatever
//! `LEV_OPT_THREADSAFE` says.

use std::os::fd::{IntoRawFd, OwnedFd};
use std::os::raw::{c_int, c_short, c_uint, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rel_core::connlistener::{AcceptOpts, Embedding, Listener, PeerAddr};

use crate::boundary::{arg, entry, FromC, Refusal};
use crate::event_api::{event_add, event_del_noblock, event_free, event_new, EV_PERSIST, EV_READ};
use crate::layout::event;
use crate::legacy::or_current;
use crate::objects::event_base;
use crate::util::{
    evutil_make_listen_socket_ipv6only, evutil_make_listen_socket_reuseable,
    evutil_make_listen_socket_reuseable_port, evutil_make_tcp_listen_socket_deferred,
    evutil_socket_t,
};

/// Accepted sockets stay blocking.
pub const LEV_OPT_LEAVE_SOCKETS_BLOCKING: c_uint = 1u32 << 0;
/// `evconnlistener_free` closes the listening socket.
pub const LEV_OPT_CLOSE_ON_FREE: c_uint = 1u32 << 1;
/// Accepted (and bound) sockets are close-on-exec.
pub const LEV_OPT_CLOSE_ON_EXEC: c_uint = 1u32 << 2;
/// SO_REUSEADDR on the socket `evconnlistener_new_bind` makes.
pub const LEV_OPT_REUSEABLE: c_uint = 1u32 << 3;
/// Accepted and ignored: every librel listener is thread-safe.
pub const LEV_OPT_THREADSAFE: c_uint = 1u32 << 4;
/// Created disabled: `evconnlistener_enable` starts it.
pub const LEV_OPT_DISABLED: c_uint = 1u32 << 5;
/// TCP_DEFER_ACCEPT on the socket `evconnlistener_new_bind` makes.
pub const LEV_OPT_DEFERRED_ACCEPT: c_uint = 1u32 << 6;
/// SO_REUSEPORT on the socket `evconnlistener_new_bind` makes.
pub const LEV_OPT_REUSEABLE_PORT: c_uint = 1u32 << 7;
/// IPV6_V6ONLY on the socket `evconnlistener_new_bind` makes.
pub const LEV_OPT_BIND_IPV6ONLY: c_uint = 1u32 << 8;

/// The backlog `-1` asks for, as libevent.
const DEFAULT_BACKLOG: c_int = 128;

pub type evconnlistener_cb = Option<
    unsafe extern "C" fn(
        *mut evconnlistener,
        evutil_socket_t,
        *mut libc::sockaddr,
        c_int,
        *mut c_void,
    ),
>;
pub type evconnlistener_errorcb = Option<unsafe extern "C" fn(*mut evconnlistener, *mut c_void)>;

/// Opaque to C: the handle C holds. It outlives `evconnlistener_free` as a
/// small tombstone (magic cleared, listener dropped), so a stale pointer is
/// refused instead of reaching freed memory, and the event's argument (this
/// handle) stays valid for a callback that races a free.
pub struct evconnlistener {
    magic: AtomicU64,
    listener: Mutex<Option<Arc<CListener>>>,
}

const LISTENER_MAGIC: u64 = 0x7265_6c5f_6c69_7374;

type CListener = Listener<Embedded>;

/// A listener's C side: its handle, base and event, and how its callbacks
/// are called.
struct Embedded {
    /// The handle C holds (an `*mut evconnlistener`), passed to callbacks.
    handle: usize,
    /// The `*mut event_base` it was made on.
    base: usize,
    /// The `*mut event` from `event_new` watching the socket.
    ev: usize,
    fd: evutil_socket_t,
    close_on_free: bool,
}

/// A C callback as the core keeps it: the function's address.
type AcceptFn = unsafe extern "C" fn(
    *mut evconnlistener,
    evutil_socket_t,
    *mut libc::sockaddr,
    c_int,
    *mut c_void,
);
type ErrorFn = unsafe extern "C" fn(*mut evconnlistener, *mut c_void);

impl Embedding for Embedded {
    fn watch(&self) -> bool {
        // SAFETY: the listener's own event, alive until `teardown`.
        unsafe { event_add(self.ev as *mut event, std::ptr::null()) == 0 }
    }

    fn unwatch(&self) {
        // SAFETY: as above.
        unsafe { event_del_noblock(self.ev as *mut event) };
    }

    fn teardown(&self) {
        // SAFETY: the listener's own event, freed once: the core tears a
        // listener down once, after its last reference.
        unsafe { event_free(self.ev as *mut event) };
        if self.close_on_free {
            // SAFETY: the socket the program gave this listener to close.
            unsafe { libc::close(self.fd) };
        }
    }

    fn deliver(&self, cb: usize, user: usize, conn: OwnedFd, peer: &mut PeerAddr) {
        // SAFETY: `cb` is the address of an AcceptFn (evconnlistener_new,
        // evconnlistener_set_cb).
        let cb = unsafe { std::mem::transmute::<usize, AcceptFn>(cb) };
        // SAFETY: the program's callback with the signature it was set
        // with: the new socket (now the program's) and a live address of
        // `peer.len` bytes.
        unsafe {
            cb(
                self.handle as *mut evconnlistener,
                conn.into_raw_fd(),
                (&mut peer.storage as *mut libc::sockaddr_storage).cast(),
                peer.len as c_int,
                user as *mut c_void,
            )
        };
    }

    fn report(&self, cb: usize, user: usize, err: &std::io::Error) {
        // SAFETY: `cb` is the address of an ErrorFn (set_error_cb).
        let cb = unsafe { std::mem::transmute::<usize, ErrorFn>(cb) };
        set_errno(err.raw_os_error().unwrap_or(0));
        // SAFETY: the program's error callback, with the failed accept's
        // errno for EVUTIL_SOCKET_ERROR().
        unsafe { cb(self.handle as *mut evconnlistener, user as *mut c_void) };
    }
}

fn accept_word(cb: evconnlistener_cb) -> Option<usize> {
    cb.map(|f| f as usize)
}

fn set_errno(code: c_int) {
    // SAFETY: the calling thread's errno, always valid to write.
    unsafe { *libc::__errno_location() = code };
}

/// The listener's event callback; `arg` is the handle, which is never
/// freed (see [`evconnlistener`]).
unsafe extern "C" fn listener_ready(_fd: evutil_socket_t, _what: c_short, arg: *mut c_void) {
    // SAFETY: the argument this module gave the event: a handle, which
    // lives as long as the process.
    let handle = unsafe { &*arg.cast::<evconnlistener>() };
    if let Some(l) = handle.take_ref() {
        l.on_ready();
    }
}

impl evconnlistener {
    /// The listener, while the handle is live.
    fn take_ref(&self) -> Option<Arc<CListener>> {
        self.listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Turns the handle into a tombstone, kept reachable for the process's
    /// life; returns the listener it held.
    fn bury(&self) -> Option<Arc<CListener>> {
        static TOMBSTONES: Mutex<Vec<usize>> = Mutex::new(Vec::new());
        self.magic.store(0, Ordering::Release);
        let l = self
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if l.is_some() {
            TOMBSTONES
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(self as *const evconnlistener as usize);
        }
        l
    }
}

impl FromC<*mut evconnlistener> for Arc<CListener> {
    unsafe fn from_c(p: *mut evconnlistener) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or a pointer librel returned,
        // which stays readable (as a tombstone) after it is freed.
        let h = unsafe { p.as_ref() }.ok_or(Refusal::Missing("evconnlistener"))?;
        if h.magic.load(Ordering::Acquire) != LISTENER_MAGIC {
            return Err(Refusal::Misuse("not a live evconnlistener"));
        }
        h.take_ref()
            .ok_or(Refusal::Misuse("not a live evconnlistener"))
    }
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_new(
    base: *mut event_base,
    cb: evconnlistener_cb,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    fd: evutil_socket_t,
) -> *mut evconnlistener {
    entry("evconnlistener_new", || {
        let base = or_current(base);
        let _: &event_base = arg!(base)?;
        if fd < 0 {
            return Err(Refusal::Misuse("invalid fd"));
        }
        let backlog = if backlog < 0 {
            DEFAULT_BACKLOG
        } else {
            backlog
        };
        // SAFETY: listen on a caller-supplied fd; a bad one gives -1.
        if backlog > 0 && unsafe { libc::listen(fd, backlog) } < 0 {
            return Err(Refusal::Quiet); // errno says why, as libevent
        }
        let handle = Box::into_raw(Box::new(evconnlistener {
            magic: AtomicU64::new(LISTENER_MAGIC),
            listener: Mutex::new(None),
        }));
        // SAFETY: a live base (checked above) and this module's callback,
        // whose argument is the handle.
        let ev = unsafe {
            event_new(
                base,
                fd,
                EV_READ | EV_PERSIST,
                Some(listener_ready),
                handle.cast(),
            )
        };
        if ev.is_null() {
            // SAFETY: the handle made above, never shared.
            drop(unsafe { Box::from_raw(handle) });
            return Err(Refusal::Misuse("out of memory"));
        }
        let opts = AcceptOpts {
            nonblocking: flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING == 0,
            cloexec: flags & LEV_OPT_CLOSE_ON_EXEC != 0,
        };
        let embedded = Embedded {
            handle: handle as usize,
            base: base as usize,
            ev: ev as usize,
            fd,
            close_on_free: flags & LEV_OPT_CLOSE_ON_FREE != 0,
        };
        let enabled = flags & LEV_OPT_DISABLED == 0;
        let l = Arc::new(Listener::new(
            embedded,
            fd,
            opts,
            accept_word(cb),
            ptr as usize,
            enabled,
        ));
        if !l.arm() {
            // The socket cannot be watched (event_add logged why): a
            // listener that would never accept is refused.
            // SAFETY: the event made above, never added nor shared; the
            // socket stays the program's.
            unsafe { event_free(ev) };
            // SAFETY: the handle made above, never shared.
            drop(unsafe { Box::from_raw(handle) });
            return Err(Refusal::Quiet);
        }
        // SAFETY: the handle made above; C sees it only once this returns.
        *unsafe { &*handle }
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(l);
        Ok(handle)
    })
}

/// Sets one socket option through its evutil helper; false if it failed.
fn option(fd: evutil_socket_t, wanted: bool, set: extern "C" fn(evutil_socket_t) -> c_int) -> bool {
    !wanted || set(fd) == 0
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_new_bind(
    base: *mut event_base,
    cb: evconnlistener_cb,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    sa: *const libc::sockaddr,
    socklen: c_int,
) -> *mut evconnlistener {
    entry("evconnlistener_new_bind", || {
        if backlog == 0 {
            return Err(Refusal::Misuse("a backlog of 0 binds nothing to listen on"));
        }
        // SAFETY: the boundary contract: NULL or a readable sockaddr.
        let family = unsafe { sa.as_ref() }.map_or(libc::AF_UNSPEC, |s| c_int::from(s.sa_family));
        let mut kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
        if flags & LEV_OPT_CLOSE_ON_EXEC != 0 {
            kind |= libc::SOCK_CLOEXEC;
        }
        // SAFETY: plain socket creation.
        let fd = unsafe { libc::socket(family, kind, 0) };
        if fd < 0 {
            return Err(Refusal::Quiet);
        }
        let one: c_int = 1;
        // SAFETY: setsockopt with a pointer to a live int of the stated size.
        let keepalive = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_KEEPALIVE,
                (&one as *const c_int).cast(),
                std::mem::size_of::<c_int>() as libc::socklen_t,
            )
        } == 0;
        let ready = keepalive
            && option(fd, flags & LEV_OPT_REUSEABLE != 0, evutil_make_listen_socket_reuseable)
            && option(
                fd,
                flags & LEV_OPT_REUSEABLE_PORT != 0,
                evutil_make_listen_socket_reuseable_port,
            )
            && option(
                fd,
                flags & LEV_OPT_DEFERRED_ACCEPT != 0,
                evutil_make_tcp_listen_socket_deferred,
            )
            && option(fd, flags & LEV_OPT_BIND_IPV6ONLY != 0, evutil_make_listen_socket_ipv6only)
            // SAFETY: `sa` is readable for `socklen` bytes (the contract).
            && (sa.is_null() || unsafe { libc::bind(fd, sa, socklen as libc::socklen_t) } == 0);
        let l = if ready {
            // SAFETY: forwarded arguments of this entry point.
            unsafe { evconnlistener_new(base, cb, ptr, flags, backlog, fd) }
        } else {
            std::ptr::null_mut()
        };
        if l.is_null() {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            // SAFETY: the socket made above, owned here.
            unsafe { libc::close(fd) };
            set_errno(errno); // the failure's, not close's
            return Err(Refusal::Quiet);
        }
        Ok(l)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_free(lev: *mut evconnlistener) {
    entry("evconnlistener_free", || {
        let _: Arc<CListener> = arg!(lev)?;
        // SAFETY: checked live just above (the contract: C's pointer).
        let l = unsafe { &*lev }
            .bury()
            .ok_or(Refusal::Misuse("not a live evconnlistener"))?;
        l.free();
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_enable(lev: *mut evconnlistener) -> c_int {
    entry("evconnlistener_enable", || {
        let l: Arc<CListener> = arg!(lev)?;
        if l.enable() {
            Ok(0)
        } else {
            Err(Refusal::Quiet) // event_add logged why
        }
    })
}

/// A callback in flight (on the loop thread) is not waited for: it sees
/// the listener disabled when it returns, and accepts no more.
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_disable(lev: *mut evconnlistener) -> c_int {
    entry("evconnlistener_disable", || {
        let l: Arc<CListener> = arg!(lev)?;
        l.disable();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_base(lev: *mut evconnlistener) -> *mut event_base {
    entry("evconnlistener_get_base", || {
        let l: Arc<CListener> = arg!(lev)?;
        Ok(l.embedding.base as *mut event_base)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_fd(lev: *mut evconnlistener) -> evutil_socket_t {
    entry("evconnlistener_get_fd", || {
        let l: Arc<CListener> = arg!(lev)?;
        Ok(l.fd())
    })
}

/// A NULL callback keeps the listener idle; setting one on an enabled
/// listener starts it.
#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_cb(
    lev: *mut evconnlistener,
    cb: evconnlistener_cb,
    arg: *mut c_void,
) {
    entry("evconnlistener_set_cb", || {
        let l: Arc<CListener> = arg!(lev)?;
        if l.set_cb(accept_word(cb), arg as usize) {
            Ok(())
        } else {
            Err(Refusal::Quiet) // event_add logged why
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_error_cb(
    lev: *mut evconnlistener,
    errorcb: evconnlistener_errorcb,
) {
    entry("evconnlistener_set_error_cb", || {
        let l: Arc<CListener> = arg!(lev)?;
        l.set_error_cb(errorcb.map(|f| f as usize));
        Ok(())
    })
}

//! A connection listener (libevent's listener.c): the accept loop run
//! when a listening socket is readable, what its errors mean, and the
//! listener's state: callbacks, enabled, and the references that let a
//! callback free its own listener.
//!
//! The embedding layer supplies the event that watches the socket and the
//! calls into its callbacks ([`Embedding`]); callbacks are opaque words
//! here, as [`crate::event::Callback`]'s are. As in libevent, a callback in
//! flight holds a reference: [`Listener::free`] drops the owner's, and
//! whoever drops the last one tears the listener down. No lock is held
//! while a callback runs, and teardown (which may wait for a callback on
//! the loop thread) runs without the lock, so neither can deadlock with
//! the other.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard};

use crate::fdutil::cvt;
use crate::log::warn;

/// How accepted sockets are made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptOpts {
    /// O_NONBLOCK on the new socket (libevent's default).
    pub nonblocking: bool,
    /// FD_CLOEXEC on the new socket, set atomically by accept4.
    pub cloexec: bool,
}

/// The peer's address as the kernel wrote it: raw bytes of a
/// `sockaddr_storage` and the length used.
pub struct PeerAddr {
    pub storage: libc::sockaddr_storage,
    pub len: u32,
}

/// What one accept attempt gave.
pub enum Accepted {
    /// A connection, and where it came from.
    Conn(OwnedFd, PeerAddr),
    /// Nothing more to accept now (the queue is empty, a signal came, or
    /// the peer gave up): wait for the next readiness, quietly.
    Retry,
    /// An error worth reporting (not a listening socket, out of fds...).
    Failed(io::Error),
}

/// Whether an accept error only means "try again later": EAGAIN, EINTR and
/// ECONNABORTED (a connection reset while it sat in the queue).
pub fn retriable(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EAGAIN | libc::EINTR | libc::ECONNABORTED)
    ) || err.kind() == io::ErrorKind::WouldBlock
}

/// The log line for an accept error nobody handles, worded as libevent's
/// (the system's text without Rust's "(os error N)").
pub fn error_message(err: &io::Error) -> String {
    let text = err.to_string();
    let text = text.split(" (os error").next().unwrap_or_default();
    format!("Error from accept() call: {text}")
}

/// Accepts one connection on `listener`. A connection with an empty
/// address (old kernels answering port scans) is closed and skipped.
pub fn accept_one(listener: RawFd, opts: AcceptOpts) -> Accepted {
    let flags = if opts.nonblocking {
        libc::SOCK_NONBLOCK
    } else {
        0
    } | if opts.cloexec { libc::SOCK_CLOEXEC } else { 0 };
    loop {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: the address buffer and its length are live locals of the
        // sizes stated; a bad fd only makes accept4 fail.
        let r = cvt(unsafe {
            libc::accept4(
                listener,
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                &mut len,
                flags,
            )
        });
        match r {
            Ok(fd) => {
                // SAFETY: accept4 just created this descriptor; nothing
                // else owns it.
                let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                if len == 0 {
                    continue; // dropped: closed
                }
                return Accepted::Conn(fd, PeerAddr { storage, len });
            }
            Err(e) if retriable(&e) => return Accepted::Retry,
            Err(e) => return Accepted::Failed(e),
        }
    }
}

/// What the embedding layer does for a listener.
pub trait Embedding {
    /// Starts watching the socket for readiness; false if refused.
    fn watch(&self) -> bool;
    /// Stops watching, without waiting for a callback in flight (which
    /// sees the listener disabled when it returns).
    fn unwatch(&self);
    /// The last reference is gone: stop watching for good (waiting for a
    /// callback on another thread is fine: no lock is held) and close
    /// the socket if the listener owns it.
    fn teardown(&self);
    /// Calls the accept callback `cb` with the new connection.
    fn deliver(&self, cb: usize, user: usize, conn: OwnedFd, peer: &mut PeerAddr);
    /// Calls the error callback `cb` after a failed accept.
    fn report(&self, cb: usize, user: usize, err: &io::Error);
}

/// A listener over its embedding `E`.
pub struct Listener<E> {
    pub embedding: E,
    fd: RawFd,
    opts: AcceptOpts,
    state: Mutex<State>,
}

/// What changes, under the listener's lock.
struct State {
    cb: Option<usize>,
    errorcb: Option<usize>,
    /// The argument both callbacks get.
    user: usize,
    enabled: bool,
    /// The owner's reference plus one per callback in flight.
    refs: u32,
    /// Torn down: nothing more happens.
    gone: bool,
}

impl<E: Embedding> Listener<E> {
    /// A listener on `fd`, not yet watching it: see [`Listener::arm`].
    pub fn new(
        embedding: E,
        fd: RawFd,
        opts: AcceptOpts,
        cb: Option<usize>,
        user: usize,
        enabled: bool,
    ) -> Listener<E> {
        Listener {
            embedding,
            fd,
            opts,
            state: Mutex::new(State {
                cb,
                errorcb: None,
                user,
                enabled,
                refs: 1,
                gone: false,
            }),
        }
    }

    pub fn fd(&self) -> RawFd {
        self.fd
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Watches the socket if enabled with a callback (watching never waits,
    /// so the lock may be held); false if that was refused.
    fn watch_if_due(&self, st: &State) -> bool {
        !(st.enabled && st.cb.is_some() && !st.gone) || self.embedding.watch()
    }

    /// Starts a new listener as it was made (enabled or not).
    pub fn arm(&self) -> bool {
        self.watch_if_due(&self.lock())
    }

    /// `evconnlistener_enable`: false if watching was refused.
    pub fn enable(&self) -> bool {
        let mut st = self.lock();
        st.enabled = true;
        self.watch_if_due(&st)
    }

    /// `evconnlistener_disable`: a callback in flight finishes, and no
    /// other connection is accepted until enabled again.
    pub fn disable(&self) {
        let mut st = self.lock();
        st.enabled = false;
        self.embedding.unwatch();
    }

    /// `evconnlistener_set_cb`: a callback set on an enabled listener
    /// without one starts it; false if watching was refused.
    pub fn set_cb(&self, cb: Option<usize>, user: usize) -> bool {
        let mut st = self.lock();
        let start = st.cb.is_none() && cb.is_some();
        st.cb = cb;
        st.user = user;
        !start || self.watch_if_due(&st)
    }

    pub fn set_error_cb(&self, errorcb: Option<usize>) {
        self.lock().errorcb = errorcb;
    }

    /// `evconnlistener_free`: drops the owner's reference; no callback
    /// starts afterwards (one already past the lock may still run).
    pub fn free(&self) {
        let mut st = self.lock();
        st.cb = None;
        st.errorcb = None;
        self.release(st);
    }

    /// Drops one reference; the last one tears the listener down once the
    /// lock is released.
    fn release(&self, mut st: MutexGuard<'_, State>) {
        st.refs -= 1;
        if st.refs == 0 {
            st.gone = true;
            drop(st);
            self.embedding.teardown();
        }
    }

    /// The socket is readable: accepts until nothing is left, the
    /// listener is disabled or freed, or an error is reported.
    pub fn on_ready(&self) {
        let mut st = self.lock();
        if st.gone || !st.enabled {
            return;
        }
        loop {
            match accept_one(self.fd, self.opts) {
                Accepted::Conn(conn, mut peer) => {
                    let Some(cb) = st.cb else {
                        return; // no callback: the connection is closed
                    };
                    st.refs += 1;
                    let user = st.user;
                    drop(st);
                    self.embedding.deliver(cb, user, conn, &mut peer);
                    st = self.lock();
                    if st.refs == 1 {
                        // Freed meanwhile (by the callback or elsewhere).
                        return self.release(st);
                    }
                    st.refs -= 1;
                    if !st.enabled {
                        return;
                    }
                }
                Accepted::Retry => return,
                Accepted::Failed(err) => {
                    let Some(errorcb) = st.errorcb else {
                        drop(st);
                        return warn(&error_message(&err));
                    };
                    st.refs += 1;
                    let user = st.user;
                    drop(st);
                    self.embedding.report(errorcb, user, &err);
                    return self.release(self.lock());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    fn fd_flags(fd: RawFd) -> (i32, i32) {
        // SAFETY: flag queries on a descriptor owned by the test.
        unsafe {
            (
                libc::fcntl(fd, libc::F_GETFL),
                libc::fcntl(fd, libc::F_GETFD),
            )
        }
    }

    #[test]
    fn accepts_with_the_flags_asked_and_the_peer_address() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        assert!(matches!(
            accept_one(l.as_raw_fd(), AcceptOpts::default()),
            Accepted::Retry
        ));
        for (nonblocking, cloexec) in [(true, false), (false, true)] {
            let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
            let opts = AcceptOpts {
                nonblocking,
                cloexec,
            };
            let Accepted::Conn(fd, peer) = accept_one(l.as_raw_fd(), opts) else {
                panic!("no connection accepted");
            };
            let (status, fdfl) = fd_flags(fd.as_raw_fd());
            assert_eq!(status & libc::O_NONBLOCK != 0, nonblocking);
            assert_eq!(fdfl & libc::FD_CLOEXEC != 0, cloexec);
            assert_eq!(peer.len as usize, std::mem::size_of::<libc::sockaddr_in>());
            assert_eq!(i32::from(peer.storage.ss_family), libc::AF_INET);
            // SAFETY: an AF_INET address fills a sockaddr_in.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((&peer.storage as *const libc::sockaddr_storage).cast()) };
            assert_eq!(u16::from_be(sin.sin_port), c.local_addr().unwrap().port());
        }
    }

    #[test]
    fn a_socket_that_does_not_listen_fails() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        match accept_one(a.as_raw_fd(), AcceptOpts::default()) {
            Accepted::Failed(e) => assert!(!retriable(&e)),
            _ => panic!("accept on a connected socket must fail"),
        }
    }

    /// Records what the listener asks of its embedding; the callback word
    /// says what the "callback" does: 1 nothing, 2 free, 3 disable.
    #[derive(Default)]
    struct Fake {
        me: std::sync::OnceLock<std::sync::Weak<Listener<Fake>>>,
        calls: Mutex<Vec<String>>,
        ports: Mutex<Vec<u16>>,
    }

    impl Fake {
        fn log(&self, what: String) {
            self.calls.lock().unwrap().push(what);
        }
        fn calls(&self) -> Vec<String> {
            std::mem::take(&mut *self.calls.lock().unwrap())
        }
        fn me(&self) -> std::sync::Arc<Listener<Fake>> {
            self.me.get().unwrap().upgrade().unwrap()
        }
    }

    impl Embedding for Fake {
        fn watch(&self) -> bool {
            self.log("watch".into());
            true
        }
        fn unwatch(&self) {
            self.log("unwatch".into());
        }
        fn teardown(&self) {
            self.log("teardown".into());
        }
        fn deliver(&self, cb: usize, user: usize, conn: OwnedFd, peer: &mut PeerAddr) {
            drop(conn);
            // SAFETY: an AF_INET peer fills a sockaddr_in.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((&peer.storage as *const libc::sockaddr_storage).cast()) };
            self.ports.lock().unwrap().push(u16::from_be(sin.sin_port));
            self.log(format!("deliver {cb} {user}"));
            match cb {
                2 => self.me().free(),
                3 => self.me().disable(),
                _ => {}
            }
        }
        fn report(&self, cb: usize, user: usize, err: &io::Error) {
            self.log(format!(
                "report {cb} {user} {}",
                err.raw_os_error().unwrap_or(0)
            ));
            if cb == 2 {
                self.me().free();
            }
        }
    }

    fn make(fd: RawFd, cb: Option<usize>) -> std::sync::Arc<Listener<Fake>> {
        let opts = AcceptOpts {
            nonblocking: true,
            cloexec: true,
        };
        let l = std::sync::Arc::new(Listener::new(Fake::default(), fd, opts, cb, 7, true));
        l.embedding.me.set(std::sync::Arc::downgrade(&l)).unwrap();
        l
    }

    fn server() -> (TcpListener, u16) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        (l, port)
    }

    fn clients(port: u16, n: usize) -> Vec<TcpStream> {
        (0..n)
            .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect()
    }

    #[test]
    fn a_ready_listener_accepts_everything_queued_in_order() {
        let (s, port) = server();
        let l = make(s.as_raw_fd(), Some(1));
        assert!(l.arm());
        let c = clients(port, 3);
        l.on_ready();
        let want: Vec<u16> = c.iter().map(|c| c.local_addr().unwrap().port()).collect();
        assert_eq!(*l.embedding.ports.lock().unwrap(), want);
        assert_eq!(
            l.embedding.calls(),
            ["watch", "deliver 1 7", "deliver 1 7", "deliver 1 7"]
        );
        l.free();
        assert_eq!(l.embedding.calls(), ["teardown"]);
    }

    #[test]
    fn freed_by_its_callback_it_goes_after_the_callback() {
        let (s, port) = server();
        let l = make(s.as_raw_fd(), Some(2));
        let _c = clients(port, 3);
        l.on_ready();
        assert_eq!(l.embedding.calls(), ["deliver 2 7", "teardown"]);
        l.on_ready();
        assert!(l.embedding.calls().is_empty(), "nothing after teardown");
    }

    #[test]
    fn disabled_by_its_callback_it_stops_until_enabled() {
        let (s, port) = server();
        let l = make(s.as_raw_fd(), Some(3));
        let _c = clients(port, 2);
        l.on_ready();
        assert_eq!(l.embedding.calls(), ["deliver 3 7", "unwatch"]);
        l.on_ready();
        assert!(l.embedding.calls().is_empty(), "disabled: no accept");
        assert!(l.set_cb(Some(1), 8));
        assert!(l.enable());
        l.on_ready();
        assert_eq!(l.embedding.calls(), ["watch", "deliver 1 8"]);
    }

    #[test]
    fn without_a_callback_a_connection_is_closed_and_nothing_watched() {
        let (s, port) = server();
        let l = make(s.as_raw_fd(), None);
        assert!(l.arm());
        let mut c = clients(port, 1);
        l.on_ready();
        assert!(l.embedding.calls().is_empty());
        use std::io::Read;
        assert_eq!(
            c[0].read(&mut [0u8; 4]).unwrap(),
            0,
            "closed by the listener"
        );
        assert!(l.set_cb(Some(1), 9));
        assert_eq!(l.embedding.calls(), ["watch"]);
    }

    #[test]
    fn accept_errors_go_to_the_error_callback_which_may_free() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let l = make(a.as_raw_fd(), Some(1));
        l.on_ready(); // no error callback: logged only
        assert!(l.embedding.calls().is_empty());
        l.set_error_cb(Some(1));
        l.on_ready();
        assert_eq!(
            l.embedding.calls(),
            [format!("report 1 7 {}", libc::EINVAL)]
        );
        l.set_error_cb(Some(2));
        l.on_ready();
        assert_eq!(
            l.embedding.calls(),
            [format!("report 2 7 {}", libc::EINVAL), "teardown".into()]
        );
    }

    #[test]
    fn classification() {
        for e in [libc::EAGAIN, libc::EINTR, libc::ECONNABORTED] {
            assert!(retriable(&io::Error::from_raw_os_error(e)));
        }
        for e in [libc::EINVAL, libc::EMFILE, libc::EBADF, libc::ENOTSOCK] {
            assert!(!retriable(&io::Error::from_raw_os_error(e)));
        }
        assert_eq!(
            error_message(&io::Error::from_raw_os_error(libc::EINVAL)),
            "Error from accept() call: Invalid argument"
        );
    }
}

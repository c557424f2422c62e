//! The accept step of a connection listener (libevent's listener.c): one
//! `accept4` on a ready listening socket, and what its error means.
//!
//! The embedding layer owns the listener object, its lock and its
//! callbacks; this module only knows sockets.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::fdutil::cvt;

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

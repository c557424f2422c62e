//! Wakes a loop blocked in its backend from another thread: an eventfd on
//! Linux, a non-blocking pipe elsewhere.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

pub struct Waker {
    /// The eventfd, or the pipe's read end.
    read: OwnedFd,
    /// The pipe's write end (an eventfd is both ends).
    #[cfg(not(linux_kernel))]
    write: OwnedFd,
}

impl Waker {
    #[cfg(linux_kernel)]
    pub fn new() -> io::Result<Waker> {
        use super::fdutil::cvt;
        use std::os::fd::FromRawFd;

        // SAFETY: no pointers involved.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: `fd` was just created and nothing else owns it.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Waker { read })
    }

    #[cfg(not(linux_kernel))]
    pub fn new() -> io::Result<Waker> {
        let (read, write) = super::fdutil::nonblocking_pipe()?;
        Ok(Waker { read, write })
    }

    /// The fd the loop watches for readability.
    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    pub fn wake(&self) {
        #[cfg(linux_kernel)]
        let fd = &self.read;
        #[cfg(not(linux_kernel))]
        let fd = &self.write;
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live local. A full pipe or a saturated
        // eventfd already guarantees a wake-up, so the result is ignored.
        unsafe { libc::write(fd.as_raw_fd(), std::ptr::from_ref(&one).cast(), 8) };
    }

    /// Consumes pending wake-ups.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        // A short read left nothing behind (an eventfd always reads as its 8
        // bytes), so one read is enough unless it filled the buffer.
        // SAFETY: reads into a live local buffer of the stated size.
        while unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) }
            == buf.len() as isize
        {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no waiting.
        unsafe { libc::poll(&mut p, 1, 0) == 1 }
    }

    #[test]
    fn wake_makes_readable_until_drained() {
        let w = Waker::new().unwrap();
        assert!(!readable(w.fd()));
        w.wake();
        w.wake();
        assert!(readable(w.fd()));
        w.drain();
        assert!(!readable(w.fd()));
    }
}

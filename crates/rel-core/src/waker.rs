//! Wakes a loop blocked in its backend from another thread: an eventfd on
//! Linux, a non-blocking pipe elsewhere.

use std::io;
use std::os::unix::io::RawFd;

pub struct Waker {
    read_fd: RawFd,
    write_fd: RawFd,
}

impl Waker {
    pub fn new() -> io::Result<Waker> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // SAFETY: plain syscall with constant flags.
            let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(Waker {
                read_fd: fd,
                write_fd: fd,
            })
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let (read_fd, write_fd) = super::fdutil::nonblocking_pipe()?;
            Ok(Waker { read_fd, write_fd })
        }
    }

    /// The fd the loop watches for readability.
    pub fn fd(&self) -> RawFd {
        self.read_fd
    }

    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live local. A full pipe or a saturated
        // eventfd already guarantees a wake-up, so the result is ignored.
        unsafe { libc::write(self.write_fd, (&one as *const u64).cast(), 8) };
    }

    /// Consumes pending wake-ups.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        // SAFETY: reads into a live local buffer of the stated size.
        while unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {
            if self.read_fd == self.write_fd {
                break; // an eventfd is emptied by one read
            }
        }
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        // SAFETY: the fds are owned by this Waker and closed once.
        unsafe {
            libc::close(self.read_fd);
            if self.write_fd != self.read_fd {
                libc::close(self.write_fd);
            }
        }
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

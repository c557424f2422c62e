//! Small syscall and fd helpers shared by the backends, the waker and the
//! signal pipe.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// A libc return value as `io::Result`: negative (-1) means the error is in
/// errno. A function rather than a macro that wraps the call, so each call
/// site keeps its own `unsafe` block and the comment justifying it. Testing
/// the sign (not `== -1`) lets the compiler see a count is never negative.
pub fn cvt<T: PartialOrd + From<i8>>(r: T) -> io::Result<T> {
    if r < T::from(0) {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A pipe with both ends non-blocking and close-on-exec: (read, write).
#[cfg(not(target_vendor = "apple"))]
pub fn nonblocking_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    // pipe2 sets the flags atomically: a fork + exec on another thread
    // cannot inherit the pipe in between.
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors were just created and nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A pipe with both ends non-blocking and close-on-exec: (read, write).
/// Apple systems lack pipe2, so the flags follow the pipe's creation.
#[cfg(target_vendor = "apple")]
pub fn nonblocking_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    use std::os::fd::AsRawFd;

    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    cvt(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: both descriptors were just created and nothing else owns them.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // A fresh pipe has no other flags to keep, so no F_GETFL/F_GETFD first.
    for fd in [ends.0.as_raw_fd(), ends.1.as_raw_fd()] {
        // SAFETY: fcntl on descriptors owned here; no pointers involved.
        unsafe {
            cvt(libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK))?;
            cvt(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC))?;
        }
    }
    Ok(ends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn cvt_reports_errno_for_minus_one() {
        // SAFETY: closing an fd that cannot be open only sets errno.
        let err = cvt(unsafe { libc::close(-1) }).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        assert_eq!(cvt(0isize).unwrap(), 0);
    }

    #[test]
    fn pipe_ends_are_nonblocking_and_close_on_exec() {
        let (read, write) = nonblocking_pipe().unwrap();
        for fd in [read.as_raw_fd(), write.as_raw_fd()] {
            // SAFETY: flag queries on descriptors owned here.
            let (status, fd_flags) = unsafe {
                (
                    libc::fcntl(fd, libc::F_GETFL),
                    libc::fcntl(fd, libc::F_GETFD),
                )
            };
            assert_ne!(status & libc::O_NONBLOCK, 0, "fd {fd}");
            assert_ne!(fd_flags & libc::FD_CLOEXEC, 0, "fd {fd}");
        }
    }
}

//! Reading from and writing to file descriptors (`evbuffer_read`,
//! `evbuffer_write_atmost`).
//!
//! Unlike libevent 2.1 there is no `ioctl(FIONREAD)` per read and no 4 KiB
//! cap: a read offers the last chain's free space, plus one new chain when
//! that space is small next to what recent reads brought, up to 64 KiB;
//! the offer grows while reads fill it. Writes
//! to sockets use `sendmsg(MSG_NOSIGNAL)`, so a closed peer never raises
//! SIGPIPE; other fds get `writev`.

use std::io;
use std::os::unix::io::RawFd;

use super::chain::{Chain, GROW_MAX};
use super::Buffer;

/// Most bytes one read asks for.
pub const READ_MAX: usize = GROW_MAX;
/// The smallest new chain a read offers.
const READ_MIN: usize = 4096;
/// Most extents one write gathers.
const WRITE_IOVECS: usize = 128;

impl Buffer {
    /// Reads at most `max` bytes (`None`: as much as one call takes, up
    /// to [`READ_MAX`]). Returns the count; 0 at end of file.
    pub fn read_from(&mut self, fd: RawFd, max: Option<usize>) -> io::Result<usize> {
        let max = max.unwrap_or(READ_MAX).min(READ_MAX);
        if max == 0 {
            return Ok(0);
        }
        let n_chains = self.chains.len();
        let tail = self
            .chains
            .back()
            .filter(|c| c.is_own())
            .map_or(0, |c| c.spare().min(max));
        let mut iov = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; 2];
        let mut n_iov = 0;
        if tail > 0 {
            let last = self.chains.back_mut().expect("tail space");
            let end = last.end;
            let space = &mut last.raw_mut()[end..end + tail];
            iov[0] = libc::iovec {
                iov_base: space.as_mut_ptr().cast(),
                iov_len: tail,
            };
            n_iov = 1;
        }
        // A new chain only when the free space is small next to what reads
        // have been bringing: no allocation for a read the tail can take.
        let more = if tail > 0 && tail >= self.read_size.min(max) / 2 {
            0
        } else {
            max - tail
        };
        if more > 0 {
            let offer = more.min(self.read_size.max(READ_MIN));
            let mut c = Chain::own(offer.next_multiple_of(64));
            let space = &mut c.raw_mut()[..offer];
            iov[n_iov] = libc::iovec {
                iov_base: space.as_mut_ptr().cast(),
                iov_len: offer,
            };
            n_iov += 1;
            // The chain's storage does not move when the chain does.
            self.chains.push_back(c);
        }
        let offered: usize = iov[..n_iov].iter().map(|v| v.iov_len).sum();
        // SAFETY: each iovec covers memory of an owned chain of this buffer
        // (exclusively borrowed through `self`), which stays allocated for
        // the call; the kernel writes at most `iov_len` bytes to each.
        let r = unsafe { libc::readv(fd, iov.as_ptr(), n_iov as libc::c_int) };
        let got = if r < 0 {
            let e = io::Error::last_os_error();
            self.drop_unused_read_chain(n_chains);
            return Err(e);
        } else {
            r as usize
        };
        let in_tail = got.min(tail);
        if in_tail > 0 {
            let idx = if more > 0 {
                self.chains.len() - 2
            } else {
                self.chains.len() - 1
            };
            self.chains[idx].end += in_tail;
        }
        if more > 0 {
            let last = self.chains.back_mut().expect("pushed");
            last.end += got - in_tail;
        }
        if got - in_tail == 0 {
            self.drop_unused_read_chain(n_chains);
        }
        self.len += got;
        // Offer more next time while reads fill what was offered.
        self.read_size = if got == offered {
            (self.read_size * 2).min(READ_MAX)
        } else {
            self.read_size.max(got.next_power_of_two()).min(READ_MAX)
        };
        Ok(got)
    }

    /// A chain pushed for a read that got nothing into it stays only if it
    /// is all the buffer has (it is then reused by the next append).
    fn drop_unused_read_chain(&mut self, before: usize) {
        if self.chains.len() > before && self.chains.len() > 1 {
            self.chains.pop_back();
        }
    }

    /// Writes at most `max` bytes from the front and drains what was
    /// written. Returns the count.
    pub fn write_to(&mut self, fd: RawFd, max: usize) -> io::Result<usize> {
        let max = max.min(self.len);
        // Not zeroed: most writes fill one or two of the 128 entries.
        let mut iov = [const { std::mem::MaybeUninit::<libc::iovec>::uninit() }; WRITE_IOVECS];
        let mut n_iov = 0;
        let mut total = 0;
        for part in self.chunks_from(0) {
            if total == max || n_iov == WRITE_IOVECS {
                break;
            }
            let k = part.len().min(max - total);
            iov[n_iov].write(libc::iovec {
                iov_base: part.as_ptr().cast_mut().cast(),
                iov_len: k,
            });
            n_iov += 1;
            total += k;
        }
        if n_iov == 0 {
            return Ok(0);
        }
        // SAFETY: the first `n_iov` entries were written just above.
        let iov = unsafe { std::slice::from_raw_parts(iov.as_ptr().cast::<libc::iovec>(), n_iov) };
        let n = self.send(fd, iov)?;
        self.drain(n);
        Ok(n)
    }

    /// `sendmsg` with MSG_NOSIGNAL on sockets, `writev` elsewhere; which
    /// one an fd takes is remembered for the next write to it.
    fn send(&mut self, fd: RawFd, iov: &[libc::iovec]) -> io::Result<usize> {
        let known = match self.sock {
            Some((f, is_sock)) if f == fd => Some(is_sock),
            _ => None,
        };
        if known != Some(false) {
            // SAFETY: a zeroed msghdr is valid; only the iovec fields are set.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_iov = iov.as_ptr().cast_mut();
            msg.msg_iovlen = iov.len() as _;
            // SAFETY: `msg` points at `iov`, whose extents are chains of
            // this buffer, alive and unchanged for the call.
            let r = unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) };
            if r >= 0 {
                self.sock = Some((fd, true));
                return Ok(r as usize);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ENOTSOCK) {
                return Err(e);
            }
            self.sock = Some((fd, false));
        }
        // SAFETY: as above, for writev.
        let r = unsafe { libc::writev(fd, iov.as_ptr(), iov.len() as libc::c_int) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }
}

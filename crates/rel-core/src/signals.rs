//! Signal delivery: a process-wide `sigaction` handler that counts each
//! signal and pokes the owning base's self-pipe. No signalfd, so other threads
//! (a Python interpreter's, say) need not block anything.
//!
//! One base owns delivery at a time (the last to add a signal event or start
//! looping with one), as in libevent. Counts live in atomics, so a full pipe
//! never loses a signal: the pipe only says "look at the counters".

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::Mutex;

use super::fdutil::{cvt, nonblocking_pipe};

/// Number of signal numbers (valid ones are 1..NSIG).
#[cfg(linux_kernel)]
pub const NSIG: usize = 65;
#[cfg(not(linux_kernel))]
pub const NSIG: usize = 33;

static COUNTS: [AtomicU32; NSIG] = [const { AtomicU32::new(0) }; NSIG];
/// The owning pipe's write end, or -1. A raw number: the handler may only
/// load an atomic, not reach into the pipe.
static OWNER_FD: AtomicI32 = AtomicI32::new(-1);

/// Handlers we replaced, and how many bases currently watch each signal.
struct Installed {
    users: [u32; NSIG],
    previous: [Option<libc::sigaction>; NSIG],
}

static INSTALLED: Mutex<Installed> = Mutex::new(Installed {
    users: [0; NSIG],
    previous: [None; NSIG],
});

// Where each libc keeps the calling thread's errno.
#[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
use libc::__errno as errno_location;
#[cfg(any(target_os = "linux", target_os = "dragonfly"))]
use libc::__errno_location as errno_location;
#[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
use libc::__error as errno_location;

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: atomics and write(2), with errno
    // left as the interrupted code had it.
    // SAFETY: no preconditions; the result is valid for this thread.
    let errno = unsafe { errno_location() };
    // SAFETY: `errno` points at this thread's errno.
    let saved = unsafe { *errno };
    if let Some(count) = COUNTS.get(sig as usize) {
        count.fetch_add(1, Ordering::SeqCst);
        let fd = OWNER_FD.load(Ordering::SeqCst);
        if fd >= 0 {
            let byte = sig as u8;
            // SAFETY: one byte from a local. `fd` is the owning pipe's write
            // end, given up before that pipe closes (SignalPipe's Drop);
            // EAGAIN on a full pipe is fine.
            unsafe { libc::write(fd, ptr::from_ref(&byte).cast(), 1) };
        }
    }
    // SAFETY: `errno` still points at this thread's errno.
    unsafe { *errno = saved };
}

pub fn valid(sig: i32) -> bool {
    sig > 0 && (sig as usize) < NSIG
}

/// A base starts watching `sig`: installs our handler on first use.
pub fn watch(sig: i32) -> io::Result<()> {
    if !valid(sig) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut inst = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    let s = sig as usize;
    if inst.users[s] == 0 {
        // SAFETY: sigaction is integers, a handler address and a signal set,
        // all valid as zeroes (the default action, no flags, an empty set).
        let (mut sa, mut old): (libc::sigaction, libc::sigaction) =
            unsafe { (mem::zeroed(), mem::zeroed()) };
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESTART;
        // SAFETY: fills a signal set we own; it cannot fail on a valid pointer.
        unsafe { libc::sigfillset(&mut sa.sa_mask) };
        // SAFETY: `sa` is initialised and `old` is a place for the previous
        // action; `on_signal` is async-signal-safe.
        cvt(unsafe { libc::sigaction(sig, &sa, &mut old) })?;
        inst.previous[s] = Some(old);
    }
    inst.users[s] += 1;
    Ok(())
}

/// A base stops watching `sig`: the previous handler returns with the last user.
pub fn unwatch(sig: i32) {
    if !valid(sig) {
        return;
    }
    let mut inst = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    let s = sig as usize;
    if inst.users[s] == 0 {
        return;
    }
    inst.users[s] -= 1;
    if inst.users[s] == 0 {
        if let Some(old) = inst.previous[s].take() {
            // SAFETY: restores an action the kernel gave us; a null
            // out-pointer asks for nothing back.
            unsafe { libc::sigaction(sig, &old, ptr::null_mut()) };
        }
        COUNTS[s].store(0, Ordering::SeqCst);
    }
}

/// Takes the number of deliveries of `sig` since the last call.
pub fn take_count(sig: i32) -> u32 {
    COUNTS
        .get(sig as usize)
        .map_or(0, |c| c.swap(0, Ordering::SeqCst))
}

/// A base's self-pipe. Dropping it gives up ownership, then closes the pipe.
pub struct SignalPipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl SignalPipe {
    pub fn new() -> io::Result<SignalPipe> {
        let (read, write) = nonblocking_pipe()?;
        Ok(SignalPipe { read, write })
    }

    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Makes this pipe the one the handler writes to.
    pub fn claim(&self) {
        OWNER_FD.store(self.write.as_raw_fd(), Ordering::SeqCst);
    }

    pub fn drain(&self) {
        let mut buf = [0u8; 256];
        // A short read emptied the pipe; only a full one may have left more.
        // SAFETY: reads into a live local buffer of the stated size.
        while unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) }
            == buf.len() as isize
        {}
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        // Runs before the fields close the pipe, so the handler stops writing
        // to the write end's number before it can be reused.
        let _ = OWNER_FD.compare_exchange(
            self.write.as_raw_fd(),
            -1,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler_of(sig: i32) -> libc::sighandler_t {
        // SAFETY: sigaction is plain data, valid as zeroes.
        let mut cur: libc::sigaction = unsafe { mem::zeroed() };
        // SAFETY: a null new action only queries into `cur`.
        unsafe { libc::sigaction(sig, ptr::null(), &mut cur) };
        cur.sa_sigaction
    }

    #[test]
    fn counts_deliveries_and_restores_the_previous_handler() {
        let sig = libc::SIGUSR2;
        let before = handler_of(sig);
        let pipe = SignalPipe::new().unwrap();
        watch(sig).unwrap();
        watch(sig).unwrap();
        pipe.claim();
        for _ in 0..3 {
            // SAFETY: raising a signal we handle.
            unsafe { libc::raise(sig) };
        }
        assert_eq!(take_count(sig), 3);
        assert_eq!(take_count(sig), 0);
        pipe.drain();
        unwatch(sig);
        assert_ne!(handler_of(sig), before, "still one user");
        unwatch(sig);
        assert_eq!(handler_of(sig), before);
    }

    #[test]
    fn rejects_out_of_range_and_unblockable_signals() {
        for sig in [0, -1, NSIG as i32, 1000] {
            assert!(watch(sig).is_err(), "signal {sig}");
        }
        assert!(watch(libc::SIGKILL).is_err());
        assert_eq!(INSTALLED.lock().unwrap().users[libc::SIGKILL as usize], 0);
    }

    #[test]
    fn drain_empties_more_than_one_read_holds() {
        let pipe = SignalPipe::new().unwrap();
        let mut bytes = [0u8; 1000];
        // SAFETY: writes from a live local buffer of the stated size.
        let n = unsafe { libc::write(pipe.write.as_raw_fd(), bytes.as_ptr().cast(), 1000) };
        assert_eq!(n, 1000);
        pipe.drain();
        // SAFETY: reads into a live local buffer of the stated size.
        let n = unsafe { libc::read(pipe.fd(), bytes.as_mut_ptr().cast(), 1000) };
        // Empty, and non-blocking: EAGAIN rather than a hang.
        assert_eq!(n, -1);
        let err = io::Error::last_os_error();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }
}

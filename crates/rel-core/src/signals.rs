//! Signal delivery: a process-wide `sigaction` handler that counts each
//! signal and pokes the owning base's self-pipe. No signalfd, so other threads
//! (a Python interpreter's, say) need not block anything.
//!
//! One base owns delivery at a time (the last to add a signal event or start
//! looping with one), as in libevent. Counts live in atomics, so a full pipe
//! never loses a signal: the pipe only says "look at the counters".

use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::Mutex;

use super::fdutil::nonblocking_pipe;

/// Number of signal numbers (valid ones are 1..NSIG).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const NSIG: usize = 65;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const NSIG: usize = 33;

static COUNTS: [AtomicU32; NSIG] = [const { AtomicU32::new(0) }; NSIG];
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

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: atomics and write(2), errno preserved.
    let saved = io::Error::last_os_error().raw_os_error();
    if let Some(count) = COUNTS.get(sig as usize) {
        count.fetch_add(1, Ordering::SeqCst);
        let fd = OWNER_FD.load(Ordering::SeqCst);
        if fd >= 0 {
            let byte = sig as u8;
            // SAFETY: one byte from a local; EAGAIN on a full pipe is fine.
            unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
        }
    }
    if let Some(e) = saved {
        set_errno(e);
    }
}

fn set_errno(e: i32) {
    // SAFETY: the thread's errno location is always valid.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    unsafe {
        *libc::__errno_location() = e
    };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    unsafe {
        *libc::__error() = e
    };
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
        // SAFETY: sigaction with a fully initialised struct and a valid out-pointer.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigfillset(&mut sa.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, &sa, &mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            inst.previous[s] = Some(old);
        }
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
            // SAFETY: restores a sigaction obtained from the kernel.
            unsafe { libc::sigaction(sig, &old, std::ptr::null_mut()) };
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

/// A base's self-pipe. Dropping it closes the pipe and gives up ownership.
pub struct SignalPipe {
    read_fd: RawFd,
    write_fd: RawFd,
}

impl SignalPipe {
    pub fn new() -> io::Result<SignalPipe> {
        let (read_fd, write_fd) = nonblocking_pipe()?;
        Ok(SignalPipe { read_fd, write_fd })
    }

    pub fn fd(&self) -> RawFd {
        self.read_fd
    }

    /// Makes this pipe the one the handler writes to.
    pub fn claim(&self) {
        OWNER_FD.store(self.write_fd, Ordering::SeqCst);
    }

    pub fn drain(&self) {
        let mut buf = [0u8; 256];
        // SAFETY: reads into a live local buffer of the stated size.
        while unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        let _ = OWNER_FD.compare_exchange(self.write_fd, -1, Ordering::SeqCst, Ordering::SeqCst);
        // SAFETY: both fds are owned by this pipe and closed once.
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler_of(sig: i32) -> usize {
        // SAFETY: queries the current action into a zeroed struct.
        unsafe {
            let mut cur: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut cur);
            cur.sa_sigaction
        }
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
}

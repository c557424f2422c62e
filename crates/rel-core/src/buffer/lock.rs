//! The recursive lock each buffer carries (`evbuffer_lock`).
//!
//! Uncontended, a lock is one compare-and-swap and an unlock one plain
//! store; the owning thread re-enters with plain loads and stores. A
//! contended lock sleeps on a futex (Linux) or yields (elsewhere). The
//! unlock only wakes a sleeper it sees: one that went to sleep in the
//! instant between its check and its store wakes by its own timeout
//! (a millisecond), which keeps the uncontended unlock free of atomics.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Free, held, held with sleepers.
const FREE: u32 = 0;
const HELD: u32 = 1;
const WAITED: u32 = 2;

pub struct RecLock {
    state: AtomicU32,
    /// The holder's [`me`] token; 0 when free.
    owner: AtomicUsize,
    /// How many times the holder has locked; only the holder touches it.
    depth: AtomicU32,
}

/// A word unique to the calling thread while it runs: its thread pointer
/// where it can be read in one instruction (a `thread_local!` in a shared
/// library costs a call to `__tls_get_addr` on every lock).
#[inline(always)]
fn me() -> usize {
    #[cfg(all(
        target_arch = "x86_64",
        any(target_os = "linux", target_os = "freebsd")
    ))]
    {
        let t: usize;
        // SAFETY: on these systems %fs points at the thread's control
        // block, whose first word is its own address: readable in every
        // thread, unique among live threads.
        unsafe {
            std::arch::asm!("mov {}, fs:0", out(reg) t, options(nostack, readonly, preserves_flags));
        }
        t
    }
    #[cfg(all(
        target_arch = "aarch64",
        any(target_os = "linux", target_os = "freebsd", target_os = "macos")
    ))]
    {
        let t: usize;
        // SAFETY: TPIDR_EL0 (TPIDRRO_EL0 on macOS) holds the thread's
        // pointer, readable at EL0 and unique among live threads.
        unsafe {
            #[cfg(not(target_os = "macos"))]
            std::arch::asm!("mrs {}, tpidr_el0", out(reg) t, options(nostack, nomem, preserves_flags));
            #[cfg(target_os = "macos")]
            std::arch::asm!("mrs {}, tpidrro_el0", out(reg) t, options(nostack, nomem, preserves_flags));
        }
        t
    }
    #[cfg(not(any(
        all(
            target_arch = "x86_64",
            any(target_os = "linux", target_os = "freebsd")
        ),
        all(
            target_arch = "aarch64",
            any(target_os = "linux", target_os = "freebsd", target_os = "macos")
        )
    )))]
    {
        thread_local! {
            static TOKEN: u8 = const { 0 };
        }
        TOKEN.with(|t| t as *const u8 as usize)
    }
}

impl Default for RecLock {
    fn default() -> Self {
        RecLock::new()
    }
}

impl RecLock {
    pub const fn new() -> RecLock {
        RecLock {
            state: AtomicU32::new(FREE),
            owner: AtomicUsize::new(0),
            depth: AtomicU32::new(0),
        }
    }

    #[inline]
    pub fn lock(&self) {
        let me = me();
        // Only this thread ever stores its own token, so a match is ours.
        if self.owner.load(Ordering::Relaxed) == me {
            let d = self.depth.load(Ordering::Relaxed);
            self.depth.store(d + 1, Ordering::Relaxed);
            return;
        }
        if self
            .state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        self.owner.store(me, Ordering::Relaxed);
        self.depth.store(1, Ordering::Relaxed);
    }

    #[cold]
    fn lock_contended(&self) {
        for _ in 0..64 {
            if self.state.load(Ordering::Relaxed) == FREE
                && self
                    .state
                    .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            std::hint::spin_loop();
        }
        while self.state.swap(WAITED, Ordering::Acquire) != FREE {
            wait(&self.state, WAITED);
        }
    }

    /// Releases one level; false (and nothing done) if the calling thread
    /// does not hold the lock.
    #[inline]
    pub fn unlock(&self) -> bool {
        if self.owner.load(Ordering::Relaxed) != me() {
            return false;
        }
        let d = self.depth.load(Ordering::Relaxed) - 1;
        self.depth.store(d, Ordering::Relaxed);
        if d == 0 {
            self.owner.store(0, Ordering::Relaxed);
            if self.state.load(Ordering::Relaxed) == WAITED {
                self.state.swap(FREE, Ordering::Release);
                wake_one(&self.state);
            } else {
                self.state.store(FREE, Ordering::Release);
            }
        }
        true
    }

    /// Whether the calling thread holds the lock.
    pub fn is_mine(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == me()
    }
}

#[cfg(target_os = "linux")]
fn wait(word: &AtomicU32, expected: u32) {
    // Bounded: an unlock that raced with going to sleep does not wake us.
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    // SAFETY: FUTEX_WAIT reads the aligned u32 behind `word`, which lives
    // for the call; a spurious or timed-out return is handled by the
    // caller's loop.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            &timeout as *const libc::timespec,
        );
    }
}

#[cfg(target_os = "linux")]
fn wake_one(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            1,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn wait(_word: &AtomicU32, _expected: u32) {
    std::thread::yield_now();
}

#[cfg(not(target_os = "linux"))]
fn wake_one(_word: &AtomicU32) {}

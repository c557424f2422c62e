//! The recursive lock each buffer carries (`evbuffer_lock`).
//!
//! One word holds the holder's thread token (0 when free), so taking the
//! lock is one compare-and-swap that also says who holds it, and releasing
//! it one plain store; the holder re-enters by finding its own token. A
//! contended lock marks the word ([`WAITERS`]) and sleeps on a futex
//! (Linux) or yields (elsewhere). The unlock only wakes a sleeper it sees:
//! one that went to sleep in the instant between its check and its store
//! wakes by its own timeout (a millisecond), which keeps the uncontended
//! unlock free of atomics.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Set in the word while threads may sleep waiting for it.
const WAITERS: usize = 1;

pub struct RecLock {
    /// The holder's [`me`] token, with [`WAITERS`]; 0 when free.
    word: AtomicUsize,
    /// Re-entries beyond the first; only the holder touches it.
    depth: AtomicU32,
}

/// A word unique to the calling thread while it runs, even (bit 0 is
/// [`WAITERS`]): its thread pointer
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
            static TOKEN: u64 = const { 0 };
        }
        TOKEN.with(|t| t as *const u64 as usize)
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
            word: AtomicUsize::new(0),
            depth: AtomicU32::new(0),
        }
    }

    #[inline]
    pub fn lock(&self) {
        let me = me();
        match self
            .word
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => {}
            // Only this thread ever stores its own token, so a match is ours.
            Err(w) if w & !WAITERS == me => {
                let d = self.depth.load(Ordering::Relaxed);
                self.depth.store(d + 1, Ordering::Relaxed);
            }
            Err(_) => self.lock_contended(me),
        }
    }

    #[cold]
    fn lock_contended(&self, me: usize) {
        for _ in 0..64 {
            if self.word.load(Ordering::Relaxed) == 0
                && self
                    .word
                    .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            std::hint::spin_loop();
        }
        loop {
            let w = self.word.load(Ordering::Relaxed);
            if w & !WAITERS == 0 {
                // Free: taken with the mark kept, as others may sleep.
                if self
                    .word
                    .compare_exchange(w, me | WAITERS, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            if w & WAITERS == 0
                && self
                    .word
                    .compare_exchange(w, w | WAITERS, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
            {
                continue;
            }
            wait(&self.word, w | WAITERS);
        }
    }

    /// Releases one level; false (and nothing done) if the calling thread
    /// does not hold the lock.
    #[inline]
    pub fn unlock(&self) -> bool {
        if self.word.load(Ordering::Relaxed) & !WAITERS != me() {
            return false;
        }
        let d = self.depth.load(Ordering::Relaxed);
        if d > 0 {
            self.depth.store(d - 1, Ordering::Relaxed);
        } else if self.word.load(Ordering::Relaxed) & WAITERS != 0 {
            self.word.swap(0, Ordering::Release);
            wake_one(&self.word);
        } else {
            self.word.store(0, Ordering::Release);
        }
        true
    }

    /// Whether the calling thread holds the lock.
    pub fn is_mine(&self) -> bool {
        self.word.load(Ordering::Relaxed) & !WAITERS == me()
    }
}

/// The futex half of the word: its low 32 bits.
#[cfg(target_os = "linux")]
fn futex_addr(word: &AtomicUsize) -> *const u32 {
    let low = if cfg!(target_endian = "big") {
        std::mem::size_of::<usize>() - 4
    } else {
        0
    };
    word.as_ptr().cast::<u8>().wrapping_add(low).cast::<u32>()
}

#[cfg(target_os = "linux")]
fn wait(word: &AtomicUsize, expected: usize) {
    // Bounded: an unlock that raced with going to sleep does not wake us.
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    // SAFETY: FUTEX_WAIT reads the aligned low u32 of `word`, which lives
    // for the call; a spurious or timed-out return is handled by the
    // caller's loop.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            futex_addr(word),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected as u32,
            &timeout as *const libc::timespec,
        );
    }
}

#[cfg(target_os = "linux")]
fn wake_one(word: &AtomicUsize) {
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            futex_addr(word),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            1,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn wait(_word: &AtomicUsize, _expected: usize) {
    std::thread::yield_now();
}

#[cfg(not(target_os = "linux"))]
fn wake_one(_word: &AtomicUsize) {}

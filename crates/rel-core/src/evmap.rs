//! Which events watch each fd and each signal (libevent's evmap.c), and the
//! backend they are registered with: as in libevent, a change of an fd's
//! combined interest reaches the backend here. Signals reach the loop
//! through the signal pipe, which the backend watches like an fd.

use std::io;
use std::os::unix::io::RawFd;
use std::sync::Arc;

use super::backend::{bits, Backend, Method, Ready};
use super::error::Error;
use super::event::ev;
use super::growth::cover;
use super::log::warn;
use super::signals::{self, SignalPipe, NSIG};
use super::slots::{Slots, NIL};

/// Per fd number: the first slot watching it and the interest the backend
/// holds for it. Two arrays, 5 bytes an fd where a record would pad to 8.
#[derive(Default)]
struct FdTable {
    /// First slot of each fd's list (linked through the slots' `fd_next`).
    heads: Vec<u32>,
    interest: Vec<u8>,
}

impl FdTable {
    /// (first slot, interest) of `fd`; None beyond the table.
    fn get(&self, fd: RawFd) -> Option<(u32, u8)> {
        let i = fd as usize;
        Some((*self.heads.get(i)?, self.interest[i]))
    }

    /// Makes `fd` an index.
    fn cover(&mut self, fd: RawFd) {
        cover(&mut self.heads, fd as usize + 1, NIL);
        cover(&mut self.interest, fd as usize + 1, 0);
    }
}

/// The backend interest an event's `EV_*` bits ask for.
fn io_bits(events: u16) -> u8 {
    (events & (ev::IO | ev::ET)) as u8
}

/// The fd and signal maps of one base, and its backend.
pub struct EvMap {
    fds: FdTable,
    /// The slots watching each signal number.
    signals: Vec<Vec<u32>>,
    signal_pipe: Option<SignalPipe>,
    backend: Arc<dyn Backend>,
    method: &'static Method,
}

impl EvMap {
    /// An empty map on a new backend of `method`, which watches `wake_fd`
    /// (the base's wake-up fd) for reading.
    pub fn open(method: &'static Method, wake_fd: RawFd) -> io::Result<EvMap> {
        let backend = (method.open)()?;
        backend.set(wake_fd, 0, bits::READ)?;
        Ok(EvMap {
            fds: FdTable::default(),
            signals: vec![Vec::new(); NSIG],
            signal_pipe: None,
            backend: Arc::from(backend),
            method,
        })
    }

    pub fn method(&self) -> &'static Method {
        self.method
    }

    /// The backend, shared so that the loop can wait without the base locked.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Appends what is ready now, without blocking: made with the base
    /// locked, so it needs no shared handle on the backend.
    pub fn poll(&self, out: &mut Vec<Ready>) -> io::Result<()> {
        self.backend.poll(out)
    }

    /// Adds slot `s` to the watchers of its fd or signal.
    pub fn watch(&mut self, slots: &mut Slots, s: u32) -> Result<(), Error> {
        let fd = slots.slot(s).fd();
        let events = slots.hot(s).events();
        if events & ev::SIGNAL != 0 {
            self.watch_signal(s, fd)
        } else {
            self.watch_fd(slots, s, fd, io_bits(events))
        }
    }

    fn watch_fd(&mut self, slots: &mut Slots, s: u32, fd: RawFd, want: u8) -> Result<(), Error> {
        if fd < 0 {
            return Err(Error::InvalidFd(fd));
        }
        let (head, old) = self.fds.get(fd).unwrap_or((NIL, 0));
        if head != NIL && (old ^ want) & bits::ET != 0 {
            return Err(Error::MixedEdgeTriggered(fd));
        }
        let new = if head == NIL {
            want | self.one_shot_bit(slots.hot(s).events(), want)
        } else {
            // A second watcher: no longer disarmed by a report.
            (old | want) & !(bits::ONCE | bits::DISARMED)
        };
        if new != old {
            self.backend
                .set(fd, old, new)
                .map_err(|source| Error::BackendRefused {
                    method: self.method.name(),
                    fd,
                    source,
                })?;
        }
        // The table grows by descriptor number only once the backend took
        // the descriptor: it is open, so the number is a real one (never
        // 1<<30 or INT_MAX).
        self.fds.cover(fd);
        slots.set_fd_next(s, head);
        self.fds.heads[fd as usize] = s;
        self.fds.interest[fd as usize] = new;
        Ok(())
    }

    /// [`bits::ONCE`] for the only watcher of an fd when it is not
    /// persistent and wants reading or writing: it leaves the fd before it
    /// runs, so the kernel may as well disarm the registration when it
    /// reports. Dropping it then costs no call and re-adding it is one
    /// (where a deletion and an addition were two). A CLOSED-only watcher
    /// keeps a plain registration: an error report would not match it.
    fn one_shot_bit(&self, events: u16, want: u8) -> u8 {
        let once = self.method.disarms
            && events & ev::PERSIST == 0
            && want & (bits::READ | bits::WRITE) != 0;
        if once {
            bits::ONCE
        } else {
            0
        }
    }

    /// A report for `fd` reached a watcher that leaves it before running:
    /// a registration made with [`bits::ONCE`] is now disarmed. (Should a
    /// report come from before a re-registration, the registration is
    /// armed but still one-shot: it reports at most once more, harmlessly.)
    #[inline]
    pub fn note_report(&mut self, fd: RawFd) {
        if let Some(interest) = self.fds.interest.get_mut(fd as usize) {
            if *interest & bits::ONCE != 0 {
                *interest |= bits::DISARMED;
            }
        }
    }

    fn watch_signal(&mut self, s: u32, sig: i32) -> Result<(), Error> {
        if !signals::valid(sig) {
            return Err(Error::SignalOutOfRange(sig));
        }
        if self.signal_pipe.is_none() {
            let pipe = SignalPipe::new().map_err(Error::SignalPipe)?;
            self.backend
                .set(pipe.fd(), 0, bits::READ)
                .map_err(Error::SignalPipe)?;
            self.signal_pipe = Some(pipe);
        }
        let list = &mut self.signals[sig as usize];
        if list.is_empty() {
            signals::watch(sig).map_err(|source| Error::Sigaction {
                signal: sig,
                source,
            })?;
        }
        list.push(s);
        self.claim_signals();
        Ok(())
    }

    /// Takes slot `s` off the watchers of its fd or signal.
    pub fn unwatch(&mut self, slots: &mut Slots, s: u32) {
        let fd = slots.slot(s).fd();
        if slots.hot(s).events() & ev::SIGNAL != 0 {
            let list = &mut self.signals[fd as usize];
            list.retain(|&x| x != s);
            if list.is_empty() {
                signals::unwatch(fd);
            }
            return;
        }
        let Some((head, old)) = self.fds.get(fd) else {
            return;
        };
        // Unlink `s` and recompute the interest of those that remain.
        let (mut new, mut prev, mut cur) = (0, NIL, head);
        while cur != NIL {
            let next = slots.fd_next(cur);
            if cur == s {
                match prev {
                    NIL => self.fds.heads[fd as usize] = next,
                    p => slots.set_fd_next(p, next),
                }
            } else {
                new |= io_bits(slots.hot(cur).events());
                prev = cur;
            }
            cur = next;
        }
        if new == 0 && old & bits::DISARMED != 0 {
            // Still registered, reporting nothing: leave it so.
            self.fds.interest[fd as usize] = bits::DISARMED;
            return;
        }
        self.fds.interest[fd as usize] = new;
        if new != old {
            // A closed fd has already left the kernel's set: nothing to report.
            let _ = self.backend.set(fd, old, new);
        }
    }

    /// The newest slot watching `fd` (NIL for none); the others follow
    /// through the slots' `fd_next`. Inlined into the loop's handling of
    /// each readiness report, which LLVM does not do by itself.
    #[inline]
    pub fn first_on_fd(&self, fd: RawFd) -> u32 {
        self.fds.heads.get(fd as usize).copied().unwrap_or(NIL)
    }

    /// The slots watching `sig`, oldest first (none for a bad number).
    pub fn signal_watchers(&self, sig: i32) -> &[u32] {
        self.signals.get(sig.max(0) as usize).map_or(&[], |l| l)
    }

    /// Whether `fd` is the signal pipe, which a delivered signal made ready.
    pub fn is_signal_pipe(&self, fd: RawFd) -> bool {
        self.signal_pipe.as_ref().is_some_and(|p| p.fd() == fd)
    }

    pub fn drain_signal_pipe(&self) {
        if let Some(pipe) = &self.signal_pipe {
            pipe.drain();
        }
    }

    /// Makes this base the one that receives signals, if it watches any.
    pub fn claim_signals(&self) {
        if let Some(pipe) = &self.signal_pipe {
            pipe.claim();
        }
    }

    /// After fork: a new backend watching `wake_fd` and every watched fd,
    /// and a new signal pipe if there was one.
    pub fn reopen(&mut self, wake_fd: RawFd) -> io::Result<()> {
        let backend = (self.method.open)()?;
        backend.set(wake_fd, 0, bits::READ)?;
        for (fd, interest) in self.fds.interest.iter_mut().enumerate() {
            // The new backend holds nothing, disarmed or not.
            *interest &= !bits::DISARMED;
            if *interest != 0 {
                if let Err(e) = backend.set(fd as RawFd, 0, *interest) {
                    warn(&format!("event_reinit: fd {fd}: {e}"));
                }
            }
        }
        if self.signal_pipe.is_some() {
            let pipe = SignalPipe::new()?;
            backend.set(pipe.fd(), 0, bits::READ)?;
            pipe.claim();
            self.signal_pipe = Some(pipe);
        }
        self.backend = Arc::from(backend);
        Ok(())
    }

    /// Gives up every signal this base watches (when the base is freed).
    pub fn release_signals(&mut self) {
        for (sig, list) in self.signals.iter_mut().enumerate() {
            if !list.is_empty() {
                list.clear();
                signals::unwatch(sig as i32);
            }
        }
        self.signal_pipe = None;
    }
}

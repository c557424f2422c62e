//! [`SyncBuffer`]: a [`Buffer`] shared between threads and callbacks.
//!
//! Every call takes the buffer's recursive lock, checks the freeze flag of
//! the end it changes, does its work, then runs the change callbacks with
//! the lock still held (as libevent does). A callback may call back into
//! the same buffer: the state is borrowed only inside each step, never
//! across a callback or a program's cleanup function.

use std::cell::UnsafeCell;
use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Buffer, Bytes, Eol, Extents, Kind, RecLock};

/// `EVBUFFER_CB_ENABLED`.
pub const CB_ENABLED: u32 = 1;
/// `EVBUFFER_FLAG_DRAINS_TO_FD`.
pub const FLAG_DRAINS_TO_FD: u64 = 1;

/// `struct evbuffer_cb_info`: the change since callbacks last ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CbInfo {
    pub orig_size: usize,
    pub n_added: usize,
    pub n_deleted: usize,
}

type CbFn = Box<dyn Fn(&CbInfo) + Send + Sync>;

/// One change callback (`struct evbuffer_cb_entry`).
pub struct CbEntry {
    flags: AtomicU32,
    /// Cleared when removed, so a callback removed by an earlier one in
    /// the same run is skipped.
    live: AtomicBool,
    /// What `evbuffer_remove_cb` matches: the C function and argument.
    key: (usize, usize),
    func: CbFn,
}

/// Why a buffer refused a call. libevent refuses these quietly.
#[derive(Debug)]
pub enum Refused {
    /// The end the call changes is frozen.
    Frozen,
    /// Nothing to do that libevent answers with -1 (writing an empty
    /// buffer, a reference to itself, a bad position).
    Invalid,
    /// The buffer holds chains that cannot be referenced.
    Unreferencable,
    /// The system call failed.
    Io(io::Error),
}

struct State {
    buf: Buffer,
    /// Oldest first; replaced, never changed in place, so a run of the
    /// callbacks holds a snapshot while callbacks add or remove entries.
    cbs: Arc<Vec<Arc<CbEntry>>>,
    n_added: usize,
    n_deleted: usize,
    frozen_front: bool,
    frozen_back: bool,
    flags: u64,
    /// Set by `evbuffer_defer_callbacks`: schedules a run on a loop.
    defer: Option<Arc<dyn Fn() + Send + Sync>>,
    defer_pending: bool,
    locking_enabled: bool,
}

/// The empty callback list every buffer starts with, shared: lists are
/// replaced, never changed in place, so sharing the empty one saves an
/// allocation per buffer (most buffers never get a callback).
fn no_callbacks() -> Arc<Vec<Arc<CbEntry>>> {
    static EMPTY: std::sync::LazyLock<Arc<Vec<Arc<CbEntry>>>> =
        std::sync::LazyLock::new(|| Arc::new(Vec::new()));
    EMPTY.clone()
}

/// A buffer behind its lock, with freeze flags and callbacks.
pub struct SyncBuffer {
    lock: RecLock,
    state: UnsafeCell<State>,
    /// The length as of the last change, readable without the lock.
    len: AtomicUsize,
}

// SAFETY: `state` is only reached through `SyncBuffer::st`, with the lock
// held by the calling thread; the callbacks and shared bytes it holds are
// Send + Sync.
unsafe impl Sync for SyncBuffer {}
// SAFETY: as above; nothing in it is tied to a thread.
unsafe impl Send for SyncBuffer {}

/// Holds the lock for a scope.
struct Held<'a>(&'a RecLock);

impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.unlock();
    }
}

/// Holds two locks for a scope.
struct HeldTwo<'a>(&'a RecLock, &'a RecLock);

impl Drop for HeldTwo<'_> {
    #[inline]
    fn drop(&mut self) {
        self.1.unlock();
        self.0.unlock();
    }
}

enum Next {
    Nothing,
    Schedule(Arc<dyn Fn() + Send + Sync>),
    Run(CbInfo, Arc<Vec<Arc<CbEntry>>>),
}

impl Default for SyncBuffer {
    fn default() -> Self {
        SyncBuffer::new()
    }
}

impl SyncBuffer {
    pub fn new() -> SyncBuffer {
        SyncBuffer {
            lock: RecLock::new(),
            len: AtomicUsize::new(0),
            state: UnsafeCell::new(State {
                buf: Buffer::new(),
                cbs: no_callbacks(),
                n_added: 0,
                n_deleted: 0,
                frozen_front: false,
                frozen_back: false,
                flags: 0,
                defer: None,
                defer_pending: false,
                locking_enabled: false,
            }),
        }
    }

    #[inline]
    fn hold(&self) -> Held<'_> {
        self.lock.lock();
        Held(&self.lock)
    }

    /// The state, for one step that calls no program code.
    ///
    /// Callers hold the lock and let the borrow end before anything that
    /// may run program code (callbacks, cleanup functions).
    #[allow(clippy::mut_from_ref)]
    #[inline]
    fn st(&self) -> &mut State {
        debug_assert!(self.lock.is_mine());
        // SAFETY: the calling thread holds the lock (every caller takes it
        // first), so no other thread touches the state, and on this thread
        // no other borrow is alive: borrows never outlive a step, and no
        // step runs program code.
        unsafe { &mut *self.state.get() }
    }

    /// `evbuffer_lock`: the user-visible face of the buffer's lock.
    pub fn lock(&self) {
        self.lock.lock();
    }

    /// `evbuffer_unlock`; false if the calling thread does not hold it.
    pub fn unlock(&self) -> bool {
        self.lock.unlock()
    }

    /// Runs `f` on the buffer under the lock, then the callbacks if the
    /// length changed. `f` must not call back into this buffer.
    pub fn with<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> R {
        let _h = self.hold();
        self.apply(f)
    }

    /// Like [`SyncBuffer::with`] without callbacks, for reads.
    pub fn peek<R>(&self, f: impl FnOnce(&Buffer) -> R) -> R {
        let _h = self.hold();
        f(&self.st().buf)
    }

    /// One change with the lock held: `f` under a borrow, then
    /// [`SyncBuffer::settle`].
    #[inline]
    fn apply<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> R {
        let r = self.step(f);
        self.settle();
        r
    }

    /// `f` under a borrow; the length difference is counted for the
    /// callbacks (when there are none, libevent keeps no count either).
    #[inline]
    fn step<R>(&self, f: impl FnOnce(&mut Buffer) -> R) -> R {
        let st = self.st();
        let before = st.buf.len;
        let r = f(&mut st.buf);
        if !st.cbs.is_empty() {
            count(st, before);
        }
        r
    }

    /// After a change: drops released shared bytes and runs the callbacks,
    /// both outside any borrow of the state.
    #[inline]
    fn settle(&self) {
        self.len.store(self.st().buf.len, Ordering::Release);
        if !self.st().buf.released.is_empty() {
            self.drop_released();
        }
        let st = self.st();
        if st.n_added != 0 || st.n_deleted != 0 {
            self.invoke();
        }
    }

    #[cold]
    fn drop_released(&self) {
        let released = self.st().buf.take_released();
        drop(released);
    }

    #[cold]
    fn invoke(&self) {
        let next = {
            let st = self.st();
            if st.cbs.is_empty() {
                st.n_added = 0;
                st.n_deleted = 0;
                Next::Nothing
            } else if st.n_added == 0 && st.n_deleted == 0 {
                Next::Nothing
            } else if let Some(d) = &st.defer {
                if st.defer_pending {
                    Next::Nothing
                } else {
                    st.defer_pending = true;
                    Next::Schedule(d.clone())
                }
            } else {
                Next::Run(take_info(st), st.cbs.clone())
            }
        };
        match next {
            Next::Nothing => {}
            Next::Schedule(d) => d(),
            Next::Run(info, cbs) => run(&info, &cbs),
        }
    }

    /// Runs callbacks deferred to a loop (what the scheduler of
    /// [`SyncBuffer::defer_callbacks`] must arrange to call).
    pub fn run_deferred(&self) {
        let _h = self.hold();
        let next = {
            let st = self.st();
            st.defer_pending = false;
            if st.cbs.is_empty() || (st.n_added == 0 && st.n_deleted == 0) {
                None
            } else {
                Some((take_info(st), st.cbs.clone()))
            }
        };
        if let Some((info, cbs)) = next {
            run(&info, &cbs);
        }
    }

    /// `evbuffer_defer_callbacks`: from now on callbacks run when
    /// `schedule` has the loop call [`SyncBuffer::run_deferred`], with the
    /// changes summed since the last run.
    pub fn defer_callbacks(&self, schedule: Arc<dyn Fn() + Send + Sync>) {
        let _h = self.hold();
        self.st().defer = Some(schedule);
    }

    /// Whether a deferred run is scheduled and has not happened yet.
    pub fn deferred_pending(&self) -> bool {
        let _h = self.hold();
        self.st().defer_pending
    }

    /// A change that needs the front (`front`) or back unfrozen.
    #[inline]
    fn change<R>(&self, front: bool, f: impl FnOnce(&mut Buffer) -> R) -> Result<R, Refused> {
        let _h = self.hold();
        let st = self.st();
        if (front && st.frozen_front) || (!front && st.frozen_back) {
            return Err(Refused::Frozen);
        }
        Ok(self.apply(f))
    }

    /// The length, without taking the lock: what the last change left
    /// (the calling thread always sees its own changes).
    #[inline]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contiguous(&self) -> usize {
        self.peek(Buffer::contiguous)
    }

    #[inline]
    pub fn add(&self, data: &[u8]) -> Result<(), Refused> {
        self.change(false, |b| b.add(data))
    }

    pub fn prepend(&self, data: &[u8]) -> Result<(), Refused> {
        if data.is_empty() {
            return Ok(());
        }
        self.change(true, |b| b.prepend(data))
    }

    /// `evbuffer_drain`: an empty buffer drains even when frozen.
    #[inline]
    pub fn drain(&self, n: usize) -> Result<(), Refused> {
        let _h = self.hold();
        let st = self.st();
        if st.buf.len == 0 {
            return Ok(());
        }
        if st.frozen_front {
            return Err(Refused::Frozen);
        }
        self.apply(|b| b.drain(n));
        Ok(())
    }

    /// `evbuffer_copyout_from`: a front-frozen buffer refuses, as in
    /// libevent, unless there is nothing to copy.
    pub fn copy_out(&self, pos: usize, out: &mut [u8]) -> Result<usize, Refused> {
        let _h = self.hold();
        let st = self.st();
        if out.len().min(st.buf.len.saturating_sub(pos)) == 0 {
            return Ok(0);
        }
        if st.frozen_front {
            return Err(Refused::Frozen);
        }
        Ok(st.buf.copy_out(pos, out))
    }

    /// `evbuffer_remove`: copies then drains, callbacks once.
    pub fn remove(&self, out: &mut [u8]) -> Result<usize, Refused> {
        let _h = self.hold();
        let n = self.copy_out(0, out)?;
        if n > 0 {
            self.apply(|b| b.drain(n));
        }
        Ok(n)
    }

    /// `evbuffer_pullup`: the first `n` bytes made contiguous (`None`:
    /// all); their address, valid until the buffer next changes.
    #[inline]
    pub fn pullup(&self, n: Option<usize>) -> Option<(*const u8, usize)> {
        let _h = self.hold();
        let b = &mut self.st().buf;
        let n = n.unwrap_or(b.len);
        let r = b.pullup(n).map(|s| (s.as_ptr(), s.len()));
        if !b.released.is_empty() {
            self.drop_released();
        }
        r
    }

    pub fn expand(&self, n: usize) {
        self.with(|b| b.expand(n))
    }

    /// `evbuffer_reserve_space`.
    pub fn reserve(&self, size: usize, max: usize) -> Result<Extents, Refused> {
        self.change(false, |b| b.reserve(size, max))
    }

    /// `evbuffer_commit_space`.
    pub fn commit(&self, ext: &[(usize, usize)]) -> Result<usize, Refused> {
        self.change(false, |b| b.commit(ext))?
            .ok_or(Refused::Invalid)
    }

    /// Appends what `write` puts into the free space it is given
    /// (`evbuffer_add_vprintf`): `write` returns the length it needs; if
    /// that did not fit, it is called again with at least that much room.
    /// A negative answer adds nothing and is handed back.
    pub fn add_written(
        &self,
        mut write: impl FnMut(&mut [std::mem::MaybeUninit<u8>]) -> isize,
    ) -> Result<isize, Refused> {
        let _h = self.hold();
        if self.st().frozen_back {
            return Err(Refused::Frozen);
        }
        let mut room = 64;
        loop {
            let tail = self.st().buf.tail_space(room);
            let space = tail.len();
            let n = write(tail);
            if n < 0 {
                return Ok(n);
            }
            if (n as usize) < space {
                self.apply(|b| b.commit_tail(n as usize));
                return Ok(n);
            }
            room = n as usize + 1;
        }
    }

    /// `evbuffer_add_reference`, file segments: shared bytes appended.
    pub fn add_shared(
        &self,
        bytes: Arc<dyn Bytes>,
        kind: Kind,
        off: usize,
        end: usize,
    ) -> Result<(), Refused> {
        self.change(false, |b| b.add_shared(bytes, kind, off, end))
    }

    /// `evbuffer_add_buffer(self, src)`: src's callbacks run first.
    #[inline]
    pub fn add_buffer(&self, src: &SyncBuffer) -> Result<(), Refused> {
        if std::ptr::eq(self, src) {
            return Ok(());
        }
        let _h = self.hold_two(src);
        if src.st().buf.len == 0 {
            return Ok(());
        }
        if self.st().frozen_back || src.st().frozen_front {
            return Err(Refused::Frozen);
        }
        self.two_step(src, |dst, src| dst.append_buffer(src));
        src.settle();
        self.settle();
        Ok(())
    }

    /// `evbuffer_prepend_buffer(self, src)`.
    pub fn prepend_buffer(&self, src: &SyncBuffer) -> Result<(), Refused> {
        if std::ptr::eq(self, src) {
            return Ok(());
        }
        let _h = self.hold_two(src);
        if src.st().buf.len == 0 {
            return Ok(());
        }
        if self.st().frozen_front || src.st().frozen_front {
            return Err(Refused::Frozen);
        }
        self.two_step(src, |dst, src| dst.prepend_buffer(src));
        src.settle();
        self.settle();
        Ok(())
    }

    /// `evbuffer_remove_buffer(self, dst, n)`: dst's callbacks run first.
    #[inline]
    pub fn move_to(&self, dst: &SyncBuffer, n: usize) -> Result<usize, Refused> {
        if n == 0 || std::ptr::eq(self, dst) {
            return Ok(0);
        }
        let _h = self.hold_two(dst);
        if dst.st().frozen_back || self.st().frozen_front {
            return Err(Refused::Frozen);
        }
        let all = n >= self.st().buf.len;
        let moved = dst.two_step(self, |d, s| s.move_to(d, n));
        if moved > 0 && all {
            // libevent takes its add_buffer path: the source's first.
            self.settle();
            dst.settle();
        } else if moved > 0 {
            dst.settle();
            self.settle();
        }
        Ok(moved)
    }

    /// `evbuffer_add_buffer_reference(self, src)`.
    pub fn reference(&self, src: &SyncBuffer) -> Result<(), Refused> {
        let _h = self.hold_two(src);
        if src.st().buf.len == 0 {
            return Ok(());
        }
        if self.st().frozen_back || std::ptr::eq(self, src) {
            return Err(Refused::Invalid);
        }
        let ok = self.two_step(src, |dst, src| dst.reference(src));
        self.settle();
        if ok {
            Ok(())
        } else {
            Err(Refused::Unreferencable)
        }
    }

    /// Locks two buffers in address order (both stay held for the scope).
    #[inline]
    fn hold_two<'a>(&'a self, other: &'a SyncBuffer) -> HeldTwo<'a> {
        let (a, b) = if (self as *const Self) < (other as *const Self) {
            (self, other)
        } else {
            (other, self)
        };
        a.lock.lock();
        b.lock.lock();
        HeldTwo(&a.lock, &b.lock)
    }

    /// A step changing two distinct buffers; each counts its own change.
    #[inline]
    fn two_step<R>(&self, other: &SyncBuffer, f: impl FnOnce(&mut Buffer, &mut Buffer) -> R) -> R {
        debug_assert!(!std::ptr::eq(self, other));
        let (a, b) = (self.st(), other.st());
        let (a0, b0) = (a.buf.len, b.buf.len);
        let r = f(&mut a.buf, &mut b.buf);
        for (st, before) in [(a, a0), (b, b0)] {
            if !st.cbs.is_empty() {
                count(st, before);
            }
        }
        r
    }

    /// The first occurrence of `what` at or after `start`
    /// (`evbuffer_search_range`).
    pub fn search(&self, what: &[u8], start: usize, end: Option<usize>) -> Option<usize> {
        self.peek(|b| b.search(what, start, end))
    }

    pub fn search_eol(&self, start: usize, eol: Eol) -> Option<(usize, usize)> {
        self.peek(|b| b.search_eol(start, eol))
    }

    /// `evbuffer_readln`: the line is copied into what `alloc` returns for
    /// its length (the caller adds the NUL) and removed, then the end of
    /// line is drained; callbacks run after each, as in libevent.
    pub fn readln<'a>(
        &self,
        eol: Eol,
        alloc: impl FnOnce(usize) -> Option<&'a mut [u8]>,
    ) -> Option<(&'a mut [u8], usize)> {
        let _h = self.hold();
        let (n, eol_len) = {
            let st = self.st();
            if st.frozen_front {
                return None;
            }
            st.buf.search_eol(0, eol)?
        };
        let line = alloc(n)?;
        let got = self.st().buf.copy_out(0, &mut line[..n]);
        // Without callbacks, a line and its end inside the first chain go
        // in one drain: no code could run between libevent's two.
        let st = self.st();
        let whole = got + eol_len;
        if st.cbs.is_empty() && st.buf.chains.front().is_some_and(|c| c.len() > whole) {
            self.apply(|b| b.drain(whole));
            return Some((line, got));
        }
        if got > 0 {
            self.apply(|b| b.drain(got));
        }
        // A callback may have frozen the front meanwhile: libevent's drain
        // then refuses, and so does this.
        if eol_len > 0 && !self.st().frozen_front {
            self.apply(|b| b.drain(eol_len));
        }
        Some((line, got))
    }

    /// `evbuffer_read`.
    pub fn read_from(&self, fd: RawFd, max: Option<usize>) -> Result<usize, Refused> {
        self.change(false, |b| b.read_from(fd, max))?
            .map_err(Refused::Io)
    }

    /// `evbuffer_write_atmost` (`None`: everything). An empty buffer is
    /// refused, as libevent answers -1 without a system call.
    pub fn write_to(&self, fd: RawFd, max: Option<usize>) -> Result<usize, Refused> {
        let _h = self.hold();
        let st = self.st();
        if st.frozen_front {
            return Err(Refused::Frozen);
        }
        let n = max.unwrap_or(usize::MAX).min(st.buf.len);
        if n == 0 {
            return Err(Refused::Invalid);
        }
        self.change(true, |b| b.write_to(fd, n))?
            .map_err(Refused::Io)
    }

    /// `evbuffer_freeze` / `evbuffer_unfreeze`.
    pub fn set_frozen(&self, front: bool, frozen: bool) {
        let _h = self.hold();
        let st = self.st();
        if front {
            st.frozen_front = frozen;
        } else {
            st.frozen_back = frozen;
        }
    }

    pub fn set_flags(&self, set: u64, clear: u64) {
        let _h = self.hold();
        let st = self.st();
        st.flags = (st.flags | set) & !clear;
    }

    pub fn flags(&self) -> u64 {
        let _h = self.hold();
        self.st().flags
    }

    /// `evbuffer_enable_locking`: the lock is always there; a second call
    /// is refused as in libevent.
    pub fn enable_locking(&self) -> Result<(), Refused> {
        let _h = self.hold();
        let st = self.st();
        if st.locking_enabled {
            return Err(Refused::Invalid);
        }
        st.locking_enabled = true;
        Ok(())
    }

    /// `evbuffer_add_cb`: the newest callback runs first. `key` is what
    /// [`SyncBuffer::remove_cb`] matches.
    pub fn add_cb(&self, key: (usize, usize), func: CbFn) -> Arc<CbEntry> {
        let e = Arc::new(CbEntry {
            flags: AtomicU32::new(CB_ENABLED),
            live: AtomicBool::new(true),
            key,
            func,
        });
        let _h = self.hold();
        let st = self.st();
        let mut v = Vec::with_capacity(st.cbs.len() + 1);
        v.extend(st.cbs.iter().cloned());
        v.push(e.clone());
        st.cbs = Arc::new(v);
        e
    }

    /// Removes the first entry (newest first) that `pick` chooses.
    fn remove_where(&self, pick: impl Fn(&CbEntry) -> bool) -> bool {
        let _h = self.hold();
        let st = self.st();
        let Some(i) = st.cbs.iter().rposition(|e| pick(e)) else {
            return false;
        };
        let mut v: Vec<_> = st.cbs.iter().cloned().collect();
        let e = v.remove(i);
        e.live.store(false, Ordering::Relaxed);
        st.cbs = Arc::new(v);
        drop(e);
        true
    }

    /// `evbuffer_remove_cb_entry`: false if `entry` is not this buffer's.
    pub fn remove_cb_entry(&self, entry: *const CbEntry) -> bool {
        self.remove_where(|e| std::ptr::eq(e, entry))
    }

    /// `evbuffer_remove_cb`.
    pub fn remove_cb(&self, key: (usize, usize)) -> bool {
        self.remove_where(|e| e.key == key)
    }

    /// `evbuffer_setcb` with no callback, and teardown.
    pub fn clear_cbs(&self) {
        let _h = self.hold();
        let st = self.st();
        for e in st.cbs.iter() {
            e.live.store(false, Ordering::Relaxed);
        }
        st.cbs = no_callbacks();
    }

    /// `evbuffer_cb_set_flags` / `clear_flags`; false if `entry` is not
    /// this buffer's.
    pub fn cb_flags(&self, entry: *const CbEntry, set: u32, clear: u32) -> bool {
        let _h = self.hold();
        let st = self.st();
        match st.cbs.iter().find(|e| std::ptr::eq(&***e, entry)) {
            Some(e) => {
                let f = e.flags.load(Ordering::Relaxed);
                e.flags.store((f | set) & !clear, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Empties the buffer and drops its callbacks, for freeing: the shared
    /// bytes are dropped (cleanups run) after the state is let go.
    pub fn clear(&self) {
        let _h = self.hold();
        self.clear_cbs();
        let old = std::mem::take(&mut self.st().buf);
        self.len.store(0, Ordering::Release);
        drop(old);
        let st = self.st();
        st.n_added = 0;
        st.n_deleted = 0;
        st.frozen_front = false;
        st.frozen_back = false;
        st.flags = 0;
        st.defer = None;
        st.locking_enabled = false;
    }
}

/// Counts a change from length `before` for the next callback run.
#[inline]
fn count(st: &mut State, before: usize) {
    let after = st.buf.len;
    if after > before {
        st.n_added += after - before;
    } else {
        st.n_deleted += before - after;
    }
}

fn take_info(st: &mut State) -> CbInfo {
    let info = CbInfo {
        orig_size: st.buf.len + st.n_deleted - st.n_added,
        n_added: st.n_added,
        n_deleted: st.n_deleted,
    };
    st.n_added = 0;
    st.n_deleted = 0;
    info
}

/// Runs a snapshot of the callbacks, newest first, skipping entries
/// removed or disabled meanwhile.
fn run(info: &CbInfo, cbs: &[Arc<CbEntry>]) {
    for e in cbs.iter().rev() {
        if e.live.load(Ordering::Relaxed) && e.flags.load(Ordering::Relaxed) & CB_ENABLED != 0 {
            (e.func)(info);
        }
    }
}

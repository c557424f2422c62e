//! What C points at for evbuffers: the opaque `evbuffer`, callback
//! entries, file segments, and the memory a program lends by reference.
//!
//! Buffers come from a pool and their memory is never returned: a freed
//! buffer is a cleared header with no magic until `evbuffer_new` hands it
//! out again, so a stale pointer is refused instead of read after free,
//! and memory stays bounded by the most buffers alive at once.

use std::os::raw::{c_int, c_short, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rel_core::buffer::{Bytes, CbEntry, FileSegment, SyncBuffer};

use crate::boundary::{FromC, Refusal};

/// Opaque to C.
pub struct evbuffer {
    magic: AtomicU64,
    /// The buffer itself: bytes, lock, callbacks.
    pub core: SyncBuffer,
    /// Deferred callback runs scheduled and not yet run; the header goes
    /// back to the pool only when none is left.
    deferred: AtomicUsize,
}

/// `struct evbuffer_cb_entry`: the core's entry, opaque to C.
pub type evbuffer_cb_entry = CbEntry;

const BUFFER_MAGIC: u64 = 0x7265_6c5f_6576_6266;
const DEAD: u64 = 0;

/// Freed headers, by address.
static POOL: Mutex<Vec<usize>> = Mutex::new(Vec::new());

impl evbuffer {
    /// A new empty buffer.
    pub fn new() -> *mut evbuffer {
        let reused = POOL.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let p = match reused {
            Some(p) => p as *mut evbuffer,
            None => Box::into_raw(Box::new(evbuffer {
                magic: AtomicU64::new(DEAD),
                core: SyncBuffer::new(),
                deferred: AtomicUsize::new(0),
            })),
        };
        // SAFETY: a header from the pool or just allocated; headers are
        // never freed.
        let b = unsafe { &*p };
        // A thread still inside a callback of the buffer's previous life
        // holds its lock; wait for it before the header lives again.
        b.core.lock();
        b.magic.store(BUFFER_MAGIC, Ordering::Release);
        b.core.unlock();
        p
    }

    /// The one check of a buffer pointer.
    ///
    /// # Safety
    ///
    /// `p` is NULL or a pointer `evbuffer_new` returned (live or freed).
    #[inline]
    pub(crate) unsafe fn live<'a>(p: *const evbuffer) -> Result<&'a evbuffer, Refusal> {
        // SAFETY: by the contract above, a non-NULL `p` is a header, and
        // headers are never freed.
        match unsafe { p.as_ref() } {
            None => Err(Refusal::Missing("evbuffer")),
            Some(b) if b.magic.load(Ordering::Relaxed) == BUFFER_MAGIC => Ok(b),
            Some(_) => Err(Refusal::Misuse("not a live evbuffer")),
        }
    }

    pub fn as_ptr(&self) -> *mut evbuffer {
        (self as *const evbuffer).cast_mut()
    }

    /// `evbuffer_free`: the bytes go (cleanups run), the header returns to
    /// the pool unless a deferred run still needs it.
    pub fn free(&self) {
        self.core.lock();
        self.magic.store(DEAD, Ordering::Release);
        self.core.clear();
        self.core.unlock();
        if self.deferred.load(Ordering::Acquire) == 0 {
            self.recycle();
        }
    }

    fn recycle(&self) {
        POOL.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self as *const evbuffer as usize);
    }

    /// A deferred run was scheduled for this buffer.
    pub(crate) fn defer_started(&self) {
        self.deferred.fetch_add(1, Ordering::AcqRel);
    }

    /// A deferred run ended (ran, or was dropped).
    pub(crate) fn defer_done(&self) {
        if self.deferred.fetch_sub(1, Ordering::AcqRel) == 1
            && self.magic.load(Ordering::Acquire) == DEAD
        {
            self.recycle();
        }
    }
}

impl FromC<*mut evbuffer> for &evbuffer {
    unsafe fn from_c(p: *mut evbuffer) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract (a buffer pointer from librel).
        unsafe { evbuffer::live(p) }
    }
}

impl FromC<*const evbuffer> for &evbuffer {
    unsafe fn from_c(p: *const evbuffer) -> Result<Self, Refusal> {
        // SAFETY: as above.
        unsafe { evbuffer::live(p) }
    }
}

/// Memory lent with `evbuffer_add_reference`; its cleanup runs once, when
/// the last chain referring to it lets go.
pub(crate) struct Lent {
    data: usize,
    len: usize,
    cleanup: Option<unsafe extern "C" fn(*const c_void, usize, *mut c_void)>,
    arg: usize,
    armed: AtomicBool,
}

impl Lent {
    pub fn new(
        data: *const c_void,
        len: usize,
        cleanup: Option<unsafe extern "C" fn(*const c_void, usize, *mut c_void)>,
        arg: *mut c_void,
    ) -> Lent {
        Lent {
            data: data as usize,
            len,
            cleanup,
            arg: arg as usize,
            armed: AtomicBool::new(true),
        }
    }

    /// The buffer refused the memory: no cleanup is owed.
    pub fn disarm(&self) {
        self.armed.store(false, Ordering::Relaxed);
    }
}

impl Bytes for Lent {
    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the program lent `len` bytes at `data` until the cleanup
        // runs (evbuffer_add_reference's contract), which is at drop.
        unsafe { std::slice::from_raw_parts(self.data as *const u8, self.len) }
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(f) = self.cleanup.filter(|_| *self.armed.get_mut()) {
            // SAFETY: the program's cleanup, with the arguments it gave.
            unsafe {
                f(
                    self.data as *const c_void,
                    self.len,
                    self.arg as *mut c_void,
                )
            };
        }
    }
}

/// A file segment's cleanup callback, as C gives it.
type SegmentCleanup = unsafe extern "C" fn(*const evbuffer_file_segment, c_int, *mut c_void);

/// `struct evbuffer_iovec` is `struct iovec` (`#define evbuffer_iovec iovec`).
pub type iovec = libc::iovec;

/// `enum evbuffer_eol_style` and `enum evbuffer_ptr_how` arrive as ints;
/// the enums themselves are in headers/buffer.h. (Declared here, where
/// cbindgen does not look, so that the header says `enum`.)
pub type evbuffer_eol_style = c_int;
pub type evbuffer_ptr_how = c_int;

/// Opaque to C; C holds one strong count of an `Arc`, each chain another.
pub struct evbuffer_file_segment {
    magic: u64,
    /// Dropped (unmapped, fd closed) before the cleanup callback runs.
    seg: Option<FileSegment>,
    cleanup: Mutex<Option<(SegmentCleanup, usize)>>,
}

const SEGMENT_MAGIC: u64 = 0x7265_6c5f_6673_6567;

impl evbuffer_file_segment {
    pub(crate) fn new(seg: FileSegment) -> *mut evbuffer_file_segment {
        Arc::into_raw(Arc::new(evbuffer_file_segment {
            magic: SEGMENT_MAGIC,
            seg: Some(seg),
            cleanup: Mutex::new(None),
        }))
        .cast_mut()
    }

    pub(crate) fn segment(&self) -> &FileSegment {
        self.seg.as_ref().expect("until dropped")
    }

    pub(crate) fn set_cleanup(&self, cb: Option<SegmentCleanup>, arg: *mut c_void) {
        *self.cleanup.lock().unwrap_or_else(|e| e.into_inner()) = cb.map(|f| (f, arg as usize));
    }

    /// A new strong count for a chain.
    ///
    /// # Safety
    ///
    /// `p` came from [`evbuffer_file_segment::new`] and C's count is alive.
    pub(crate) unsafe fn share(p: *const evbuffer_file_segment) -> Arc<evbuffer_file_segment> {
        // SAFETY: by the contract, `p` is an Arc pointer with a live count.
        unsafe {
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        }
    }

    /// Gives up C's count (`evbuffer_file_segment_free`).
    ///
    /// # Safety
    ///
    /// As [`evbuffer_file_segment::share`]; C's count is not used again.
    pub(crate) unsafe fn release(p: *const evbuffer_file_segment) {
        // SAFETY: by the contract, C's own count.
        drop(unsafe { Arc::from_raw(p) });
    }
}

impl Bytes for evbuffer_file_segment {
    fn bytes(&self) -> &[u8] {
        self.seg.as_ref().map_or(&[], |s| s.bytes())
    }
}

impl Drop for evbuffer_file_segment {
    fn drop(&mut self) {
        let flags = self.seg.as_ref().map_or(0, |s| s.flags());
        self.seg = None;
        self.magic = 0;
        let cb = self
            .cleanup
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((f, arg)) = cb {
            // SAFETY: the program's cleanup with its argument; the pointer
            // is only an identity for it (as in libevent, the segment is
            // going).
            unsafe { f(self, flags as c_int, arg as *mut c_void) };
        }
    }
}

impl FromC<*mut evbuffer_file_segment> for &evbuffer_file_segment {
    unsafe fn from_c(p: *mut evbuffer_file_segment) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: a segment C has not freed.
        match unsafe { p.as_ref() } {
            None => Err(Refusal::Missing("file segment")),
            Some(s) if s.magic == SEGMENT_MAGIC => Ok(s),
            Some(_) => Err(Refusal::Misuse("not a live evbuffer_file_segment")),
        }
    }
}

/// The deferred-callback trampoline the base's loop calls: `arg` is the
/// buffer.
pub(crate) unsafe extern "C" fn run_deferred(_fd: c_int, _what: c_short, arg: *mut c_void) {
    // SAFETY: `arg` is a header (never freed) whose deferred count this
    // run holds.
    let b = unsafe { &*(arg as *const evbuffer) };
    b.core.run_deferred();
    b.defer_done();
}

//! A chain: one extent of a buffer's bytes, owned or shared.

use std::mem::MaybeUninit;
use std::sync::Arc;

/// Bytes a buffer reads without owning them: memory the program lends
/// (`evbuffer_add_reference`), a file segment, or another buffer's chain
/// (`evbuffer_add_buffer_reference`). The embedding layer's `Drop` runs the
/// program's cleanup when the last chain lets go.
pub trait Bytes: Send + Sync {
    fn bytes(&self) -> &[u8];
}

/// Where shared bytes came from: libevent refuses to reference a buffer
/// holding file segments or references of references, and so do we.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Program memory, or an owned chain frozen so another buffer can
    /// reference it.
    Memory,
    /// A file segment.
    File,
    /// A reference to another buffer's chain.
    Multicast,
}

/// Owned storage is not zeroed (a read into a fresh 64 KiB chain would pay
/// for a memset first): its free space is uninitialised memory, and only
/// `off..end` is ever read as bytes. Every move of `end` or `off` covers
/// bytes written just before (by a copy, a read(2), or a program that
/// commits the reserved space it filled, as libevent requires).
pub(crate) enum Store {
    Own(Box<[MaybeUninit<u8>]>),
    Shared(Arc<dyn Bytes>, Kind),
}

/// Bytes `off..end` of the store are the chain's data; for owned storage
/// `end..` is free space that appends fill, and `..off` room for prepends.
pub(crate) struct Chain {
    pub store: Store,
    pub off: usize,
    pub end: usize,
}

/// Smallest owned chain; chains grow with the buffer up to [`GROW_MAX`].
pub(crate) const MIN_CHAIN: usize = 1024;
pub(crate) const GROW_MAX: usize = 64 * 1024;

/// The capacity of a new chain that must take `need` bytes, in a buffer
/// holding `held`: big enough that a growing buffer makes few chains.
pub(crate) fn capacity_for(need: usize, held: usize) -> usize {
    let grow = held.clamp(MIN_CHAIN, GROW_MAX);
    need.max(grow).next_multiple_of(64)
}

impl Chain {
    pub fn own(capacity: usize) -> Chain {
        Chain {
            store: Store::Own(Box::new_uninit_slice(capacity)),
            off: 0,
            end: 0,
        }
    }

    pub fn shared(bytes: Arc<dyn Bytes>, kind: Kind, off: usize, end: usize) -> Chain {
        Chain {
            store: Store::Shared(bytes, kind),
            off,
            end,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.end - self.off
    }

    #[inline]
    pub fn data(&self) -> &[u8] {
        match &self.store {
            Store::Own(b) => {
                let data = &b[self.off..self.end];
                // SAFETY: `off..end` is initialised (the store's invariant).
                unsafe { std::slice::from_raw_parts(data.as_ptr().cast(), data.len()) }
            }
            Store::Shared(s, _) => &s.bytes()[self.off..self.end],
        }
    }

    /// Free space after the data (none in shared chains).
    #[inline]
    pub fn spare(&self) -> usize {
        match &self.store {
            Store::Own(b) => b.len() - self.end,
            Store::Shared(..) => 0,
        }
    }

    pub fn capacity(&self) -> usize {
        match &self.store {
            Store::Own(b) => b.len(),
            Store::Shared(..) => self.len(),
        }
    }

    pub fn is_own(&self) -> bool {
        matches!(self.store, Store::Own(_))
    }

    pub fn kind(&self) -> Option<Kind> {
        match &self.store {
            Store::Own(_) => None,
            Store::Shared(_, k) => Some(*k),
        }
    }

    /// The whole owned storage (empty for shared chains).
    #[inline]
    pub fn raw_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        match &mut self.store {
            Store::Own(b) => b,
            Store::Shared(..) => &mut [],
        }
    }

    /// Copies as much of `src` as fits into the free space; returns how
    /// much.
    #[inline]
    pub fn append(&mut self, src: &[u8]) -> usize {
        let n = src.len().min(self.spare());
        let end = self.end;
        write(&mut self.raw_mut()[end..end + n], &src[..n]);
        self.end += n;
        n
    }

    /// Moves the data to the start of owned storage.
    pub fn realign(&mut self) {
        let (off, end) = (self.off, self.end);
        if off > 0 {
            self.raw_mut().copy_within(off..end, 0);
            self.off = 0;
            self.end = end - off;
        }
    }

    /// Turns owned storage into shared storage that other buffers can
    /// reference; the bytes stay where they are.
    pub fn share(&mut self) -> Arc<dyn Bytes> {
        if let Store::Own(b) = &mut self.store {
            let bytes: Arc<dyn Bytes> = Arc::new(Frozen {
                store: std::mem::take(b),
                init: self.end,
            });
            self.store = Store::Shared(bytes, Kind::Memory);
        }
        match &self.store {
            Store::Shared(s, _) => s.clone(),
            Store::Own(_) => unreachable!("just shared"),
        }
    }
}

/// An owned chain's storage after another buffer referenced it: its
/// first `init` bytes (the data's end when it froze) are initialised.
struct Frozen {
    store: Box<[MaybeUninit<u8>]>,
    init: usize,
}

impl Bytes for Frozen {
    fn bytes(&self) -> &[u8] {
        let init = &self.store[..self.init];
        // SAFETY: the chain's data ended at `init` when it froze, and
        // everything before its end was written (the store's invariant).
        unsafe { std::slice::from_raw_parts(init.as_ptr().cast(), init.len()) }
    }
}

/// Copies `src` into the start of `dst` (which is at least as long).
#[inline]
pub(crate) fn write(dst: &mut [MaybeUninit<u8>], src: &[u8]) {
    let dst = &mut dst[..src.len()];
    // SAFETY: `dst` has exactly `src.len()` writable elements of the same
    // size, and a `&mut` and a `&` cannot overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), src.len())
    };
}

//! evbuffer's storage and rules (libevent's buffer.c), in safe Rust.
//!
//! - [`Buffer`]: the bytes, as a queue of chains ([`chain`]); every
//!   operation of `event2/buffer.h` on one buffer, with no locking and no
//!   callbacks. Searching is in [`search`], line reading in [`readln`], fd
//!   I/O in [`io`].
//! - [`SyncBuffer`] ([`sync`]): a `Buffer` behind a recursive lock
//!   ([`lock`]), with the freeze flags and the change callbacks, deferred
//!   to a loop or not. This is what the C layer and bufferevents share.
//! - [`FileSegment`] ([`file`]): a range of a file, mapped or read in.
//!
//! Chains are few and large (up to 64 KiB as a buffer grows, any size for
//! one big add), appends fill the last chain's free space, and a fully
//! drained buffer keeps its last chain for the next append.

mod chain;
mod file;
mod io;
mod lock;
mod readln;
mod search;
mod sync;

use std::collections::VecDeque;
use std::sync::Arc;

pub use chain::{Bytes, Kind};
pub use file::{
    FileSegment, FS_CLOSE_ON_FREE, FS_DISABLE_LOCKING, FS_DISABLE_MMAP, FS_DISABLE_SENDFILE,
};
pub use lock::RecLock;
pub use readln::Eol;
pub use sync::{CbEntry, CbInfo, Refused, SyncBuffer, CB_ENABLED, FLAG_DRAINS_TO_FD};

use chain::{capacity_for, Chain, GROW_MAX, MIN_CHAIN};

/// Most extents a reservation hands out.
pub const MAX_EXTENTS: usize = 2;

/// Memory the program may write into before [`Buffer::commit`]: the
/// address and length of each extent.
#[derive(Clone, Copy, Default, Debug)]
pub struct Extents {
    pub n: usize,
    pub ext: [(usize, usize); MAX_EXTENTS],
}

/// The bytes of one evbuffer.
pub struct Buffer {
    chains: VecDeque<Chain>,
    pub(crate) len: usize,
    /// Shared chains let go during an operation. Their drop may run a
    /// program's cleanup callback, which may call back into this buffer, so
    /// [`SyncBuffer`] drops them after its borrow of the buffer ends.
    pub(crate) released: Vec<Arc<dyn Bytes>>,
    /// What the last `read` offered beyond the free space (adapts).
    read_size: usize,
    /// The last fd written to and whether it is a socket.
    sock: Option<(i32, bool)>,
}

impl Default for Buffer {
    fn default() -> Self {
        Buffer::new()
    }
}

impl Buffer {
    pub const fn new() -> Buffer {
        Buffer {
            chains: VecDeque::new(),
            len: 0,
            released: Vec::new(),
            read_size: 16 * 1024,
            sock: None,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes readable at once from the start (`evbuffer_get_contiguous_space`).
    pub fn contiguous(&self) -> usize {
        self.chains
            .iter()
            .map(Chain::len)
            .find(|&l| l > 0)
            .unwrap_or(0)
    }

    /// Number of chains holding data (for tests and measurements).
    pub fn chain_count(&self) -> usize {
        self.chains.iter().filter(|c| c.len() > 0).count()
    }

    /// The data, chain by chain, from byte `pos` on.
    pub fn chunks_from(&self, mut pos: usize) -> impl Iterator<Item = &[u8]> {
        self.chains.iter().filter_map(move |c| {
            let d = c.data();
            if pos >= d.len() {
                pos -= d.len();
                return None;
            }
            let part = &d[pos..];
            pos = 0;
            Some(part)
        })
    }

    /// Every byte, copied (tests and small buffers).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len);
        for c in self.chunks_from(0) {
            v.extend_from_slice(c);
        }
        v
    }

    fn release(&mut self, c: Chain) {
        if let chain::Store::Shared(s, _) = c.store {
            self.released.push(s);
        }
    }

    /// Takes the shared storage let go since the last call, for the caller
    /// to drop outside any borrow of the buffer.
    pub fn take_released(&mut self) -> Vec<Arc<dyn Bytes>> {
        if self.released.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut self.released)
        }
    }

    /// Drops empty chains at the end, so a shared chain can follow data.
    fn trim_empty_tail(&mut self) {
        while self.chains.back().is_some_and(|c| c.len() == 0) {
            let c = self.chains.pop_back().expect("checked");
            self.release(c);
        }
    }

    /// In an empty buffer, keeps at most one owned chain of a reusable size
    /// for the next append; the rest go.
    #[inline]
    fn keep_one_spare(&mut self) {
        let reusable = |c: &Chain| c.is_own() && c.capacity() <= GROW_MAX;
        if self.chains.len() > 1 || self.chains.front().is_some_and(|c| !reusable(c)) {
            self.drop_spares(reusable);
        }
    }

    #[cold]
    fn drop_spares(&mut self, reusable: impl Fn(&Chain) -> bool) {
        while self.chains.len() > 1 {
            let c = self.chains.pop_back().expect("checked");
            self.release(c);
        }
        if self.chains.front().is_some_and(|c| !reusable(c)) {
            let c = self.chains.pop_front().expect("checked");
            self.release(c);
        }
    }

    /// Drops empty chains at the front while data follows them.
    fn tidy_front(&mut self) {
        while self.chains.len() > 1 && self.chains[0].len() == 0 {
            let c = self.chains.pop_front().expect("checked");
            self.release(c);
        }
    }

    /// Appends a copy of `data` (`evbuffer_add`).
    #[inline]
    pub fn add(&mut self, data: &[u8]) {
        if let Some(Chain {
            store: chain::Store::Own(b),
            end,
            ..
        }) = self.chains.back_mut()
        {
            if let Some(room) = b.get_mut(*end..*end + data.len()) {
                chain::write(room, data);
                *end += data.len();
                self.len += data.len();
                return;
            }
        }
        self.add_slow(data);
    }

    fn add_slow(&mut self, mut data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.len += data.len();
        if let Some(last) = self.chains.back_mut().filter(|c| c.is_own()) {
            if last.spare() < data.len() && worth_realigning(last, data.len()) {
                last.realign();
            }
            data = &data[last.append(data)..];
            if data.is_empty() {
                return;
            }
        }
        let mut c = Chain::own(capacity_for(data.len(), self.len));
        c.append(data);
        self.chains.push_back(c);
    }

    /// Puts a copy of `data` in front (`evbuffer_prepend`).
    pub fn prepend(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.len += data.len();
        let mut rest = data;
        if let Some(first) = self.chains.front_mut().filter(|c| c.is_own()) {
            if first.len() == 0 {
                let cap = first.capacity();
                first.off = cap;
                first.end = cap;
            }
            let room = first.off.min(rest.len());
            let (head, tail) = rest.split_at(rest.len() - room);
            let off = first.off;
            chain::write(&mut first.raw_mut()[off - room..off], tail);
            first.off -= room;
            rest = head;
        }
        if rest.is_empty() {
            return;
        }
        let cap = capacity_for(rest.len(), 0);
        let mut c = Chain::own(cap);
        chain::write(&mut c.raw_mut()[cap - rest.len()..], rest);
        c.off = cap - rest.len();
        c.end = cap;
        self.chains.push_front(c);
    }

    /// Drops up to `n` bytes from the front; returns how many
    /// (`evbuffer_drain`: more than there is drains all).
    #[inline]
    pub fn drain(&mut self, n: usize) -> usize {
        if let Some(front) = self.chains.front_mut() {
            if front.len() > n {
                front.off += n;
                self.len -= n;
                return n;
            }
        }
        self.drain_slow(n)
    }

    fn drain_slow(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        self.len -= n;
        let mut left = n;
        loop {
            let only = self.chains.len() == 1;
            let Some(front) = self.chains.front_mut() else {
                break;
            };
            let l = front.len();
            if l > left {
                front.off += left;
                break;
            }
            left -= l;
            if only {
                if front.is_own() && front.capacity() <= GROW_MAX {
                    // Kept for the next append.
                    front.off = 0;
                    front.end = 0;
                } else {
                    let c = self.chains.pop_front().expect("checked");
                    self.release(c);
                }
                break;
            }
            let c = self.chains.pop_front().expect("checked");
            self.release(c);
            if left == 0 && self.chains.front().is_some_and(|c| c.len() > 0) {
                break;
            }
        }
        n
    }

    /// Copies bytes from `pos` on into `out`; returns how many
    /// (`evbuffer_copyout_from`).
    pub fn copy_out(&self, pos: usize, out: &mut [u8]) -> usize {
        let want = out.len().min(self.len.saturating_sub(pos));
        if let Some(first) = self.chains.front() {
            if let Some(part) = first.data().get(pos..pos + want) {
                out[..want].copy_from_slice(part);
                return want;
            }
        }
        let mut done = 0;
        for part in self.chunks_from(pos) {
            if done == want {
                break;
            }
            let k = part.len().min(want - done);
            out[done..done + k].copy_from_slice(&part[..k]);
            done += k;
        }
        done
    }

    /// Makes the first `n` bytes contiguous and returns them
    /// (`evbuffer_pullup`); `None` if the buffer holds fewer or `n` is 0.
    /// Copies out of shared chains as it must: it never fails because
    /// chains are referenced.
    #[inline]
    pub fn pullup(&mut self, n: usize) -> Option<&[u8]> {
        if n == 0 || n > self.len {
            return None;
        }
        // Already contiguous (tmux asks on every read): no more work.
        if self.chains.front().is_none_or(|c| c.end - c.off < n) {
            self.make_contiguous(n);
        }
        self.chains.front()?.data().get(..n)
    }

    #[cold]
    fn make_contiguous(&mut self, n: usize) {
        self.tidy_front();
        if self.chains[0].len() < n {
            self.gather_front(n);
        }
    }

    /// Moves bytes into the first chain until it holds `n`.
    fn gather_front(&mut self, n: usize) {
        let first = &mut self.chains[0];
        if first.is_own() && first.capacity() >= n {
            first.realign();
        } else {
            // A first chain holding half the bytes already was most likely
            // pulled up before and keeps growing (a reader pulling up all
            // it has on every read): room for what follows, so the next
            // pull-up can stay put. Gathering a burst of small chains is a
            // one-off: exactly the size asked, a block the allocator can
            // serve again from the chains this frees.
            let room = if first.len() >= n / 2 {
                (n / 2).min(GROW_MAX)
            } else {
                0
            };
            let cap = (n + room).max(MIN_CHAIN);
            let mut c = Chain::own(cap.next_multiple_of(64));
            c.append(first.data());
            let old = std::mem::replace(first, c);
            self.release(old);
        }
        while self.chains[0].len() < n {
            let need = n - self.chains[0].len();
            let next = &self.chains[1];
            let k = need.min(next.len());
            let (a, b) = self.chains.as_mut_slices();
            let (first, next) = if a.len() >= 2 {
                let (x, y) = a.split_at_mut(1);
                (&mut x[0], &mut y[0])
            } else {
                (&mut a[0], &mut b[0])
            };
            first.append(&next.data()[..k]);
            next.off += k;
            if next.len() == 0 && self.chains.len() > 1 {
                let c = self.chains.remove(1).expect("checked");
                self.release(c);
            }
        }
    }

    /// Moves every byte of `src` to the end of `self` (`evbuffer_add_buffer`):
    /// chains move; only a small all-owned `src` that fits the free space
    /// is copied, which keeps chains few and `src`'s chain for reuse.
    #[inline]
    pub fn append_buffer(&mut self, src: &mut Buffer) {
        if src.len == 0 {
            return;
        }
        if self.len == 0 {
            // Nothing to keep in order: the queues trade places, whatever
            // their length, and `src` keeps our spare chain for its next
            // append (libevent splices the chain list here too).
            std::mem::swap(&mut self.chains, &mut src.chains);
            self.len = src.len;
            src.len = 0;
            src.keep_one_spare();
            return;
        }
        self.append_chains(src);
    }

    /// [`Buffer::append_buffer`] behind data.
    fn append_chains(&mut self, src: &mut Buffer) {
        let fits = self
            .chains
            .back()
            .is_some_and(|c| c.is_own() && c.spare() >= src.len);
        if src.len <= 512 && fits && src.chains.iter().all(Chain::is_own) {
            for c in &src.chains {
                let last = self.chains.back_mut().expect("checked");
                last.append(c.data());
            }
            self.len += src.len;
            src.drain(src.len);
            return;
        }
        self.trim_empty_tail();
        self.len += src.len;
        src.len = 0;
        for c in src.chains.drain(..) {
            if c.len() > 0 {
                self.chains.push_back(c);
            } else if let chain::Store::Shared(s, _) = c.store {
                src.released.push(s);
            }
        }
    }

    /// Moves every byte of `src` to the front of `self`
    /// (`evbuffer_prepend_buffer`).
    pub fn prepend_buffer(&mut self, src: &mut Buffer) {
        if src.len == 0 {
            return;
        }
        self.tidy_front();
        if self.chains.front().is_some_and(|c| c.len() == 0) {
            let c = self.chains.pop_front().expect("checked");
            self.release(c);
        }
        self.len += src.len;
        src.len = 0;
        while let Some(c) = src.chains.pop_back() {
            if c.len() > 0 {
                self.chains.push_front(c);
            } else {
                src.release(c);
            }
        }
    }

    /// Moves up to `n` bytes from the front of `self` to the end of `dst`
    /// (`evbuffer_remove_buffer`): whole chains move, a partial one is
    /// copied. Returns how many.
    #[inline]
    pub fn move_to(&mut self, dst: &mut Buffer, n: usize) -> usize {
        if n >= self.len {
            let all = self.len;
            dst.append_buffer(self);
            return all;
        }
        self.move_part(dst, n)
    }

    /// [`Buffer::move_to`] of fewer bytes than there are.
    fn move_part(&mut self, dst: &mut Buffer, n: usize) -> usize {
        let mut left = n;
        self.tidy_front();
        if self.chains[0].len() <= left {
            dst.trim_empty_tail();
        }
        while self.chains[0].len() <= left {
            let c = self.chains.pop_front().expect("n < len");
            left -= c.len();
            dst.len += c.len();
            dst.chains.push_back(c);
        }
        if left > 0 {
            let front = &mut self.chains[0];
            dst.add(&front.data()[..left]);
            front.off += left;
        }
        self.len -= n;
        n
    }

    /// Adds references to every chain of `src` at the end of `self`
    /// (`evbuffer_add_buffer_reference`); `src` keeps its bytes, now
    /// read-only. Refused (false) if `src` holds file segments or
    /// references to other buffers.
    pub fn reference(&mut self, src: &mut Buffer) -> bool {
        if src
            .chains
            .iter()
            .any(|c| c.len() > 0 && matches!(c.kind(), Some(Kind::File | Kind::Multicast)))
        {
            return false;
        }
        self.trim_empty_tail();
        for c in src.chains.iter_mut().filter(|c| c.len() > 0) {
            let bytes = c.share();
            self.chains
                .push_back(Chain::shared(bytes, Kind::Multicast, c.off, c.end));
        }
        self.len += src.len;
        true
    }

    /// Appends bytes `off..end` of shared storage without copying
    /// (`evbuffer_add_reference`, file segments).
    pub fn add_shared(&mut self, bytes: Arc<dyn Bytes>, kind: Kind, off: usize, end: usize) {
        self.trim_empty_tail();
        self.len += end - off;
        self.chains.push_back(Chain::shared(bytes, kind, off, end));
    }

    /// Makes sure `n` bytes can be appended without allocating, in one
    /// chain (`evbuffer_expand`).
    pub fn expand(&mut self, n: usize) {
        if let Some(last) = self.chains.back_mut().filter(|c| c.is_own()) {
            if last.spare() >= n {
                return;
            }
            if last.len() == 0 {
                *last = Chain::own(capacity_for(n, self.len));
                return;
            }
            if last.capacity() - last.len() >= n && last.len() <= last.capacity() / 2 {
                last.realign();
                return;
            }
        }
        self.trim_empty_tail();
        self.chains.push_back(Chain::own(capacity_for(n, self.len)));
    }

    /// The last chain's free space, made at least `min` bytes long: for
    /// writing in place, then [`Buffer::commit_tail`].
    #[inline]
    pub fn tail_space(&mut self, min: usize) -> &mut [std::mem::MaybeUninit<u8>] {
        if !self
            .chains
            .back()
            .is_some_and(|c| c.is_own() && c.spare() >= min)
        {
            self.expand(min);
        }
        let last = self.chains.back_mut().expect("expanded");
        let end = last.end;
        &mut last.raw_mut()[end..]
    }

    /// Makes `n` bytes written into [`Buffer::tail_space`] part of the data.
    #[inline]
    pub fn commit_tail(&mut self, n: usize) {
        let last = self.chains.back_mut().expect("tail space was made");
        assert!(n <= last.spare(), "commit beyond the tail space");
        last.end += n;
        self.len += n;
    }

    /// Free space for at least `size` bytes at the end, in at most `max`
    /// extents (`evbuffer_reserve_space`); each extent is a chain's whole
    /// free space.
    pub fn reserve(&mut self, size: usize, max: usize) -> Extents {
        let mut out = Extents::default();
        let tail_spare = self
            .chains
            .back()
            .filter(|c| c.is_own() && c.len() > 0)
            .map_or(0, Chain::spare);
        if max >= 2 && tail_spare > 0 && tail_spare < size {
            let need = size - tail_spare;
            self.chains
                .push_back(Chain::own(capacity_for(need, self.len)));
            let n = self.chains.len();
            out.n = 2;
            out.ext[0] = spare_extent(&mut self.chains[n - 2]);
            out.ext[1] = spare_extent(&mut self.chains[n - 1]);
            return out;
        }
        self.expand(size.max(1));
        out.n = 1;
        out.ext[0] = spare_extent(self.chains.back_mut().expect("expanded"));
        out
    }

    /// Makes committed extents part of the data (`evbuffer_commit_space`):
    /// each must start where a chain's free space starts, in order from the
    /// last chain with data, and be no longer than that space. Returns the
    /// bytes added, or `None` if an extent does not match.
    pub fn commit(&mut self, ext: &[(usize, usize)]) -> Option<usize> {
        if ext.is_empty() {
            return Some(0);
        }
        if ext.len() == 1 {
            if let Some(last) = self.chains.back_mut() {
                if last.is_own() && spare_addr(last) == ext[0].0 {
                    if ext[0].1 > last.spare() {
                        return None;
                    }
                    last.end += ext[0].1;
                    self.len += ext[0].1;
                    self.tidy_front();
                    return Some(ext[0].1);
                }
            }
        }
        let mut first = self.chains.iter().rposition(|c| c.len() > 0).unwrap_or(0);
        if self.chains.get(first)?.spare() == 0 {
            first += 1;
        }
        for (i, &(addr, len)) in ext.iter().enumerate() {
            let c = self.chains.get(first + i)?;
            if !c.is_own() || spare_addr(c) != addr || len > c.spare() {
                return None;
            }
        }
        let mut added = 0;
        for (i, &(_, len)) in ext.iter().enumerate() {
            self.chains[first + i].end += len;
            added += len;
        }
        self.len += added;
        self.tidy_front();
        Some(added)
    }
}

/// libevent moves a chain's data back to its start when the data is small
/// and that makes room: cheaper than a new chain.
fn worth_realigning(c: &Chain, more: usize) -> bool {
    c.off > 0 && c.capacity() - c.len() >= more && c.len() <= c.capacity() / 2 && c.len() <= 2048
}

fn spare_addr(c: &Chain) -> usize {
    match &c.store {
        chain::Store::Own(b) => b.as_ptr() as usize + c.end,
        chain::Store::Shared(..) => 0,
    }
}

fn spare_extent(c: &mut Chain) -> (usize, usize) {
    let end = c.end;
    let spare = &mut c.raw_mut()[end..];
    (spare.as_mut_ptr() as usize, spare.len())
}

#[cfg(test)]
mod tests;

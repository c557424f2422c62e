//! Finding bytes across chains (`evbuffer_search*`, `evbuffer_ptr_set`).

use memchr::memmem::Finder;
use memchr::{memchr, memchr2};

use super::Buffer;

impl Buffer {
    /// The chain holding byte `pos` and the offset in it; `None` at or
    /// past the end.
    #[inline]
    pub fn locate(&self, pos: usize) -> Option<(usize, usize)> {
        if pos >= self.len {
            return None;
        }
        if pos < self.chains[0].len() {
            return Some((0, pos));
        }
        let mut left = pos;
        for (i, c) in self.chains.iter().enumerate() {
            if left < c.len() {
                return Some((i, left));
            }
            left -= c.len();
        }
        None
    }

    pub fn byte_at(&self, pos: usize) -> Option<u8> {
        self.locate(pos).map(|(i, off)| self.chains[i].data()[off])
    }

    /// Whether `what` is at chain `i`, offset `off` (possibly running on
    /// into later chains).
    fn matches_at(&self, mut i: usize, mut off: usize, mut what: &[u8]) -> bool {
        while !what.is_empty() {
            let Some(c) = self.chains.get(i) else {
                return false;
            };
            let d = &c.data()[off..];
            let k = d.len().min(what.len());
            if d[..k] != what[..k] {
                return false;
            }
            what = &what[k..];
            i += 1;
            off = 0;
        }
        true
    }

    /// The first occurrence of `what` at or after `start`. With `end`, an
    /// occurrence that does not end by `end` counts as none (libevent stops
    /// at the first occurrence). An empty `what` is found at `start`.
    pub fn search(&self, what: &[u8], start: usize, end: Option<usize>) -> Option<usize> {
        if what.is_empty() {
            return Some(start);
        }
        // Over a long stretch, the vectorised two-way search: it skips on a
        // pair of the needle's rarer bytes, where a memchr of the first
        // byte stops at every line end of header text. Building it costs
        // a few hundred instructions, more than a short stretch's scan.
        let found = if self.len.saturating_sub(start) >= FINDER_MIN {
            let finder = Finder::new(what);
            self.scan(what, start, |d| finder.find(d))
        } else {
            self.scan(what, start, |d| first_whole(d, what))
        }?;
        match end {
            Some(e) if found + what.len() > e => None,
            _ => Some(found),
        }
    }

    /// The first occurrence of `what` at or after `start`: `whole` finds
    /// those inside one chain, then those that start in a chain's last
    /// `what.len() - 1` bytes are checked across the next chains.
    fn scan(
        &self,
        what: &[u8],
        start: usize,
        whole: impl Fn(&[u8]) -> Option<usize>,
    ) -> Option<usize> {
        let (mut i, mut off) = self.locate(start)?;
        let mut base = start - off;
        loop {
            let d = self.chains.get(i)?.data();
            if let Some(q) = whole(&d[off..]) {
                return Some(base + off + q);
            }
            let mut from = off.max((d.len() + 1).saturating_sub(what.len()));
            while let Some(q) = memchr(what[0], &d[from..]) {
                let p = from + q;
                if self.matches_at(i, p, what) {
                    return Some(base + p);
                }
                from = p + 1;
            }
            base += d.len();
            i += 1;
            off = 0;
        }
    }

    /// The first byte at or after `start` equal to `a` or `b`.
    pub(crate) fn find_either(&self, start: usize, a: u8, b: u8) -> Option<usize> {
        self.find_either_in(start, a, b).map(|(p, _)| p)
    }

    /// [`Buffer::find_either`], with the byte before the hit when it is in
    /// the same chain.
    pub(crate) fn find_either_in(&self, start: usize, a: u8, b: u8) -> Option<(usize, Option<u8>)> {
        let (i0, mut off) = self.locate(start)?;
        let mut base = start - off;
        for c in self.chains.range(i0..) {
            let data = c.data();
            let d = &data[off..];
            let hit = if a == b {
                memchr(a, d)
            } else {
                memchr2(a, b, d)
            };
            if let Some(q) = hit {
                let at = off + q;
                let before = at.checked_sub(1).map(|k| data[k]);
                return Some((base + at, before));
            }
            base += c.len();
            off = 0;
        }
        None
    }

    /// How many bytes from `pos` on are CR or LF.
    pub(crate) fn crlf_run(&self, pos: usize) -> usize {
        let mut n = 0;
        for part in self.chunks_from(pos) {
            let k = part
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            n += k;
            if k < part.len() {
                break;
            }
        }
        n
    }
}

/// Bytes to search from which building a [`Finder`] pays.
const FINDER_MIN: usize = 256;

/// The first occurrence of `what` wholly inside `d`: candidates where its
/// first byte is, compared in place.
fn first_whole(d: &[u8], what: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(q) = memchr(what[0], &d[from..]) {
        let p = from + q;
        if d[p..].starts_with(what) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

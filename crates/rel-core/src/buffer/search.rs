//! Finding bytes across chains (`evbuffer_search*`, `evbuffer_ptr_set`).

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
        let m = what.len();
        let (mut i, mut off) = self.locate(start)?;
        let mut base = start - off;
        let found = 'scan: loop {
            let d = self.chains.get(i)?.data();
            // Candidates are where the first byte is (memchr, as libevent);
            // the rest is compared in place or across the next chains.
            let mut from = off;
            while let Some(q) = memchr(what[0], &d[from..]) {
                let p = from + q;
                let whole = d.get(p..p + m).is_some_and(|w| w == what);
                if whole || (p + m > d.len() && self.matches_at(i, p, what)) {
                    break 'scan base + p;
                }
                from = p + 1;
            }
            base += d.len();
            i += 1;
            off = 0;
        };
        match end {
            Some(e) if found + m > e => None,
            _ => Some(found),
        }
    }

    /// The first byte at or after `start` equal to `a` or `b`.
    pub(crate) fn find_either(&self, start: usize, a: u8, b: u8) -> Option<usize> {
        let (i0, mut off) = self.locate(start)?;
        let mut base = start - off;
        for c in self.chains.range(i0..) {
            let d = &c.data()[off..];
            let hit = if a == b {
                memchr(a, d)
            } else {
                memchr2(a, b, d)
            };
            if let Some(q) = hit {
                return Some(base + off + q);
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

//! How the core's per-event tables grow (slots, the timer heap, the fd
//! table): a leaf the others share.

/// Makes room for one more element, growing by a sixteenth rather than
/// doubling: the tables here are per event, and doubling leaves up to half
/// of them allocated but unused. Growing often costs little: a big table's
/// realloc is an mremap, not a copy.
pub(crate) fn grow_for_one<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact(GROWTH.max(v.len() / 16));
    }
}

/// Makes `v` at least `n` long, filling with `fill`, growing as
/// [`grow_for_one`] does (tables indexed by fd number).
pub(crate) fn cover<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    let len = v.len();
    if len < n {
        if v.capacity() < n {
            v.reserve_exact((n - len).max(len / 16));
        }
        v.resize(n, fill);
    }
}

/// The least a per-event table grows by.
const GROWTH: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-event tables are the benchmark's heap bytes per event: their
    /// unused capacity stays within a sixteenth (plus the first step).
    #[test]
    fn tables_grow_by_a_sixteenth() {
        let mut v: Vec<u32> = Vec::new();
        for i in 0..200_000 {
            grow_for_one(&mut v);
            v.push(i);
            assert!(v.capacity() <= v.len() + v.len() / 16 + GROWTH);
        }
    }
}

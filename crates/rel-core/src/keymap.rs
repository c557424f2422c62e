//! Maps keyed by integers the library chose itself: the base's keys for
//! its own events, the resolver's request keys, nameserver ids and
//! transaction ids. std's SipHash guards against keys an attacker picks;
//! these are counters and random ids, so one multiplication spreads them
//! well enough, at a fraction of the cost (SipHash was the largest single
//! cost of a DNS lookup, and a third of an `event_base_once`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Fibonacci hashing of one integer: multiply by 2^64 / golden ratio.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_spread_over_the_high_bits() {
        // hashbrown picks buckets and tags from the hash's bits: nearby
        // keys must not collide.
        let hashes: HashSet<u64> = (0..10_000u64)
            .map(|k| {
                let mut h = KeyHasher::default();
                h.write_u64(k);
                h.finish() >> 57
            })
            .collect();
        assert_eq!(hashes.len(), 128);
        let mut m: KeyMap<u16, u64> = KeyMap::default();
        for id in 0..=u16::MAX {
            m.insert(id, u64::from(id) * 3);
        }
        assert!((0..=u16::MAX).all(|id| m[&id] == u64::from(id) * 3));
    }
}

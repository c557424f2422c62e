//! The URI properties (props.rs, also the `uri` fuzz target) on
//! pseudo-random URI-like inputs: REL_MODEL_ITERS inputs (default 20000),
//! REL_MODEL_SEED to vary them.

mod props;

/// Bytes URIs are made of, weighted towards the ones the grammar cares
/// about.
const ALPHABET: &[u8] = b"aZ09:/?#@[]%%fF.+-_~!$&'()*,;= \"<>\\^`{|}v\x7f\xc3\r\n:://[::1]";

#[test]
fn uri_properties_hold() {
    let iters: u64 = std::env::var("REL_MODEL_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let mut x: u64 = std::env::var("REL_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds: [&[u8]; 4] = [b"http://u@h:80/p?q#f", b"//[::1]:1/a", b"x:y", b"/a b?c#d"];
    for i in 0..iters {
        let mut data = vec![(next() & 1) as u8];
        if i % 3 == 0 {
            data.extend_from_slice(seeds[(next() % 4) as usize]);
        }
        for _ in 0..next() % 24 {
            let at = (next() % (data.len() as u64)) as usize + 1;
            let c = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
            data.insert(at.min(data.len()), c);
        }
        props::check(&data);
    }
}

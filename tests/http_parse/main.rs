//! The HTTP parser properties (props.rs, also the `http_parse` fuzz
//! target) on pseudo-random request-like inputs: REL_MODEL_ITERS inputs
//! (default 20000), REL_MODEL_SEED to vary them.

mod props;

/// Bytes HTTP heads are made of, weighted towards the ones the parser
/// cares about.
const ALPHABET: &[u8] = b"GETPOSaz09 :/?#\r\n\r\n\t  HTTP/1.1-;xX\0\x7f\xff";

#[test]
fn http_parse_properties_hold() {
    let iters: u64 = std::env::var("REL_MODEL_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20000);
    let mut x: u64 = std::env::var("REL_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds: [&[u8]; 4] = [
        b"GET /a?b HTTP/1.1\r\nHost: h\r\nX: 1\r\n folded\r\n\r\n",
        b"HTTP/1.0 200 OK\nContent-Length: 3\n\nabc",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"CONNECT h:443 HTTP/1.1\r\n\r\n",
    ];
    for i in 0..iters {
        let mut data = vec![(next() & 0xff) as u8];
        if i % 2 == 0 {
            data.extend_from_slice(seeds[(next() % 4) as usize]);
        }
        for _ in 0..next() % 24 {
            let at = (next() % (data.len() as u64)) as usize + 1;
            let c = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
            if next() % 4 == 0 && at < data.len() {
                data.remove(at);
            } else {
                data.insert(at.min(data.len()), c);
            }
        }
        props::check(&data);
    }
}

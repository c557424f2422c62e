//! The HTTP parser properties (props.rs, also the `http_parse` fuzz
//! target) on pseudo-random request-like inputs: REL_MODEL_ITERS inputs
//! (default 20000; `rel_model::seeds`), REL_MODEL_SEED=S replays the input
//! of seed S (a failing input prints its seed).

mod props;

/// Bytes HTTP heads are made of, weighted towards the ones the parser
/// cares about.
const ALPHABET: &[u8] = b"GETPOSaz09 :/?#\r\n\r\n\t  HTTP/1.1-;xX\0\x7f\xff";

#[test]
fn http_parse_properties_hold() {
    let samples: &[&[u8]] = &[
        b"GET /a?b HTTP/1.1\r\nHost: h\r\nX: 1\r\n folded\r\n\r\n",
        b"HTTP/1.0 200 OK\nContent-Length: 3\n\nabc",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"CONNECT h:443 HTTP/1.1\r\n\r\n",
    ];
    for (n, seed) in rel_model::seeds(20000, 0x2545_f491_4f6c_dd1d) {
        let data = rel_model::mutated_input(seed, samples, ALPHABET);
        if std::panic::catch_unwind(|| props::check(&data)).is_err() {
            panic!("input {n} failed: REL_MODEL_SEED={seed}");
        }
    }
}

//! The URI properties (props.rs, also the `uri` fuzz target) on
//! pseudo-random URI-like inputs: REL_MODEL_ITERS inputs (default 20000),
//! REL_MODEL_SEED=S replays the input of seed S (a failing input prints
//! its seed).

mod props;

/// Bytes URIs are made of, weighted towards the ones the grammar cares
/// about.
const ALPHABET: &[u8] = b"aZ09:/?#@[]%%fF.+-_~!$&'()*,;= \"<>\\^`{|}v\x7f\xc3\r\n:://[::1]";

#[test]
fn uri_properties_hold() {
    let samples: &[&[u8]] = &[b"http://u@h:80/p?q#f", b"//[::1]:1/a", b"x:y", b"/a b?c#d"];
    for (n, seed) in rel_model::seeds(20000, 0x9e37_79b9_7f4a_7c15) {
        let data = rel_model::mutated_input(seed, samples, ALPHABET);
        if std::panic::catch_unwind(|| props::check(&data)).is_err() {
            panic!("input {n} failed: REL_MODEL_SEED={seed}");
        }
    }
}

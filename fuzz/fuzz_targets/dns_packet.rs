//! Fuzz target: libFuzzer's bytes as DNS packets for evdns's readers: the
//! server port's request parser, the reply walk, and the resolver fed the
//! bytes as a reply to a pending request (its id patched in so the walk
//! is reached). A panic fails; malformed packets must be dropped or
//! answered with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rel_extra::dns::{resolver, wire};

fuzz_target!(|data: &[u8]| {
    let _ = wire::parse_request(data);
    let query = wire::build_query(7, b"fuzz.example.test", wire::TYPE_A).expect("valid name");
    for qtype in [wire::TYPE_A, wire::TYPE_AAAA, wire::TYPE_PTR] {
        let _ = wire::parse_reply(data, &query, qtype, true, true);
    }
    let _ = resolver::try_reply(data);
});

//! evdns's packet readers on hostile input (the stand-in for the fuzz
//! target `dns_packet`): random bytes and mutations of good packets go to
//! the server-port request parser, the reply walk and the resolver, which
//! must drop them or answer with an error, never panic.
//!
//! Default budget: 3000 inputs per kind. REL_MODEL_ITERS=N runs N;
//! REL_MODEL_SEED=S replays seed S (a failing seed is printed).

use rel_extra::dns::resolver::try_reply;
use rel_extra::dns::wire::{
    build_query, build_response, parse_reply, parse_request, Question, Record, RecordData, QR,
    TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_PTR,
};
use rel_extra::dns::{DNS_ERR_NONE, DNS_ERR_TRUNCATED};
use rel_model::seeds;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn all_readers(data: &[u8]) {
    let _ = parse_request(data);
    let query = build_query(7, b"fuzz.example.test", TYPE_A).unwrap();
    for qtype in [TYPE_A, TYPE_AAAA, TYPE_PTR] {
        let _ = parse_reply(data, &query, qtype, true, true);
    }
    if let Some(o) = try_reply(data) {
        // A finished request reports a known code; success means answers.
        assert!(o.err == DNS_ERR_NONE || (1..=5).contains(&o.err) || (65..=70).contains(&o.err));
        if o.err == DNS_ERR_NONE {
            assert!(o.answer.have_answer);
        }
    }
}

/// A good reply to the resolver's query, with records to mutate.
fn good_reply() -> Vec<u8> {
    let q = Question {
        qtype: TYPE_A,
        class: 1,
        name: b"fuzz.example.test".to_vec(),
    };
    let rec = |rtype, data| Record {
        name: q.name.clone(),
        rtype,
        class: 1,
        ttl: 9,
        data,
    };
    let answers = [
        rec(TYPE_CNAME, RecordData::Name(b"other.example.test".to_vec())),
        rec(TYPE_A, RecordData::Raw(vec![10, 0, 0, 1])),
        rec(TYPE_A, RecordData::Raw(vec![10, 0, 0, 2])),
    ];
    build_response(0, QR, &[q], [&answers, &[], &[]])
}

#[test]
fn the_good_reply_is_read() {
    let o = try_reply(&good_reply()).expect("answered");
    assert_eq!(o.err, DNS_ERR_NONE);
    assert_eq!(o.answer.count, 2);
    assert_eq!(o.answer.addrs.len(), 8);
    assert_eq!(o.answer.cname.as_deref(), Some(&b"other.example.test"[..]));
    let mut tc = good_reply();
    tc[2] |= 0x02;
    assert_eq!(try_reply(&tc).expect("answered").err, DNS_ERR_TRUNCATED);
}

#[test]
fn random_bytes() {
    for (n, seed) in seeds(3000, 0xD5A6_1266_F0C9_392C) {
        let mut rng = Rng(seed | 1);
        let len = (rng.next() % 96) as usize;
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let r = std::panic::catch_unwind(|| all_readers(&data));
        assert!(r.is_ok(), "input {n} failed: REL_MODEL_SEED={seed}");
    }
}

#[test]
fn mutated_good_packets() {
    let base = good_reply();
    for (n, seed) in seeds(3000, 0x2545_F491_4F6C_DD1D) {
        let mut rng = Rng(seed | 1);
        let mut data = base.clone();
        for _ in 0..1 + rng.next() % 4 {
            let at = (rng.next() as usize) % data.len();
            match rng.next() % 3 {
                0 => data[at] = rng.next() as u8,
                1 => data.truncate(at.max(1)),
                _ => data.insert(at, rng.next() as u8),
            }
        }
        let r = std::panic::catch_unwind(|| all_readers(&data));
        assert!(r.is_ok(), "input {n} failed: REL_MODEL_SEED={seed}");
    }
}

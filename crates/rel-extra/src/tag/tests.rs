//! The wire format against known encodings and against a model written
//! another way (hex digits), and round trips of random values and streams.

use super::stream::{self, Stream, Timeval};
use super::*;

fn int_bytes(n: u64) -> Vec<u8> {
    let mut v = Vec::new();
    put_int(&mut v, n);
    v
}

fn tag_bytes(t: u32) -> Vec<u8> {
    let mut v = Vec::new();
    put_tag(&mut v, t);
    v
}

/// The format as its description reads: the count nibble, then the hex
/// digits least significant first, padded to whole bytes.
fn model_int(n: u64) -> Vec<u8> {
    let digits: Vec<u8> = if n == 0 {
        Vec::new()
    } else {
        format!("{n:x}")
            .bytes()
            .rev()
            .map(|c| (c as char).to_digit(16).unwrap() as u8)
            .collect()
    };
    let mut nibbles = vec![digits.len().max(1) as u8 - 1];
    nibbles.extend(&digits);
    if nibbles.len() % 2 == 1 {
        nibbles.push(0);
    }
    nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

/// Tags as base-128 digits, least significant first.
fn model_tag(mut t: u32) -> Vec<u8> {
    let mut v = vec![];
    while t >= 0x80 {
        v.push((t % 128) as u8 | 0x80);
        t /= 128;
    }
    v.push(t as u8);
    v
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Values of every size: a random number of significant bits.
    fn value(&mut self) -> u64 {
        let bits = self.next() % 65;
        if bits == 0 {
            0
        } else {
            self.next() >> (64 - bits)
        }
    }
}

#[test]
fn known_integer_encodings() {
    assert_eq!(int_bytes(0), [0x00]);
    assert_eq!(int_bytes(5), [0x05]);
    assert_eq!(int_bytes(0x12), [0x12, 0x10]);
    assert_eq!(int_bytes(0x123), [0x23, 0x21]);
    assert_eq!(int_bytes(0xffff_ffff), [0x7f, 0xff, 0xff, 0xff, 0xf0]);
    assert_eq!(
        int_bytes(u64::MAX),
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0]
    );
    assert_eq!(int_bytes(u64::MAX).len(), MAX_INT_LEN);
}

#[test]
fn known_tag_encodings() {
    assert_eq!(tag_bytes(0), [0x00]);
    assert_eq!(tag_bytes(0x66), [0x66]);
    assert_eq!(tag_bytes(0x166), [0xe6, 0x02]);
    assert_eq!(tag_bytes(u32::MAX), [0xff, 0xff, 0xff, 0xff, 0x0f]);
}

#[test]
fn tag_decoding_limits() {
    assert_eq!(decode_tag(&[]), Err(TagError::Truncated));
    assert_eq!(decode_tag(&[0x80, 0x80]), Err(TagError::Truncated));
    assert_eq!(
        decode_tag(&[0xff, 0xff, 0xff, 0xff, 0x10]),
        Err(TagError::TagTooLong)
    );
    assert_eq!(
        decode_tag(&[0x80, 0x80, 0x80, 0x80, 0x81, 0]),
        Err(TagError::TagTooLong)
    );
    // Not the shortest form, still read.
    assert_eq!(decode_tag(&[0x81, 0x00, 9]), Ok((1, 2)));
}

#[test]
fn integer_decoding_limits() {
    assert_eq!(decode_int(&[], Width::U32), Err(TagError::Truncated));
    // 9 nibbles: too many for a u32, fine for a u64.
    let nine = int_bytes(0x1_0000_0000);
    assert_eq!(decode_int(&nine, Width::U32), Err(TagError::IntTooLong));
    assert_eq!(decode_int(&nine, Width::U64), Ok((0x1_0000_0000, 5)));
    assert_eq!(
        decode_int(&[0x30, 0x00], Width::U32),
        Err(TagError::Truncated)
    );
    // Leading zero nibbles are accepted.
    assert_eq!(decode_int(&[0x31, 0x00, 0x00], Width::U32), Ok((1, 3)));
}

#[test]
fn records_round_trip_and_truncations_fail() {
    let mut v = Vec::new();
    put_record(&mut v, 300, b"hello");
    put_int_record(&mut v, 2, 0xdead_beef);
    put_timeval_record(&mut v, 3, 1_700_000_000, 999_999);
    let r1 = decode_record(&v).unwrap();
    assert_eq!((r1.tag, r1.payload), (300, &b"hello"[..]));
    let r2 = decode_record(&v[r1.len..]).unwrap();
    assert_eq!(decode_int32(r2.payload), Ok((0xdead_beef, 5)));
    let r3 = decode_record(&v[r1.len + r2.len..]).unwrap();
    let (sec, a) = decode_int32(r3.payload).unwrap();
    assert_eq!(sec, 1_700_000_000);
    assert_eq!(decode_int32(&r3.payload[a..]).unwrap().0, 999_999);
    for cut in 0..r1.len {
        assert_eq!(
            decode_record(&v[..cut]),
            Err(TagError::Truncated),
            "cut {cut}"
        );
    }
}

#[test]
fn random_values_match_the_model_and_round_trip() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let n = rng.value();
        let enc = int_bytes(n);
        assert_eq!(enc, model_int(n), "{n:#x}");
        assert_eq!(decode_int(&enc, Width::U64), Ok((n, enc.len())));
        let fits = n <= u64::from(u32::MAX);
        assert_eq!(decode_int(&enc, Width::U32).is_ok(), fits, "{n:#x}");
        for cut in 0..enc.len() {
            assert!(decode_int(&enc[..cut], Width::U64).is_err());
        }
        let t = rng.value() as u32;
        let enc = tag_bytes(t);
        assert_eq!(enc, model_tag(t));
        assert_eq!(decode_tag(&enc), Ok((t, enc.len())));
    }
}

#[test]
fn random_streams_decode_to_what_was_written() {
    let mut rng = Rng(12345);
    for _ in 0..500 {
        let mut buf: Vec<u8> = Vec::new();
        let mut want = Vec::new();
        for _ in 0..rng.next() % 20 {
            let tag = rng.value() as u32;
            match rng.next() % 4 {
                0 => {
                    let n = rng.value();
                    stream::marshal_int(&mut buf, tag, n);
                    want.push((tag, 0, n, vec![]));
                }
                1 => {
                    let n = rng.value() as u32;
                    stream::marshal_int(&mut buf, tag, n.into());
                    want.push((tag, 1, n.into(), vec![]));
                }
                2 => {
                    let data: Vec<u8> = (0..rng.next() % 300).map(|_| rng.next() as u8).collect();
                    stream::marshal(&mut buf, tag, &data);
                    want.push((tag, 2, 0, data));
                }
                _ => {
                    let (s, u) = (rng.value() as u32, rng.value() as u32);
                    stream::marshal_timeval(&mut buf, tag, s, u);
                    want.push((tag, 3, (u64::from(s) << 32) | u64::from(u), vec![]));
                }
            }
        }
        for (tag, kind, n, data) in want {
            assert_eq!(stream::peek_tag(&buf).unwrap().0, tag);
            let before = buf.len();
            let whole = stream::peek_length(&buf).unwrap() as usize;
            match kind {
                0 | 1 => {
                    let mut got = None;
                    let w = if kind == 0 { Width::U64 } else { Width::U32 };
                    stream::unmarshal_int(&mut buf, tag, w, &mut got).unwrap();
                    assert_eq!(got, Some(n));
                }
                2 => assert_eq!(stream::unmarshal_bytes(&mut buf, tag).unwrap(), data),
                _ => {
                    let mut tv = Timeval::default();
                    stream::unmarshal_timeval(&mut buf, tag, &mut tv).unwrap();
                    assert_eq!(tv.sec, Some((n >> 32) as u32));
                    assert_eq!(tv.usec, Some(n as u32));
                }
            }
            assert_eq!(before - buf.len(), whole);
        }
        assert!(buf.is_empty());
    }
}

#[test]
fn failed_reads_consume_what_libevent_consumes() {
    // Wrong tag: only the tag is gone.
    let mut b = Vec::new();
    stream::marshal_int(&mut b, 7, 42);
    let mut got = None;
    let r = stream::unmarshal_int(&mut b, 8, Width::U32, &mut got);
    assert_eq!(r, Err(TagError::WrongTag { want: 8, got: 7 }));
    assert_eq!(b, [0x02, 0x1a, 0x20]);

    // A header whose length exceeds the data: tag and length are gone.
    let mut b = vec![0x05, 0x13, 0x00, b'x'];
    let mut tag = None;
    assert_eq!(
        stream::unmarshal_header(&mut b, &mut tag),
        Err(TagError::Truncated)
    );
    assert_eq!((tag, &b[..]), (Some(5), &b"x"[..]));

    // An empty integer record reads the next record's bytes, reports the
    // value, then fails: the empty record is drained.
    let mut b = vec![0x01, 0x00, 0x03];
    let mut got = None;
    let r = stream::unmarshal_int(&mut b, 1, Width::U32, &mut got);
    assert_eq!(r, Err(TagError::WrongLength { want: 1, got: 0 }));
    assert_eq!((got, &b[..]), (Some(3), &[0x03][..]));

    // Fixed with the wrong size: the payload stays.
    let mut b = Vec::new();
    stream::marshal(&mut b, 4, b"abc");
    let mut out = [0u8; 2];
    let r = stream::unmarshal_fixed(&mut b, 4, &mut out);
    assert_eq!(r, Err(TagError::WrongLength { want: 2, got: 3 }));
    assert_eq!(b, b"abc");

    // Timeval with a wrong tag: the record is drained.
    let mut b = Vec::new();
    stream::marshal_timeval(&mut b, 1, 2, 3);
    stream::marshal(&mut b, 9, b"z");
    let mut tv = Timeval::default();
    assert!(stream::unmarshal_timeval(&mut b, 2, &mut tv).is_err());
    assert_eq!(tv, Timeval::default());
    assert_eq!(stream::peek_tag(&b), Ok((9, 1)));
}

#[test]
fn unmarshal_to_the_same_buffer_appends_then_drains() {
    let mut b = Vec::new();
    stream::marshal(&mut b, 1, b"ab");
    let mut tag = None;
    let mut dst = Vec::new();
    assert_eq!(stream::unmarshal(&mut b, &mut tag, &mut dst), Ok(2));
    assert_eq!((tag, &dst[..], b.len()), (Some(1), &b"ab"[..], 0));
}

#[test]
fn lengths_of_the_first_record() {
    let mut b = Vec::new();
    stream::marshal(&mut b, 0x166, &[0u8; 20]);
    assert_eq!(stream::payload_length(&b), Ok(20));
    assert_eq!(stream::peek_length(&b), Ok(20 + 2 + 2));
    assert_eq!(stream::consume(&mut b), Ok(()));
    assert!(Stream::is_empty(&b));
    assert_eq!(stream::consume(&mut b), Err(TagError::Truncated));
}

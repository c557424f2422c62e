//! evtag decoding of arbitrary bytes: every decoder through librel's
//! exported C functions on an evbuffer, checked against the same decoder
//! of `rel_extra::tag::stream` on a `Vec<u8>` (return value, out-values,
//! what is left) and against the slice-level format
//! (`rel_extra::tag::decode_record`): a record that `evtag_consume` skips
//! is exactly the one `decode_record` finds.
//!
//! Inputs are raw bytes, or (first byte ≥ 128) a stream of well-formed
//! records that is then cut short and has one byte changed, so that most
//! inputs get past the headers.

use std::os::raw::c_char;

use rel::buffer_api::{
    evbuffer_add, evbuffer_copyout, evbuffer_free, evbuffer_get_length, evbuffer_new,
};
use rel::evbuffer;
use rel::tag_api::*;
use rel_extra::tag::stream::{self, Timeval};
use rel_extra::tag::{decode_record, decode_tag, TagError, Width};

use crate::Source;

/// Longest input tried.
const MAX_INPUT: usize = 512;

fn input_of(src: &mut dyn Source) -> Vec<u8> {
    let mode = src.byte();
    let mut v = Vec::new();
    if mode < 128 {
        while !src.done() && v.len() < MAX_INPUT {
            src.tick();
            v.push(src.byte());
        }
        return v;
    }
    while !src.done() && v.len() < MAX_INPUT {
        src.tick();
        let tag = u32::from(src.byte() & 0x1f) << (src.byte() % 28);
        match src.byte() % 4 {
            0 => stream::marshal_int(&mut v, tag, u64::from(src.byte()) << (src.byte() % 64)),
            1 => {
                let (s, u) = (src.byte(), src.byte());
                stream::marshal_timeval(&mut v, tag, u32::from(s) << 20, u32::from(u) << 8);
            }
            _ => {
                let payload: Vec<u8> = (0..src.byte() % 16).map(|_| src.byte()).collect();
                stream::marshal(&mut v, tag, &payload);
            }
        }
    }
    if !v.is_empty() {
        let cut = usize::from(src.byte()) * v.len() / 255;
        v.truncate(v.len() - cut / 4);
        let at = usize::from(src.byte()) % v.len().max(1);
        if let Some(b) = v.get_mut(at) {
            *b ^= src.byte();
        }
    }
    v
}

/// What one decoder did: its return value and what it wrote.
type Outcome = (i64, String);

fn ret<T>(r: Result<T, TagError>, ok: impl FnOnce(T) -> i64) -> i64 {
    r.map_or(-1, ok)
}

/// The decoders, by number: (name, on librel's C API, on a Vec).
const OPS: usize = 14;

fn name(op: usize) -> &'static str {
    [
        "peek",
        "peek_length",
        "payload_length",
        "unmarshal_header",
        "consume",
        "unmarshal",
        "unmarshal_int",
        "unmarshal_int64",
        "unmarshal_fixed",
        "unmarshal_string",
        "unmarshal_timeval",
        "decode_int",
        "decode_int64",
        "decode_tag",
    ][op]
}

/// Runs decoder `op` on a fresh evbuffer holding `input`; the outcome and
/// the bytes left.
fn on_c(op: usize, input: &[u8], need: u32) -> (Outcome, Vec<u8>) {
    let b = evbuffer_new();
    let dst = evbuffer_new();
    let mut u = 0xa5a5_a5a5u32;
    let mut u64_ = 0xa5a5_a5a5_a5a5_a5a5u64;
    let mut tv = libc::timeval {
        tv_sec: -7,
        tv_usec: -7,
    };
    let mut fixed = [0x23u8; 3];
    let mut s: *mut c_char = std::ptr::null_mut();
    // SAFETY: buffers just made, live out-pointers, and `input` readable
    // for its length.
    let outcome = unsafe {
        evbuffer_add(b, input.as_ptr().cast(), input.len());
        match op {
            0 => (evtag_peek(b, &mut u).into(), format!("{u:x}")),
            1 => (evtag_peek_length(b, &mut u).into(), format!("{u:x}")),
            2 => (evtag_payload_length(b, &mut u).into(), format!("{u:x}")),
            3 => (evtag_unmarshal_header(b, &mut u).into(), format!("{u:x}")),
            4 => (evtag_consume(b).into(), String::new()),
            5 => {
                let r = evtag_unmarshal(b, &mut u, dst);
                (r.into(), format!("{u:x} {}", contents(dst).len()))
            }
            6 => (
                evtag_unmarshal_int(b, need, &mut u).into(),
                format!("{u:x}"),
            ),
            7 => (
                evtag_unmarshal_int64(b, need, &mut u64_).into(),
                format!("{u64_:x}"),
            ),
            8 => {
                let r = evtag_unmarshal_fixed(b, need, fixed.as_mut_ptr().cast(), 3);
                (r.into(), format!("{fixed:?}"))
            }
            9 => {
                let r = evtag_unmarshal_string(b, need, &mut s);
                let got = if s.is_null() {
                    String::new()
                } else {
                    let v = std::ffi::CStr::from_ptr(s).to_bytes().len();
                    libc::free(s.cast());
                    v.to_string()
                };
                (r.into(), got)
            }
            10 => {
                let r = evtag_unmarshal_timeval(b, need, &mut tv);
                (r.into(), format!("{} {}", tv.tv_sec, tv.tv_usec))
            }
            11 => (evtag_decode_int(&mut u, b).into(), format!("{u:x}")),
            12 => (evtag_decode_int64(&mut u64_, b).into(), format!("{u64_:x}")),
            _ => (evtag_decode_tag(&mut u, b).into(), format!("{u:x}")),
        }
    };
    let left = contents(b);
    // SAFETY: buffers made above, freed once.
    unsafe {
        evbuffer_free(b);
        evbuffer_free(dst);
    }
    (outcome, left)
}

fn contents(b: *mut evbuffer) -> Vec<u8> {
    // SAFETY: a live buffer; `v` is writable for the length asked.
    unsafe {
        let mut v = vec![0u8; evbuffer_get_length(b)];
        let n = evbuffer_copyout(b, v.as_mut_ptr().cast(), v.len());
        v.truncate(n.max(0) as usize);
        v
    }
}

/// The same decoder on a `Vec`, with the C calls' conventions.
fn on_vec(op: usize, input: &[u8], need: u32) -> (Outcome, Vec<u8>) {
    let mut b = input.to_vec();
    let mut dst = Vec::new();
    let unset = 0xa5a5_a5a5u32;
    let unset64 = 0xa5a5_a5a5_a5a5_a5a5u64;
    let hex = |v: Option<u32>| format!("{:x}", v.unwrap_or(unset));
    let outcome = match op {
        0 => {
            let r = stream::peek_tag(&b);
            (ret(r, |(_, n)| n as i64), hex(r.ok().map(|t| t.0)))
        }
        1 | 2 => {
            let r = if op == 1 {
                stream::peek_length(&b)
            } else {
                stream::payload_length(&b)
            };
            (ret(r, |_| 0), hex(r.ok()))
        }
        3 => {
            let mut t = None;
            let r = stream::unmarshal_header(&mut b, &mut t);
            (ret(r, |n| i64::from(n as i32)), hex(t))
        }
        4 => (ret(stream::consume(&mut b), |_| 0), String::new()),
        5 => {
            let mut t = None;
            let r = stream::unmarshal(&mut b, &mut t, &mut dst);
            (
                ret(r, |n| i64::from(n as i32)),
                format!("{} {}", hex(t), dst.len()),
            )
        }
        6 | 7 => {
            let width = if op == 6 { Width::U32 } else { Width::U64 };
            let mut v = None;
            let r = stream::unmarshal_int(&mut b, need, width, &mut v);
            let out = match (op, v) {
                (6, v) => hex(v.map(|v| v as u32)),
                (_, v) => format!("{:x}", v.unwrap_or(unset64)),
            };
            (ret(r, |n| n as i64), out)
        }
        8 => {
            let mut fixed = [0x23u8; 3];
            let r = stream::unmarshal_fixed(&mut b, need, &mut fixed);
            (ret(r, |_| 0), format!("{fixed:?}"))
        }
        9 => {
            let r = stream::unmarshal_bytes(&mut b, need);
            let got = r.as_ref().map_or(String::new(), |v| {
                v.iter()
                    .position(|&c| c == 0)
                    .unwrap_or(v.len())
                    .to_string()
            });
            (ret(r, |_| 0), got)
        }
        10 => {
            let mut tv = Timeval::default();
            let r = stream::unmarshal_timeval(&mut b, need, &mut tv);
            let f = |v: Option<u32>| v.map_or(-7, i64::from);
            (ret(r, |_| 0), format!("{} {}", f(tv.sec), f(tv.usec)))
        }
        11 => {
            let r = stream::take_int(&mut b, Width::U32);
            (ret(r, |_| 0), hex(r.ok().map(|v| v as u32)))
        }
        12 => {
            let r = stream::take_int(&mut b, Width::U64);
            (ret(r, |_| 0), format!("{:x}", r.unwrap_or(unset64)))
        }
        _ => {
            let r = stream::take_tag(&mut b);
            (ret(r, |(_, n)| n as i64), hex(r.ok().map(|t| t.0)))
        }
    };
    (outcome, b)
}

/// One input through every decoder; a description of the first
/// divergence.
pub fn run_tag_decode(src: &mut dyn Source) -> Result<(), String> {
    let input = input_of(src);
    // The tag asked for: the first record's, so that typed decoders run.
    let need = decode_tag(&input).map_or(0, |(t, _)| t);
    for op in 0..OPS {
        let c = on_c(op, &input, need);
        let v = on_vec(op, &input, need);
        if c != v {
            return Err(format!(
                "{}: C API {:?}, Vec {:?}\ninput {input:02x?}",
                name(op),
                c,
                v
            ));
        }
    }
    let (consumed, left) = on_c(4, &input, need);
    match decode_record(&input) {
        Ok(rec) if consumed.0 != 0 || left != input[rec.len..] => Err(format!(
            "decode_record found {} bytes, evtag_consume gave {consumed:?} leaving {}\ninput {input:02x?}",
            rec.len,
            left.len()
        )),
        Err(_) if consumed.0 == 0 => Err(format!(
            "evtag_consume skipped a record decode_record refuses\ninput {input:02x?}"
        )),
        _ => Ok(()),
    }
}

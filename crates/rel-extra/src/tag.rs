//! evtag's wire format (libevent's `event_tagging.c`), over byte slices.
//!
//! A stream is a run of records, each `tag length payload`:
//!
//! - a **tag** is a base-128 number, low 7 bits first, the high bit of a
//!   byte saying another byte follows; at most 5 bytes (32 bits);
//! - an **integer** (lengths, and the payload of an integer record) is a
//!   nibble count then the nibbles: the first byte's high nibble holds the
//!   number of nibbles minus one, then come the number's nibbles, least
//!   significant first, each byte's low nibble before the next byte's high
//!   one; a zero nibble pads the last byte. 0 is one byte, `0x00`; a u32
//!   takes up to 5 bytes, a u64 up to 9;
//! - a **timeval** payload is two integers, seconds then microseconds,
//!   each cut to 32 bits.
//!
//! [`stream`] applies the format to buffers with libevent's exact
//! consumption rules (what is drained when a decode fails halfway).

use std::fmt;

pub mod stream;

/// Longest tag encoding: 32 bits in 7-bit groups.
pub const MAX_TAG_LEN: usize = 5;
/// Longest integer encoding: 16 nibbles plus the count.
pub const MAX_INT_LEN: usize = 9;

/// Why a decode failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagError {
    /// The input ends inside a tag, an integer, or a payload.
    Truncated,
    /// A tag that needs more than 32 bits.
    TagTooLong,
    /// An integer with more nibbles than its width holds.
    IntTooLong,
    /// A record with another tag than the one asked for.
    WrongTag { want: u32, got: u32 },
    /// A payload whose length is not the one its contents need.
    WrongLength { want: usize, got: usize },
    /// The destination buffer refused the bytes (frozen).
    Refused,
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagError::Truncated => f.write_str("truncated tagged data"),
            TagError::TagTooLong => f.write_str("tag does not fit in 32 bits"),
            TagError::IntTooLong => f.write_str("integer has too many nibbles"),
            TagError::WrongTag { want, got } => write!(f, "tag {got}, expected {want}"),
            TagError::WrongLength { want, got } => {
                write!(f, "payload of {got} bytes, expected {want}")
            }
            TagError::Refused => f.write_str("destination buffer refused the data"),
        }
    }
}

impl std::error::Error for TagError {}

/// The integer widths evtag decodes: the most nibbles each accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    U32,
    U64,
}

impl Width {
    fn max_nibbles(self) -> usize {
        match self {
            Width::U32 => 8,
            Width::U64 => 16,
        }
    }
}

/// Appends the encoding of `tag`; how many bytes it took.
pub fn put_tag(out: &mut Vec<u8>, mut tag: u32) -> usize {
    let start = out.len();
    loop {
        let low = (tag & 0x7f) as u8;
        tag >>= 7;
        if tag == 0 {
            out.push(low);
            return out.len() - start;
        }
        out.push(low | 0x80);
    }
}

/// Appends the encoding of `n` (a u32 widened encodes as the u32 does);
/// how many bytes it took.
pub fn put_int(out: &mut Vec<u8>, n: u64) -> usize {
    let digits = (64 - n.leading_zeros() as usize).div_ceil(4);
    // Nibble 0 is the count; nibble i (1-based) is the number's i-th
    // least significant nibble.
    let count = digits.max(1) - 1;
    let len = digits / 2 + 1;
    let mut bytes = [0u8; MAX_INT_LEN];
    bytes[0] = (count as u8) << 4;
    for i in 1..=digits {
        let nibble = ((n >> (4 * (i - 1))) & 0xf) as u8;
        bytes[i / 2] |= if i % 2 == 1 { nibble } else { nibble << 4 };
    }
    out.extend_from_slice(&bytes[..len]);
    len
}

/// Appends a record's header: its tag, then its payload's length.
pub fn put_header(out: &mut Vec<u8>, tag: u32, len: u32) {
    put_tag(out, tag);
    put_int(out, len.into());
}

/// Appends a whole record.
pub fn put_record(out: &mut Vec<u8>, tag: u32, payload: &[u8]) {
    put_header(out, tag, payload.len() as u32);
    out.extend_from_slice(payload);
}

/// Appends an integer record: the payload is the integer's encoding.
pub fn put_int_record(out: &mut Vec<u8>, tag: u32, n: u64) {
    let mut payload = Vec::with_capacity(MAX_INT_LEN);
    put_int(&mut payload, n);
    put_record(out, tag, &payload);
}

/// Appends a timeval record; libevent keeps 32 bits of each field.
pub fn put_timeval_record(out: &mut Vec<u8>, tag: u32, sec: u32, usec: u32) {
    let mut payload = Vec::with_capacity(2 * MAX_INT_LEN);
    put_int(&mut payload, sec.into());
    put_int(&mut payload, usec.into());
    put_record(out, tag, &payload);
}

/// The tag at the start of `b` and its encoded length.
pub fn decode_tag(b: &[u8]) -> Result<(u32, usize), TagError> {
    let mut tag = 0u32;
    for (i, &byte) in b.iter().take(MAX_TAG_LEN).enumerate() {
        let bits = u32::from(byte & 0x7f);
        // The fifth byte brings bits 28..32 and must end the tag.
        if i == MAX_TAG_LEN - 1 && (bits > 0xf || byte & 0x80 != 0) {
            return Err(TagError::TagTooLong);
        }
        tag |= bits << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((tag, i + 1));
        }
    }
    Err(TagError::Truncated)
}

/// The integer at the start of `b` and its encoded length.
pub fn decode_int(b: &[u8], width: Width) -> Result<(u64, usize), TagError> {
    let first = *b.first().ok_or(TagError::Truncated)?;
    let nibbles = usize::from(first >> 4) + 1;
    if nibbles > width.max_nibbles() {
        return Err(TagError::IntTooLong);
    }
    let len = nibbles / 2 + 1;
    let bytes = b.get(..len).ok_or(TagError::Truncated)?;
    let n = (1..=nibbles).rev().fold(0u64, |n, i| {
        let byte = bytes[i / 2];
        let nibble = if i % 2 == 1 { byte & 0xf } else { byte >> 4 };
        (n << 4) | u64::from(nibble)
    });
    Ok((n, len))
}

/// A u32 integer at the start of `b`.
pub fn decode_int32(b: &[u8]) -> Result<(u32, usize), TagError> {
    decode_int(b, Width::U32).map(|(n, len)| (n as u32, len))
}

/// A whole record found in a slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub tag: u32,
    pub payload: &'a [u8],
    /// Bytes of `b` the record takes, header included.
    pub len: usize,
}

/// The record at the start of `b`.
pub fn decode_record(b: &[u8]) -> Result<Record<'_>, TagError> {
    let (tag, tag_len) = decode_tag(b)?;
    let (len, len_len) = decode_int32(&b[tag_len..])?;
    let start = tag_len + len_len;
    let payload = b
        .get(start..start + len as usize)
        .ok_or(TagError::Truncated)?;
    Ok(Record {
        tag,
        payload,
        len: start + payload.len(),
    })
}

#[cfg(test)]
mod tests;

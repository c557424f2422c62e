//! The evtag calls on a buffer, with libevent's consumption rules.
//!
//! Programs depend on what a failed decode leaves behind, so these follow
//! libevent 2.1 step by step: a header read drains the tag before it reads
//! the length; a wrong tag leaves the length and payload in place; an
//! integer or timeval record whose contents are bad is drained whole. The
//! values a decode found before it failed are still reported (`Option`
//! out-parameters), as libevent writes them before it gives up.

use rel_core::buffer::SyncBuffer;

use super::{
    decode_int, decode_tag, put_header, put_int, put_int_record, put_record, put_tag,
    put_timeval_record, TagError, Width, MAX_INT_LEN, MAX_TAG_LEN,
};

/// The buffer operations evtag needs.
pub trait Stream {
    fn len(&self) -> usize;
    /// Copies bytes from `pos` on into `out`; how many.
    fn copy_out(&self, pos: usize, out: &mut [u8]) -> usize;
    /// Drops `n` bytes from the front (fewer if it is shorter).
    fn drain(&mut self, n: usize);
    /// Appends `data`; false if the buffer refused.
    fn add(&mut self, data: &[u8]) -> bool;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Stream for Vec<u8> {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn copy_out(&self, pos: usize, out: &mut [u8]) -> usize {
        let src = self.get(pos..).unwrap_or(&[]);
        let n = src.len().min(out.len());
        out[..n].copy_from_slice(&src[..n]);
        n
    }
    fn drain(&mut self, n: usize) {
        let n = n.min(<[u8]>::len(self));
        Vec::drain(self, ..n);
    }
    fn add(&mut self, data: &[u8]) -> bool {
        self.extend_from_slice(data);
        true
    }
}

/// A frozen buffer refuses, and libevent goes on regardless: a refused
/// drain is not reported.
impl Stream for &SyncBuffer {
    fn len(&self) -> usize {
        SyncBuffer::len(self)
    }
    fn copy_out(&self, pos: usize, out: &mut [u8]) -> usize {
        SyncBuffer::copy_out(self, pos, out).unwrap_or(0)
    }
    fn drain(&mut self, n: usize) {
        let _ = SyncBuffer::drain(self, n);
    }
    fn add(&mut self, data: &[u8]) -> bool {
        SyncBuffer::add(self, data).is_ok()
    }
}

/// Up to `N` bytes from `pos`, enough for any one tag or integer.
fn window<const N: usize>(s: &impl Stream, pos: usize) -> ([u8; N], usize) {
    let mut w = [0u8; N];
    let n = s.copy_out(pos, &mut w);
    (w, n)
}

/// `evtag_peek`: the first tag and its encoded length, nothing consumed.
pub fn peek_tag(s: &impl Stream) -> Result<(u32, usize), TagError> {
    let (w, n) = window::<MAX_TAG_LEN>(s, 0);
    decode_tag(&w[..n])
}

/// `evtag_decode_tag`: the first tag, consumed.
pub fn take_tag(s: &mut impl Stream) -> Result<(u32, usize), TagError> {
    let r = peek_tag(s)?;
    s.drain(r.1);
    Ok(r)
}

/// The integer at `pos`, nothing consumed.
pub fn int_at(s: &impl Stream, pos: usize, width: Width) -> Result<(u64, usize), TagError> {
    let (w, n) = window::<MAX_INT_LEN>(s, pos);
    decode_int(&w[..n], width)
}

/// `evtag_decode_int`/`_int64`: the first integer, consumed.
pub fn take_int(s: &mut impl Stream, width: Width) -> Result<u64, TagError> {
    let (n, len) = int_at(s, 0, width)?;
    s.drain(len);
    Ok(n)
}

/// `evtag_payload_length`: the first record's payload length.
pub fn payload_length(s: &impl Stream) -> Result<u32, TagError> {
    let (_, tag_len) = peek_tag(s)?;
    Ok(int_at(s, tag_len, Width::U32)?.0 as u32)
}

/// `evtag_peek_length`: the first record's whole length, header included
/// (in 32 bits, wrapping as libevent's sum does).
pub fn peek_length(s: &impl Stream) -> Result<u32, TagError> {
    let (_, tag_len) = peek_tag(s)?;
    let (len, len_len) = int_at(s, tag_len, Width::U32)?;
    Ok((len as u32).wrapping_add((tag_len + len_len) as u32))
}

/// `evtag_unmarshal_header`: consumes a record's tag then its length and
/// returns the length, which the buffer must hold. `tag` is set once the
/// tag is read, even if the length then fails.
pub fn unmarshal_header(s: &mut impl Stream, tag: &mut Option<u32>) -> Result<u32, TagError> {
    *tag = Some(take_tag(s)?.0);
    let len = take_int(s, Width::U32)? as u32;
    if (s.len() as u64) < u64::from(len) {
        return Err(TagError::Truncated);
    }
    Ok(len)
}

/// `evtag_consume`: skips one record.
pub fn consume(s: &mut impl Stream) -> Result<(), TagError> {
    let len = unmarshal_header(s, &mut None)?;
    s.drain(len as usize);
    Ok(())
}

/// The first `len` bytes (the buffer holds them).
fn front(s: &impl Stream, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let n = s.copy_out(0, &mut v);
    v.truncate(n);
    v
}

/// `evtag_unmarshal`: moves one record's payload to `dst` (which may be
/// `src` itself); its length.
pub fn unmarshal(
    src: &mut impl Stream,
    tag: &mut Option<u32>,
    dst: &mut impl Stream,
) -> Result<u32, TagError> {
    let len = unmarshal_header(src, tag)?;
    if !dst.add(&front(src, len as usize)) {
        return Err(TagError::Refused);
    }
    src.drain(len as usize);
    Ok(len)
}

/// `evtag_unmarshal_int`/`_int64`: an integer record with tag `need`;
/// the encoded integer's length. libevent reads the integer from the
/// buffer's front whatever the record's length says, and sets `value`
/// before it checks that the integer fit in the record.
pub fn unmarshal_int(
    s: &mut impl Stream,
    need: u32,
    width: Width,
    value: &mut Option<u64>,
) -> Result<usize, TagError> {
    let (got, _) = take_tag(s)?;
    if got != need {
        return Err(TagError::WrongTag { want: need, got });
    }
    let len = take_int(s, Width::U32)? as usize;
    if s.len() < len {
        return Err(TagError::Truncated);
    }
    let r = int_at(s, 0, width);
    s.drain(len);
    let (n, used) = r?;
    *value = Some(n);
    if used > len {
        return Err(TagError::WrongLength {
            want: used,
            got: len,
        });
    }
    Ok(used)
}

/// `evtag_unmarshal_fixed`: a record of tag `need` and exactly
/// `out.len()` bytes, copied to `out`. A wrong tag or length leaves the
/// payload in the buffer.
pub fn unmarshal_fixed(s: &mut impl Stream, need: u32, out: &mut [u8]) -> Result<(), TagError> {
    let mut tag = None;
    let len = unmarshal_header(s, &mut tag)? as usize;
    let got = tag.unwrap_or(need);
    if got != need {
        return Err(TagError::WrongTag { want: need, got });
    }
    if len != out.len() {
        return Err(TagError::WrongLength {
            want: out.len(),
            got: len,
        });
    }
    let n = s.copy_out(0, out);
    s.drain(n);
    Ok(())
}

/// `evtag_unmarshal_string`: the payload of a record of tag `need`.
pub fn unmarshal_bytes(s: &mut impl Stream, need: u32) -> Result<Vec<u8>, TagError> {
    let mut tag = None;
    let len = unmarshal_header(s, &mut tag)? as usize;
    let got = tag.unwrap_or(need);
    if got != need {
        return Err(TagError::WrongTag { want: need, got });
    }
    let v = front(s, len);
    s.drain(len);
    Ok(v)
}

/// What a timeval decode found: each field as soon as it was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub sec: Option<u32>,
    pub usec: Option<u32>,
}

/// `evtag_unmarshal_timeval`: once the header is read the record is
/// drained whatever its contents; the fields found are in `tv`.
pub fn unmarshal_timeval(s: &mut impl Stream, need: u32, tv: &mut Timeval) -> Result<(), TagError> {
    let mut tag = None;
    let len = unmarshal_header(s, &mut tag)? as usize;
    let got = tag.unwrap_or(need);
    let r = (|| {
        if got != need {
            return Err(TagError::WrongTag { want: need, got });
        }
        let (sec, a) = int_at(s, 0, Width::U32)?;
        tv.sec = Some(sec as u32);
        let (usec, b) = int_at(s, a, Width::U32)?;
        tv.usec = Some(usec as u32);
        if a + b > len {
            return Err(TagError::WrongLength {
                want: a + b,
                got: len,
            });
        }
        Ok(())
    })();
    s.drain(len);
    r
}

/// Appends `bytes` in one step (one callback run, not three).
fn emit(s: &mut impl Stream, bytes: &[u8]) {
    // libevent's marshal calls return nothing: a frozen buffer just
    // does not grow.
    let _ = s.add(bytes);
}

/// `evtag_encode_int`/`_int64`.
pub fn encode_int(s: &mut impl Stream, n: u64) {
    let mut v = Vec::with_capacity(MAX_INT_LEN);
    put_int(&mut v, n);
    emit(s, &v);
}

/// `evtag_encode_tag`: its encoded length.
pub fn encode_tag(s: &mut impl Stream, tag: u32) -> usize {
    let mut v = Vec::with_capacity(MAX_TAG_LEN);
    let n = put_tag(&mut v, tag);
    emit(s, &v);
    n
}

/// `evtag_marshal`/`_string`: a record with `payload`.
pub fn marshal(s: &mut impl Stream, tag: u32, payload: &[u8]) {
    let mut v = Vec::with_capacity(MAX_TAG_LEN + MAX_INT_LEN + payload.len());
    put_record(&mut v, tag, payload);
    emit(s, &v);
}

/// `evtag_marshal_int`/`_int64`.
pub fn marshal_int(s: &mut impl Stream, tag: u32, n: u64) {
    let mut v = Vec::with_capacity(MAX_TAG_LEN + 1 + MAX_INT_LEN);
    put_int_record(&mut v, tag, n);
    emit(s, &v);
}

/// `evtag_marshal_timeval`.
pub fn marshal_timeval(s: &mut impl Stream, tag: u32, sec: u32, usec: u32) {
    let mut v = Vec::with_capacity(MAX_TAG_LEN + 1 + 2 * MAX_INT_LEN);
    put_timeval_record(&mut v, tag, sec, usec);
    emit(s, &v);
}

/// `evtag_marshal_buffer`: a record whose payload is all of `src`, moved
/// (not copied); the length field keeps 32 bits, as libevent's does.
pub fn marshal_buffer(dst: &SyncBuffer, tag: u32, src: &SyncBuffer) {
    let mut v = Vec::with_capacity(MAX_TAG_LEN + MAX_INT_LEN);
    put_header(&mut v, tag, src.len() as u32);
    emit(&mut &*dst, &v);
    let _ = dst.add_buffer(src);
}

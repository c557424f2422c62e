//! DNS packets as evdns reads and writes them (RFC 1035 section 4).
//!
//! Why not a wire-format crate here: `simple-dns` (the small, runtime-free
//! one) parses whole packets into typed records and refuses a packet with
//! a question type it does not know, while evdns must hand any question to
//! a server port and walks replies its own tolerant way (the first answers
//! of the asked type, the lowest TTL, an SOA's minimum for negative
//! answers, unknown records skipped by length). `hickory-proto` is much
//! heavier for the same mismatch. So the walk is written here, in a few
//! bounds-checked readers, and `simple-dns` is this module's independent
//! oracle in the tests: packets built here parse there, and packets built
//! there read back here.
//!
//! Names are byte strings: labels are copied as they are, joined by '.'.

use std::collections::HashMap;

pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_AAAA: u16 = 28;
pub const CLASS_INET: u16 = 1;

/// Header flag bits.
pub const QR: u16 = 0x8000;
pub const OPCODE: u16 = 0x7800;
pub const AA: u16 = 0x0400;
pub const TC: u16 = 0x0200;
pub const RD: u16 = 0x0100;
pub const CD: u16 = 0x0010;
pub const RCODE: u16 = 0x000f;

/// The longest name text evdns keeps (its 256-byte buffers, NUL included).
pub const NAME_MAX: usize = 255;
/// A UDP reply longer than this is cut and marked truncated.
pub const UDP_MAX: usize = 512;
/// The most addresses evdns passes for one A or AAAA request.
pub const MAX_ADDRS: usize = 32;

/// A bounds-checked cursor over a packet.
pub struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// Moves past `n` bytes without checking them, as evdns skips record
    /// data: a later read past the end fails instead.
    pub fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    /// A (possibly compressed) name. Pointers must land inside the packet
    /// and may not loop; labels over 63 bytes and names over 255 are
    /// refused.
    pub fn name(&mut self) -> Option<Vec<u8>> {
        let mut buf = [0u8; NAME_MAX];
        self.name_in(&mut buf).map(<[u8]>::to_vec)
    }

    /// [`Reader::name`] into `buf`, without allocating: the name's text.
    pub fn name_in<'b>(&mut self, buf: &'b mut [u8; NAME_MAX]) -> Option<&'b [u8]> {
        let n = self.walk_name(Some(&mut *buf))?;
        Some(&buf[..n])
    }

    /// Moves past a name, checked as [`Reader::name`] checks it.
    pub fn skip_name(&mut self) -> Option<()> {
        self.walk_name(None).map(drop)
    }

    /// Reads a name, its text into `out` if given: the text's length.
    fn walk_name(&mut self, mut out: Option<&mut [u8; NAME_MAX]>) -> Option<usize> {
        let mut n = 0;
        let mut j = self.pos;
        let mut resume = None;
        let mut jumps = 0usize;
        loop {
            let len = *self.buf.get(j)?;
            j += 1;
            if len == 0 {
                break;
            }
            if len & 0xc0 != 0 {
                let low = *self.buf.get(j)?;
                j += 1;
                resume.get_or_insert(j);
                j = (usize::from(len & 0x3f) << 8) | usize::from(low);
                jumps += 1;
                if j >= self.buf.len() || jumps > self.buf.len() {
                    return None;
                }
                continue;
            }
            if len > 63 {
                return None;
            }
            let label = self.buf.get(j..j + usize::from(len))?;
            let dot = usize::from(n > 0);
            if n + dot + label.len() >= NAME_MAX {
                return None;
            }
            if let Some(buf) = out.as_deref_mut() {
                if dot == 1 {
                    buf[n] = b'.';
                }
                buf[n + dot..n + dot + label.len()].copy_from_slice(label);
            }
            n += dot + label.len();
            j += usize::from(len);
        }
        self.pos = resume.unwrap_or(j);
        Some(n)
    }
}

/// Writes names as labels, compressing against the suffixes written
/// before (byte-exact matches, as evdns compares them).
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
    /// Made on first use: a query (nothing compressed) needs none.
    table: Option<HashMap<Vec<u8>, u16>>,
}

/// Why a name could not be written.
#[derive(Debug, PartialEq, Eq)]
pub enum NameError {
    /// A label over 63 bytes.
    Label,
    /// A name over 255 bytes.
    TooLong,
}

impl Writer {
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// `name` as labels; `compress` uses and feeds the suffix table.
    pub fn name(&mut self, name: &[u8], compress: bool) -> Result<(), NameError> {
        if name.len() > NAME_MAX {
            return Err(NameError::TooLong);
        }
        let mut rest = name;
        loop {
            if compress && !rest.is_empty() {
                if let Some(&at) = self.table.as_ref().and_then(|t| t.get(rest)) {
                    self.u16(at | 0xc000);
                    return Ok(());
                }
            }
            let (label, next) = match rest.iter().position(|&b| b == b'.') {
                Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
                None => (rest, None),
            };
            if label.len() > 63 {
                return Err(NameError::Label);
            }
            if compress && self.buf.len() < 0x3fff && !rest.is_empty() {
                let at = self.buf.len() as u16;
                self.table
                    .get_or_insert_with(HashMap::new)
                    .insert(rest.to_vec(), at);
            }
            self.buf.push(label.len() as u8);
            self.buf.extend_from_slice(label);
            match next {
                Some(n) => rest = n,
                None => break,
            }
            if label.is_empty() {
                break; // an empty label already ended the name
            }
        }
        if self.buf.last() != Some(&0) {
            self.buf.push(0);
        }
        Ok(())
    }
}

/// A query for `name`, recursion desired, one question of `qtype` IN.
pub fn build_query(id: u16, name: &[u8], qtype: u16) -> Result<Vec<u8>, NameError> {
    let mut buf = Vec::new();
    write_query(&mut buf, id, name, qtype)?;
    Ok(buf)
}

/// [`build_query`] into `buf` (emptied first), whose capacity a caller
/// building many queries keeps.
pub fn write_query(buf: &mut Vec<u8>, id: u16, name: &[u8], qtype: u16) -> Result<(), NameError> {
    buf.clear();
    // Header, length bytes and name, type and class: no regrowth.
    buf.reserve(12 + name.len() + 2 + 4);
    let mut w = Writer {
        buf: std::mem::take(buf),
        table: None,
    };
    for v in [id, RD, 1, 0, 0, 0] {
        w.u16(v);
    }
    let named = w.name(name, false);
    w.u16(qtype);
    w.u16(CLASS_INET);
    *buf = w.buf;
    named
}

/// The header fields evdns looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qd: u16,
    pub an: u16,
    pub ns: u16,
    pub ar: u16,
}

pub fn header(r: &mut Reader<'_>) -> Option<Header> {
    Some(Header {
        id: r.u16()?,
        flags: r.u16()?,
        qd: r.u16()?,
        an: r.u16()?,
        ns: r.u16()?,
        ar: r.u16()?,
    })
}

/// What one reply says for a request of some type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// A: 4-byte addresses; AAAA: 16-byte addresses (at most
    /// [`MAX_ADDRS`]), back to back as evdns hands them to C.
    pub addrs: Vec<u8>,
    /// How many addresses `addrs` holds.
    pub count: usize,
    /// PTR: the name.
    pub ptr: Option<Vec<u8>>,
    /// The first CNAME target seen, when asked for.
    pub cname: Option<Vec<u8>>,
    /// Whether any record of the asked type came.
    pub have_answer: bool,
    /// The lowest TTL of the records used (and of an SOA for negative
    /// answers); 0 when none.
    pub ttl: u32,
}

/// How a reply parsed for its request.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Well-formed: the header flags and what it answers.
    Ok(u16, Answer),
    /// Ill-formed after the header: the flags alone speak (evdns hands an
    /// error-flagged or broken reply on with its flags and no answer).
    Broken(u16),
}

/// Reads a reply to `query` (the packet that was sent, whose id the
/// reply's matched); `want_cname` keeps the first CNAME target. With
/// `randomized` (0x20 letter case) the question compares without case.
pub fn parse_reply(
    packet: &[u8],
    query: &[u8],
    qtype: u16,
    randomized: bool,
    want_cname: bool,
) -> Parsed {
    let mut r = Reader::new(packet);
    let Some(h) = header(&mut r) else {
        return Parsed::Broken(0);
    };
    let flags = h.flags;
    // Errors other than NXDOMAIN are not read further.
    if flags & (RCODE | TC) != 0 && flags & (RCODE | TC) != 3 {
        return Parsed::Broken(flags);
    }
    match walk(&mut r, h, query, qtype, randomized, want_cname) {
        Some(a) => Parsed::Ok(flags, a),
        None => Parsed::Broken(flags),
    }
}

fn walk(
    r: &mut Reader<'_>,
    h: Header,
    query: &[u8],
    qtype: u16,
    randomized: bool,
    want_cname: bool,
) -> Option<Answer> {
    let (mut asked_buf, mut buf) = ([0u8; NAME_MAX], [0u8; NAME_MAX]);
    let mut asked = Reader::new(query);
    asked.pos = 12;
    let asked_name = asked.name_in(&mut asked_buf)?;
    // Our query's name as labels: a question that repeats them byte for
    // byte (the usual reply) is the same name, with no text to build.
    let asked_wire = &query[12..asked.pos];
    let same = |a: &[u8], b: &[u8]| {
        if randomized {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let mut matches = false;
    for _ in 0..h.qd {
        let end = r.pos + asked_wire.len();
        if r.buf.get(r.pos..end).is_some_and(|w| same(w, asked_wire)) {
            r.pos = end;
            matches = true;
        } else {
            matches |= same(r.name_in(&mut buf)?, asked_name);
        }
        r.skip(4);
        if r.pos > r.buf.len() {
            return None;
        }
    }
    if !matches {
        return None;
    }
    let mut a = Answer::default();
    let mut ttl = u32::MAX;
    for _ in 0..h.an {
        r.skip_name()?;
        let (rtype, class, rttl, len) = (r.u16()?, r.u16()?, r.u32()?, usize::from(r.u16()?));
        let inet = class == CLASS_INET;
        match rtype {
            TYPE_A | TYPE_AAAA if inet => {
                if rtype != qtype {
                    r.skip(len);
                    continue;
                }
                let size = if rtype == TYPE_A { 4 } else { 16 };
                if len % size != 0 {
                    return None;
                }
                let n = (len / size).min(MAX_ADDRS - a.count);
                ttl = ttl.min(rttl);
                a.addrs.extend_from_slice(r.take(n * size)?);
                a.count += n;
                a.have_answer = true;
                if a.count == MAX_ADDRS {
                    break;
                }
            }
            TYPE_PTR if inet => {
                if qtype != TYPE_PTR {
                    r.skip(len);
                    continue;
                }
                a.ptr = Some(r.name()?);
                ttl = ttl.min(rttl);
                a.have_answer = true;
                break;
            }
            TYPE_CNAME => {
                if !want_cname || a.cname.is_some() {
                    r.skip(len);
                    continue;
                }
                a.cname = Some(r.name()?);
            }
            _ => r.skip(len),
        }
    }
    if !a.have_answer {
        for _ in 0..h.ns {
            r.skip_name()?;
            let (rtype, class, rttl, len) = (r.u16()?, r.u16()?, r.u32()?, usize::from(r.u16()?));
            if rtype == TYPE_SOA && class == CLASS_INET {
                r.skip_name()?;
                r.skip_name()?;
                for _ in 0..4 {
                    r.u32()?;
                }
                let minimum = r.u32()?;
                ttl = ttl.min(rttl).min(minimum);
            } else {
                r.skip(len);
            }
        }
    }
    a.ttl = if ttl == u32::MAX { 0 } else { ttl };
    Some(a)
}

/// One question of a request to a server port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub qtype: u16,
    pub class: u16,
    pub name: Vec<u8>,
}

/// A request a server port received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub id: u16,
    /// The header flags (QR clear); any opcode is served as a query, as
    /// libevent 2.1 serves them.
    pub flags: u16,
    pub questions: Vec<Question>,
}

/// Reads a request sent to a server port; `None` for an answer, a
/// request without a question or a malformed packet (dropped, as evdns
/// drops them).
pub fn parse_request(packet: &[u8]) -> Option<Request> {
    let mut r = Reader::new(packet);
    let h = header(&mut r)?;
    if h.flags & QR != 0 || h.qd == 0 {
        return None;
    }
    let mut questions = Vec::new();
    for _ in 0..h.qd {
        let name = r.name()?;
        let qtype = r.u16()?;
        let class = r.u16()?;
        questions.push(Question { qtype, class, name });
    }
    Some(Request {
        id: h.id,
        flags: h.flags,
        questions,
    })
}

/// A record a server port adds to its reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub name: Vec<u8>,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RecordData,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordData {
    /// Bytes written as they are.
    Raw(Vec<u8>),
    /// A name, written as labels (compressed).
    Name(Vec<u8>),
}

/// A reply: `flags` already holds QR and the rcode. Longer than
/// [`UDP_MAX`], or a name that cannot be written, cuts it there with TC
/// set (the header's counts stay, as evdns sends them).
pub fn build_response(
    id: u16,
    flags: u16,
    questions: &[Question],
    sections: [&[Record]; 3],
) -> Vec<u8> {
    let mut w = Writer::default();
    w.u16(id);
    w.u16(flags);
    w.u16(questions.len() as u16);
    for s in sections {
        w.u16(s.len() as u16);
    }
    for q in questions {
        if w.name(&q.name, true).is_err() {
            return truncated(w.buf);
        }
        w.u16(q.qtype);
        w.u16(q.class);
    }
    for rec in sections.iter().flat_map(|s| s.iter()) {
        if w.name(&rec.name, true).is_err() {
            return truncated(w.buf);
        }
        w.u16(rec.rtype);
        w.u16(rec.class);
        w.u32(rec.ttl);
        match &rec.data {
            RecordData::Raw(d) => {
                w.u16(d.len() as u16);
                w.buf.extend_from_slice(d);
            }
            RecordData::Name(n) => {
                let at = w.buf.len();
                w.u16(0);
                if w.name(n, true).is_err() {
                    return truncated(w.buf);
                }
                let len = (w.buf.len() - at - 2) as u16;
                w.buf[at..at + 2].copy_from_slice(&len.to_be_bytes());
            }
        }
        if w.buf.len() > 1500 {
            break;
        }
    }
    if w.buf.len() > UDP_MAX {
        return truncated(w.buf);
    }
    w.buf
}

fn truncated(mut buf: Vec<u8>) -> Vec<u8> {
    buf.resize(UDP_MAX, 0);
    buf[2] |= (TC >> 8) as u8;
    buf
}

#[cfg(test)]
mod tests;

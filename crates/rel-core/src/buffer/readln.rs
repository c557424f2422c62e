//! End-of-line styles and the search for them (`evbuffer_search_eol`,
//! `evbuffer_readln`).

use super::Buffer;

/// `enum evbuffer_eol_style`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Eol {
    /// Any run of CR and LF bytes.
    Any,
    /// LF, optionally preceded by CR.
    Crlf,
    /// CR LF exactly.
    CrlfStrict,
    Lf,
    Nul,
}

impl Eol {
    /// The C value (0..=4), or `None` for anything else.
    pub fn from_raw(v: i32) -> Option<Eol> {
        Some(match v {
            0 => Eol::Any,
            1 => Eol::Crlf,
            2 => Eol::CrlfStrict,
            3 => Eol::Lf,
            4 => Eol::Nul,
            _ => return None,
        })
    }
}

impl Buffer {
    /// The first end of line at or after `start`: its position and length.
    pub fn search_eol(&self, start: usize, eol: Eol) -> Option<(usize, usize)> {
        match eol {
            Eol::Any => {
                let p = self.find_either(start, b'\r', b'\n')?;
                Some((p, self.crlf_run(p)))
            }
            Eol::CrlfStrict => self.search(b"\r\n", start, None).map(|p| (p, 2)),
            Eol::Crlf => {
                let (p, before) = self.find_either_in(start, b'\n', b'\n')?;
                // A CR just before counts, unless the LF is where we started
                // (the byte before is looked up only across a chain end).
                let before = || before.or_else(|| self.byte_at(p - 1));
                if p > start && before() == Some(b'\r') {
                    Some((p - 1, 2))
                } else {
                    Some((p, 1))
                }
            }
            Eol::Lf => self.find_either(start, b'\n', b'\n').map(|p| (p, 1)),
            Eol::Nul => self.find_either(start, 0, 0).map(|p| (p, 1)),
        }
    }
}

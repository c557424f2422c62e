//! `struct evkeyval` and `struct evkeyvalq` exactly as libevent 2.1 lays
//! them out (32 and 16 bytes on x86_64): a C TAILQ of malloc'd nodes
//! holding malloc'd strings, which programs walk with `TAILQ_FOREACH`,
//! may extend with their own malloc'd nodes, and free with free().
//!
//! The queue operations here work on queues that reached librel through
//! the boundary contract (src/boundary.rs): a well-formed TAILQ whose
//! nodes and strings are live and allocated as libevent allocates them.

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};
use std::ptr::{self, NonNull};

use crate::boundary::{FromC, Refusal};
use crate::log_api::{mem_alloc, mem_free};

/// Queue link of an `evkeyval` (libevent's TAILQ_ENTRY).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evkeyval_link {
    pub tqe_next: *mut evkeyval,
    pub tqe_prev: *mut *mut evkeyval,
}

/// One key/value pair: a header or a query argument.
#[repr(C)]
pub struct evkeyval {
    pub next: evkeyval_link,
    pub key: *mut c_char,
    pub value: *mut c_char,
}

/// A list of key/value pairs (libevent's TAILQ_HEAD).
#[repr(C)]
pub struct evkeyvalq {
    pub tqh_first: *mut evkeyval,
    pub tqh_last: *mut *mut evkeyval,
}

const _: () = {
    assert!(std::mem::size_of::<evkeyval>() == 4 * std::mem::size_of::<usize>());
    assert!(std::mem::size_of::<evkeyvalq>() == 2 * std::mem::size_of::<usize>());
};

impl FromC<*mut evkeyvalq> for &mut evkeyvalq {
    unsafe fn from_c(q: *mut evkeyvalq) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or a live queue.
        unsafe { q.as_mut() }.ok_or(Refusal::Missing("header list"))
    }
}

impl FromC<*const evkeyvalq> for &evkeyvalq {
    unsafe fn from_c(q: *const evkeyvalq) -> Result<Self, Refusal> {
        // SAFETY: as above.
        unsafe { q.as_ref() }.ok_or(Refusal::Missing("header list"))
    }
}

/// A NUL-terminated copy of `bytes` in memory the program frees with
/// free(); NULL when out of memory.
pub(crate) fn c_bytes(bytes: &[u8]) -> *mut c_char {
    let p = mem_alloc(bytes.len() + 1).cast::<u8>();
    if !p.is_null() {
        // SAFETY: `p` holds len + 1 bytes, just allocated.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            *p.add(bytes.len()) = 0;
        }
    }
    p.cast()
}

/// strdup: the bytes up to the first NUL.
fn c_strdup(bytes: &[u8]) -> *mut c_char {
    // SAFETY: memchr reads the slice's own bytes, and answers NULL or a
    // pointer into them.
    let nul = unsafe { libc::memchr(bytes.as_ptr().cast(), 0, bytes.len()) };
    let end = if nul.is_null() {
        bytes.len()
    } else {
        nul as usize - bytes.as_ptr() as usize
    };
    c_bytes(&bytes[..end])
}

/// Whether the C string `s` is `name` in any ASCII case.
///
/// # Safety
///
/// `s` is a NUL-terminated string; no byte past its NUL is read.
unsafe fn c_name_is(s: *const c_char, name: &[u8]) -> bool {
    let s = s.cast::<u8>();
    for (i, c) in name.iter().enumerate() {
        // SAFETY: bytes up to the NUL are readable, and the loop stops
        // at the NUL.
        let k = unsafe { *s.add(i) };
        if k == 0 || !k.eq_ignore_ascii_case(c) {
            return false;
        }
    }
    // SAFETY: every byte before this one was not NUL.
    unsafe { *s.add(name.len()) == 0 }
}

impl evkeyvalq {
    /// TAILQ_INIT: empty, whatever it held (which is not freed).
    pub(crate) fn init(&mut self) {
        self.tqh_first = ptr::null_mut();
        self.tqh_last = &mut self.tqh_first;
    }

    /// Appends a copy of `key` and `value` (each up to a NUL); false when
    /// out of memory.
    pub(crate) fn push(&mut self, key: &[u8], value: &[u8]) -> bool {
        let node = mem_alloc(std::mem::size_of::<evkeyval>()).cast::<evkeyval>();
        let Some(mut node) = NonNull::new(node) else {
            return false;
        };
        let (k, v) = (c_strdup(key), c_strdup(value));
        if k.is_null() || v.is_null() {
            mem_free(k.cast());
            mem_free(v.cast());
            mem_free(node.as_ptr().cast());
            return false;
        }
        // SAFETY: `node` is fresh memory the size of an evkeyval; the
        // queue is well-formed (module contract), so `tqh_last` points at
        // the last link's next pointer or at `tqh_first`.
        unsafe {
            node.as_ptr().write(evkeyval {
                next: evkeyval_link {
                    tqe_next: ptr::null_mut(),
                    tqe_prev: self.tqh_last,
                },
                key: k,
                value: v,
            });
            *self.tqh_last = node.as_ptr();
            self.tqh_last = &mut node.as_mut().next.tqe_next;
        }
        true
    }

    /// The nodes in order.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = NonNull<evkeyval>> + '_ {
        std::iter::successors(NonNull::new(self.tqh_first), |n| {
            // SAFETY: every node of a well-formed queue is live.
            NonNull::new(unsafe { n.as_ref() }.next.tqe_next)
        })
    }

    /// The first node whose key is `name` in any ASCII case (how header
    /// names match), compared in place: no strlen of every key.
    pub(crate) fn find_name(&self, name: &[u8]) -> Option<NonNull<evkeyval>> {
        self.nodes().find(|n| {
            // SAFETY: a live node's key is a NUL-terminated string.
            unsafe { c_name_is(n.as_ref().key, name) }
        })
    }

    /// Unlinks `node` (one of this queue's) and frees it and its strings.
    pub(crate) fn remove(&mut self, node: NonNull<evkeyval>) {
        // SAFETY: `node` is live and linked into this well-formed queue,
        // so its neighbours' links (or the head's) are what it names.
        unsafe {
            let n = node.as_ptr();
            let next = (*n).next.tqe_next;
            match next.as_mut() {
                Some(next) => next.next.tqe_prev = (*n).next.tqe_prev,
                None => self.tqh_last = (*n).next.tqe_prev,
            }
            *(*n).next.tqe_prev = next;
            mem_free((*n).key.cast());
            mem_free((*n).value.cast());
            mem_free(n.cast::<c_void>());
        }
    }

    /// Frees every node; the queue is left empty and usable.
    pub(crate) fn clear(&mut self) {
        while let Some(first) = NonNull::new(self.tqh_first) {
            self.remove(first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_name_matches_whole_names_in_any_case() {
        let mut q = evkeyvalq {
            tqh_first: ptr::null_mut(),
            tqh_last: ptr::null_mut(),
        };
        q.init();
        assert!(q.push(b"Content-Length", b"1"));
        assert!(q.push(b"Host", b"a"));
        assert!(q.push(b"host", b"b"));
        let value = |n: Option<NonNull<evkeyval>>| {
            // SAFETY: a live node of `q`, whose value is a C string.
            n.map(|n| unsafe { std::ffi::CStr::from_ptr(n.as_ref().value) }.to_bytes())
        };
        assert_eq!(value(q.find_name(b"HOST")), Some(&b"a"[..]));
        assert_eq!(value(q.find_name(b"content-length")), Some(&b"1"[..]));
        assert_eq!(value(q.find_name(b"Content")), None);
        assert_eq!(value(q.find_name(b"Content-Length2")), None);
        assert_eq!(value(q.find_name(b"")), None);
        q.clear();
        assert!(q.find_name(b"Host").is_none());
    }
}

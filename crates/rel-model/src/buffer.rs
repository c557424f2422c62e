//! The evbuffer model: random sequences of evbuffer calls on two buffers,
//! through librel's exported C functions, checked against two `Vec<u8>`.
//!
//! Bytes come from a small alphabet (`a b \r \n \0 x`) so that searches
//! and every end-of-line style meet matches, misses and runs of CR/LF.
//! After every operation both buffers are compared whole with their
//! models, and a change callback on each checks that what it is told
//! (`orig_size`, `n_added`, `n_deleted`) adds up to the real length.
//! References (`evbuffer_add_reference`, `add_buffer_reference`) lend
//! static memory; at teardown every cleanup must have run exactly once.

use std::os::raw::{c_char, c_int, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicUsize, Ordering};

use rel::buffer_api::*;
use rel::evbuffer;

use crate::Source;

extern "C" {
    /// C-variadic, exported by librel through its variadic shim.
    fn evbuffer_add_printf(buf: *mut c_void, fmt: *const c_char, ...) -> c_int;
}

const ALPHABET: &[u8] = b"ab\r\nx\0";
/// Lent to buffers by reference: never freed, so a late read is harmless
/// to the test (and a wrong byte shows up in the comparison).
static LENT: [u8; 4096] = {
    let mut a = [0u8; 4096];
    let mut i = 0;
    while i < a.len() {
        a[i] = ALPHABET[(i * 7 + i / 5) % ALPHABET.len()];
        i += 1;
    }
    a
};

static CLEANUPS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn cleanup(_data: *const c_void, _len: usize, _arg: *mut c_void) {
    CLEANUPS.fetch_add(1, Ordering::SeqCst);
}

/// What a buffer's change callback has been told: the length it implies.
struct Watch {
    len: usize,
    bad: Option<String>,
}

unsafe extern "C" fn watch_cb(_b: *mut evbuffer, info: *const evbuffer_cb_info, arg: *mut c_void) {
    // SAFETY: `arg` is the Watch registered with this callback, alive for
    // the sequence; `info` is valid for the call.
    let (w, i) = unsafe { (&mut *(arg as *mut Watch), &*info) };
    if i.orig_size != w.len && w.bad.is_none() {
        w.bad = Some(format!(
            "callback orig_size {} but length was {}",
            i.orig_size, w.len
        ));
    }
    w.len = i.orig_size + i.n_added - i.n_deleted;
}

struct Side {
    buf: *mut evbuffer,
    model: Vec<u8>,
    frozen_front: bool,
    frozen_back: bool,
    /// May hold chains that reference other buffers (then referencing it
    /// may be refused, depending on layout).
    may_multicast: bool,
    watch: Box<Watch>,
}

fn bytes(src: &mut dyn Source, max: usize) -> Vec<u8> {
    let n = match src.below(8) {
        0 => 0,
        7 => src.below(6000),
        _ => src.below(max + 1),
    };
    (0..n)
        .map(|_| ALPHABET[src.below(ALPHABET.len())])
        .collect()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    (from..hay.len().saturating_sub(needle.len() - 1)).find(|&i| hay[i..].starts_with(needle))
}

/// The model's end of line: (position, length) per style 0..=4.
fn eol(hay: &[u8], style: c_int) -> Option<(usize, usize)> {
    match style {
        0 => {
            let p = hay.iter().position(|&b| b == b'\r' || b == b'\n')?;
            let n = hay[p..]
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            Some((p, n))
        }
        1 => {
            let p = hay.iter().position(|&b| b == b'\n')?;
            if p > 0 && hay[p - 1] == b'\r' {
                Some((p - 1, 2))
            } else {
                Some((p, 1))
            }
        }
        2 => find(hay, b"\r\n", 0).map(|p| (p, 2)),
        3 => hay.iter().position(|&b| b == b'\n').map(|p| (p, 1)),
        4 => hay.iter().position(|&b| b == 0).map(|p| (p, 1)),
        _ => None,
    }
}

/// The whole content, through evbuffer_peek (which a frozen front does
/// not refuse, unlike copyout).
fn content(b: *mut evbuffer) -> Vec<u8> {
    // SAFETY: a live buffer of the sequence; the extents stay valid until
    // the buffer next changes, after the copy.
    unsafe {
        let n = evbuffer_peek(b, -1, null_mut(), null_mut(), 0).max(0) as usize;
        let mut v = vec![
            libc::iovec {
                iov_base: null_mut(),
                iov_len: 0
            };
            n
        ];
        let got = evbuffer_peek(b, -1, null_mut(), v.as_mut_ptr(), n as c_int).max(0) as usize;
        let mut out = Vec::with_capacity(evbuffer_get_length(b));
        for e in &v[..got.min(n)] {
            out.extend_from_slice(std::slice::from_raw_parts(
                e.iov_base.cast::<u8>(),
                e.iov_len,
            ));
        }
        out
    }
}

fn check(s: &Side, name: &str, op: &str) -> Result<(), String> {
    let real = content(s.buf);
    if real != s.model {
        let first = real.iter().zip(&s.model).position(|(a, b)| a != b);
        return Err(format!(
            "after {op}: buffer {name} holds {} bytes, model {} (first difference at {first:?})",
            real.len(),
            s.model.len()
        ));
    }
    // SAFETY: a live buffer.
    let contiguous = unsafe { evbuffer_get_contiguous_space(s.buf) };
    if contiguous > real.len() || (contiguous == 0) != real.is_empty() {
        return Err(format!(
            "after {op}: buffer {name} contiguous {contiguous} of {}",
            real.len()
        ));
    }
    if let Some(bad) = &s.watch.bad {
        return Err(format!("after {op}: buffer {name}: {bad}"));
    }
    if s.watch.len != real.len() && !s.frozen_front && !s.frozen_back {
        return Err(format!(
            "after {op}: buffer {name}: callbacks imply {} bytes, it holds {}",
            s.watch.len,
            real.len()
        ));
    }
    Ok(())
}

/// One sequence; `Err` describes the first divergence from the model.
pub fn run_buffer_sequence(src: &mut dyn Source) -> Result<(), String> {
    CLEANUPS.store(0, Ordering::SeqCst);
    let mut refs = 0usize;
    let mut sides: Vec<Side> = (0..2)
        .map(|_| {
            let mut watch = Box::new(Watch { len: 0, bad: None });
            let buf = evbuffer_new();
            // SAFETY: a fresh buffer; the Watch outlives it (freed at the end).
            unsafe { evbuffer_add_cb(buf, Some(watch_cb), (&mut *watch as *mut Watch).cast()) };
            Side {
                buf,
                model: Vec::new(),
                frozen_front: false,
                frozen_back: false,
                may_multicast: false,
                watch,
            }
        })
        .collect();
    let mut result = Ok(());
    let trace = std::env::var_os("REL_MODEL_TRACE").is_some();
    while !src.done() {
        src.tick();
        let i = src.below(2);
        let j = 1 - i;
        let op = step(src, &mut sides, i, j, &mut refs);
        if trace {
            eprintln!("{} {op}", ["A", "B"][i]);
        }
        for (k, s) in sides.iter().enumerate() {
            if let Err(e) = check(s, ["A", "B"][k], &op) {
                result = Err(e);
            }
        }
        if result.is_err() {
            break;
        }
    }
    for s in &sides {
        // SAFETY: each buffer once.
        unsafe { evbuffer_free(s.buf) };
    }
    let cleaned = CLEANUPS.load(Ordering::SeqCst);
    if result.is_ok() && cleaned != refs {
        result = Err(format!("{refs} references added, {cleaned} cleanups ran"));
    }
    result
}

/// Does one random operation on buffer `i` (and `j` for two-buffer
/// calls), updates the model, and returns its description. Return values
/// are checked here; contents after every step by the caller.
fn step(src: &mut dyn Source, sides: &mut [Side], i: usize, j: usize, refs: &mut usize) -> String {
    let b = sides[i].buf;
    let o = sides[j].buf;
    let len = sides[i].model.len();
    let pick = src.below(20);
    // SAFETY: `b` and `o` are live buffers of this sequence, every pointer
    // passed covers the length passed, and extents are read only before the
    // buffer changes again.
    unsafe {
        match pick {
            0 | 1 => {
                let d = bytes(src, 300);
                let r = evbuffer_add(b, d.as_ptr().cast(), d.len());
                expect(r, if sides[i].frozen_back { -1 } else { 0 }, "add");
                if r == 0 {
                    sides[i].model.extend_from_slice(&d);
                }
                format!("add {}", d.len())
            }
            2 => {
                let d = bytes(src, 100);
                let r = evbuffer_prepend(b, d.as_ptr().cast(), d.len());
                let want = if d.is_empty() || !sides[i].frozen_front {
                    0
                } else {
                    -1
                };
                expect(r, want, "prepend");
                if r == 0 {
                    sides[i].model.splice(0..0, d.iter().copied());
                }
                format!("prepend {}", d.len())
            }
            3 => {
                let n = src.below(len + 20);
                let r = evbuffer_drain(b, n);
                let want = if len > 0 && sides[i].frozen_front {
                    -1
                } else {
                    0
                };
                expect(r, want, "drain");
                if r == 0 {
                    sides[i].model.drain(..n.min(len));
                }
                format!("drain {n}")
            }
            4 => {
                let n = src.below(len + 20);
                let mut out = vec![0u8; n];
                let r = evbuffer_remove(b, out.as_mut_ptr().cast(), n);
                let k = n.min(len);
                if sides[i].frozen_front && k > 0 {
                    expect(r, -1, "remove frozen");
                } else {
                    expect(r, k as c_int, "remove");
                    if out[..k] != sides[i].model[..k] {
                        panic_mismatch("remove returned other bytes");
                    }
                    sides[i].model.drain(..k);
                }
                format!("remove {n}")
            }
            5 => {
                let r = evbuffer_add_buffer(b, o);
                let refused =
                    !sides[j].model.is_empty() && (sides[i].frozen_back || sides[j].frozen_front);
                expect(r, if refused { -1 } else { 0 }, "add_buffer");
                if !refused {
                    let moved = std::mem::take(&mut sides[j].model);
                    sides[i].model.extend(moved);
                    sides[i].may_multicast |= std::mem::take(&mut sides[j].may_multicast);
                }
                "add_buffer".into()
            }
            6 => {
                let n = src.below(sides[j].model.len() + 20);
                let r = evbuffer_remove_buffer(o, b, n);
                let refused = n > 0 && (sides[i].frozen_back || sides[j].frozen_front);
                let k = n.min(sides[j].model.len());
                expect(r, if refused { -1 } else { k as c_int }, "remove_buffer");
                if !refused {
                    let moved: Vec<u8> = sides[j].model.drain(..k).collect();
                    sides[i].model.extend(moved);
                    sides[i].may_multicast |= sides[j].may_multicast;
                }
                format!("remove_buffer {n}")
            }
            7 => {
                let r = evbuffer_prepend_buffer(b, o);
                let refused =
                    !sides[j].model.is_empty() && (sides[i].frozen_front || sides[j].frozen_front);
                expect(r, if refused { -1 } else { 0 }, "prepend_buffer");
                if !refused {
                    let moved = std::mem::take(&mut sides[j].model);
                    sides[i].model.splice(0..0, moved);
                    sides[i].may_multicast |= std::mem::take(&mut sides[j].may_multicast);
                }
                "prepend_buffer".into()
            }
            8 => {
                let off = src.below(LENT.len());
                let n = src.below((LENT.len() - off).min(600) + 1);
                let r = evbuffer_add_reference(
                    b,
                    LENT[off..].as_ptr().cast(),
                    n,
                    Some(cleanup),
                    null_mut(),
                );
                expect(
                    r,
                    if sides[i].frozen_back { -1 } else { 0 },
                    "add_reference",
                );
                if r == 0 {
                    *refs += 1;
                    sides[i].model.extend_from_slice(&LENT[off..off + n]);
                }
                format!("add_reference {n}")
            }
            9 => {
                let r = evbuffer_add_buffer_reference(b, o);
                if sides[j].model.is_empty() {
                    expect(r, 0, "add_buffer_reference of empty");
                } else if sides[i].frozen_back {
                    expect(r, -1, "add_buffer_reference to frozen");
                } else if r != 0 && !sides[j].may_multicast {
                    panic_mismatch("add_buffer_reference refused");
                } else if r == 0 {
                    let copy = sides[j].model.clone();
                    sides[i].model.extend(copy);
                    sides[i].may_multicast = true;
                }
                "add_buffer_reference".into()
            }
            10 => {
                let size = src.below(3000) as isize;
                let n_vec = 1 + src.below(2) as c_int;
                let mut v = [libc::iovec {
                    iov_base: null_mut(),
                    iov_len: 0,
                }; 2];
                let n = evbuffer_reserve_space(b, size, v.as_mut_ptr(), n_vec);
                if sides[i].frozen_back {
                    expect(n, -1, "reserve frozen");
                    return "reserve (frozen)".into();
                }
                let total: usize = v[..n.max(0) as usize].iter().map(|e| e.iov_len).sum();
                if n < 1 || total < size as usize {
                    panic_mismatch("reserve gave too little");
                }
                let mut want = src.below(size as usize + 1);
                let mut added = Vec::new();
                for e in v.iter_mut().take(n as usize) {
                    let k = want.min(e.iov_len);
                    let fill: Vec<u8> = (0..k)
                        .map(|_| ALPHABET[src.below(ALPHABET.len())])
                        .collect();
                    std::ptr::copy_nonoverlapping(fill.as_ptr(), e.iov_base.cast(), k);
                    e.iov_len = k;
                    want -= k;
                    added.extend(fill);
                }
                expect(evbuffer_commit_space(b, v.as_mut_ptr(), n), 0, "commit");
                sides[i].model.extend(added);
                format!("reserve {size}/{n_vec} and commit")
            }
            11 => {
                let start = src.below(len + 2);
                let model = &sides[i].model;
                let needle: Vec<u8> = if len > 0 && src.below(2) == 0 {
                    let at = src.below(len);
                    model[at..(at + 1 + src.below(6)).min(len)].to_vec()
                } else {
                    bytes(src, 4)
                };
                let mut p: evbuffer_ptr = std::mem::zeroed();
                let set = evbuffer_ptr_set(b, &mut p, start, 0);
                if start > len {
                    expect(set, -1, "ptr_set past the end");
                    return "ptr_set past the end".into();
                }
                expect(set, 0, "ptr_set");
                let found = evbuffer_search(b, needle.as_ptr().cast::<c_char>(), needle.len(), &p);
                let want = if start == len && !needle.is_empty() {
                    None
                } else {
                    find(model, &needle, start)
                };
                if found.pos != want.map_or(-1, |w| w as isize) {
                    panic_mismatch(&format!(
                        "search {:?} from {start}: got {} want {want:?}",
                        needle, found.pos
                    ));
                }
                format!("search {} from {start}", needle.len())
            }
            12 => {
                let style = src.below(6) as c_int;
                let mut n: usize = 77;
                let line = evbuffer_readln(b, &mut n, style);
                let want = if sides[i].frozen_front {
                    None
                } else {
                    eol(&sides[i].model, style)
                };
                match (line.is_null(), want) {
                    (true, None) => expect(n as c_int, 0, "readln n"),
                    (false, Some((p, k))) => {
                        let got = std::slice::from_raw_parts(line.cast::<u8>(), n);
                        if n != p || got != &sides[i].model[..p] {
                            panic_mismatch("readln line");
                        }
                        libc::free(line.cast());
                        sides[i].model.drain(..p + k);
                    }
                    _ => {
                        panic_mismatch(&format!("readln style {style}: line? {}", !line.is_null()))
                    }
                }
                format!("readln style {style}")
            }
            13 => {
                let size = src.below(len + 3) as isize - 1;
                let p = evbuffer_pullup(b, size);
                let want = if size < 0 { len } else { size as usize };
                if want == 0 || want > len {
                    if !p.is_null() {
                        panic_mismatch("pullup should be NULL");
                    }
                } else if p.is_null()
                    || std::slice::from_raw_parts(p, want) != &sides[i].model[..want]
                {
                    panic_mismatch("pullup bytes");
                }
                format!("pullup {size}")
            }
            14 => {
                let mut v = [libc::iovec {
                    iov_base: null_mut(),
                    iov_len: 0,
                }; 64];
                let n = evbuffer_peek(b, -1, null_mut(), v.as_mut_ptr(), 64);
                let mut joined = Vec::new();
                for e in &v[..(n.max(0) as usize).min(64)] {
                    joined.extend_from_slice(std::slice::from_raw_parts(
                        e.iov_base.cast::<u8>(),
                        e.iov_len,
                    ));
                }
                if n < 64 && joined != sides[i].model {
                    panic_mismatch("peek");
                }
                "peek".into()
            }
            15 => {
                let front = src.below(2) == 0;
                let on = src.below(3) == 0;
                if on {
                    evbuffer_freeze(b, front as c_int);
                } else {
                    evbuffer_unfreeze(b, front as c_int);
                }
                if front {
                    sides[i].frozen_front = on;
                } else {
                    sides[i].frozen_back = on;
                }
                // Callbacks do not see refused changes; resync the watch.
                sides[i].watch.len = sides[i].model.len();
                format!(
                    "{} {}",
                    if on { "freeze" } else { "unfreeze" },
                    if front { "front" } else { "back" }
                )
            }
            16 => {
                let x = src.below(100000) as c_int;
                let fmt = c"%d:%s;";
                let r = evbuffer_add_printf(b.cast(), fmt.as_ptr(), x, c"ab".as_ptr());
                let text = format!("{x}:ab;");
                if sides[i].frozen_back {
                    expect(r, -1, "add_printf frozen");
                } else {
                    expect(r, text.len() as c_int, "add_printf");
                    sides[i].model.extend_from_slice(text.as_bytes());
                }
                "add_printf".into()
            }
            17 => {
                let start = src.below(len + 1);
                let n = src.below(len + 5);
                let mut p: evbuffer_ptr = std::mem::zeroed();
                evbuffer_ptr_set(b, &mut p, start, 0);
                let mut out = vec![0u8; n];
                let r = evbuffer_copyout_from(b, &p, out.as_mut_ptr().cast(), n);
                let k = n.min(len - start);
                if sides[i].frozen_front && k > 0 {
                    expect(r as c_int, -1, "copyout_from frozen");
                } else if r != k as isize || out[..k] != sides[i].model[start..start + k] {
                    panic_mismatch("copyout_from");
                }
                format!("copyout_from {start} {n}")
            }
            18 => {
                let n = src.below(len + 1);
                expect(evbuffer_expand(b, n), 0, "expand");
                format!("expand {n}")
            }
            _ => {
                // Fills from a pipe, the way bufferevents read.
                let d = bytes(src, 3000);
                let mut fds = [0; 2];
                libc::pipe(fds.as_mut_ptr());
                let w = libc::write(fds[1], d.as_ptr().cast(), d.len());
                libc::close(fds[1]);
                let mut got = 0usize;
                loop {
                    let r = evbuffer_read(b, fds[0], -1);
                    if sides[i].frozen_back {
                        expect(r, -1, "read frozen");
                        break;
                    }
                    if r <= 0 {
                        break;
                    }
                    got += r as usize;
                }
                libc::close(fds[0]);
                if !sides[i].frozen_back {
                    if got != w as usize {
                        panic_mismatch("read count");
                    }
                    sides[i].model.extend_from_slice(&d);
                }
                format!("read {}", d.len())
            }
        }
    }
}

fn expect(got: c_int, want: c_int, what: &str) {
    if got != want {
        panic_mismatch(&format!("{what} returned {got}, want {want}"));
    }
}

/// Return values are checked inside `step`; a mismatch there ends the
/// sequence through a panic carrying the description.
fn panic_mismatch(what: &str) -> ! {
    panic!("buffer model mismatch: {what}")
}

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

struct Counted(Vec<u8>, Arc<AtomicUsize>);

impl Bytes for Counted {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

fn filled(parts: &[&[u8]]) -> Buffer {
    let mut b = Buffer::new();
    for p in parts {
        b.add(p);
    }
    b
}

#[test]
fn add_drain_keep_order_and_reuse_the_chain() {
    let mut b = Buffer::new();
    for i in 0..1000u32 {
        b.add(&i.to_le_bytes());
        assert_eq!(b.drain(4), 4);
        assert!(b.is_empty());
    }
    assert_eq!(b.chains.len(), 1, "the drained chain is kept for reuse");
    b.add(b"abc");
    b.prepend(b"xy");
    assert_eq!(b.to_vec(), b"xyabc");
    assert_eq!(b.drain(100), 5);
}

#[test]
fn big_adds_make_few_chains() {
    let mut b = Buffer::new();
    for _ in 0..1000 {
        b.add(&[7u8; 100]);
    }
    assert_eq!(b.len(), 100_000);
    assert!(b.chain_count() <= 9, "{} chains", b.chain_count());
}

#[test]
fn pullup_gathers_across_shared_chains() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut b = filled(&[b"ab"]);
    b.add_shared(
        Arc::new(Counted(b"cdef".to_vec(), dropped.clone())),
        Kind::Memory,
        0,
        4,
    );
    b.add(b"gh");
    assert_eq!(b.pullup(5).unwrap(), b"abcde");
    assert_eq!(b.to_vec(), b"abcdefgh");
    assert_eq!(b.pullup(8).unwrap(), b"abcdefgh");
    drop(b.take_released());
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the reference was released once"
    );
    assert!(b.pullup(9).is_none());
    assert!(b.pullup(0).is_none());
}

#[test]
fn search_finds_matches_that_cross_chains() {
    let mut b = filled(&[b"xxab"]);
    b.add_shared(
        Arc::new(Counted(b"cdab".to_vec(), Default::default())),
        Kind::Memory,
        0,
        4,
    );
    b.add_shared(
        Arc::new(Counted(b"c".to_vec(), Default::default())),
        Kind::Memory,
        0,
        1,
    );
    assert_eq!(b.search(b"abc", 0, None), Some(2));
    assert_eq!(b.search(b"abc", 3, None), Some(6));
    assert_eq!(b.search(b"abc", 7, None), None);
    assert_eq!(b.search(b"abc", 0, Some(4)), None, "ends past the limit");
    assert_eq!(b.search(b"abc", 0, Some(5)), Some(2));
    assert_eq!(b.search(b"d", 0, None), Some(5));
}

#[test]
fn eol_styles() {
    let b = filled(&[b"one\r\ntwo\nthree\r\r\n\0"]);
    assert_eq!(b.search_eol(0, Eol::Crlf), Some((3, 2)));
    assert_eq!(b.search_eol(0, Eol::Lf), Some((4, 1)));
    assert_eq!(b.search_eol(5, Eol::CrlfStrict), Some((15, 2)));
    assert_eq!(b.search_eol(9, Eol::Any), Some((14, 3)));
    assert_eq!(b.search_eol(0, Eol::Nul), Some((17, 1)));
    assert_eq!(
        b.search_eol(4, Eol::Crlf),
        Some((4, 1)),
        "no backing up past start"
    );
}

#[test]
fn move_between_buffers_moves_chains() {
    let mut a = Buffer::new();
    a.add(&vec![1u8; 5000]);
    a.add_shared(
        Arc::new(Counted(vec![2u8; 3000], Default::default())),
        Kind::Memory,
        0,
        3000,
    );
    let mut b = Buffer::new();
    assert_eq!(a.move_to(&mut b, 6000), 6000);
    assert_eq!(a.len(), 2000);
    assert_eq!(b.len(), 6000);
    let mut want = vec![1u8; 5000];
    want.extend(vec![2u8; 1000]);
    assert_eq!(b.to_vec(), want);
    b.append_buffer(&mut a);
    assert_eq!(b.len(), 8000);
    assert!(a.is_empty());
    let mut c = filled(&[b"head"]);
    c.prepend_buffer(&mut b);
    assert_eq!(c.len(), 8004);
    assert_eq!(&c.to_vec()[8000..], b"head");
}

#[test]
fn reserve_commit_round_trip() {
    let mut b = filled(&[b"abc"]);
    let ext = b.reserve(10_000, 2);
    assert!(ext.n >= 1);
    let total: usize = ext.ext[..ext.n].iter().map(|e| e.1).sum();
    assert!(total >= 10_000);
    let commits: Vec<_> = ext.ext[..ext.n].iter().map(|&(a, _)| (a, 0)).collect();
    assert_eq!(b.commit(&commits), Some(0));
    assert_eq!(b.commit(&[(1, 1)]), None);
    assert_eq!(b.to_vec(), b"abc");
}

#[test]
fn references_share_and_release_once() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut src = Buffer::new();
    src.add_shared(
        Arc::new(Counted(b"shared".to_vec(), dropped.clone())),
        Kind::Memory,
        0,
        6,
    );
    let mut dst = Buffer::new();
    assert!(dst.reference(&mut src));
    assert_eq!(dst.to_vec(), b"shared");
    src.drain(6);
    drop(src.take_released());
    assert_eq!(dropped.load(Ordering::SeqCst), 0, "dst still refers to it");
    dst.drain(6);
    drop(dst.take_released());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    let mut again = Buffer::new();
    let mut multicast = filled(&[b"x"]);
    multicast.reference(&mut filled(&[b"y"]));
    assert!(
        !again.reference(&mut multicast),
        "references of references are refused"
    );
}

#[test]
fn sync_buffer_callbacks_see_changes_and_may_reenter() {
    let sb = Arc::new(SyncBuffer::new());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (s2, seen2) = (sb.clone(), seen.clone());
    sb.add_cb(
        (1, 1),
        Box::new(move |i: &CbInfo| {
            seen2.lock().unwrap().push(*i);
            if s2.len() > 4 {
                s2.drain(2).unwrap();
            }
        }),
    );
    sb.add(b"abcdef").unwrap();
    assert_eq!(sb.len(), 4);
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0],
        CbInfo {
            orig_size: 0,
            n_added: 6,
            n_deleted: 0
        }
    );
    assert_eq!(
        seen[1],
        CbInfo {
            orig_size: 6,
            n_added: 0,
            n_deleted: 2
        }
    );
}

#[test]
fn frozen_ends_refuse() {
    let sb = SyncBuffer::new();
    sb.add(b"abc").unwrap();
    sb.set_frozen(true, true);
    assert!(matches!(sb.drain(1), Err(Refused::Frozen)));
    assert!(sb.add(b"d").is_ok());
    sb.set_frozen(false, true);
    assert!(matches!(sb.add(b"e"), Err(Refused::Frozen)));
    sb.set_frozen(true, false);
    assert!(sb.drain(1).is_ok());
}

#[test]
fn recursive_lock_excludes_other_threads() {
    let l = Arc::new(RecLock::new());
    let counter = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let (l, c) = (l.clone(), counter.clone());
            std::thread::spawn(move || {
                for _ in 0..10_000 {
                    l.lock();
                    l.lock();
                    let v = c.load(Ordering::Relaxed);
                    c.store(v + 1, Ordering::Relaxed);
                    assert!(l.unlock());
                    assert!(l.unlock());
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(counter.load(Ordering::SeqCst), 40_000);
    assert!(!l.unlock(), "not held");
}

#[test]
fn a_long_hold_makes_others_sleep_until_it_ends() {
    let l = Arc::new(RecLock::new());
    let busy = Arc::new(AtomicUsize::new(1));
    l.lock();
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let (l, busy) = (l.clone(), busy.clone());
            std::thread::spawn(move || {
                l.lock();
                assert_eq!(busy.load(Ordering::SeqCst), 0, "entered a held lock");
                assert!(l.is_mine());
                assert!(l.unlock());
            })
        })
        .collect();
    // Long enough for the others to give up spinning and sleep.
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(l.is_mine());
    busy.store(0, Ordering::SeqCst);
    assert!(l.unlock());
    for h in hs {
        h.join().unwrap();
    }
    assert!(!l.is_mine());
    assert!(!l.unlock(), "not held");
}

#[test]
fn fd_read_takes_more_than_4k_and_write_drains() {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two fds into the array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let mut out = Buffer::new();
    out.add(&vec![9u8; 60_000]);
    assert_eq!(out.write_to(fds[1], 60_000).unwrap(), 60_000);
    assert!(out.is_empty());
    let mut inb = Buffer::new();
    let n = inb.read_from(fds[0], None).unwrap();
    assert!(n > 4096, "read {n}");
    while inb.len() < 60_000 {
        inb.read_from(fds[0], None).unwrap();
    }
    assert_eq!(inb.to_vec(), vec![9u8; 60_000]);
    // SAFETY: closing our own fds.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
}

#[test]
fn writes_to_a_closed_socket_fail_without_sigpipe() {
    let mut sv = [0; 2];
    // SAFETY: socketpair writes two fds into the array.
    let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) };
    assert_eq!(r, 0);
    // SAFETY: closing our own fd.
    unsafe { libc::close(sv[1]) };
    let mut b = filled(&[b"hello"]);
    // The default SIGPIPE action would end this test process.
    let e = b.write_to(sv[0], 5).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
    assert_eq!(b.len(), 5, "nothing drained");
    // SAFETY: closing our own fd.
    unsafe { libc::close(sv[0]) };
}

#[test]
fn file_segments_map_or_read_their_range() {
    let path = std::env::temp_dir().join(format!("rel-core-seg-{}", std::process::id()));
    std::fs::write(&path, b"0123456789abcdef").unwrap();
    let f = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    use std::os::unix::io::AsRawFd;
    for flags in [0, FS_DISABLE_MMAP, FS_DISABLE_SENDFILE] {
        let seg = FileSegment::new(f.as_raw_fd(), 4, 8, flags).unwrap();
        seg.materialize().unwrap();
        assert_eq!(seg.bytes(), b"456789ab", "flags {flags}");
    }
    let whole = FileSegment::new(f.as_raw_fd(), 10, -1, 0).unwrap();
    assert_eq!(whole.len(), 6, "-1 runs to the end of the file");
    let past = FileSegment::new(f.as_raw_fd(), 10, 100, FS_DISABLE_SENDFILE);
    assert!(past.is_err(), "a range past the end of the file is refused");
}

#[test]
fn readln_runs_callbacks_for_the_line_then_the_eol() {
    let sb = SyncBuffer::new();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    sb.add(b"line\r\nrest").unwrap();
    sb.add_cb(
        (0, 0),
        Box::new(move |i: &CbInfo| s2.lock().unwrap().push(i.n_deleted)),
    );
    let mut mem = [0u8; 16];
    let (line, n) = sb.readln(Eol::Crlf, |n| Some(&mut mem[..n + 1])).unwrap();
    assert_eq!(&line[..n], b"line");
    assert_eq!(*seen.lock().unwrap(), vec![4, 2]);
    assert!(sb.readln(Eol::Crlf, |_| unreachable!("no line")).is_none());
}

#[test]
fn deferred_callbacks_sum_changes_until_run() {
    let sb = Arc::new(SyncBuffer::new());
    let scheduled = Arc::new(AtomicUsize::new(0));
    let infos = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (s2, i2) = (scheduled.clone(), infos.clone());
    sb.add_cb(
        (0, 0),
        Box::new(move |i: &CbInfo| i2.lock().unwrap().push(*i)),
    );
    sb.defer_callbacks(Arc::new(move || {
        s2.fetch_add(1, Ordering::SeqCst);
    }));
    sb.add(b"12345").unwrap();
    sb.drain(2).unwrap();
    assert_eq!(scheduled.load(Ordering::SeqCst), 1, "scheduled once");
    assert!(
        infos.lock().unwrap().is_empty(),
        "nothing runs before the loop"
    );
    sb.run_deferred();
    assert_eq!(
        *infos.lock().unwrap(),
        vec![CbInfo {
            orig_size: 0,
            n_added: 5,
            n_deleted: 2
        }]
    );
    sb.add(b"6").unwrap();
    assert_eq!(
        scheduled.load(Ordering::SeqCst),
        2,
        "scheduled again after the run"
    );
}

#[test]
fn crossed_two_buffer_calls_do_not_deadlock() {
    let a = Arc::new(SyncBuffer::new());
    let b = Arc::new(SyncBuffer::new());
    a.add(&[1u8; 1000]).unwrap();
    b.add(&[2u8; 1000]).unwrap();
    let hs: Vec<_> = [(a.clone(), b.clone()), (b.clone(), a.clone())]
        .into_iter()
        .map(|(x, y)| {
            std::thread::spawn(move || {
                for i in 0..20_000 {
                    if i % 2 == 0 {
                        x.add_buffer(&y).unwrap();
                    } else {
                        x.move_to(&y, 300).unwrap();
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(a.len() + b.len(), 2000, "bytes are moved, never lost");
    let mut all = a.peek(Buffer::to_vec);
    all.extend(b.peek(Buffer::to_vec));
    assert_eq!(all.iter().filter(|&&x| x == 1).count(), 1000);
}

/// Appends `n` bytes of `byte` as a chain of their own.
fn add_chain(b: &mut Buffer, byte: u8, n: usize) {
    add_chain_of(b, &vec![byte; n]);
}

#[test]
fn append_to_an_empty_buffer_takes_the_chains_and_leaves_a_spare() {
    let mut dst = Buffer::new();
    dst.add(b"x");
    dst.drain(1);
    let mut src = Buffer::new();
    for i in 0..4 {
        add_chain(&mut src, b'a' + i, 3000);
    }
    let src_chains: Vec<usize> = src
        .chains
        .iter()
        .map(|c| c.data().as_ptr() as usize)
        .collect();
    dst.append_buffer(&mut src);
    let moved: Vec<usize> = dst
        .chains
        .iter()
        .map(|c| c.data().as_ptr() as usize)
        .collect();
    assert_eq!(moved, src_chains, "the chains moved, not their bytes");
    assert_eq!(dst.len(), 12_000);
    assert!(src.is_empty());
    assert_eq!(src.chains.len(), 1, "the empty side keeps one spare chain");
    src.add(b"reuse");
    assert_eq!(src.chain_count(), 1);
    assert_eq!(src.move_to(&mut dst, 100), 5);
    assert_eq!(dst.len(), 12_005);
    assert_eq!(&dst.to_vec()[11_995..12_000], b"ddddd");
    assert_eq!(&dst.to_vec()[12_000..], b"reuse");
}

#[test]
fn pullup_of_a_burst_is_exact_and_of_a_growing_chain_leaves_room() {
    let mut b = Buffer::new();
    for i in 0..16 {
        add_chain(&mut b, i, 256);
    }
    assert_eq!(b.pullup(4096).map(<[u8]>::len), Some(4096));
    assert_eq!(b.chains.len(), 1);
    assert_eq!(b.chains[0].capacity(), 4096, "a burst gathers exactly");
    add_chain(&mut b, 16, 256);
    assert_eq!(b.pullup(4352).unwrap()[4096..], [16; 256]);
    let cap = b.chains[0].capacity();
    assert!(cap >= 4352 + 2048, "a growing chain gets room: {cap}");
    b.add(&[17; 1000]);
    assert_eq!(b.chain_count(), 1, "later bytes land in that room");
    assert!(b.pullup(5352).is_some());
    assert_eq!(
        b.chains[0].capacity(),
        cap,
        "and the next pull-up stays put"
    );
}

#[test]
fn search_agrees_with_a_plain_scan_on_long_and_short_stretches() {
    // Header-like text in chains of 1 to 37 bytes, so that needles cross
    // one or several chain ends.
    let text: Vec<u8> = (0..1500u32)
        .flat_map(|i| match i % 7 {
            0 => b"\r\n".to_vec(),
            1 => b"\r\n\r".to_vec(),
            _ => vec![b'a' + (i % 5) as u8],
        })
        .collect();
    let mut b = Buffer::new();
    let (mut at, mut k) = (0, 0);
    while at < text.len() {
        let n = (1 + k * 11 % 37).min(text.len() - at);
        add_chain_of(&mut b, &text[at..at + n]);
        at += n;
        k += 1;
    }
    let plain = |what: &[u8], start: usize| {
        (start..=text.len().saturating_sub(what.len())).find(|&p| text[p..].starts_with(what))
    };
    for what in [
        &b"\r\n\r\n"[..],
        b"\r\n\r",
        b"c\r\n",
        b"ab",
        b"\n\r\nd",
        b"zz",
    ] {
        for start in (0..text.len()).step_by(13) {
            assert_eq!(
                b.search(what, start, None),
                plain(what, start),
                "{what:?} from {start}"
            );
        }
    }
}

fn add_chain_of(b: &mut Buffer, data: &[u8]) {
    let mut c = Chain::own(data.len());
    c.append(data);
    b.trim_empty_tail();
    b.chains.push_back(c);
    b.len += data.len();
}

#[test]
fn crlf_finds_a_cr_at_the_end_of_the_previous_chain() {
    let mut b = Buffer::new();
    add_chain_of(&mut b, b"ab\r");
    add_chain_of(&mut b, b"\ncd\nx");
    assert_eq!(b.search_eol(0, Eol::Crlf), Some((2, 2)));
    assert_eq!(b.search_eol(3, Eol::Crlf), Some((3, 1)), "not behind start");
    assert_eq!(b.search_eol(4, Eol::Crlf), Some((6, 1)));
}

#[test]
fn readln_without_callbacks_leaves_the_rest_in_place() {
    let sb = SyncBuffer::new();
    sb.add(b"one\r\ntwo\nthree").unwrap();
    let mut mem = [0u8; 16];
    let (line, n) = sb.readln(Eol::Crlf, |n| Some(&mut mem[..n + 1])).unwrap();
    assert_eq!(&line[..n], b"one");
    assert_eq!(sb.len(), 9);
    let mut mem = [0u8; 16];
    let (line, n) = sb.readln(Eol::Crlf, |n| Some(&mut mem[..n + 1])).unwrap();
    assert_eq!(&line[..n], b"two");
    assert_eq!(sb.peek(Buffer::to_vec), b"three");
}

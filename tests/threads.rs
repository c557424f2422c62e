//! Threads against one dispatching base, through the C API: activators that
//! wait for each callback (a lost wake-up hangs the test), a thread that
//! re-arms a short timer while the loop sleeps on an hour-long one, one
//! that adds and deletes an event (no callback after event_del returns),
//! and one that re-adds a non-persistent read event round after round.
//!
//! Small enough for `cargo test`; built with ThreadSanitizer
//! (`RUSTFLAGS=-Zsanitizer=thread cargo +nightly test -Zbuild-std ...`) it
//! checks librel's locking for data races, which valgrind's helgrind/drd
//! cannot judge (they do not see std's futex-based Mutex).

use std::os::raw::{c_int, c_short, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread;

use rel::base_api::*;
use rel::event_api::*;

const ROUNDS: usize = 300;
const ACTIVATORS: usize = 3;

/// A base or event pointer handed to another thread.
struct Ptr<T>(*mut T);
// SAFETY: librel's bases and events are thread-safe (the base locks); the
// test frees each only after the threads using it are done.
unsafe impl<T> Send for Ptr<T> {}

static ACKS: Mutex<Vec<SyncSender<()>>> = Mutex::new(Vec::new());
static DELETED: AtomicBool = AtomicBool::new(false);
static AFTER_DEL: AtomicUsize = AtomicUsize::new(0);

/// Acknowledges a callback on the channel numbered `arg`.
extern "C" fn ack_cb(_: c_int, _: c_short, arg: *mut c_void) {
    let tx = ACKS.lock().unwrap()[arg as usize].clone();
    tx.send(()).unwrap();
}

/// `ack_cb`, counting calls that come after `DELETED` was set.
extern "C" fn deleted_cb(_: c_int, _: c_short, arg: *mut c_void) {
    if DELETED.load(Ordering::SeqCst) {
        AFTER_DEL.fetch_add(1, Ordering::SeqCst);
    }
    ack_cb(0, 0, arg);
}

/// Reads the byte that made its fd ready, then acknowledges.
extern "C" fn read_ack_cb(fd: c_int, what: c_short, arg: *mut c_void) {
    let mut byte = 0u8;
    // SAFETY: reads one byte into a live local.
    let n = unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
    assert_eq!((n, what), (1, EV_READ as c_short), "one byte per report");
    ack_cb(fd, what, arg);
}

fn channel() -> (usize, Receiver<()>) {
    let (tx, rx) = sync_channel(ROUNDS);
    let mut acks = ACKS.lock().unwrap();
    acks.push(tx);
    (acks.len() - 1, rx)
}

fn wait(rx: &Receiver<()>) {
    rx.recv_timeout(std::time::Duration::from_secs(30))
        .expect("callback not seen within 30 s: lost wake-up or deadlock");
}

// Every base and event below lives until after its last use: each worker
// frees the event it owns as it ends, and the base is freed once the loop
// has returned, after the joiner saw every worker end.
#[test]
fn threads_share_one_dispatching_base() {
    let base = Ptr(event_base_new());
    // SAFETY: the live base.
    let far = unsafe { event_new(base.0, -1, 0, None, null_mut()) };
    let hour = libc::timeval {
        tv_sec: 3600,
        tv_usec: 0,
    };
    // SAFETY: a live event.
    unsafe { event_add(far, &hour) };
    let mut workers = Vec::new();
    for _ in 0..ACTIVATORS {
        let (id, rx) = channel();
        // SAFETY: the live base.
        let ev = Ptr(unsafe { event_new(base.0, -1, 0, Some(ack_cb), id as *mut c_void) });
        workers.push(thread::spawn(move || {
            let ev = ev;
            for _ in 0..ROUNDS {
                // SAFETY: this thread's live event.
                unsafe { event_active(ev.0, EV_READ as c_int, 1) };
                wait(&rx);
            }
            // SAFETY: this thread's event, not used after.
            unsafe { event_free(ev.0) };
        }));
    }
    let (id, rx) = channel();
    // SAFETY: the live base.
    let timer = Ptr(unsafe { event_new(base.0, -1, 0, Some(ack_cb), id as *mut c_void) });
    workers.push(thread::spawn(move || {
        let timer = timer;
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 100,
        };
        for _ in 0..ROUNDS / 3 {
            // SAFETY: this thread's live event.
            unsafe { event_add(timer.0, &tv) };
            wait(&rx);
        }
        // SAFETY: this thread's event, not used after.
        unsafe { event_free(timer.0) };
    }));
    let (id, rx) = channel();
    let zero = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: the live base.
    let churn =
        Ptr(unsafe { event_new(base.0, -1, EV_PERSIST, Some(deleted_cb), id as *mut c_void) });
    workers.push(thread::spawn(move || {
        let churn = churn;
        for _ in 0..ROUNDS / 3 {
            DELETED.store(false, Ordering::SeqCst);
            // SAFETY: this thread's live event.
            unsafe { event_add(churn.0, &zero) };
            wait(&rx);
            // SAFETY: as above.
            unsafe {
                event_active(churn.0, EV_READ as c_int, 1);
                event_del(churn.0);
            }
            DELETED.store(true, Ordering::SeqCst);
            while rx.try_recv().is_ok() {}
        }
        // SAFETY: this thread's event, not used after.
        unsafe { event_free(churn.0) };
    }));
    // A non-persistent read event, which epoll registers one-shot, added
    // (every other round deleted and added again) from this thread while
    // the loop may be blocked or running the last callback: a report the
    // table lost track of hangs the test, and the callback checks that
    // each report brings exactly one byte.
    let (id, rx) = channel();
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the pair.
    let made = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) };
    assert_eq!(made, 0);
    // SAFETY: the live base.
    let oneshot = Ptr(unsafe {
        event_new(
            base.0,
            fds[1],
            EV_READ,
            Some(read_ack_cb),
            id as *mut c_void,
        )
    });
    workers.push(thread::spawn(move || {
        let oneshot = oneshot;
        for round in 0..ROUNDS {
            // SAFETY: this thread's live event.
            unsafe {
                event_add(oneshot.0, std::ptr::null());
                if round % 2 == 1 {
                    event_del(oneshot.0);
                    event_add(oneshot.0, std::ptr::null());
                }
            }
            // SAFETY: writes one byte from a static.
            assert_eq!(unsafe { libc::write(fds[0], b"x".as_ptr().cast(), 1) }, 1);
            wait(&rx);
        }
        // SAFETY: this thread's event and fds, not used after.
        unsafe {
            event_free(oneshot.0);
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }));
    let b = Ptr(base.0);
    let joiner = thread::spawn(move || {
        let b = b;
        for w in workers {
            w.join().unwrap();
        }
        // SAFETY: the base is live until the loop this ends has returned.
        unsafe { event_base_loopbreak(b.0) };
    });
    // SAFETY: the live base.
    assert_eq!(unsafe { event_base_dispatch(base.0) }, 0);
    joiner.join().unwrap();
    assert_eq!(
        AFTER_DEL.load(Ordering::SeqCst),
        0,
        "callback after event_del returned"
    );
    // SAFETY: the live base and its last event, each freed once; every
    // thread that used them has ended.
    unsafe {
        event_free(far);
        event_base_free(base.0);
    }
}

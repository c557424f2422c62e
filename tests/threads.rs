//! Threads against one dispatching base, through the C API: activators that
//! wait for each callback (a lost wake-up hangs the test), a thread that
//! re-arms a short timer while the loop sleeps on an hour-long one, and one
//! that adds and deletes an event (no callback after event_del returns).
//!
//! Small enough for `cargo test`; built with ThreadSanitizer
//! (`RUSTFLAGS=-Zsanitizer=thread cargo +nightly test -Zbuild-std ...`) it
//! checks librel's locking for data races, which valgrind's helgrind/drd
//! cannot judge (they do not see std's futex-based Mutex).

#![allow(unsafe_op_in_unsafe_fn)]

use std::os::raw::{c_int, c_short, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread;

use rel::base_api::*;
use rel::event_api::*;
use rel::layout::event;

const ROUNDS: usize = 300;
const ACTIVATORS: usize = 3;

struct Ptr<T>(*mut T);
unsafe impl<T> Send for Ptr<T> {}
unsafe impl<T> Sync for Ptr<T> {}

static ACKS: Mutex<Vec<SyncSender<()>>> = Mutex::new(Vec::new());
static DELETED: AtomicBool = AtomicBool::new(false);
static AFTER_DEL: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn ack_cb(_: c_int, _: c_short, arg: *mut c_void) {
    let tx = ACKS.lock().unwrap()[arg as usize].clone();
    tx.send(()).unwrap();
}

unsafe extern "C" fn deleted_cb(_: c_int, _: c_short, arg: *mut c_void) {
    if DELETED.load(Ordering::SeqCst) {
        AFTER_DEL.fetch_add(1, Ordering::SeqCst);
    }
    ack_cb(0, 0, arg);
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

#[test]
fn threads_share_one_dispatching_base() {
    // SAFETY (whole test): C API calls on a live base and live events.
    unsafe {
        let base = Ptr(event_base_new());
        let far = event_new(base.0, -1, 0, None, null_mut());
        let hour = libc::timeval {
            tv_sec: 3600,
            tv_usec: 0,
        };
        event_add(far, &hour);
        let mut workers = Vec::new();
        for _ in 0..ACTIVATORS {
            let (id, rx) = channel();
            let ev = Ptr(event_new(base.0, -1, 0, Some(ack_cb), id as *mut c_void));
            workers.push(thread::spawn(move || {
                let ev = ev;
                for _ in 0..ROUNDS {
                    event_active(ev.0, EV_READ as c_int, 1);
                    wait(&rx);
                }
                event_free(ev.0);
            }));
        }
        let (id, rx) = channel();
        let timer = Ptr(event_new(base.0, -1, 0, Some(ack_cb), id as *mut c_void));
        workers.push(thread::spawn(move || {
            let timer = timer;
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 100,
            };
            for _ in 0..ROUNDS / 3 {
                event_add(timer.0, &tv);
                wait(&rx);
            }
            event_free(timer.0);
        }));
        let (id, rx) = channel();
        let zero = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        let churn: Ptr<event> = Ptr(event_new(
            base.0,
            -1,
            EV_PERSIST,
            Some(deleted_cb),
            id as *mut c_void,
        ));
        workers.push(thread::spawn(move || {
            let churn = churn;
            for _ in 0..ROUNDS / 3 {
                DELETED.store(false, Ordering::SeqCst);
                event_add(churn.0, &zero);
                wait(&rx);
                event_active(churn.0, EV_READ as c_int, 1);
                event_del(churn.0);
                DELETED.store(true, Ordering::SeqCst);
                while rx.try_recv().is_ok() {}
            }
            event_free(churn.0);
        }));
        let b = Ptr(base.0);
        let joiner = thread::spawn(move || {
            let b = b;
            for w in workers {
                w.join().unwrap();
            }
            event_base_loopbreak(b.0);
        });
        assert_eq!(event_base_dispatch(base.0), 0);
        joiner.join().unwrap();
        assert_eq!(
            AFTER_DEL.load(Ordering::SeqCst),
            0,
            "callback after event_del returned"
        );
        event_free(far);
        event_base_free(base.0);
    }
}

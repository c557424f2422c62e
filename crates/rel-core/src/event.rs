//! What the core knows of one event (libevent's `event_struct.h`): its
//! `EV_*` and `EVLIST_*` bits, its identity, its callback, and how the
//! embedding layer describes it and is told about it.

use std::os::unix::io::RawFd;

/// libevent's `EV_*` event bits.
pub mod ev {
    pub const TIMEOUT: u16 = 0x01;
    pub const READ: u16 = 0x02;
    pub const WRITE: u16 = 0x04;
    pub const SIGNAL: u16 = 0x08;
    pub const PERSIST: u16 = 0x10;
    pub const ET: u16 = 0x20;
    pub const FINALIZE: u16 = 0x40;
    pub const CLOSED: u16 = 0x80;
    pub const IO: u16 = READ | WRITE | CLOSED;
}

/// libevent's `EVLIST_*` state bits (the subset a slot can be in).
pub mod evlist {
    pub const TIMEOUT: u8 = 0x01;
    pub const INSERTED: u8 = 0x02;
    pub const ACTIVE: u8 = 0x08;
    /// The lists themselves: an event in any of them is pending. The base
    /// mirrors a change of these into the caller's memory before it lets
    /// go of its lock.
    pub const LISTS: u8 = TIMEOUT | INSERTED | ACTIVE;
    /// Given to a finalizer (`event_finalize`): refused by add and
    /// activate until assigned again.
    pub const FINALIZING: u8 = 0x40;
    pub const INIT: u8 = 0x80;
}

/// Identity of an event: the address of the caller's `struct event`, or an
/// odd number for events the base owns itself (`event_base_once`, loopexit).
pub type Key = usize;

pub fn owned_by_caller(key: Key) -> bool {
    key & 1 == 0
}

/// A callback as two opaque words that the embedding layer gives meaning
/// to (the C layer: a function pointer and its `void *` argument). The
/// core only stores them and hands them back through
/// [`crate::base::Dispatch::call`], so it needs no C types.
#[derive(Clone, Copy, Debug)]
pub struct Callback {
    pub func: usize,
    pub arg: usize,
}

/// How the core reaches a caller-owned event's own memory (the C layer's
/// `struct event`), called with the base locked while the event is in some
/// list or leaving its last one. What the memory holds is not copied into
/// the core, so the per-event table stays small.
#[derive(Clone, Copy, Debug)]
pub struct Hooks {
    /// Reflects the event's `EVLIST_*` flags into `evcb_flags`.
    pub mirror: fn(Key, u8),
    /// The same, with the result it runs with (`ev_res`).
    pub mirror_res: fn(Key, u8, u16),
    /// The same, with its deadline (monotonic ns, `ev_timeout`): when the
    /// timer takes a new place in the heap, and when a persistent one
    /// fires. A pending timer pushed later keeps the earlier deadline there
    /// until then (the heap only notes the postponement, see `timer_heap`).
    /// Three
    /// hooks rather than one with optional parts: these run on every
    /// activation, run and timer move.
    pub mirror_deadline: fn(Key, u8, u64),
    /// What the event's memory holds now: read just before each call, as
    /// libevent reads the callback and fd when it runs an event.
    pub read: fn(Key) -> Current,
    /// The last deadline of a persistent event (monotonic ns, as mirrored
    /// when it fired): where its next timeout is counted from after
    /// `EV_TIMEOUT`.
    pub last_deadline: fn(Key) -> u64,
    /// A persistent event's re-arm interval (ns), which its memory keeps
    /// (libevent's `ev_io_timeout`); asked only of events added with one.
    pub persist_delay: fn(Key) -> u64,
    /// The base is going away and lets go of the event, which is in no list
    /// any more: its memory should no longer name the base.
    pub detach: fn(Key),
}

/// A caller-owned event as its memory describes it (see [`Hooks::read`]).
#[derive(Clone, Copy, Debug)]
pub struct Current {
    pub callback: Callback,
    pub fd: RawFd,
}

/// What an event wants, read from the caller's `struct event` when added.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub key: Key,
    /// The fd, or the signal number of an `EV_SIGNAL` event.
    pub fd: RawFd,
    pub events: u16,
    pub priority: u8,
    /// A persistent event has a re-arm interval (its memory keeps it, see
    /// [`Hooks::persist_delay`]): like libevent's `ev_io_timeout`, it
    /// belongs to the event and survives `event_del`.
    pub interval: bool,
}

/// A spec as the core's tests make them: priority 0, no re-arm interval.
#[cfg(test)]
pub(crate) fn test_spec(key: Key, fd: RawFd, events: u16) -> Spec {
    Spec {
        key,
        fd,
        events,
        priority: 0,
        interval: false,
    }
}

/// Hooks for the core's tests: the caller's memory is not there, so
/// nothing is mirrored and every event reads as callback 0 on no fd.
#[cfg(test)]
pub(crate) fn test_hooks() -> Hooks {
    Hooks {
        mirror: |_, _| {},
        mirror_res: |_, _, _| {},
        mirror_deadline: |_, _, _| {},
        read: |key| Current {
            callback: Callback { func: 0, arg: key },
            fd: -1,
        },
        last_deadline: |_| 0,
        persist_delay: |_| 0,
        detach: |_| {},
    }
}

/// What running an event does.
#[derive(Clone, Copy, Debug)]
pub enum Action {
    Call(Callback),
    /// The loopexit timer: ends the loop after the current pass.
    LoopExit,
    /// A finalizer (`event_finalize`) of the caller's event `event`, run
    /// through [`crate::base::Dispatch::finalize`], or handed back by
    /// [`crate::base::Base::shut_down`] if the base goes first.
    Finalize {
        event: Key,
        finalizer: Callback,
    },
}

/// Whether an event re-arms its timeout on every call (libevent's persist
/// closure): persistent, and not a signal (signals have their own closure).
pub fn rearms(events: u16) -> bool {
    events & ev::PERSIST != 0 && events & ev::SIGNAL == 0
}

//! The event loop: backends (kernel readiness interfaces), the timer heap, signal
//! delivery, and the base that ties them together. No C types here: the
//! embedding layer gives callbacks and keys their meaning.
//!
//! The modules follow libevent's files: `base` is event.c's API and loop,
//! over a `registry` of the base's `slots` and the lists an event can be
//! in: `evmap` (evmap.c), `timer_heap` (minheap-internal.h) and `active`
//! (the active queues). `pass` is what the loop keeps during a pass;
//! `event` holds an event's bits and types (event_struct.h); `assign` what
//! `event_assign` decides, `dump` what `event_base_dump_events` prints;
//! `connlistener` is listener.c's accept step.

mod active;
pub mod assign;
pub mod backend;
pub mod base;
pub mod buffer;
pub mod bufferevent;
pub mod clock;
pub mod connlistener;
mod deadline_clock;
mod dump;
pub mod error;
pub mod event;
mod evmap;
mod fdutil;
mod growth;
pub mod inet;
pub mod keymap;
pub mod log;
mod pass;
mod poll_first;
mod registry;
pub mod signals;
mod slots;
mod timer_heap;
mod waker;

pub use error::Error;
pub use slots::Counts;

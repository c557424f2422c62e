//! The event loop: backends (kernel readiness interfaces), the timer heap, signal
//! delivery, and the base that ties them together. No C pointers here.

pub mod assign;
pub mod backend;
pub mod base;
pub mod clock;
mod dump;
mod fdutil;
pub mod log;
pub mod signals;
pub mod state;
mod timer_heap;
mod waker;

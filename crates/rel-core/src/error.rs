//! Why the core refused a call. The core does not log refusals: the
//! embedding layer reports them under the name of the call that was
//! refused (the C layer logs `"{function}: {error}"`).

use std::fmt;
use std::io;
use std::os::unix::io::RawFd;

/// Why a call was refused.
#[derive(Debug)]
pub enum Error {
    /// No backend could be opened that the configuration allows.
    NoMethod,
    /// An I/O event with a negative fd.
    InvalidFd(RawFd),
    /// Edge-triggered and level-triggered events on one fd, which no
    /// backend can watch at once.
    MixedEdgeTriggered(RawFd),
    /// The backend would not watch the fd (closed, or beyond what it holds).
    BackendRefused {
        method: &'static str,
        fd: RawFd,
        source: io::Error,
    },
    SignalOutOfRange(i32),
    /// Installing the signal handler failed (`SIGKILL`, `SIGSTOP`).
    Sigaction {
        signal: i32,
        source: io::Error,
    },
    /// The pipe that carries signals to the loop could not be set up.
    SignalPipe(io::Error),
    /// The base's loop was started while it runs.
    ReentrantLoop,
    /// The base cannot be freed while its loop runs.
    LoopRunning,
    /// A once-event asked to be a signal or persistent event.
    OnceSignalOrPersist,
    /// A once-event with neither a timeout nor I/O to wait for.
    OnceWithoutTrigger,
    /// A number of priorities outside 1..[`crate::base::MAX_PRIORITIES`].
    PriorityCountOutOfRange(usize),
    /// A priority at or beyond the base's number of priorities.
    PriorityOutOfRange {
        priority: usize,
        npriorities: usize,
    },
    /// Priorities cannot change while events are queued to run.
    EventsActive,
    /// An event's priority cannot change while it is queued to run.
    EventActive,
    /// After fork, the backend, wake-up fd or signal pipe could not be made
    /// again.
    Reinit(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoMethod => write!(f, "no event mechanism available"),
            Error::InvalidFd(fd) => write!(f, "invalid fd {fd}"),
            Error::MixedEdgeTriggered(fd) => write!(
                f,
                "Tried to mix edge-triggered and non-edge-triggered events on fd {fd}"
            ),
            Error::BackendRefused { method, fd, source } => {
                write!(f, "{method}: cannot watch fd {fd}: {source}")
            }
            Error::SignalOutOfRange(sig) => write!(f, "signal number {sig} out of range"),
            Error::Sigaction { signal, source } => {
                write!(f, "sigaction for signal {signal}: {source}")
            }
            Error::SignalPipe(e) => write!(f, "signal pipe: {e}"),
            Error::ReentrantLoop => write!(
                f,
                "reentrant invocation. Only one event_base_loop can run on each event_base at once."
            ),
            Error::LoopRunning => write!(f, "the base's loop is running; not freed"),
            Error::OnceSignalOrPersist => {
                write!(f, "signals and persistent events cannot be once")
            }
            Error::OnceWithoutTrigger => {
                write!(f, "needs EV_TIMEOUT, EV_READ, EV_WRITE or EV_CLOSED")
            }
            Error::PriorityCountOutOfRange(n) => {
                write!(f, "{n} priorities out of range")
            }
            Error::PriorityOutOfRange {
                priority,
                npriorities,
            } => write!(
                f,
                "priority {priority} out of range (the base has {npriorities})"
            ),
            Error::EventsActive => write!(f, "events are active"),
            Error::EventActive => write!(f, "the event is active"),
            Error::Reinit(e) => write!(f, "{e}"),
        }
    }
}

/// The underlying `io::Error` is part of the text, which is all the C
/// layer reports, so it is not also given as `source()`.
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C layer logs `"{function}: {error}"`, and its tests (and
    /// programs' log filters) look for these words in that line.
    #[test]
    fn texts_keep_what_the_c_tests_look_for() {
        let ebadf = || io::Error::from_raw_os_error(libc::EBADF);
        let cases = [
            (Error::InvalidFd(-5), "invalid fd -5"),
            (
                Error::MixedEdgeTriggered(3),
                "Tried to mix edge-triggered and non-edge-triggered events",
            ),
            (
                Error::BackendRefused {
                    method: "select",
                    fd: 1500,
                    source: ebadf(),
                },
                "select: cannot watch fd 1500: Bad file descriptor",
            ),
            (Error::SignalOutOfRange(65), "signal number 65 out of range"),
            (
                Error::Sigaction {
                    signal: 9,
                    source: ebadf(),
                },
                "sigaction for signal 9",
            ),
            (Error::ReentrantLoop, "reentrant invocation"),
            (Error::LoopRunning, "loop is running"),
        ];
        for (error, words) in cases {
            assert!(error.to_string().contains(words), "{error}");
        }
    }
}

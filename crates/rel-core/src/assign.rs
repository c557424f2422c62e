//! What `event_assign` decides from an event's bits and its base, before
//! the event is ever added.

use super::event::ev;

/// How the loop treats an event after running it (libevent's
/// `evcb_closure` values, which programs may read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closure {
    /// Runs once, then leaves every list.
    Event = 0,
    /// A signal: runs once per delivery and stays.
    Signal = 1,
    /// Persistent: stays, and re-arms its timeout.
    Persist = 2,
}

/// The closure of an event wanting `events`; `None` for a combination
/// libevent refuses (a signal cannot also wait on I/O).
pub fn closure(events: u16) -> Option<Closure> {
    if events & ev::SIGNAL != 0 {
        (events & ev::IO == 0).then_some(Closure::Signal)
    } else if events & ev::PERSIST != 0 {
        Some(Closure::Persist)
    } else {
        Some(Closure::Event)
    }
}

/// The priority an event gets on a base with `npriorities` queues: the
/// middle one, as libevent.
pub fn default_priority(npriorities: usize) -> u8 {
    (npriorities / 2) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_exclude_io_and_persist_rearms() {
        assert_eq!(closure(ev::SIGNAL | ev::PERSIST), Some(Closure::Signal));
        for io in [ev::READ, ev::WRITE, ev::CLOSED] {
            assert_eq!(closure(ev::SIGNAL | io), None);
        }
        assert_eq!(closure(ev::READ | ev::PERSIST), Some(Closure::Persist));
        assert_eq!(closure(ev::TIMEOUT), Some(Closure::Event));
    }

    #[test]
    fn default_priority_is_the_middle_queue() {
        assert_eq!([1, 2, 3, 256].map(default_priority), [0, 1, 1, 128]);
    }
}

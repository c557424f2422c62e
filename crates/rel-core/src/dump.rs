//! `event_base_dump_events`: the base's events as libevent prints them.

use std::fmt::Write as _;

use super::base::Base;
use super::event::{ev, evlist};

/// The words libevent prints for each event bit.
const NAMES: [(u16, &str); 6] = [
    (ev::READ, " Read"),
    (ev::WRITE, " Write"),
    (ev::CLOSED, " EOF"),
    (ev::SIGNAL, " Signal"),
    (ev::PERSIST, " Persist"),
    (ev::ET, " ET"),
];

impl Base {
    /// The caller's events that are added or timed, then those queued to
    /// run, one line each: address, fd and what it waits for.
    pub fn dump(&self) -> String {
        let events = self.events();
        let mut text = String::new();
        let sections = [
            ("Inserted events:", evlist::INSERTED | evlist::TIMEOUT),
            ("Active events:", evlist::ACTIVE),
        ];
        for (title, lists) in sections {
            text.push_str(title);
            text.push('\n');
            for &(key, fd, bits, _) in events.iter().filter(|e| e.3 & lists != 0) {
                let _ = write!(text, "  {key:#x} [fd {fd}]");
                for (bit, name) in NAMES {
                    if bits & bit != 0 {
                        text.push_str(name);
                    }
                }
                text.push('\n');
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{Config, SlotHint};
    use crate::event::{Callback, Current, Hooks, Spec};
    use std::cell::Cell;
    use std::time::Duration;

    struct Hint(Cell<u32>);
    impl SlotHint for Hint {
        fn get(&self) -> u32 {
            self.0.get()
        }
        fn set(&self, s: u32) {
            self.0.set(s)
        }
    }

    #[test]
    fn lists_added_then_active_events_as_libevent() {
        let hooks = Hooks {
            mirror: |_, _, _, _| {},
            read: |_| Current {
                callback: Callback { func: 0, arg: 0 },
                fd: -1,
            },
            last_deadline: |_| 0,
        };
        let base = Base::new(&Config::new(hooks)).expect("a backend");
        let spec = |key, events| Spec {
            key,
            fd: -1,
            events,
            priority: 0,
            persist_delay: 0,
        };
        let (timer, user) = (Hint(Cell::new(u32::MAX)), Hint(Cell::new(u32::MAX)));
        base.add(
            &spec(0x10, ev::PERSIST),
            &timer,
            Some(Duration::from_secs(60)),
        )
        .unwrap();
        base.activate(&spec(0x20, 0), &user, ev::TIMEOUT, 1);
        assert_eq!(
            base.dump(),
            "Inserted events:\n  0x10 [fd -1] Persist\nActive events:\n  0x20 [fd -1]\n"
        );
    }
}

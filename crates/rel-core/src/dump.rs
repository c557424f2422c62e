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

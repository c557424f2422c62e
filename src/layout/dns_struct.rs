//! `struct evdns_server_request` and `struct evdns_server_question` as
//! libevent 2.1 lays them out (`event2/dns_struct.h`, written by hand in
//! headers/dns_struct.h because its field `class` is spelled differently
//! for C++). Programs read `flags`, `nquestions` and each question's
//! `type`, `class` and NUL-terminated `name`.

use std::os::raw::{c_char, c_int};

/// The part of a server request programs see; librel's request embeds it
/// first.
#[repr(C)]
pub struct evdns_server_request {
    pub flags: c_int,
    pub nquestions: c_int,
    pub questions: *mut *mut evdns_server_question,
}

/// One question; the name runs past the struct's end (malloc'd to fit).
#[repr(C)]
pub struct evdns_server_question {
    pub r#type: c_int,
    pub class: c_int,
    pub name: [c_char; 1],
}

const _: () = {
    assert!(std::mem::size_of::<evdns_server_request>() == 16);
    assert!(std::mem::offset_of!(evdns_server_request, questions) == 8);
    assert!(std::mem::offset_of!(evdns_server_question, name) == 8);
};

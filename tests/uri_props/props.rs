//! What must hold of evhttp's URI layer for any input (shared by the
//! `uri` fuzz target and `cargo test --test uri_props`): parsing never
//! panics; a parsed URI joins, and its join parses back to the same URI
//! (parse(print(parse(x))) == parse(x)); the setters accept exactly what
//! the parse of a part would; escaping round-trips; queries never panic.

use rel_extra::http::escape::{decode, encode, Plus};
use rel_extra::http::query;
use rel_extra::http::uri::{Uri, NONCONFORMANT};

/// The first byte picks the flags; the rest, up to a NUL (as a C string
/// would end), is the text.
pub fn check(data: &[u8]) {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let flags = u32::from(flags) & NONCONFORMANT;
    let text = &text[..text.iter().position(|&c| c == 0).unwrap_or(text.len())];

    if let Some(u) = Uri::parse(text, flags) {
        let joined = u.join().unwrap_or_else(|| {
            panic!(
                "parsed but cannot join: {:?}",
                String::from_utf8_lossy(text)
            )
        });
        let again = Uri::parse(&joined, flags).unwrap_or_else(|| {
            panic!("join {:?} does not parse", String::from_utf8_lossy(&joined))
        });
        assert_eq!(
            again,
            u,
            "reparse of {:?} differs",
            String::from_utf8_lossy(&joined)
        );
        // Every part the parse produced is one its setter accepts.
        let mut built = Uri::new();
        built.set_scheme(u.scheme.as_deref()).expect("scheme");
        built.set_userinfo(u.userinfo.as_deref()).expect("userinfo");
        built.set_port(u.port).expect("port");
        built.flags = flags;
        built.set_path(u.path.as_deref()).expect("path");
        built.set_query(u.query.as_deref()).expect("query");
        built.set_fragment(u.fragment.as_deref()).expect("fragment");
        built.set_host(u.host.as_deref()).expect("host");
        assert_eq!(built, u, "rebuilt from parts");
    }

    assert_eq!(decode(&encode(text, false), Plus::Keep), text);
    assert_eq!(decode(&encode(text, true), Plus::Space), text);
    if let Ok(pairs) = query::parse(text) {
        assert!(pairs.iter().all(|(k, _)| !k.is_empty()));
    }
}

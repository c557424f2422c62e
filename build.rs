//! Generates the public C headers in include/ from the FFI sources with
//! cbindgen. They are committed; `make check-headers` fails when stale.

use std::path::Path;

struct Header {
    /// Path under include/.
    path: &'static str,
    /// The FFI modules whose items this header declares.
    sources: &'static [&'static str],
    guard: &'static str,
    sys_includes: &'static [&'static str],
    includes: &'static [&'static str],
    /// Hand-written macros appended after the declarations (headers/*.h).
    macros: Option<&'static str>,
    /// Enums no function mentions but programs use.
    extra: &'static [&'static str],
    /// Items another header declares.
    exclude: &'static [&'static str],
}

const HEADERS: &[Header] = &[
    Header {
        path: "event2/util.h",
        sources: &["src/util.rs"],
        guard: "EVENT2_UTIL_H_INCLUDED_",
        sys_includes: &[
            "stdint.h",
            "stddef.h",
            "errno.h",
            "string.h",
            "sys/types.h",
            "sys/time.h",
            "sys/socket.h",
            "stdarg.h",
            "netdb.h",
            "time.h",
        ],
        includes: &[],
        macros: Some("headers/util.h"),
        extra: &[
            "ev_uint8_t",
            "ev_int8_t",
            "ev_uint16_t",
            "ev_int16_t",
            "ev_uint32_t",
            "ev_int32_t",
            "ev_uint64_t",
            "ev_int64_t",
            "ev_uintptr_t",
            "ev_intptr_t",
            "ev_ssize_t",
            "ev_off_t",
        ],
        exclude: &[],
    },
    Header {
        path: "event2/event_struct.h",
        sources: &["src/layout/event_struct.rs"],
        guard: "EVENT2_EVENT_STRUCT_H_INCLUDED_",
        sys_includes: &["sys/types.h", "sys/time.h"],
        // As libevent's, which programs rely on for struct evkeyvalq.
        includes: &["event2/util.h", "event2/keyvalq_struct.h"],
        macros: None,
        extra: &["event"],
        exclude: &[],
    },
    Header {
        path: "event2/event.h",
        sources: &["src/event_api.rs", "src/base_api.rs", "src/log_api.rs"],
        guard: "EVENT2_EVENT_H_INCLUDED_",
        sys_includes: &["stdio.h", "sys/types.h", "sys/time.h"],
        includes: &["event2/util.h", "event2/event_struct.h"],
        macros: Some("headers/event.h"),
        extra: &["event_method_feature", "event_base_config_flag"],
        exclude: &[],
    },
    Header {
        path: "event2/event_compat.h",
        sources: &["src/compat.rs", "src/legacy.rs"],
        guard: "EVENT2_EVENT_COMPAT_H_INCLUDED_",
        sys_includes: &["signal.h"],
        includes: &["event2/event.h"],
        macros: Some("headers/event_compat.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/bufferevent.h",
        sources: &["src/bufferevent_api.rs", "src/ratelimit_api.rs"],
        guard: "EVENT2_BUFFEREVENT_H_INCLUDED_",
        sys_includes: &["sys/types.h", "sys/time.h"],
        includes: &["event2/util.h"],
        macros: Some("headers/bufferevent.h"),
        extra: &[
            "bufferevent_options",
            "bufferevent_trigger_options",
            "bufferevent_flush_mode",
            "bufferevent_filter_result",
        ],
        exclude: &["bufferevent_data_cb", "bufferevent_event_cb", "evdns_base"],
    },
    Header {
        path: "event2/bufferevent_struct.h",
        sources: &["src/layout/bufferevent_struct.rs"],
        guard: "EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_",
        sys_includes: &["sys/types.h", "sys/time.h"],
        includes: &[
            "event2/util.h",
            "event2/event_struct.h",
            "event2/bufferevent.h",
        ],
        macros: None,
        extra: &["bufferevent", "event_watermark"],
        exclude: &[
            "bufferevent_data_cb",
            "bufferevent_event_cb",
            "bufferevent_ops",
        ],
    },
    Header {
        path: "event2/bufferevent_compat.h",
        sources: &["src/bufferevent_compat.rs"],
        guard: "EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/bufferevent.h"],
        macros: Some("headers/bufferevent_compat.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/thread.h",
        sources: &["src/thread.rs"],
        guard: "EVENT2_THREAD_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/util.h"],
        macros: Some("headers/thread.h"),
        extra: &["evthread_lock_callbacks", "evthread_condition_callbacks"],
        exclude: &[],
    },
    Header {
        path: "event2/buffer.h",
        sources: &["src/buffer_api.rs"],
        guard: "EVENT2_BUFFER_H_INCLUDED_",
        sys_includes: &["stdarg.h", "sys/types.h", "sys/uio.h"],
        includes: &["event2/util.h"],
        macros: Some("headers/buffer.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/buffer_compat.h",
        sources: &["src/buffer_compat.rs"],
        guard: "EVENT2_BUFFER_COMPAT_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/buffer.h"],
        macros: Some("headers/buffer_compat.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/listener.h",
        sources: &["src/listener_api.rs"],
        guard: "EVENT2_LISTENER_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/event.h"],
        macros: None,
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/tag.h",
        sources: &["src/tag_api.rs"],
        guard: "EVENT2_TAG_H_INCLUDED_",
        sys_includes: &["sys/types.h", "sys/time.h"],
        includes: &["event2/util.h"],
        macros: Some("headers/tag.h"),
        extra: &[],
        // Exported as libevent exports them, declared by no header.
        exclude: &[
            "evtag_decode_int",
            "evtag_decode_int64",
            "evtag_encode_tag",
            "evtag_decode_tag",
        ],
    },
    Header {
        path: "event2/tag_compat.h",
        sources: &[],
        guard: "EVENT2_TAG_COMPAT_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/tag.h"],
        macros: Some("headers/tag_compat.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/keyvalq_struct.h",
        sources: &["src/layout/keyvalq_struct.rs"],
        guard: "EVENT2_KEYVALQ_STRUCT_H_INCLUDED_",
        sys_includes: &[],
        includes: &[],
        macros: None,
        extra: &["evkeyvalq"],
        exclude: &[],
    },
    Header {
        path: "event2/http.h",
        sources: &[
            "src/http_api.rs",
            "src/http/structs.rs",
            "src/http/server.rs",
            "src/http/request.rs",
            "src/http/client.rs",
        ],
        guard: "EVENT2_HTTP_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/util.h"],
        macros: Some("headers/http.h"),
        extra: &[],
        exclude: &["evhttp_request_cb", "BevCb", "evhttp_connection"],
    },
    Header {
        path: "event2/http_compat.h",
        sources: &["src/http/compat.rs"],
        guard: "EVENT2_HTTP_COMPAT_H_INCLUDED_",
        sys_includes: &["sys/types.h", "sys/time.h"],
        includes: &["event2/util.h"],
        macros: Some("headers/http_compat.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/http_struct.h",
        sources: &[],
        guard: "EVENT2_HTTP_STRUCT_H_INCLUDED_",
        sys_includes: &["sys/types.h", "sys/time.h"],
        includes: &["event2/util.h", "event2/http.h"],
        macros: Some("headers/http_struct.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/rpc.h",
        sources: &["src/rpc_api.rs"],
        guard: "EVENT2_RPC_H_INCLUDED_",
        sys_includes: &["stddef.h"],
        includes: &[],
        macros: Some("headers/rpc.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/rpc_struct.h",
        sources: &["src/layout/rpc_struct.rs"],
        guard: "EVENT2_RPC_STRUCT_H_INCLUDED_",
        sys_includes: &[],
        includes: &[],
        macros: Some("headers/rpc_struct.h"),
        extra: &["evrpc_status", "evrpc"],
        // Opaque to C (forward-declared in headers/rpc_struct.h).
        exclude: &["evrpc_base", "evrpc_hook_meta", "evrpc_req_generic"],
    },
    Header {
        path: "event2/rpc_compat.h",
        sources: &[],
        guard: "EVENT2_RPC_COMPAT_H_INCLUDED_",
        sys_includes: &[],
        includes: &[],
        macros: Some("headers/rpc_compat.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/dns.h",
        sources: &[
            "src/dns/resolver_api.rs",
            "src/dns/server_api.rs",
            "src/dns/gai_api.rs",
        ],
        guard: "EVENT2_DNS_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/util.h"],
        macros: Some("headers/dns.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/dns_compat.h",
        sources: &["src/dns/compat_api.rs"],
        guard: "EVENT2_DNS_COMPAT_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/dns.h"],
        macros: Some("headers/dns_compat.h"),
        extra: &[],
        exclude: &["evdns_callback_type"],
    },
    Header {
        path: "event2/dns_struct.h",
        sources: &[],
        guard: "EVENT2_DNS_STRUCT_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/util.h"],
        macros: Some("headers/dns_struct.h"),
        extra: &[],
        exclude: &[],
    },
    Header {
        path: "event2/rel.h",
        sources: &["src/hosted.rs"],
        guard: "EVENT2_REL_H_INCLUDED_",
        sys_includes: &[],
        includes: &["event2/event.h"],
        macros: None,
        extra: &[],
        exclude: &[],
    },
];

/// Types that live in one header (or are opaque) and are referred to by
/// tag (`struct x`) everywhere else.
const TAGGED: &[(&str, &str)] = &[
    ("timeval", ""),
    ("sockaddr", ""),
    ("addrinfo", ""),
    ("tm", ""),
    ("event_base", ""),
    ("event_config", ""),
    ("evconnlistener", "event2/listener.h"),
    ("event", "event2/event_struct.h"),
    ("event_callback", "event2/event_struct.h"),
    ("bufferevent", "event2/bufferevent_struct.h"),
    ("event_watermark", "event2/bufferevent_struct.h"),
    ("bufferevent_ops", ""),
    ("evdns_base", ""),
    ("evdns_request", ""),
    ("evdns_server_port", "event2/dns.h"),
    ("evdns_server_request", ""),
    ("evdns_server_question", ""),
    ("evdns_getaddrinfo_request", "event2/dns.h"),
    ("in_addr", ""),
    ("in6_addr", ""),
    ("ev_token_bucket_cfg", ""),
    ("bufferevent_rate_limit_group", ""),
    ("evbuffer", ""),
    ("evbuffer_cb_entry", ""),
    ("evbuffer_file_segment", ""),
    ("iovec", ""),
    ("evbuffer_ptr", "event2/buffer.h"),
    ("evbuffer_ptr_internal", "event2/buffer.h"),
    ("evbuffer_cb_info", "event2/buffer.h"),
    ("evhttp_uri", "event2/http.h"),
    ("evhttp", "event2/http.h"),
    ("evhttp_connection", ""),
    ("evhttp_bound_socket", "event2/http.h"),
    ("evhttp_request", "event2/http_struct.h"),
    ("evrpc", "event2/rpc_struct.h"),
    ("evrpc_link", "event2/rpc_struct.h"),
    ("evrpc_status", "event2/rpc_struct.h"),
    ("evrpc_base", ""),
    ("evrpc_pool", ""),
    ("evrpc_req_generic", ""),
    ("evrpc_hook_meta", ""),
    ("evrpc_request_wrapper", ""),
    ("evkeyval", "event2/keyvalq_struct.h"),
    ("evkeyvalq", "event2/keyvalq_struct.h"),
];

/// Types spelled differently in C than Rust can say.
const SPELLED: &[(&str, &str)] = &[
    ("sig_atomic_t", "volatile sig_atomic_t"),
    ("FlushMode", "enum bufferevent_flush_mode"),
    ("FilterResult", "enum bufferevent_filter_result"),
    ("evbuffer_eol_style", "enum evbuffer_eol_style"),
    ("evbuffer_ptr_how", "enum evbuffer_ptr_how"),
    ("EvrpcHookType", "enum EVRPC_HOOK_TYPE"),
    ("EvrpcHookResult", "enum EVRPC_HOOK_RESULT"),
    ("evhttp_cmd_type", "enum evhttp_cmd_type"),
    ("evhttp_request_error", "enum evhttp_request_error"),
];

fn generate(h: &Header) -> String {
    let mut cfg = cbindgen::Config {
        language: cbindgen::Language::C,
        cpp_compat: true,
        include_guard: Some(h.guard.into()),
        no_includes: true,
        sys_includes: h
            .sys_includes
            .iter()
            .chain(h.includes)
            .map(|s| s.to_string())
            .collect(),
        style: cbindgen::Style::Tag,
        documentation: true,
        usize_is_size_t: true,
        autogen_warning: Some(
            "/* Generated by cbindgen from librel's src (build.rs); do not edit. */".into(),
        ),
        ..Default::default()
    };
    cfg.export.include = h.extra.iter().map(|s| s.to_string()).collect();
    cfg.export.exclude = h.exclude.iter().map(|s| s.to_string()).collect();
    for (name, home) in TAGGED {
        if *home != h.path {
            cfg.export
                .rename
                .insert(name.to_string(), format!("struct {name}"));
        }
    }
    for (name, c) in SPELLED {
        cfg.export.rename.insert(name.to_string(), c.to_string());
    }
    // libevent's headers turn on GNU extensions before any system header;
    // programs rely on that (pipe2, accept4).
    cfg.header = Some("#ifndef _GNU_SOURCE\n#define _GNU_SOURCE 1\n#endif".into());
    let mut preamble = String::from("struct event_base;\nstruct event_config;\nstruct event;\n");
    if let Some(m) = h.macros {
        preamble += "\n";
        preamble += &std::fs::read_to_string(m).expect("macro fragment");
    }
    cfg.after_includes = Some(preamble);
    let mut b = cbindgen::Builder::new().with_config(cfg);
    for s in h.sources {
        b = b.with_src(s);
    }
    let mut out = Vec::new();
    b.generate().expect("cbindgen").write(&mut out);
    String::from_utf8(out).expect("utf-8 header")
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=headers");
    for h in HEADERS {
        let text = generate(h);
        let dest = Path::new("include").join(h.path);
        if std::fs::read_to_string(&dest).ok().as_deref() != Some(text.as_str()) {
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(&dest, text).unwrap();
        }
    }
    // The C-variadic entry points: C shims forwarding to Rust twins.
    println!("cargo:rerun-if-changed=src/variadic.c");
    cc::Build::new()
        .file("src/variadic.c")
        .warnings_into_errors(true)
        .compile("relvariadic");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librel.so.1");
    }
}

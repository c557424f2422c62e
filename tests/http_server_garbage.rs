//! librel's evhttp server (through its C API) fed pseudo-random bytes on
//! loopback connections: well-formed requests mutated by insertions,
//! deletions and truncation, sometimes pipelined, sometimes cut short by a
//! half-close, with and without size limits. Whatever happens, the server
//! must not crash, anything it answers must be an HTTP/1.x response, and
//! every connection must end (answered and closed, or kept for keep-alive
//! and closed by us). REL_MODEL_ITERS connections (default 200),
//! REL_MODEL_SEED to vary them.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::raw::c_void;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

use rel::base_api::*;
use rel::buffer_api::evbuffer_add;
use rel::http::request::{evhttp_request_get_output_buffer, evhttp_send_reply};
use rel::http::server::*;
use rel::layout::http_struct::evhttp_request;

const EVLOOP_NONBLOCK: i32 = 2;

unsafe extern "C" fn reply(req: *mut evhttp_request, _arg: *mut c_void) {
    // SAFETY: the live request the server hands its callback.
    unsafe {
        let out = evhttp_request_get_output_buffer(req);
        evbuffer_add(out, b"ok".as_ptr().cast(), 2);
        evhttp_send_reply(req, 200, c"OK".as_ptr(), null_mut());
    }
}

const SEEDS: [&[u8]; 6] = [
    b"GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nX: 1\r\n  fold\r\n\r\n",
    b"HEAD /h HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
    b"PUT /u HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
];
const ALPHABET: &[u8] = b"GET/ :\r\n\r\n\t0123456789abcdefxHTTP/1.1-;\0\xff";

#[test]
fn garbage_requests_never_crash_the_server() {
    let iters: u64 = std::env::var("REL_MODEL_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut x: u64 = std::env::var("REL_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5851_f42d_4c95_7f2d);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // SAFETY: the C API used as a C program would: a base, a server on
    // it, freed in reverse order at the end.
    unsafe {
        let base = event_base_new();
        let http = evhttp_new(base);
        let bound = evhttp_bind_socket_with_handle(http, c"127.0.0.1".as_ptr(), 0);
        assert!(!bound.is_null());
        let fd = evhttp_bound_socket_get_fd(bound);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        libc::getsockname(fd, (&mut sa as *mut libc::sockaddr_in).cast(), &mut len);
        let port = u16::from_be(sa.sin_port);
        evhttp_set_gencb(http, Some(reply), null_mut());
        evhttp_set_timeout_tv(
            http,
            &libc::timeval {
                tv_sec: 0,
                tv_usec: 300_000,
            },
        );
        for i in 0..iters {
            let limited = i % 2 == 1;
            evhttp_set_max_headers_size(http, if limited { 64 } else { -1 });
            evhttp_set_max_body_size(http, if limited { 4 } else { -1 });
            let mut data = Vec::new();
            for _ in 0..1 + next() % 3 {
                data.extend_from_slice(SEEDS[(next() % SEEDS.len() as u64) as usize]);
            }
            for _ in 0..next() % 8 {
                let at = (next() % (data.len() as u64 + 1)) as usize;
                if next() % 3 == 0 && at < data.len() {
                    data.remove(at);
                } else {
                    data.insert(at, ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
                }
            }
            if next() % 4 == 0 {
                data.truncate((next() % (data.len() as u64 + 1)) as usize);
            }
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_nonblocking(true).unwrap();
            s.write_all(&data).unwrap();
            let half_close = next() % 3 == 0;
            if half_close {
                s.shutdown(Shutdown::Write).unwrap();
            }
            let mut got = Vec::new();
            let start = Instant::now();
            let mut closed = false;
            while start.elapsed() < Duration::from_secs(2) {
                event_base_loop(base, EVLOOP_NONBLOCK);
                let mut buf = [0u8; 4096];
                match s.read(&mut buf) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(1))
                    }
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            if !got.is_empty() {
                assert!(
                    got.starts_with(b"HTTP/1."),
                    "input {:?} got {:?}",
                    String::from_utf8_lossy(&data),
                    String::from_utf8_lossy(&got)
                );
            }
            // Keep-alive connections end with the server's idle timeout.
            assert!(
                closed,
                "input {:?} left open",
                String::from_utf8_lossy(&data)
            );
        }
        evhttp_free(http);
        event_base_free(base);
    }
}

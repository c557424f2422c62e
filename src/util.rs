//! `event2/util.h`: portable integer types and the evutil socket helpers.
//! (`EVUTIL_SOCKET_ERROR`, `evutil_socket_error_to_string`,
//! `evutil_gettimeofday` and the timer macros are macros, as on Debian.)

use std::ffi::CStr;
use std::net::{IpAddr, SocketAddr};
use std::os::raw::{c_char, c_int, c_void};

use crate::boundary::{arg, entry, Refusal};
use crate::variadic::{rel_c_vsnprintf_copy, va_list};

pub type evutil_socket_t = c_int;
pub type ev_uint8_t = u8;
pub type ev_int8_t = i8;
pub type ev_uint16_t = u16;
pub type ev_int16_t = i16;
pub type ev_uint32_t = u32;
pub type ev_int32_t = i32;
pub type ev_uint64_t = u64;
pub type ev_int64_t = i64;
pub type ev_uintptr_t = usize;
pub type ev_intptr_t = isize;
pub type ev_ssize_t = isize;
pub type ev_off_t = i64;

/// A libc call's result, or a quiet refusal (-1) when it failed: errno
/// says why, as libevent leaves it.
fn sys(r: c_int) -> Result<c_int, Refusal> {
    if r < 0 {
        Err(Refusal::Quiet)
    } else {
        Ok(r)
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_socketpair(
    family: c_int,
    type_: c_int,
    protocol: c_int,
    fd: *mut evutil_socket_t,
) -> c_int {
    entry("evutil_socketpair", || {
        if fd.is_null() {
            return Err(Refusal::Missing("fd array"));
        }
        // SAFETY: the caller passes room for two ints (the boundary contract).
        sys(unsafe { libc::socketpair(family, type_, protocol, fd) })
    })
}

/// Sets `flag` in the fd's flags as `get`/`set` (F_GETFL/F_SETFL...) name them.
fn add_fd_flag(fd: evutil_socket_t, get: c_int, set: c_int, flag: c_int) -> Result<c_int, Refusal> {
    // SAFETY: fcntl on a caller-supplied fd; a bad fd gives -1.
    let flags = sys(unsafe { libc::fcntl(fd, get) })?;
    // SAFETY: as above.
    sys(unsafe { libc::fcntl(fd, set, flags | flag) }).map(|_| 0)
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_nonblocking(fd: evutil_socket_t) -> c_int {
    entry("evutil_make_socket_nonblocking", || {
        add_fd_flag(fd, libc::F_GETFL, libc::F_SETFL, libc::O_NONBLOCK)
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_closeonexec(fd: evutil_socket_t) -> c_int {
    entry("evutil_make_socket_closeonexec", || {
        add_fd_flag(fd, libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC)
    })
}

/// Turns on one int socket option.
fn set_option(sock: evutil_socket_t, level: c_int, name: c_int) -> Result<c_int, Refusal> {
    let one: c_int = 1;
    // SAFETY: setsockopt with a pointer to a live int of the stated size.
    sys(unsafe {
        libc::setsockopt(
            sock,
            level,
            name,
            (&one as *const c_int).cast::<c_void>(),
            std::mem::size_of::<c_int>() as libc::socklen_t,
        )
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable(sock: evutil_socket_t) -> c_int {
    entry("evutil_make_listen_socket_reuseable", || {
        set_option(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR)
    })
}

/// SO_REUSEPORT: several sockets may bind the same port.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable_port(sock: evutil_socket_t) -> c_int {
    entry("evutil_make_listen_socket_reuseable_port", || {
        set_option(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT)
    })
}

/// IPV6_V6ONLY: an IPv6 socket does not also take IPv4 connections.
#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_ipv6only(sock: evutil_socket_t) -> c_int {
    entry("evutil_make_listen_socket_ipv6only", || {
        set_option(sock, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY)
    })
}

/// TCP_DEFER_ACCEPT: a connection is accepted once it has data.
#[no_mangle]
pub extern "C" fn evutil_make_tcp_listen_socket_deferred(sock: evutil_socket_t) -> c_int {
    entry("evutil_make_tcp_listen_socket_deferred", || {
        set_option(sock, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT)
    })
}

#[no_mangle]
pub extern "C" fn evutil_closesocket(sock: evutil_socket_t) -> c_int {
    // SAFETY: closes a caller-supplied fd; a bad fd gives -1.
    entry("evutil_closesocket", || sys(unsafe { libc::close(sock) }))
}

// Limits of the integer types above (written out: cbindgen cannot
// evaluate `u64::MAX`); the test below keeps them honest.
pub const EV_UINT64_MAX: u64 = 0xffff_ffff_ffff_ffff;
pub const EV_INT64_MAX: i64 = 0x7fff_ffff_ffff_ffff;
pub const EV_INT64_MIN: i64 = -0x7fff_ffff_ffff_ffff - 1;
pub const EV_UINT32_MAX: u32 = 0xffff_ffff;
pub const EV_INT32_MAX: i32 = 0x7fff_ffff;
pub const EV_INT32_MIN: i32 = -0x7fff_ffff - 1;
pub const EV_UINT16_MAX: u16 = 0xffff;
pub const EV_INT16_MAX: i16 = 0x7fff;
pub const EV_INT16_MIN: i16 = -0x7fff - 1;
pub const EV_UINT8_MAX: u8 = 0xff;
pub const EV_INT8_MAX: i8 = 0x7f;
pub const EV_INT8_MIN: i8 = -0x7f - 1;
pub const EV_SIZE_MAX: u64 = EV_UINT64_MAX;
pub const EV_SSIZE_MAX: i64 = EV_INT64_MAX;
pub const EV_SSIZE_MIN: i64 = EV_INT64_MIN;

#[no_mangle]
pub unsafe extern "C" fn evutil_strtoll(
    s: *const c_char,
    endptr: *mut *mut c_char,
    base: c_int,
) -> ev_int64_t {
    entry("evutil_strtoll", || {
        let s: &CStr = arg!(s)?;
        // SAFETY: a NUL-terminated string; endptr is NULL or writable (the
        // boundary contract).
        Ok(unsafe { libc::strtoll(s.as_ptr(), endptr, base) })
    })
}

fn ascii_cmp(a: &[u8], b: &[u8]) -> c_int {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

/// Case-insensitive comparison of at most `limit` bytes in the C locale,
/// whatever the process locale; NULL sorts first.
fn strncasecmp(func: &str, a: *const c_char, b: *const c_char, limit: usize) -> c_int {
    entry(func, || {
        let (a, b): (Result<&CStr, _>, Result<&CStr, _>) = (arg!(a), arg!(b));
        Ok(match (a, b) {
            (Ok(a), Ok(b)) => {
                let (a, b) = (a.to_bytes(), b.to_bytes());
                ascii_cmp(&a[..a.len().min(limit)], &b[..b.len().min(limit)])
            }
            (a, b) => c_int::from(b.is_err()) - c_int::from(a.is_err()),
        })
    })
}

/// Case-insensitive comparison in the C locale, whatever the process locale.
#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strcasecmp(a: *const c_char, b: *const c_char) -> c_int {
    strncasecmp("evutil_ascii_strcasecmp", a, b, usize::MAX)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_ascii_strncasecmp(
    a: *const c_char,
    b: *const c_char,
    n: usize,
) -> c_int {
    strncasecmp("evutil_ascii_strncasecmp", a, b, n)
}

#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton(
    af: c_int,
    src: *const c_char,
    dst: *mut c_void,
) -> c_int {
    entry("evutil_inet_pton", || {
        let text: &CStr = arg!(src)?;
        if dst.is_null() {
            return Err(Refusal::Missing("destination"));
        }
        let text = text.to_string_lossy();
        let bytes: Vec<u8> = match af {
            libc::AF_INET => match text.parse::<std::net::Ipv4Addr>() {
                Ok(a) => a.octets().to_vec(),
                Err(_) => return Ok(0),
            },
            libc::AF_INET6 => match text.parse::<std::net::Ipv6Addr>() {
                Ok(a) => a.octets().to_vec(),
                Err(_) => return Ok(0),
            },
            _ => return Err(Refusal::Quiet),
        };
        // SAFETY: dst holds an in_addr/in6_addr for `af`, as inet_pton requires.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.cast::<u8>(), bytes.len()) };
        Ok(1)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_inet_ntop(
    af: c_int,
    src: *const c_void,
    dst: *mut c_char,
    len: usize,
) -> *const c_char {
    entry("evutil_inet_ntop", || {
        if src.is_null() || dst.is_null() {
            return Err(Refusal::Missing("address"));
        }
        let text = match af {
            libc::AF_INET => {
                // SAFETY: src points at an in_addr/in6_addr for `af`, as
                // inet_ntop requires (the boundary contract).
                std::net::Ipv4Addr::from(unsafe { *src.cast::<[u8; 4]>() }).to_string()
            }
            libc::AF_INET6 => {
                // SAFETY: as above.
                std::net::Ipv6Addr::from(unsafe { *src.cast::<[u8; 16]>() }).to_string()
            }
            _ => return Err(Refusal::Quiet),
        };
        if text.len() >= len {
            return Err(Refusal::Quiet);
        }
        // SAFETY: dst has room for `len` > text.len() bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), text.len());
            *dst.add(text.len()) = 0;
        }
        Ok(dst.cast_const())
    })
}

/// Parses "1.2.3.4", "1.2.3.4:80", "::1", "[::1]" or "[::1]:80" into a
/// sockaddr (port 0 when absent). 0 on success, -1 if it does not parse or
/// does not fit in `*outlen` bytes; `*outlen` gets the size used.
#[no_mangle]
pub unsafe extern "C" fn evutil_parse_sockaddr_port(
    ip_as_string: *const c_char,
    out: *mut libc::sockaddr,
    outlen: *mut c_int,
) -> c_int {
    entry("evutil_parse_sockaddr_port", || {
        let text: &CStr = arg!(ip_as_string)?;
        if out.is_null() || outlen.is_null() {
            return Err(Refusal::Missing("sockaddr"));
        }
        let addr = parse_socket_addr(&text.to_string_lossy()).ok_or(Refusal::Quiet)?;
        let (storage, len) = sockaddr_of(addr);
        // SAFETY: non-NULL in/out length and a buffer of at least `*outlen`
        // bytes (the boundary contract), checked against `len` first.
        unsafe {
            if *outlen < len as c_int {
                return Err(Refusal::Quiet);
            }
            std::ptr::copy_nonoverlapping(
                (&storage as *const libc::sockaddr_storage).cast::<u8>(),
                out.cast::<u8>(),
                len,
            );
            *outlen = len as c_int;
        }
        Ok(0)
    })
}

fn parse_socket_addr(text: &str) -> Option<SocketAddr> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Some(a);
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0))
}

fn sockaddr_of(addr: SocketAddr) -> (libc::sockaddr_storage, usize) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above, for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len)
}

/// `va_list` twin of `evutil_snprintf` (whose C shim is in variadic.c):
/// the result is always NUL-terminated; the return is the length the whole
/// output needs, as C99 `vsnprintf`, except that a zero `buflen` formats
/// nothing and answers 0, as libevent does.
#[no_mangle]
pub unsafe extern "C" fn evutil_vsnprintf(
    buf: *mut c_char,
    buflen: usize,
    format: *const c_char,
    ap: va_list,
) -> c_int {
    entry("evutil_vsnprintf", || {
        if buflen == 0 {
            return Ok(0);
        }
        let format: &CStr = arg!(format)?;
        if buf.is_null() {
            return Err(Refusal::Missing("buffer"));
        }
        // SAFETY: `buf` has `buflen` bytes (or is unused when 0) and `ap`
        // is the caller's argument list for `format`.
        let r = unsafe { rel_c_vsnprintf_copy(buf, buflen, format.as_ptr(), ap) };
        // SAFETY: in bounds; C99 already terminates, older libcs did not.
        unsafe { *buf.add(buflen - 1) = 0 };
        Ok(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_the_types() {
        assert_eq!(EV_UINT64_MAX, u64::MAX);
        assert_eq!((EV_INT64_MIN, EV_INT64_MAX), (i64::MIN, i64::MAX));
        assert_eq!(EV_UINT32_MAX, u32::MAX);
        assert_eq!((EV_INT32_MIN, EV_INT32_MAX), (i32::MIN, i32::MAX));
        assert_eq!(EV_UINT16_MAX, u16::MAX);
        assert_eq!((EV_INT16_MIN, EV_INT16_MAX), (i16::MIN, i16::MAX));
        assert_eq!(
            (EV_UINT8_MAX, EV_INT8_MIN, EV_INT8_MAX),
            (u8::MAX, i8::MIN, i8::MAX)
        );
        assert_eq!(EV_SIZE_MAX, usize::MAX as u64);
        assert_eq!(EV_SSIZE_MAX, isize::MAX as i64);
    }
}

//! `event2/util.h`: portable integer types and the evutil socket helpers.
//! (`EVUTIL_SOCKET_ERROR`, `evutil_socket_error_to_string`,
//! `evutil_gettimeofday` and the timer macros are macros, as on Debian.)

use std::ffi::CStr;
use std::net::{IpAddr, SocketAddr};
use std::os::raw::{c_char, c_int, c_void};

use rel_core::inet;

use crate::boundary::{arg, entry, entry_or, Refusal};
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
        // libevent's own (lax) parser, not the C library's: see rel_core::inet.
        let bytes: Vec<u8> = match af {
            libc::AF_INET => match inet::parse_ipv4(text.to_bytes()) {
                Some(a) => a.to_vec(),
                None => return Ok(0),
            },
            libc::AF_INET6 => match inet::parse_ipv6(text.to_bytes()) {
                Some(a) => a.to_vec(),
                None => return Ok(0),
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
                len as usize,
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

/// `addr` as the kernel takes it: a `sockaddr_storage` holding a
/// `sockaddr_in` or `sockaddr_in6`, and the length used.
pub(crate) fn sockaddr_of(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
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
    (storage, len as libc::socklen_t)
}

// ---- evutil_getaddrinfo: the system's getaddrinfo, as libevent uses it
// where there is one. `struct evutil_addrinfo` is `struct addrinfo` and the
// EVUTIL_AI_*/EVUTIL_EAI_* codes are the system's (headers/util.h).

/// Marks lists libevent built itself; never passed on to the system.
const AI_LIBEVENT_ALLOCATED: c_int = 0x8000_0000_u32 as c_int;
/// Only evdns answers it; kept so every code has its text.
const EAI_CANCEL: c_int = -90001;
/// glibc's (GNU extension; the libc crate lacks it).
const EAI_ADDRFAMILY: c_int = -9;

/// Resolves `nodename`/`servname` (either may be NULL) like getaddrinfo:
/// NULL hints mean any family; 0 or an `EVUTIL_EAI_*` code.
#[no_mangle]
pub unsafe extern "C" fn evutil_getaddrinfo(
    nodename: *const c_char,
    servname: *const c_char,
    hints_in: *const libc::addrinfo,
    res: *mut *mut libc::addrinfo,
) -> c_int {
    entry_or("evutil_getaddrinfo", libc::EAI_SYSTEM, || {
        if res.is_null() {
            set_errno(libc::EINVAL);
            return Err(Refusal::Missing("result pointer"));
        }
        // SAFETY: NULL or the caller's readable hints (the contract).
        let mut hints = match unsafe { hints_in.as_ref() } {
            Some(h) => *h,
            // SAFETY: all-zero is a valid addrinfo (AF_UNSPEC, no flags).
            None => unsafe { std::mem::zeroed() },
        };
        hints.ai_flags &= !AI_LIBEVENT_ALLOCATED;
        // The strings are NUL-terminated or NULL and `res` writable.
        // SAFETY: as above (the boundary contract).
        Ok(unsafe { libc::getaddrinfo(nodename, servname, &hints, res) })
    })
}

/// Frees a list `evutil_getaddrinfo` returned.
#[no_mangle]
pub unsafe extern "C" fn evutil_freeaddrinfo(ai: *mut libc::addrinfo) {
    entry("evutil_freeaddrinfo", || {
        if ai.is_null() {
            return Err(Refusal::Missing("addrinfo"));
        }
        // SAFETY: a list from evutil_getaddrinfo, that is from the
        // system's getaddrinfo (the contract).
        unsafe { libc::freeaddrinfo(ai) };
        Ok(())
    })
}

/// libevent's own words for the codes it names; the system's for others.
#[no_mangle]
pub extern "C" fn evutil_gai_strerror(err: c_int) -> *const c_char {
    let text: &'static CStr = match err {
        EAI_CANCEL => c"Request canceled",
        0 => c"No error",
        EAI_ADDRFAMILY => c"address family for nodename not supported",
        libc::EAI_AGAIN => c"temporary failure in name resolution",
        libc::EAI_BADFLAGS => c"invalid value for ai_flags",
        libc::EAI_FAIL => c"non-recoverable failure in name resolution",
        libc::EAI_FAMILY => c"ai_family not supported",
        libc::EAI_MEMORY => c"memory allocation failure",
        libc::EAI_NODATA => c"no address associated with nodename",
        libc::EAI_NONAME => c"nodename nor servname provided, or not known",
        libc::EAI_SERVICE => c"servname not supported for ai_socktype",
        libc::EAI_SOCKTYPE => c"ai_socktype not supported",
        libc::EAI_SYSTEM => c"system error",
        // SAFETY: gai_strerror returns a static string for any code.
        _ => return unsafe { libc::gai_strerror(err) },
    };
    text.as_ptr()
}

fn set_errno(code: c_int) {
    // SAFETY: the calling thread's errno, always valid to write.
    unsafe { *libc::__errno_location() = code };
}

/// As `evutil_inet_pton`, but an IPv6 address may end in `%zone` (an
/// interface name or number), whose index goes to `*indexp` (0 without).
#[no_mangle]
pub unsafe extern "C" fn evutil_inet_pton_scope(
    af: c_int,
    src: *const c_char,
    dst: *mut c_void,
    indexp: *mut std::os::raw::c_uint,
) -> c_int {
    entry("evutil_inet_pton_scope", || {
        let text: &CStr = arg!(src)?;
        if indexp.is_null() {
            return Err(Refusal::Missing("index pointer"));
        }
        // SAFETY: a non-NULL out-pointer (the boundary contract).
        unsafe { *indexp = 0 };
        let bytes = text.to_bytes();
        let split = bytes.iter().position(|&b| b == b'%');
        let (Some(at), libc::AF_INET6) = (split, af) else {
            // SAFETY: forwarded arguments of this entry point.
            return Ok(unsafe { evutil_inet_pton(af, src, dst) });
        };
        let zone = &text.to_bytes_with_nul()[at + 1..];
        // SAFETY: `zone` is the NUL-terminated tail of `src`.
        let mut index = unsafe { libc::if_nametoindex(zone.as_ptr().cast()) };
        if index == 0 {
            let digits = &zone[..zone.len() - 1];
            match parse_ulong(digits) {
                Some(n) => index = n as std::os::raw::c_uint,
                None => return Ok(0),
            }
        }
        // SAFETY: as above.
        unsafe { *indexp = index };
        let addr = std::ffi::CString::new(&bytes[..at]).map_err(|_| Refusal::Quiet)?;
        // SAFETY: a NUL-terminated copy of the address part; `dst` as given.
        Ok(unsafe { evutil_inet_pton(af, addr.as_ptr(), dst) })
    })
}

/// strtoul(s, &end, 10) accepting only when it reads to the end (so an
/// empty zone is 0, as libevent).
fn parse_ulong(digits: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(digits).ok()?;
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if s.is_empty() {
        return Some(0);
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(t.parse::<u64>().unwrap_or(u64::MAX))
}

fn sign(o: std::cmp::Ordering) -> c_int {
    o as c_int
}

/// Orders two IPv4 or IPv6 addresses (then ports if asked): families
/// first; 0 when equal. Other families are never equal (1).
#[no_mangle]
pub unsafe extern "C" fn evutil_sockaddr_cmp(
    sa1: *const libc::sockaddr,
    sa2: *const libc::sockaddr,
    include_port: c_int,
) -> c_int {
    entry("evutil_sockaddr_cmp", || {
        if sa1.is_null() || sa2.is_null() {
            return Err(Refusal::Missing("sockaddr"));
        }
        // SAFETY: both point at sockaddrs of the family they name (the
        // boundary contract), read as that family's struct.
        let (f1, f2) = unsafe { (c_int::from((*sa1).sa_family), c_int::from((*sa2).sa_family)) };
        if f1 != f2 {
            return Ok(f1 - f2);
        }
        let port_order = |p1: u16, p2: u16| {
            if include_port != 0 {
                c_int::from(p1) - c_int::from(p2)
            } else {
                0
            }
        };
        Ok(match f1 {
            libc::AF_INET => {
                // SAFETY: AF_INET addresses (see above).
                let (a, b) = unsafe {
                    (
                        &*sa1.cast::<libc::sockaddr_in>(),
                        &*sa2.cast::<libc::sockaddr_in>(),
                    )
                };
                // As stored (network order read natively), like libevent.
                match sign(a.sin_addr.s_addr.cmp(&b.sin_addr.s_addr)) {
                    0 => port_order(a.sin_port, b.sin_port),
                    r => r,
                }
            }
            libc::AF_INET6 => {
                // SAFETY: AF_INET6 addresses (see above).
                let (a, b) = unsafe {
                    (
                        &*sa1.cast::<libc::sockaddr_in6>(),
                        &*sa2.cast::<libc::sockaddr_in6>(),
                    )
                };
                match sign(a.sin6_addr.s6_addr.cmp(&b.sin6_addr.s6_addr)) {
                    0 => port_order(a.sin6_port, b.sin6_port),
                    r => r,
                }
            }
            _ => 1,
        })
    })
}

// ---- the secure RNG: the kernel's (getrandom), which needs no seeding.

/// Fills `buf` from the kernel's generator, waiting for it only at boot.
fn random_fill(buf: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: writes at most `rest.len()` bytes into `rest`.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        done += n as usize;
    }
    Ok(())
}

#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_get_bytes(buf: *mut c_void, n: usize) {
    entry("evutil_secure_rng_get_bytes", || {
        if n == 0 {
            return Ok(());
        }
        if buf.is_null() {
            return Err(Refusal::Missing("buffer"));
        }
        // SAFETY: the caller's buffer of `n` writable bytes (the contract).
        let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n) };
        random_fill(out).map_err(|_| Refusal::Misuse("the kernel's random generator failed"))
    })
}

/// 0 when the generator answers (the kernel's needs no seed from us).
#[no_mangle]
pub extern "C" fn evutil_secure_rng_init() -> c_int {
    entry("evutil_secure_rng_init", || {
        random_fill(&mut [0u8; 16]).map_err(|_| Refusal::Quiet)?;
        Ok(0)
    })
}

/// -1: the kernel's generator reads no device file that could be
/// replaced (libevent answers the same when built on arc4random).
#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_set_urandom_device_file(_fname: *mut c_char) -> c_int {
    -1
}

/// Mixes the bytes into the kernel's pool (a write to the urandom device,
/// which any process may do; it credits no entropy). Silently nothing if
/// the device cannot be opened, as the call has no way to fail.
#[no_mangle]
pub unsafe extern "C" fn evutil_secure_rng_add_bytes(dat: *const c_char, datlen: usize) {
    entry("evutil_secure_rng_add_bytes", || {
        if datlen == 0 {
            return Ok(());
        }
        if dat.is_null() {
            return Err(Refusal::Missing("data"));
        }
        // SAFETY: the caller's `datlen` readable bytes (the contract).
        let data = unsafe { std::slice::from_raw_parts(dat.cast::<u8>(), datlen) };
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open("/dev/urandom") {
            use std::io::Write;
            let _ = f.write_all(data);
        }
        Ok(())
    })
}

// ---- time

/// `Sun, 06 Nov 1994 08:49:37 GMT` for `tm` (now if NULL) into `date`,
/// snprintf-style: the length the whole date needs (0 for an empty buffer).
#[no_mangle]
pub unsafe extern "C" fn evutil_date_rfc1123(
    date: *mut c_char,
    datelen: usize,
    tm: *const libc::tm,
) -> c_int {
    entry("evutil_date_rfc1123", || {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        // SAFETY: all-zero is a valid tm, filled by gmtime_r below.
        let mut now: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: NULL or the caller's readable tm (the contract).
        let tm = match unsafe { tm.as_ref() } {
            Some(tm) => tm,
            None => {
                // SAFETY: time(NULL), then gmtime_r into a local.
                unsafe {
                    let t = libc::time(std::ptr::null_mut());
                    libc::gmtime_r(&t, &mut now);
                }
                &now
            }
        };
        let day = usize::try_from(tm.tm_wday).ok().and_then(|d| DAYS.get(d));
        let month = usize::try_from(tm.tm_mon).ok().and_then(|m| MONTHS.get(m));
        let (Some(day), Some(month)) = (day, month) else {
            return Err(Refusal::Misuse("tm_wday or tm_mon out of range"));
        };
        let text = format!(
            "{day}, {:02} {month} {:4} {:02}:{:02}:{:02} GMT",
            tm.tm_mday,
            1900 + i64::from(tm.tm_year),
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        );
        if datelen == 0 {
            return Ok(0);
        }
        if date.is_null() {
            return Err(Refusal::Missing("buffer"));
        }
        let n = text.len().min(datelen - 1);
        // SAFETY: `date` has `datelen` > n bytes (the contract).
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), date.cast::<u8>(), n);
            *date.add(n) = 0;
        }
        Ok(text.len() as c_int)
    })
}

/// The precise monotonic clock, not the coarse (few ms) one.
pub const EV_MONOT_PRECISE: c_int = 1;
/// The wall clock, held back so it never goes backwards.
pub const EV_MONOT_FALLBACK: c_int = 2;

/// Opaque to C: which clock a monotonic timer reads.
pub struct evutil_monotonic_timer {
    clock: std::sync::Mutex<MonoClock>,
}

enum MonoClock {
    /// A kernel clock that never goes back (CLOCK_MONOTONIC[_COARSE]).
    Kernel(libc::clockid_t),
    /// gettimeofday plus an adjustment that grows whenever the wall clock
    /// steps back, and the last time given (µs).
    Ratchet { adjust: i64, last: i64 },
}

#[no_mangle]
pub extern "C" fn evutil_monotonic_timer_new() -> *mut evutil_monotonic_timer {
    Box::into_raw(Box::new(evutil_monotonic_timer {
        clock: std::sync::Mutex::new(MonoClock::Kernel(libc::CLOCK_MONOTONIC)),
    }))
}

#[no_mangle]
pub unsafe extern "C" fn evutil_monotonic_timer_free(timer: *mut evutil_monotonic_timer) {
    if !timer.is_null() {
        // SAFETY: a timer evutil_monotonic_timer_new made, freed once.
        drop(unsafe { Box::from_raw(timer) });
    }
}

/// No flag: the coarse clock (a few ms, cheap); EV_MONOT_PRECISE: the
/// precise one; EV_MONOT_FALLBACK: the ratcheted wall clock.
#[no_mangle]
pub unsafe extern "C" fn evutil_configure_monotonic_time(
    timer: *mut evutil_monotonic_timer,
    flags: c_int,
) -> c_int {
    entry("evutil_configure_monotonic_time", || {
        // SAFETY: NULL or a timer from evutil_monotonic_timer_new.
        let t = unsafe { timer.as_ref() }.ok_or(Refusal::Missing("timer"))?;
        let clock = if flags & EV_MONOT_FALLBACK != 0 {
            MonoClock::Ratchet { adjust: 0, last: 0 }
        } else if flags & EV_MONOT_PRECISE != 0 {
            MonoClock::Kernel(libc::CLOCK_MONOTONIC)
        } else {
            MonoClock::Kernel(libc::CLOCK_MONOTONIC_COARSE)
        };
        *t.clock.lock().unwrap_or_else(|e| e.into_inner()) = clock;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evutil_gettime_monotonic(
    timer: *mut evutil_monotonic_timer,
    tp: *mut libc::timeval,
) -> c_int {
    entry("evutil_gettime_monotonic", || {
        // SAFETY: NULL or a timer from evutil_monotonic_timer_new.
        let t = unsafe { timer.as_ref() }.ok_or(Refusal::Missing("timer"))?;
        if tp.is_null() {
            return Err(Refusal::Missing("timeval"));
        }
        let usec = match &mut *t.clock.lock().unwrap_or_else(|e| e.into_inner()) {
            MonoClock::Kernel(id) => {
                // SAFETY: all-zero is a valid timespec, then filled.
                let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
                // SAFETY: a valid clock id and a live timespec.
                sys(unsafe { libc::clock_gettime(*id, &mut ts) })?;
                ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
            }
            MonoClock::Ratchet { adjust, last } => {
                let wall = rel_core::clock::wall();
                let now = wall.as_secs() as i64 * 1_000_000 + i64::from(wall.subsec_micros());
                if now + *adjust < *last {
                    *adjust += *last - (now + *adjust);
                }
                *last = now + *adjust;
                *last
            }
        };
        // SAFETY: a non-NULL out-pointer (the boundary contract).
        unsafe {
            *tp = libc::timeval {
                tv_sec: usec / 1_000_000,
                tv_usec: usec % 1_000_000,
            }
        };
        Ok(0)
    })
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
    fn zone_numbers_read_as_strtoul_to_the_end() {
        assert_eq!(parse_ulong(b""), Some(0));
        assert_eq!(parse_ulong(b"12"), Some(12));
        assert_eq!(parse_ulong(b" +7"), Some(7));
        assert_eq!(parse_ulong(b"1x"), None);
        assert_eq!(parse_ulong(b"+"), None);
    }

    #[test]
    fn rfc1123_dates_and_truncation() {
        // SAFETY: all-zero is a valid tm.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_wday) = (94, 10, 6, 0);
        (tm.tm_hour, tm.tm_min, tm.tm_sec) = (8, 49, 37);
        let mut buf = [0 as c_char; 40];
        // SAFETY: a buffer of the stated size and a live tm.
        let n = unsafe { evutil_date_rfc1123(buf.as_mut_ptr(), buf.len(), &tm) };
        assert_eq!(n, 29);
        // SAFETY: NUL-terminated by the call.
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(text.to_str().unwrap(), "Sun, 06 Nov 1994 08:49:37 GMT");
        // SAFETY: as above, with a 5-byte buffer.
        let n = unsafe { evutil_date_rfc1123(buf.as_mut_ptr(), 5, &tm) };
        assert_eq!(n, 29);
        // SAFETY: as above.
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes(), b"Sun,");
        tm.tm_wday = 7;
        // SAFETY: as above.
        let n = unsafe { evutil_date_rfc1123(buf.as_mut_ptr(), buf.len(), &tm) };
        assert_eq!(n, -1);
    }

    #[test]
    fn fallback_monotonic_time_never_goes_back() {
        let t = evutil_monotonic_timer_new();
        // SAFETY: a timer just made, and live timevals.
        unsafe {
            assert_eq!(evutil_configure_monotonic_time(t, EV_MONOT_FALLBACK), 0);
            let mut last = 0;
            for _ in 0..1000 {
                let mut tv: libc::timeval = std::mem::zeroed();
                assert_eq!(evutil_gettime_monotonic(t, &mut tv), 0);
                let now = tv.tv_sec * 1_000_000 + tv.tv_usec;
                assert!(now >= last);
                last = now;
            }
            evutil_monotonic_timer_free(t);
        }
    }

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

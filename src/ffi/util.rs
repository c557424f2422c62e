//! `event2/util.h`: portable integer types and the evutil socket helpers.
//! (`EVUTIL_SOCKET_ERROR`, `evutil_socket_error_to_string`,
//! `evutil_gettimeofday` and the timer macros are macros, as on Debian.)

use std::os::raw::{c_int, c_void};

use super::guard;

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

fn ok_or_minus_one(r: c_int) -> c_int {
    if r < 0 {
        -1
    } else {
        0
    }
}

#[no_mangle]
pub unsafe extern "C" fn evutil_socketpair(
    family: c_int,
    type_: c_int,
    protocol: c_int,
    fd: *mut evutil_socket_t,
) -> c_int {
    if fd.is_null() {
        return -1;
    }
    // SAFETY: the caller passes room for two ints (checked non-null).
    guard(-1, || unsafe {
        libc::socketpair(family, type_, protocol, fd)
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_nonblocking(fd: evutil_socket_t) -> c_int {
    // SAFETY: fcntl on a caller-supplied fd; a bad fd gives -1.
    guard(-1, || unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL, 0);
        if fl < 0 {
            return -1;
        }
        ok_or_minus_one(libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_socket_closeonexec(fd: evutil_socket_t) -> c_int {
    // SAFETY: as above.
    guard(-1, || unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFD, 0);
        if fl < 0 {
            return -1;
        }
        ok_or_minus_one(libc::fcntl(fd, libc::F_SETFD, fl | libc::FD_CLOEXEC))
    })
}

#[no_mangle]
pub extern "C" fn evutil_make_listen_socket_reuseable(sock: evutil_socket_t) -> c_int {
    let one: c_int = 1;
    // SAFETY: setsockopt with a pointer to a live int of the stated size.
    guard(-1, || unsafe {
        ok_or_minus_one(libc::setsockopt(
            sock,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const c_int).cast::<c_void>(),
            std::mem::size_of::<c_int>() as libc::socklen_t,
        ))
    })
}

#[no_mangle]
pub extern "C" fn evutil_closesocket(sock: evutil_socket_t) -> c_int {
    // SAFETY: closes a caller-supplied fd.
    guard(-1, || unsafe { libc::close(sock) })
}

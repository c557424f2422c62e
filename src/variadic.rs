//! The exported names of libevent's C-variadic calls.
//!
//! Stable Rust cannot define `fn f(x, ...)`. Each such call is a few lines
//! of C in `variadic.c` (`rel_c_<name>`: `va_start`, then the `va_list` twin
//! written in Rust). The C object's symbols are hidden by the library's
//! version script, so the exported name is a naked Rust function that
//! jumps there: a tail jump keeps every argument register, the stack and
//! `%al` as the caller left them, which is all a variadic callee needs.
//! The prototypes C sees are in `headers/*.h` (cbindgen cannot spell `...`).

use std::os::raw::{c_char, c_int, c_void};

/// A `va_list` as a parameter: x86_64 and aarch64 both pass it as a
/// pointer. Only ever handed back to C.
pub type va_list = *mut c_void;

extern "C" {
    /// `vsnprintf` on a `va_copy` of `ap`, which stays usable.
    pub(crate) fn rel_c_vsnprintf_copy(
        buf: *mut c_char,
        n: usize,
        fmt: *const c_char,
        ap: va_list,
    ) -> c_int;
}

macro_rules! trampoline {
    ($($name:ident => $target:ident),* $(,)?) => {
        extern "C" {
            $(fn $target();)*
        }
        $(
            #[no_mangle]
            #[unsafe(naked)]
            pub unsafe extern "C" fn $name() {
                #[cfg(target_arch = "x86_64")]
                core::arch::naked_asm!("jmp {}", sym $target);
                #[cfg(target_arch = "aarch64")]
                core::arch::naked_asm!("b {}", sym $target);
            }
        )*
    };
}

trampoline! {
    evutil_snprintf => rel_c_evutil_snprintf,
    evbuffer_add_printf => rel_c_evbuffer_add_printf,
}

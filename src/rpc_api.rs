//! `event2/rpc.h`: evrpc, RPCs with evtag-marshalled messages over evhttp.
//! The objects and their flows are in `crate::rpc`; here C pointers are
//! checked and converted. As in libevent, the hook calls take a server
//! (`evrpc_base`) or a client pool (`evrpc_pool`) alike as `void *`, and a
//! hook's `ctx` is a request of either side.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

use rel_extra::rpc::{HookKind, HookResult};

use crate::boundary::{arg, bytes_in, entry, given, FromC, Refusal};
use crate::buffer_obj::evbuffer;
use crate::http::{evhttp, evhttp_connection};
use crate::layout::http_struct::evhttp_request;
use crate::layout::rpc_struct::{evrpc, evrpc_base, evrpc_req_generic, evrpc_status};
use crate::objects::event_base;
use crate::rpc::{
    self, evrpc_pool, evrpc_request_wrapper, EvrpcHookResult, EvrpcHookType, RequestSpec,
    RpcServer, RpcSpec,
};

macro_rules! object_from_c {
    ($t:ty, $what:literal) => {
        impl FromC<*mut $t> for &$t {
            unsafe fn from_c(p: *mut $t) -> Result<Self, Refusal> {
                // SAFETY: the boundary contract: NULL or an object librel
                // returned and the program has not freed.
                unsafe { p.as_ref() }.ok_or(Refusal::Missing($what))
            }
        }
    };
}

impl FromC<*mut evrpc_base> for &RpcServer {
    unsafe fn from_c(p: *mut evrpc_base) -> Result<Self, Refusal> {
        if p.is_null() {
            return Err(Refusal::Missing("evrpc_base"));
        }
        // SAFETY: the boundary contract: a server evrpc_init returned and
        // the program has not freed.
        Ok(unsafe { RpcServer::from_c(p) })
    }
}
object_from_c!(evrpc_pool, "evrpc_pool");
object_from_c!(evrpc_request_wrapper, "request context");
object_from_c!(evrpc_req_generic, "request");

/// A C string argument, required.
fn c_str_arg<'a>(p: *const c_char) -> Result<&'a CStr, Refusal> {
    if p.is_null() {
        return Err(Refusal::Missing("name"));
    }
    // SAFETY: the boundary contract: a C string.
    Ok(unsafe { CStr::from_ptr(p) })
}

fn hook_kind(t: EvrpcHookType) -> Result<HookKind, Refusal> {
    HookKind::from_c(t).ok_or(Refusal::Misuse(
        "hook type is neither EVRPC_INPUT nor EVRPC_OUTPUT",
    ))
}

fn required<T>(p: *mut T, what: &'static str) -> Result<*mut T, Refusal> {
    if p.is_null() {
        Err(Refusal::Missing(what))
    } else {
        Ok(p)
    }
}

// ---- server ----

#[no_mangle]
pub unsafe extern "C" fn evrpc_init(server: *mut evhttp) -> *mut evrpc_base {
    entry("evrpc_init", || {
        Ok(RpcServer::create(required(server, "evhttp")?))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_free(base: *mut evrpc_base) {
    entry("evrpc_free", || {
        // SAFETY: the boundary contract: a base evrpc_init returned, not
        // used again.
        unsafe { RpcServer::free(required(base, "evrpc_base")?) };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_register_rpc(
    base: *mut evrpc_base,
    rpc: *mut evrpc,
    cb: Option<unsafe extern "C" fn(*mut evrpc_req_generic, *mut c_void)>,
    cb_arg: *mut c_void,
) -> c_int {
    entry("evrpc_register_rpc", || {
        let b: &RpcServer = arg!(base)?;
        let rpc = required(rpc, "struct evrpc")?;
        // SAFETY: the boundary contract: a malloc'd evrpc with a name.
        if unsafe { (*rpc).uri }.is_null() {
            return Err(Refusal::Missing("RPC name"));
        }
        // SAFETY: as above.
        unsafe { b.register(rpc, cb, cb_arg) };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_unregister_rpc(base: *mut evrpc_base, name: *const c_char) -> c_int {
    entry("evrpc_unregister_rpc", || {
        let b: &RpcServer = arg!(base)?;
        if b.unregister(c_str_arg(name)?.to_bytes()) {
            Ok(0)
        } else {
            Err(Refusal::Quiet)
        }
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn evrpc_register_generic(
    base: *mut evrpc_base,
    name: *const c_char,
    callback: Option<unsafe extern "C" fn(*mut evrpc_req_generic, *mut c_void)>,
    cbarg: *mut c_void,
    req_new: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    req_new_arg: *mut c_void,
    req_free: Option<unsafe extern "C" fn(*mut c_void)>,
    req_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
    rpl_new: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    rpl_new_arg: *mut c_void,
    rpl_free: Option<unsafe extern "C" fn(*mut c_void)>,
    rpl_complete: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    rpl_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
) -> c_int {
    entry("evrpc_register_generic", || {
        let b: &RpcServer = arg!(base)?;
        let spec = RpcSpec {
            request_new: req_new,
            request_new_arg: req_new_arg,
            request_free: req_free,
            request_unmarshal: req_unmarshal,
            reply_new: rpl_new,
            reply_new_arg: rpl_new_arg,
            reply_free: rpl_free,
            reply_complete: rpl_complete,
            reply_marshal: rpl_marshal,
        };
        b.register_generic(c_str_arg(name)?, callback, cbarg, spec)
            .map_err(|()| Refusal::Misuse("out of memory"))?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_done(req: *mut evrpc_req_generic) {
    entry("evrpc_request_done", || {
        // SAFETY: the boundary contract: a request its handler was given.
        unsafe { rpc::request_done(required(req, "request")?) };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_get_request(req: *mut evrpc_req_generic) -> *mut c_void {
    entry("evrpc_get_request", || {
        let r: &evrpc_req_generic = arg!(req)?;
        Ok(r.request)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_get_reply(req: *mut evrpc_req_generic) -> *mut c_void {
    entry("evrpc_get_reply", || {
        let r: &evrpc_req_generic = arg!(req)?;
        Ok(r.reply)
    })
}

/// Frees a served request's state without answering it (exported, as
/// libevent exports it, for code generated against its internals).
#[no_mangle]
pub unsafe extern "C" fn evrpc_reqstate_free_(req: *mut evrpc_req_generic) {
    entry("evrpc_reqstate_free_", || {
        // SAFETY: the boundary contract: a request not used again.
        unsafe { rpc::free_request_state(required(req, "request")?) };
        Ok(())
    })
}

// ---- client ----

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_new(base: *mut event_base) -> *mut evrpc_pool {
    entry("evrpc_pool_new", || Ok(evrpc_pool::new(base)))
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_free(pool: *mut evrpc_pool) {
    entry("evrpc_pool_free", || {
        // SAFETY: the boundary contract: a pool not used again.
        unsafe { evrpc_pool::free(required(pool, "evrpc_pool")?) };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_add_connection(
    pool: *mut evrpc_pool,
    evcon: *mut evhttp_connection,
) {
    entry("evrpc_pool_add_connection", || {
        let p: &evrpc_pool = arg!(pool)?;
        // SAFETY: the boundary contract: a live connection.
        unsafe { p.add_connection(required(evcon, "connection")?) }
            .map_err(|()| Refusal::Misuse("a server's connection cannot join a pool"))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_remove_connection(
    pool: *mut evrpc_pool,
    evcon: *mut evhttp_connection,
) {
    entry("evrpc_pool_remove_connection", || {
        let p: &evrpc_pool = arg!(pool)?;
        p.remove_connection(evcon);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_set_timeout(pool: *mut evrpc_pool, timeout_in_secs: c_int) {
    entry("evrpc_pool_set_timeout", || {
        let p: &evrpc_pool = arg!(pool)?;
        p.set_timeout(timeout_in_secs);
        Ok(())
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn evrpc_make_request_ctx(
    pool: *mut evrpc_pool,
    request: *mut c_void,
    reply: *mut c_void,
    rpcname: *const c_char,
    req_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
    rpl_clear: Option<unsafe extern "C" fn(*mut c_void)>,
    rpl_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
    cb: Option<unsafe extern "C" fn(*mut evrpc_status, *mut c_void, *mut c_void, *mut c_void)>,
    cbarg: *mut c_void,
) -> *mut evrpc_request_wrapper {
    entry("evrpc_make_request_ctx", || {
        let spec = RequestSpec {
            request,
            reply,
            name: c_str_arg(rpcname)?.to_owned(),
            request_marshal: req_marshal,
            reply_clear: rpl_clear,
            reply_unmarshal: rpl_unmarshal,
            cb,
            cb_arg: cbarg,
        };
        Ok(rpc::new_wrapper(required(pool, "evrpc_pool")?, spec))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_make_request(ctx: *mut evrpc_request_wrapper) -> c_int {
    entry("evrpc_make_request", || {
        let w: &evrpc_request_wrapper = arg!(ctx)?;
        required(w.pool, "evrpc_pool")?;
        // SAFETY: the boundary contract: a context and its live pool.
        unsafe { rpc::make_request(ctx) };
        Ok(0)
    })
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn evrpc_send_request_generic(
    pool: *mut evrpc_pool,
    request: *mut c_void,
    reply: *mut c_void,
    cb: Option<unsafe extern "C" fn(*mut evrpc_status, *mut c_void, *mut c_void, *mut c_void)>,
    cb_arg: *mut c_void,
    rpcname: *const c_char,
    req_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
    rpl_clear: Option<unsafe extern "C" fn(*mut c_void)>,
    rpl_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
) -> c_int {
    entry("evrpc_send_request_generic", || {
        let made =
            required(pool, "evrpc_pool").and_then(|p| Ok((p, c_str_arg(rpcname)?.to_owned())));
        let (pool, name) = match made {
            Ok(made) => made,
            Err(why) => {
                // SAFETY: the boundary contract: a callback of its type.
                unsafe { rpc::tell_unstarted(cb, request, reply, cb_arg) };
                return Err(why);
            }
        };
        let spec = RequestSpec {
            request,
            reply,
            name,
            request_marshal: req_marshal,
            reply_clear: rpl_clear,
            reply_unmarshal: rpl_unmarshal,
            cb,
            cb_arg,
        };
        // SAFETY: a request just made on a live pool (the contract).
        unsafe { rpc::make_request(rpc::new_wrapper(pool, spec)) };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_get_pool(
    ctx: *mut evrpc_request_wrapper,
) -> *mut evrpc_pool {
    entry("evrpc_request_get_pool", || {
        let w: &evrpc_request_wrapper = arg!(ctx)?;
        Ok(w.pool)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_set_pool(
    ctx: *mut evrpc_request_wrapper,
    pool: *mut evrpc_pool,
) {
    entry("evrpc_request_set_pool", || {
        // SAFETY: the boundary contract: a context not yet made into a
        // request, which nothing else touches.
        unsafe { (*required(ctx, "request context")?).pool = pool };
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_set_cb(
    ctx: *mut evrpc_request_wrapper,
    cb: Option<unsafe extern "C" fn(*mut evrpc_status, *mut c_void, *mut c_void, *mut c_void)>,
    cb_arg: *mut c_void,
) {
    entry("evrpc_request_set_cb", || {
        let w = required(ctx, "request context")?;
        // SAFETY: as evrpc_request_set_pool.
        unsafe {
            (*w).cb = cb;
            (*w).cb_arg = cb_arg;
        }
        Ok(())
    })
}

// ---- hooks ----

#[no_mangle]
pub unsafe extern "C" fn evrpc_add_hook(
    vbase: *mut c_void,
    hook_type: EvrpcHookType,
    cb: Option<
        unsafe extern "C" fn(*mut c_void, *mut evhttp_request, *mut evbuffer, *mut c_void) -> c_int,
    >,
    cb_arg: *mut c_void,
) -> *mut c_void {
    entry("evrpc_add_hook", || {
        let kind = hook_kind(hook_type)?;
        let cb = given(cb, "hook")?;
        // SAFETY: the boundary contract: a live evrpc_base or evrpc_pool.
        let host = unsafe { rpc::hook_host(required(vbase, "evrpc_base or pool")?) };
        Ok(host.add(kind, cb, cb_arg))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_remove_hook(
    vbase: *mut c_void,
    hook_type: EvrpcHookType,
    handle: *mut c_void,
) -> c_int {
    entry("evrpc_remove_hook", || {
        let kind = hook_kind(hook_type)?;
        // SAFETY: as evrpc_add_hook.
        let host = unsafe { rpc::hook_host(required(vbase, "evrpc_base or pool")?) };
        Ok(c_int::from(host.remove(kind, handle)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_resume_request(
    vbase: *mut c_void,
    ctx: *mut c_void,
    res: EvrpcHookResult,
) -> c_int {
    entry("evrpc_resume_request", || {
        // SAFETY: as evrpc_add_hook.
        let host = unsafe { rpc::hook_host(required(vbase, "evrpc_base or pool")?) };
        if host.resume(ctx, HookResult::from_c(res)) {
            Ok(0)
        } else {
            Err(Refusal::Quiet)
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_add_meta(
    ctx: *mut c_void,
    key: *const c_char,
    data: *const c_void,
    data_size: usize,
) {
    entry("evrpc_hook_add_meta", || {
        let key = c_str_arg(key)?;
        // SAFETY: the boundary contract: `data` readable for the size.
        let value = unsafe { bytes_in(data, data_size) }?;
        // SAFETY: the boundary contract: a hook's context.
        let meta = unsafe { rpc::meta_of(required(ctx, "hook context")?, true) };
        meta.ok_or(Refusal::Misuse("out of memory"))?
            .add(key.to_bytes(), value);
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_find_meta(
    ctx: *mut c_void,
    key: *const c_char,
    data: *mut *mut c_void,
    data_size: *mut usize,
) -> c_int {
    entry("evrpc_hook_find_meta", || {
        let key = c_str_arg(key)?;
        let (data, data_size) = (required(data, "data")?, required(data_size, "data_size")?);
        // SAFETY: the boundary contract: a hook's context.
        let meta = unsafe { rpc::meta_of(required(ctx, "hook context")?, false) };
        let value = meta
            .and_then(|m| m.find(key.to_bytes()))
            .ok_or(Refusal::Quiet)?;
        // SAFETY: the boundary contract: writable out-pointers. The value
        // stays in place while the request lives.
        unsafe {
            *data = value.as_ptr().cast_mut().cast();
            *data_size = value.len();
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_get_connection(ctx: *mut c_void) -> *mut evhttp_connection {
    entry("evrpc_hook_get_connection", || {
        // SAFETY: the boundary contract: a hook's context.
        let meta = unsafe { rpc::meta_of(required(ctx, "hook context")?, false) };
        Ok(meta.map_or(std::ptr::null_mut(), |m| m.connection()))
    })
}

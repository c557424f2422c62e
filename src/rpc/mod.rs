//! evrpc's objects (libevent's `evrpc.c`): the server side (`evrpc_base`
//! and the state of one request being served) and the client side
//! (`evrpc_pool` and one request in flight), built on evhttp's and
//! evbuffer's C API as libevent builds them. The rules (hook chains,
//! pauses, meta data, the pool's queue) are `rel_extra::rpc`'s; here they
//! are applied to C objects and C callbacks.
//!
//! The structs C reads by layout are `#[repr(C)]`: a server request
//! starts with the six fields `EVRPC_STRUCT` declares, and both request
//! kinds start with their hook meta data, because hooks get either as one
//! `void *ctx`. `evrpc_base` and `evrpc_pool` start with the same
//! [`HookHost`], because the hook calls take either as `void *`.
//!
//! Nothing holds a lock while C code runs: each list is copied or updated
//! under its lock, then the lock is dropped before any callback.

#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_short, c_void};
use std::ptr;
use std::sync::{Mutex, MutexGuard};

use rel_extra::rpc::{
    self as rules, HookKind, HookList, HookResult, Meta, PauseList, Pool, Status,
};

use crate::buffer_api::{evbuffer_free, evbuffer_get_length, evbuffer_new};
use crate::buffer_obj::evbuffer;
use crate::event_api::{event_add, event_del, event_free, event_new};
use crate::layout::rpc_struct::{
    evrpc, evrpc_base, evrpc_hook_meta, evrpc_req_generic, evrpc_status,
};
use crate::layout::{event, keyvalq_struct::evkeyvalq};
use crate::log_api::{mem_alloc, mem_free};
use crate::objects::event_base;
use crate::util::evutil_socket_t;

mod http_c {
    //! The evhttp calls evrpc makes, as libevent's evrpc makes them, and
    //! the two facts about a connection it reads inside evhttp.
    pub(crate) use crate::http::client::{
        evhttp_connection_free, evhttp_connection_get_server, evhttp_connection_set_timeout,
        evhttp_make_request,
    };
    pub(super) use crate::http::compat::evhttp_connection_set_base;
    pub(crate) use crate::http::request::{
        evhttp_request_free, evhttp_request_get_command, evhttp_request_get_connection,
        evhttp_request_get_input_buffer, evhttp_request_get_output_buffer,
        evhttp_request_get_output_headers, evhttp_request_is_owned, evhttp_request_new,
        evhttp_request_own, evhttp_send_error, evhttp_send_reply,
    };
    pub(super) use crate::http::server::{evhttp_del_cb, evhttp_set_cb};
    pub(crate) use crate::http::{connection, evhttp, evhttp_connection, EVREQ_HTTP_TIMEOUT};
    pub(super) use crate::http_api::{evhttp_add_header, evhttp_find_header};
    pub(crate) use crate::layout::http_struct::evhttp_request;

    pub(super) const EVHTTP_REQ_POST: i32 = 1 << 1;
    pub(super) const HTTP_OK: i32 = 200;
    pub(super) const HTTP_SERVUNAVAIL: i32 = 503;

    /// Whether a client connection has nothing queued or in flight (the
    /// pool sends on such a connection).
    ///
    /// # Safety
    /// `c` is a live connection.
    pub(super) unsafe fn connection_is_idle(c: *mut evhttp_connection) -> bool {
        connection::conn(c).requests.is_empty()
    }

    /// Whether the program chose the connection's timeout (else it takes
    /// the pool's).
    ///
    /// # Safety
    /// `c` is a live connection.
    pub(super) unsafe fn connection_timeout_adjusted(c: *mut evhttp_connection) -> bool {
        connection::conn(c).timeout.is_some()
    }

    /// Fails the connection's request in flight as timed out.
    ///
    /// # Safety
    /// `c` is a live connection.
    pub(super) unsafe fn fail_timed_out(c: *mut evhttp_connection) {
        connection::fail(c, EVREQ_HTTP_TIMEOUT);
    }
}
use http_c::*;

/// `enum EVRPC_HOOK_TYPE` (a C enum in headers/rpc.h): 0 input, 1
/// output; `HookKind::from_c` reads it.
pub type EvrpcHookType = std::os::raw::c_uint;
/// `enum EVRPC_HOOK_RESULT` (headers/rpc.h); `HookResult::from_c` reads it.
pub type EvrpcHookResult = c_int;

/// A hook as C gave it.
#[derive(Clone, Copy)]
pub(crate) struct Hook {
    process: HookFn,
    arg: *mut c_void,
}

pub(crate) type HookFn =
    unsafe extern "C" fn(*mut c_void, *mut evhttp_request, *mut evbuffer, *mut c_void) -> c_int;

/// Where a paused request goes on when it is resumed.
#[derive(Clone, Copy)]
enum Resume {
    /// A server request past its input hooks: unmarshal, call the handler.
    ServerRequest,
    /// A server reply past its output hooks: send it.
    ServerReply,
    /// A client request past its output hooks: send it.
    ClientRequest,
    /// A client reply past its input hooks: unmarshal, call back.
    ClientReply,
}

/// What a server and a pool share, first in both.
#[repr(C)]
pub(crate) struct HookHost {
    input: Mutex<HookList<Hook>>,
    output: Mutex<HookList<Hook>>,
    paused: Mutex<PauseList<Resume>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl HookHost {
    fn new() -> Self {
        HookHost {
            input: Mutex::new(HookList::new()),
            output: Mutex::new(HookList::new()),
            paused: Mutex::new(PauseList::new()),
        }
    }

    fn list(&self, kind: HookKind) -> &Mutex<HookList<Hook>> {
        match kind {
            HookKind::Input => &self.input,
            HookKind::Output => &self.output,
        }
    }

    pub(crate) fn add(&self, kind: HookKind, process: HookFn, arg: *mut c_void) -> *mut c_void {
        lock(self.list(kind)).add(Hook { process, arg }) as *mut c_void
    }

    pub(crate) fn remove(&self, kind: HookKind, handle: *mut c_void) -> bool {
        lock(self.list(kind)).remove(handle as usize)
    }

    /// The hooks of `kind` now, or None when there are none (libevent
    /// attaches meta data only when some hook will run).
    fn hooks(&self, kind: HookKind) -> Option<Vec<Hook>> {
        let l = lock(self.list(kind));
        (!l.is_empty()).then(|| l.snapshot())
    }

    fn pause(&self, ctx: *mut c_void, then: Resume) {
        lock(&self.paused).pause(ctx as usize, then);
    }

    /// Resumes the paused request `ctx` with `res`; false if it is not
    /// paused here.
    pub(crate) fn resume(&self, ctx: *mut c_void, res: HookResult) -> bool {
        let Some(then) = lock(&self.paused).resume(ctx as usize) else {
            return false;
        };
        // SAFETY: `ctx` was paused by this module with `then` saying what
        // it is, and a paused request stays alive until resumed.
        unsafe {
            match then {
                Resume::ServerRequest => serve(ctx.cast(), res),
                Resume::ServerReply => send_reply(ctx.cast(), res),
                Resume::ClientRequest => send_request(ctx.cast(), res),
                Resume::ClientReply => deliver_reply(ctx.cast(), res),
            }
        }
        true
    }
}

/// Runs a hook chain on `ctx` (a request of either kind).
///
/// # Safety
/// `req` and `buf` are live; the hooks are C functions with their
/// declared signature.
unsafe fn run(
    hooks: &[Hook],
    ctx: *mut c_void,
    req: *mut evhttp_request,
    buf: *mut evbuffer,
) -> HookResult {
    rules::run_hooks(hooks, |h| {
        // SAFETY: by this function's contract.
        HookResult::from_c(unsafe { (h.process)(ctx, req, buf, h.arg) })
    })
}

/// The meta data hooks attach to one request, and its connection.
pub(crate) struct HookMeta {
    meta: Meta,
    evcon: *mut evhttp_connection,
}

/// Both request kinds begin with this: hooks get either as `void *ctx`.
/// C sees `struct evrpc_hook_meta *`; behind it is a [`HookMeta`].
type MetaSlot = *mut evrpc_hook_meta;

/// Makes (or reuses) the request's meta store and records its connection.
fn associate_meta(slot: &mut MetaSlot, evcon: *mut evhttp_connection) {
    if slot.is_null() {
        *slot = Box::into_raw(Box::new(HookMeta {
            meta: Meta::default(),
            evcon: ptr::null_mut(),
        }))
        .cast();
    }
    // SAFETY: non-null slots hold a HookMeta this module boxed.
    unsafe { (*slot.cast::<HookMeta>()).evcon = evcon };
}

fn free_meta(slot: &mut MetaSlot) {
    if !slot.is_null() {
        // SAFETY: boxed by associate_meta/meta_of, freed once: the slot is
        // cleared.
        drop(unsafe { Box::from_raw(slot.cast::<HookMeta>()) });
        *slot = ptr::null_mut();
    }
}

/// The meta store of a hook's `ctx`, made on first use.
///
/// # Safety
/// `ctx` is a request of either kind (their first field is the slot).
pub(crate) unsafe fn meta_of<'a>(ctx: *mut c_void, create: bool) -> Option<&'a mut HookMeta> {
    // SAFETY: by the contract, the first field is a MetaSlot.
    let slot = unsafe { &mut *ctx.cast::<MetaSlot>() };
    if slot.is_null() && create {
        associate_meta(slot, ptr::null_mut());
    }
    // SAFETY: null or a live HookMeta.
    unsafe { slot.cast::<HookMeta>().as_mut() }
}

impl HookMeta {
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) {
        self.meta.add(key, value);
    }

    pub(crate) fn find(&self, key: &[u8]) -> Option<&[u8]> {
        self.meta.find(key)
    }

    pub(crate) fn connection(&self) -> *mut evhttp_connection {
        self.evcon
    }
}

// ---- the server side --------------------------------------------------

/// An RPC server on an evhttp: what C's `struct evrpc_base *` points to.
#[repr(C)]
pub(crate) struct RpcServer {
    pub(crate) hooks: HookHost,
    http: *mut evhttp,
    /// Registered RPCs, in registration order.
    rpcs: Mutex<Vec<*mut evrpc>>,
}

impl RpcServer {
    pub(crate) fn create(http: *mut evhttp) -> *mut evrpc_base {
        Box::into_raw(Box::new(RpcServer {
            hooks: HookHost::new(),
            http,
            rpcs: Mutex::new(Vec::new()),
        }))
        .cast()
    }

    /// The server behind a pointer C holds.
    ///
    /// # Safety
    /// `base` came from [`RpcServer::create`] and is live.
    pub(crate) unsafe fn from_c<'a>(base: *mut evrpc_base) -> &'a RpcServer {
        // SAFETY: by the contract.
        unsafe { &*base.cast::<RpcServer>() }
    }

    /// Offers `rpc` at `/.rpc.NAME`.
    ///
    /// # Safety
    /// `rpc` is a live, malloc'd `struct evrpc` whose `uri` is a C string.
    pub(crate) unsafe fn register(
        &self,
        rpc: *mut evrpc,
        cb: Option<unsafe extern "C" fn(*mut evrpc_req_generic, *mut c_void)>,
        cb_arg: *mut c_void,
    ) {
        // SAFETY: by the contract.
        let r = unsafe { &mut *rpc };
        r.base = (self as *const RpcServer).cast_mut().cast();
        r.cb = cb;
        r.cb_arg = cb_arg;
        lock(&self.rpcs).push(rpc);
        // SAFETY: `uri` is a C string (contract).
        let path = c_path(unsafe { CStr::from_ptr(r.uri) }.to_bytes());
        // SAFETY: our own entry point, with the server this base serves
        // on and a callback of the declared type.
        unsafe { evhttp_set_cb(self.http, path.as_ptr(), Some(serve_cb), rpc.cast()) };
    }

    /// Withdraws the RPC called `name` and frees it; false if none is.
    pub(crate) fn unregister(&self, name: &[u8]) -> bool {
        let rpc = {
            let mut rpcs = lock(&self.rpcs);
            // SAFETY: registered RPCs are live with C-string names.
            let Some(i) = rpcs
                .iter()
                .position(|r| unsafe { CStr::from_ptr((**r).uri) }.to_bytes() == name)
            else {
                return false;
            };
            rpcs.remove(i)
        };
        let path = c_path(name);
        // SAFETY: our own entry points; `rpc` was malloc'd with its name,
        // as evrpc_register_generic makes them and libevent frees them.
        unsafe {
            evhttp_del_cb(self.http, path.as_ptr());
            mem_free((*rpc).uri.cast_mut().cast());
            mem_free(rpc.cast());
        }
        true
    }

    /// Frees the base: every RPC withdrawn, pauses and hooks forgotten.
    ///
    /// # Safety
    /// `base` came from [`RpcServer::create`] and is not used again.
    pub(crate) unsafe fn free(base: *mut evrpc_base) {
        // SAFETY: by the contract.
        let b = unsafe { Box::from_raw(base.cast::<RpcServer>()) };
        let names: Vec<Vec<u8>> = lock(&b.rpcs)
            .iter()
            // SAFETY: registered RPCs are live with C-string names.
            .map(|r| unsafe { CStr::from_ptr((**r).uri) }.to_bytes().to_vec())
            .collect();
        for n in names {
            b.unregister(&n);
        }
    }
}

/// How an RPC's messages are made, read, checked, written and freed
/// (`evrpc_register_generic`'s arguments past the name and handler).
pub(crate) struct RpcSpec {
    pub request_new: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    pub request_new_arg: *mut c_void,
    pub request_free: Option<unsafe extern "C" fn(*mut c_void)>,
    pub request_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
    pub reply_new: Option<unsafe extern "C" fn(*mut c_void) -> *mut c_void>,
    pub reply_new_arg: *mut c_void,
    pub reply_free: Option<unsafe extern "C" fn(*mut c_void)>,
    pub reply_complete: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    pub reply_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
}

impl RpcServer {
    /// `evrpc_register_generic`: makes the `struct evrpc` with the
    /// allocator libevent frees it with (`evrpc_unregister_rpc` does), and
    /// offers it. Err: out of memory.
    pub(crate) fn register_generic(
        &self,
        name: &CStr,
        cb: Option<unsafe extern "C" fn(*mut evrpc_req_generic, *mut c_void)>,
        cb_arg: *mut c_void,
        spec: RpcSpec,
    ) -> Result<(), ()> {
        let bytes = name.to_bytes_with_nul();
        let uri: *mut c_char = mem_alloc(bytes.len()).cast();
        let rpc: *mut evrpc = mem_alloc(std::mem::size_of::<evrpc>()).cast();
        if uri.is_null() || rpc.is_null() {
            mem_free(uri.cast());
            mem_free(rpc.cast());
            return Err(());
        }
        // SAFETY: fresh memory of those sizes; then a malloc'd evrpc with
        // a C-string name, as `register` wants.
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr().cast(), uri, bytes.len());
            rpc.write(evrpc {
                next: std::mem::zeroed(),
                uri,
                request_new: spec.request_new,
                request_new_arg: spec.request_new_arg,
                request_free: spec.request_free,
                request_unmarshal: spec.request_unmarshal,
                reply_new: spec.reply_new,
                reply_new_arg: spec.reply_new_arg,
                reply_free: spec.reply_free,
                reply_complete: spec.reply_complete,
                reply_marshal: spec.reply_marshal,
                cb: None,
                cb_arg: ptr::null_mut(),
                base: ptr::null_mut(),
            });
            self.register(rpc, cb, cb_arg);
        }
        Ok(())
    }
}

/// `/.rpc.NAME` as a C string (names come from C strings: no NUL).
fn c_path(name: &[u8]) -> CString {
    CString::new(rules::uri(name)).unwrap_or_default()
}

fn new_request_state(rpc: *mut evrpc, req: *mut evhttp_request) -> *mut evrpc_req_generic {
    Box::into_raw(Box::new(evrpc_req_generic {
        hook_meta: ptr::null_mut(),
        request: ptr::null_mut(),
        reply: ptr::null_mut(),
        rpc,
        http_req: req,
        rpc_data: ptr::null_mut(),
    }))
}

/// Frees a served request's state and what it holds
/// (`evrpc_reqstate_free_`).
///
/// # Safety
/// `state` came from this module and is not used again.
pub(crate) unsafe fn free_request_state(state: *mut evrpc_req_generic) {
    // SAFETY: by the contract.
    let mut s = unsafe { Box::from_raw(state) };
    free_meta(&mut s.hook_meta);
    // SAFETY: the RPC outlives its requests; its functions have their
    // declared types; the buffer is ours.
    unsafe {
        let rpc = &*s.rpc;
        if let (false, Some(f)) = (s.request.is_null(), rpc.request_free) {
            f(s.request);
        }
        if let (false, Some(f)) = (s.reply.is_null(), rpc.reply_free) {
            f(s.reply);
        }
        if !s.rpc_data.is_null() {
            evbuffer_free(s.rpc_data);
        }
    }
}

/// Gives up on a served request: its state freed, 503 to the client.
///
/// # Safety
/// As [`free_request_state`].
unsafe fn refuse(state: *mut evrpc_req_generic) {
    // SAFETY: by the contract.
    let req = unsafe { (*state).http_req };
    // SAFETY: as above; the HTTP request is live until answered.
    unsafe {
        free_request_state(state);
        evhttp_send_error(req, HTTP_SERVUNAVAIL, ptr::null());
    }
}

/// The evhttp callback of every RPC: a POST with a body, through the
/// input hooks, to [`serve`].
unsafe extern "C" fn serve_cb(req: *mut evhttp_request, arg: *mut c_void) {
    let rpc: *mut evrpc = arg.cast();
    // SAFETY: evhttp calls back with a live request and the RPC we gave.
    unsafe {
        let input = evhttp_request_get_input_buffer(req);
        if evhttp_request_get_command(req) != EVHTTP_REQ_POST || evbuffer_get_length(input) == 0 {
            evhttp_send_error(req, HTTP_SERVUNAVAIL, ptr::null());
            return;
        }
        let state = new_request_state(rpc, req);
        let base = RpcServer::from_c((*rpc).base);
        if let Some(hooks) = base.hooks.hooks(HookKind::Input) {
            associate_meta(&mut (*state).hook_meta, evhttp_request_get_connection(req));
            match run(&hooks, state.cast(), req, input) {
                HookResult::Terminate => return refuse(state),
                HookResult::Pause => return base.hooks.pause(state.cast(), Resume::ServerRequest),
                HookResult::Continue => {}
            }
        }
        serve(state, HookResult::Continue);
    }
}

/// Unmarshals the request, makes the reply and calls the RPC's handler.
///
/// # Safety
/// `state` is a live served request.
unsafe fn serve(state: *mut evrpc_req_generic, res: HookResult) {
    if res == HookResult::Terminate {
        // SAFETY: by the contract.
        return unsafe { refuse(state) };
    }
    // SAFETY: by the contract; the RPC's functions have their declared
    // types (the boundary contract of evrpc_register_*).
    unsafe {
        let s = &mut *state;
        let rpc = &*s.rpc;
        let (Some(req_new), Some(unmarshal), Some(rpl_new)) =
            (rpc.request_new, rpc.request_unmarshal, rpc.reply_new)
        else {
            return refuse(state);
        };
        s.request = req_new(rpc.request_new_arg);
        if s.request.is_null()
            || unmarshal(s.request, evhttp_request_get_input_buffer(s.http_req)) == -1
        {
            return refuse(state);
        }
        s.reply = rpl_new(rpc.reply_new_arg);
        match (s.reply.is_null(), rpc.cb) {
            (false, Some(cb)) => cb(state, rpc.cb_arg),
            _ => refuse(state),
        }
    }
}

/// `evrpc_request_done`: checks and marshals the reply, runs the output
/// hooks, then sends it.
///
/// # Safety
/// `state` is a live served request its handler was given.
pub(crate) unsafe fn request_done(state: *mut evrpc_req_generic) {
    // SAFETY: by the contract.
    unsafe {
        let s = &mut *state;
        let rpc = &*s.rpc;
        let (Some(complete), Some(marshal)) = (rpc.reply_complete, rpc.reply_marshal) else {
            return refuse(state);
        };
        if complete(s.reply) == -1 {
            return refuse(state);
        }
        s.rpc_data = evbuffer_new();
        if s.rpc_data.is_null() {
            return refuse(state);
        }
        marshal(s.rpc_data, s.reply);
        let base = RpcServer::from_c(rpc.base);
        if let Some(hooks) = base.hooks.hooks(HookKind::Output) {
            associate_meta(&mut s.hook_meta, evhttp_request_get_connection(s.http_req));
            match run(&hooks, state.cast(), s.http_req, s.rpc_data) {
                HookResult::Terminate => return refuse(state),
                HookResult::Pause => return base.hooks.pause(state.cast(), Resume::ServerReply),
                HookResult::Continue => {}
            }
        }
        send_reply(state, HookResult::Continue);
    }
}

/// Sends the marshalled reply (as `application/octet-stream` unless a hook
/// chose a type) and frees the request's state.
///
/// # Safety
/// `state` is a live served request with its reply marshalled.
unsafe fn send_reply(state: *mut evrpc_req_generic, res: HookResult) {
    if res == HookResult::Terminate {
        // SAFETY: by the contract.
        return unsafe { refuse(state) };
    }
    // SAFETY: by the contract.
    unsafe {
        let req = (*state).http_req;
        let headers: *mut evkeyvalq = evhttp_request_get_output_headers(req);
        if evhttp_find_header(headers, c"Content-Type".as_ptr()).is_null() {
            evhttp_add_header(
                headers,
                c"Content-Type".as_ptr(),
                c"application/octet-stream".as_ptr(),
            );
        }
        evhttp_send_reply(req, HTTP_OK, c"OK".as_ptr(), (*state).rpc_data);
        free_request_state(state);
    }
}

// ---- the client side --------------------------------------------------

/// A client's pool of connections to one RPC server (opaque to C).
#[repr(C)]
pub struct evrpc_pool {
    pub(crate) hooks: HookHost,
    base: *mut event_base,
    queue: Mutex<Pool<*mut evhttp_connection, *mut evrpc_request_wrapper>>,
}

/// A request a client makes (opaque to C): what `EVRPC_MAKE_CTX` makes.
#[repr(C)]
pub struct evrpc_request_wrapper {
    hook_meta: MetaSlot,
    pub(crate) pool: *mut evrpc_pool,
    evcon: *mut evhttp_connection,
    req: *mut evhttp_request,
    timeout: *mut event,
    name: CString,
    pub(crate) cb: Option<ClientCb>,
    pub(crate) cb_arg: *mut c_void,
    request: *mut c_void,
    reply: *mut c_void,
    request_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
    reply_clear: Option<unsafe extern "C" fn(*mut c_void)>,
    reply_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
}

pub(crate) type ClientCb =
    unsafe extern "C" fn(*mut evrpc_status, *mut c_void, *mut c_void, *mut c_void);

/// What `evrpc_make_request_ctx` takes, past the pool.
pub(crate) struct RequestSpec {
    pub request: *mut c_void,
    pub reply: *mut c_void,
    pub name: CString,
    pub request_marshal: Option<unsafe extern "C" fn(*mut evbuffer, *mut c_void)>,
    pub reply_clear: Option<unsafe extern "C" fn(*mut c_void)>,
    pub reply_unmarshal: Option<unsafe extern "C" fn(*mut c_void, *mut evbuffer) -> c_int>,
    pub cb: Option<ClientCb>,
    pub cb_arg: *mut c_void,
}

impl evrpc_pool {
    pub(crate) fn new(base: *mut event_base) -> *mut evrpc_pool {
        Box::into_raw(Box::new(evrpc_pool {
            hooks: HookHost::new(),
            base,
            queue: Mutex::new(Pool::new()),
        }))
    }

    /// Frees the pool: waiting requests dropped without a callback (as
    /// libevent), its connections freed.
    ///
    /// # Safety
    /// `pool` came from [`evrpc_pool::new`] and is not used again.
    pub(crate) unsafe fn free(pool: *mut evrpc_pool) {
        // SAFETY: by the contract.
        let p = unsafe { Box::from_raw(pool) };
        let (waiting, conns) = lock(&p.queue).drain();
        for w in waiting {
            // SAFETY: waiting requests are live wrappers of this pool.
            unsafe { free_wrapper(w) };
        }
        for c in conns {
            // SAFETY: connections the program handed to the pool.
            unsafe { evhttp_connection_free(c) };
        }
    }

    /// Adds a client connection; a waiting request goes out on it.
    ///
    /// # Safety
    /// `conn` is a live client connection.
    pub(crate) unsafe fn add_connection(&self, conn: *mut evhttp_connection) -> Result<(), ()> {
        // SAFETY: by the contract.
        unsafe {
            if !evhttp_connection_get_server(conn).is_null() {
                return Err(());
            }
            if !self.base.is_null() {
                evhttp_connection_set_base(conn, self.base);
            }
            let next = {
                let mut q = lock(&self.queue);
                if !connection_timeout_adjusted(conn) {
                    evhttp_connection_set_timeout(conn, q.timeout());
                }
                q.add_connection(conn)
            };
            if let Some(w) = next {
                schedule(conn, w);
            }
        }
        Ok(())
    }

    pub(crate) fn remove_connection(&self, conn: *mut evhttp_connection) {
        lock(&self.queue).remove_connection(conn);
    }

    pub(crate) fn set_timeout(&self, secs: c_int) {
        let conns = lock(&self.queue).set_timeout(secs).to_vec();
        for c in conns {
            // SAFETY: connections in the pool are live.
            unsafe { evhttp_connection_set_timeout(c, secs) };
        }
    }

    /// Sends the oldest waiting request if a connection is idle.
    fn schedule_next(&self) {
        // SAFETY: connections in the pool are live.
        let next = lock(&self.queue).next(|c| unsafe { connection_is_idle(c) });
        if let Some((conn, w)) = next {
            // SAFETY: a waiting wrapper of this pool, a live connection.
            unsafe { schedule(conn, w) };
        }
    }
}

/// `evrpc_make_request_ctx`.
pub(crate) fn new_wrapper(pool: *mut evrpc_pool, spec: RequestSpec) -> *mut evrpc_request_wrapper {
    Box::into_raw(Box::new(evrpc_request_wrapper {
        hook_meta: ptr::null_mut(),
        pool,
        evcon: ptr::null_mut(),
        req: ptr::null_mut(),
        timeout: ptr::null_mut(),
        name: spec.name,
        cb: spec.cb,
        cb_arg: spec.cb_arg,
        request: spec.request,
        reply: spec.reply,
        request_marshal: spec.request_marshal,
        reply_clear: spec.reply_clear,
        reply_unmarshal: spec.reply_unmarshal,
    }))
}

/// # Safety
/// `w` came from [`new_wrapper`] and is not used again.
unsafe fn free_wrapper(w: *mut evrpc_request_wrapper) {
    // SAFETY: by the contract.
    let mut w = unsafe { Box::from_raw(w) };
    free_meta(&mut w.hook_meta);
    if !w.timeout.is_null() {
        // SAFETY: our own timer event, not pending any more once freed.
        unsafe { event_free(w.timeout) };
    }
}

/// Calls the client back with `error` (request never sent, or failed)
/// and frees the wrapper.
///
/// # Safety
/// `w` is a live wrapper.
unsafe fn fail_unstarted(w: *mut evrpc_request_wrapper) {
    // SAFETY: by the contract.
    unsafe {
        let r = &*w;
        tell_unstarted(r.cb, r.request, r.reply, r.cb_arg);
        free_wrapper(w);
    }
}

/// Tells a client callback its request never started
/// (`EVRPC_STATUS_ERR_UNSTARTED`, no reply), as libevent does for a
/// request that could not even be made.
///
/// # Safety
/// `cb` has its declared type; the other arguments are the caller's.
pub(crate) unsafe fn tell_unstarted(
    cb: Option<ClientCb>,
    request: *mut c_void,
    reply: *mut c_void,
    cb_arg: *mut c_void,
) {
    let mut status = evrpc_status {
        error: Status::Unstarted as c_int,
        http_req: ptr::null_mut(),
    };
    if let Some(cb) = cb {
        // SAFETY: by the contract.
        unsafe { cb(&mut status, request, reply, cb_arg) };
    }
}

/// `evrpc_make_request`: queues the request on its pool and sends it if a
/// connection is idle.
///
/// # Safety
/// `w` is a live wrapper whose pool is live.
pub(crate) unsafe fn make_request(w: *mut evrpc_request_wrapper) {
    // SAFETY: by the contract.
    unsafe {
        let pool = &*(*w).pool;
        if (*w).timeout.is_null() {
            (*w).timeout = event_new(pool.base, -1, 0, Some(on_timeout), w.cast());
        }
        lock(&pool.queue).push(w);
        pool.schedule_next();
    }
}

/// Puts a request on a connection: marshals it, runs the output hooks.
///
/// # Safety
/// `w` is a live wrapper no longer queued; `conn` a live connection.
unsafe fn schedule(conn: *mut evhttp_connection, w: *mut evrpc_request_wrapper) {
    // SAFETY: by the contract.
    unsafe {
        let r = &mut *w;
        let req = evhttp_request_new(Some(on_reply), w.cast());
        if req.is_null() {
            return fail_unstarted(w);
        }
        r.evcon = conn;
        r.req = req;
        let Some(marshal) = r.request_marshal else {
            return abandon(w);
        };
        marshal(evhttp_request_get_output_buffer(req), r.request);
        let pool = &*r.pool;
        if let Some(hooks) = pool.hooks.hooks(HookKind::Output) {
            associate_meta(&mut r.hook_meta, conn);
            match run(&hooks, w.cast(), req, evhttp_request_get_output_buffer(req)) {
                HookResult::Terminate => return abandon(w),
                HookResult::Pause => return pool.hooks.pause(w.cast(), Resume::ClientRequest),
                HookResult::Continue => {}
            }
        }
        send_request(w, HookResult::Continue);
    }
}

/// A request made but never handed to its connection: freed, and the
/// client told it never started.
///
/// # Safety
/// `w` is a live wrapper holding an unsent request.
unsafe fn abandon(w: *mut evrpc_request_wrapper) {
    // SAFETY: by the contract: the request was never made, so it is ours.
    unsafe {
        evhttp_request_free((*w).req);
        (*w).req = ptr::null_mut();
        fail_unstarted(w);
    }
}

/// Starts the pool's timeout and sends the request as a POST to
/// `/.rpc.NAME`.
///
/// # Safety
/// `w` is a live wrapper holding its unsent request and connection.
unsafe fn send_request(w: *mut evrpc_request_wrapper, res: HookResult) {
    if res == HookResult::Terminate {
        // SAFETY: by the contract.
        return unsafe { abandon(w) };
    }
    // SAFETY: by the contract.
    unsafe {
        let r = &mut *w;
        let secs = lock(&(*r.pool).queue).timeout();
        if secs > 0 && !r.timeout.is_null() {
            let tv = libc::timeval {
                tv_sec: secs.into(),
                tv_usec: 0,
            };
            event_add(r.timeout, &tv);
        }
        let path = c_path(r.name.to_bytes());
        // On failure evhttp has freed the request.
        if evhttp_make_request(r.evcon, r.req, EVHTTP_REQ_POST as _, path.as_ptr()) == -1 {
            r.req = ptr::null_mut();
            if !r.timeout.is_null() {
                event_del(r.timeout);
            }
            fail_unstarted(w);
        }
    }
}

/// The pool's timeout: the connection fails, which calls [`on_reply`]
/// with no reply.
unsafe extern "C" fn on_timeout(_fd: evutil_socket_t, _what: c_short, arg: *mut c_void) {
    let w: *mut evrpc_request_wrapper = arg.cast();
    // SAFETY: the timer is deleted before its wrapper is freed.
    unsafe { fail_timed_out((*w).evcon) };
}

/// evhttp's callback for a reply (NULL: none came): input hooks, then
/// [`deliver_reply`].
unsafe extern "C" fn on_reply(req: *mut evhttp_request, arg: *mut c_void) {
    let w: *mut evrpc_request_wrapper = arg.cast();
    // SAFETY: evhttp calls back once with the wrapper we gave.
    unsafe {
        let r = &mut *w;
        if !r.timeout.is_null() {
            event_del(r.timeout);
        }
        r.req = req;
        if req.is_null() {
            return deliver_reply(w, HookResult::Continue);
        }
        let pool = &*r.pool;
        let mut res = HookResult::Continue;
        if let Some(hooks) = pool.hooks.hooks(HookKind::Input) {
            associate_meta(&mut r.hook_meta, r.evcon);
            res = run(&hooks, w.cast(), req, evhttp_request_get_input_buffer(req));
            if res == HookResult::Pause {
                // evhttp frees the reply when this returns, unless owned.
                evhttp_request_own(req);
                return pool.hooks.pause(w.cast(), Resume::ClientReply);
            }
        }
        deliver_reply(w, res);
    }
}

/// Unmarshals the reply (or says why there is none), calls the client
/// back, frees the request and sends the next waiting one.
///
/// # Safety
/// `w` is a live wrapper whose reply (or NULL) is in `req`.
unsafe fn deliver_reply(w: *mut evrpc_request_wrapper, res: HookResult) {
    // SAFETY: by the contract.
    unsafe {
        let r = &mut *w;
        let req = r.req;
        let pool = r.pool;
        let mut status = evrpc_status {
            error: Status::None as c_int,
            http_req: req.cast(),
        };
        let ok = if req.is_null() {
            status.error = Status::Timeout as c_int;
            false
        } else if res == HookResult::Terminate {
            status.error = Status::HookAborted as c_int;
            false
        } else {
            let parsed = r
                .reply_unmarshal
                .is_some_and(|f| f(r.reply, evhttp_request_get_input_buffer(req)) != -1);
            if !parsed {
                status.error = Status::BadPayload as c_int;
            }
            parsed
        };
        if !ok {
            if let Some(clear) = r.reply_clear {
                clear(r.reply);
            }
        }
        if let Some(cb) = r.cb {
            cb(&mut status, r.request, r.reply, r.cb_arg);
        }
        free_wrapper(w);
        if !req.is_null() && evhttp_request_is_owned(req) != 0 {
            evhttp_request_free(req);
        }
        (*pool).schedule_next();
    }
}

/// Which of the two hosts a `void *vbase` is does not matter: both begin
/// with their [`HookHost`].
///
/// # Safety
/// `vbase` is a live server (`evrpc_base`) or `evrpc_pool`.
pub(crate) unsafe fn hook_host<'a>(vbase: *mut c_void) -> &'a HookHost {
    // SAFETY: by the contract; both are repr(C) with the host first.
    unsafe { &*vbase.cast::<HookHost>() }
}

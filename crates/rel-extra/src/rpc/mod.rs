//! evrpc's rules (libevent's `evrpc.c`) that need no C: where an RPC lives
//! on the HTTP server, what hooks return and how a chain of them runs,
//! paused requests, the per-request meta data hooks attach, and the client
//! pool's queue of requests waiting for an idle connection.
//!
//! Hooks, requests and connections are opaque here: the C layer
//! (`rpc_api.rs`) supplies them as copyable handles and makes the calls.

mod pool;

pub use pool::Pool;

/// Every RPC is served at this prefix plus its name (`/.rpc.NAME`).
pub const URI_PREFIX: &str = "/.rpc.";

/// The HTTP path of the RPC called `name`.
pub fn uri(name: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(URI_PREFIX.len() + name.len());
    u.extend_from_slice(URI_PREFIX.as_bytes());
    u.extend_from_slice(name);
    u
}

/// What a hook returns (`enum EVRPC_HOOK_RESULT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookResult {
    /// Give up on the request (-1).
    Terminate,
    /// Go on with the next hook, then the request (0).
    Continue,
    /// Stop here until `evrpc_resume_request` says how to go on (1).
    Pause,
}

impl HookResult {
    /// The C value's meaning; anything else is a broken hook, which
    /// libevent asserts on and librel treats as `Terminate`.
    pub fn from_c(v: i32) -> HookResult {
        match v {
            0 => HookResult::Continue,
            1 => HookResult::Pause,
            _ => HookResult::Terminate,
        }
    }
}

/// `struct evrpc_status`'s error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    None = 0,
    Timeout = 1,
    BadPayload = 2,
    Unstarted = 3,
    HookAborted = 4,
}

/// Which of a base's or pool's two hook lists (`enum EVRPC_HOOK_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookKind {
    /// Run on what arrives: requests at a server, replies at a pool.
    Input,
    /// Run on what leaves: replies at a server, requests at a pool.
    Output,
}

impl HookKind {
    pub fn from_c(v: u32) -> Option<HookKind> {
        match v {
            0 => Some(HookKind::Input),
            1 => Some(HookKind::Output),
            _ => None,
        }
    }
}

/// An ordered list of hooks. Each is boxed so its address is a handle
/// that stays valid and unique until the hook is removed (C gets it back
/// from `evrpc_add_hook` and passes it to `evrpc_remove_hook`).
pub struct HookList<H> {
    hooks: Vec<Box<H>>,
}

impl<H: Copy> HookList<H> {
    pub const fn new() -> Self {
        HookList { hooks: Vec::new() }
    }

    /// Appends a hook; returns its handle.
    pub fn add(&mut self, hook: H) -> usize {
        let b = Box::new(hook);
        let handle = &*b as *const H as usize;
        self.hooks.push(b);
        handle
    }

    /// Removes the hook with this handle; false if there is none.
    pub fn remove(&mut self, handle: usize) -> bool {
        let before = self.hooks.len();
        self.hooks.retain(|h| &**h as *const H as usize != handle);
        self.hooks.len() != before
    }

    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// The hooks in order, copied: a hook may add or remove hooks while
    /// the chain runs, and the chain it belongs to is the one it started.
    pub fn snapshot(&self) -> Vec<H> {
        self.hooks.iter().map(|h| **h).collect()
    }
}

impl<H: Copy> Default for HookList<H> {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `hooks` in order until one says other than `Continue`; returns
/// what the chain as a whole says.
pub fn run_hooks<H>(hooks: &[H], mut call: impl FnMut(&H) -> HookResult) -> HookResult {
    for h in hooks {
        let r = call(h);
        if r != HookResult::Continue {
            return r;
        }
    }
    HookResult::Continue
}

/// Requests a hook paused, each with what to do when it is resumed, found
/// again by their context handle.
pub struct PauseList<K> {
    paused: Vec<(usize, K)>,
}

impl<K> PauseList<K> {
    pub const fn new() -> Self {
        PauseList { paused: Vec::new() }
    }

    pub fn pause(&mut self, ctx: usize, then: K) {
        self.paused.push((ctx, then));
    }

    /// Takes the oldest pause of `ctx` off the list: what to resume.
    pub fn resume(&mut self, ctx: usize) -> Option<K> {
        let i = self.paused.iter().position(|(c, _)| *c == ctx)?;
        Some(self.paused.remove(i).1)
    }

    /// Forgets every pause (the base or pool is going away).
    pub fn clear(&mut self) {
        self.paused.clear();
    }
}

impl<K> Default for PauseList<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// Key/value data hooks attach to one request (`evrpc_hook_add_meta`).
/// Values stay at one address until the store is dropped, so C may hold
/// the pointer `evrpc_hook_find_meta` gives for the request's lifetime.
#[derive(Default)]
pub struct Meta {
    entries: Vec<(Vec<u8>, Box<[u8]>)>,
}

impl Meta {
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        self.entries.push((key.to_vec(), value.into()));
    }

    /// The first value stored under `key`.
    pub fn find(&self, key: &[u8]) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &**v)
    }
}

#[cfg(test)]
mod tests;

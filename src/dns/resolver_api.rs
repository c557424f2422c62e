//! `event2/dns.h`'s resolver: the base, its nameservers and options,
//! resolv.conf and hosts files, resolves and their cancellation.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::raw::{c_char, c_int, c_uint, c_ulong, c_void};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::Instant;

use rel_extra::dns::conf::{self, Line};
use rel_extra::dns::resolver::{reverse_name_v4, reverse_name_v6, Cb};
use rel_extra::dns::wire::{TYPE_A, TYPE_AAAA, TYPE_PTR};
use rel_extra::dns::{
    err_to_string, DNS_OPTIONS_ALL, DNS_OPTION_HOSTSFILE, DNS_OPTION_NAMESERVERS,
    DNS_OPTION_NAMESERVERS_NO_DEFAULT, DNS_OPTION_SEARCH, LOG_WARN,
};

use super::{evdns_base, evdns_request, log, Inner};
use crate::boundary::{arg, entry, given, FromC, Refusal};
use crate::objects::event_base;

/// `void (*)(int result, char type, int count, int ttl, void *addresses,
/// void *arg)`.
pub type evdns_callback_type =
    Option<unsafe extern "C" fn(c_int, c_char, c_int, c_int, *mut c_void, *mut c_void)>;

/// The callback's function type, as a resolve stores it.
pub(crate) type CallbackFn =
    unsafe extern "C" fn(c_int, c_char, c_int, c_int, *mut c_void, *mut c_void);

/// `void (*)(int is_warning, const char *msg)`.
pub type evdns_debug_log_fn_type = Option<unsafe extern "C" fn(c_int, *const c_char)>;

const EVDNS_BASE_INITIALIZE_NAMESERVERS: c_int = 1;
const EVDNS_BASE_DISABLE_WHEN_INACTIVE: c_int = 0x8000;
const EVDNS_BASE_NAMESERVERS_NO_DEFAULT: c_int = 0x10000;

impl FromC<*mut evdns_base> for Arc<Inner> {
    unsafe fn from_c(p: *mut evdns_base) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or a live evdns_base.
        let b = unsafe { p.as_ref() }.ok_or(Refusal::Missing("evdns_base"))?;
        Ok(b.inner.clone())
    }
}

/// A C string that may be NULL.
pub(crate) fn opt_str<'a>(p: *const c_char) -> Result<Option<&'a CStr>, Refusal> {
    if p.is_null() {
        return Ok(None);
    }
    Ok(Some(arg!(p)?))
}

/// A live base's state, for the other evdns modules.
pub(crate) fn inner_of(p: *mut evdns_base) -> Result<Arc<Inner>, Refusal> {
    arg!(p)
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_new(
    event_base: *mut event_base,
    initialize_nameservers: c_int,
) -> *mut evdns_base {
    entry("evdns_base_new", || {
        let mut flags = initialize_nameservers;
        let known = EVDNS_BASE_INITIALIZE_NAMESERVERS
            | EVDNS_BASE_DISABLE_WHEN_INACTIVE
            | EVDNS_BASE_NAMESERVERS_NO_DEFAULT;
        if flags & !known != 0 {
            flags = EVDNS_BASE_INITIALIZE_NAMESERVERS;
            log(
                LOG_WARN,
                "Unrecognized flag passed to evdns_base_new(). Assuming you meant EVDNS_BASE_INITIALIZE_NAMESERVERS.",
            );
        }
        let inner = Inner::new(event_base);
        if flags & EVDNS_BASE_INITIALIZE_NAMESERVERS != 0 {
            let mut opts = DNS_OPTIONS_ALL;
            if flags & EVDNS_BASE_NAMESERVERS_NO_DEFAULT != 0 {
                opts |= DNS_OPTION_NAMESERVERS_NO_DEFAULT;
            }
            if resolv_conf_parse(&inner, opts, Some(b"/etc/resolv.conf")) != 0 {
                free_base(&inner, false);
                return Err(Refusal::Quiet);
            }
        }
        if flags & EVDNS_BASE_DISABLE_WHEN_INACTIVE != 0 {
            inner.with(|st| st.core.options.disable_when_inactive = true);
        }
        Ok(Box::into_raw(Box::new(evdns_base { inner })))
    })
}

/// Fails or drops the requests, closes the nameservers, frees the rest.
pub(crate) fn free_base(inner: &Arc<Inner>, fail_requests: bool) {
    inner.with(|st| {
        st.core.shutdown(fail_requests);
        let ids = st.core.clear_servers();
        st.drop_sockets(ids);
    });
    let mut st = inner.lock();
    inner.teardown(&mut st);
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_free(base: *mut evdns_base, fail_requests: c_int) {
    entry("evdns_base_free", || {
        let inner: Arc<Inner> = arg!(base)?;
        free_base(&inner, fail_requests != 0);
        // SAFETY: a live base (checked above), freed once, as its owner
        // asks.
        drop(unsafe { Box::from_raw(base) });
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_clear_host_addresses(base: *mut evdns_base) {
    entry("evdns_base_clear_host_addresses", || {
        let inner: Arc<Inner> = arg!(base)?;
        inner.with(|st| st.core.hosts.clear());
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn evdns_err_to_string(err: c_int) -> *const c_char {
    // NUL-terminated copies of the words, for C.
    const WORDS: &[(i32, &CStr)] = &[
        (0, c"no error"),
        (1, c"misformatted query"),
        (2, c"server failed"),
        (3, c"name does not exist"),
        (4, c"query not implemented"),
        (5, c"refused"),
        (65, c"reply truncated or ill-formed"),
        (66, c"unknown"),
        (67, c"request timed out"),
        (68, c"dns subsystem shut down"),
        (69, c"dns request canceled"),
        (70, c"no records in the reply"),
    ];
    let words = err_to_string(err);
    WORDS
        .iter()
        .find(|(_, w)| w.to_bytes() == words.as_bytes())
        .map_or(c"[Unknown error code]".as_ptr(), |(_, w)| w.as_ptr())
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_add(
    base: *mut evdns_base,
    address: c_ulong,
) -> c_int {
    entry("evdns_base_nameserver_add", || {
        let inner: Arc<Inner> = arg!(base)?;
        let ip = Ipv4Addr::from(u32::from_be(address as u32));
        Ok(inner.add_nameserver(SocketAddr::V4(SocketAddrV4::new(ip, 53))))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_count_nameservers(base: *mut evdns_base) -> c_int {
    entry("evdns_base_count_nameservers", || {
        let inner: Arc<Inner> = arg!(base)?;
        Ok(inner.with(|st| st.core.count_servers() as c_int))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_clear_nameservers_and_suspend(base: *mut evdns_base) -> c_int {
    entry("evdns_base_clear_nameservers_and_suspend", || {
        let inner: Arc<Inner> = arg!(base)?;
        inner.with(|st| {
            let ids = st.core.clear_servers();
            st.drop_sockets(ids);
        });
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resume(base: *mut evdns_base) -> c_int {
    entry("evdns_base_resume", || {
        let inner: Arc<Inner> = arg!(base)?;
        inner.with(|st| st.core.resume());
        Ok(0)
    })
}

/// "ip[:port]" or "[ip6][:port]" as a nameserver (port 53 when absent):
/// evdns's codes, 4 when the text does not parse.
pub(crate) fn nameserver_ip_add(inner: &Arc<Inner>, text: &str) -> c_int {
    let Some(mut addr) = conf::parse_addr_port(text) else {
        log(
            LOG_WARN,
            &format!("Unable to parse nameserver address {text}"),
        );
        return 4;
    };
    if addr.port() == 0 {
        addr.set_port(53);
    }
    inner.add_nameserver(addr)
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_ip_add(
    base: *mut evdns_base,
    ip_as_string: *const c_char,
) -> c_int {
    entry("evdns_base_nameserver_ip_add", || {
        let inner: Arc<Inner> = arg!(base)?;
        let text: &CStr = arg!(ip_as_string)?;
        Ok(nameserver_ip_add(&inner, &text.to_string_lossy()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_nameserver_sockaddr_add(
    base: *mut evdns_base,
    sa: *const libc::sockaddr,
    len: libc::socklen_t,
    flags: c_uint,
) -> c_int {
    let _ = flags; // none are defined
    entry("evdns_base_nameserver_sockaddr_add", || {
        let inner: Arc<Inner> = arg!(base)?;
        if len as usize > std::mem::size_of::<libc::sockaddr_storage>() {
            return Ok(2);
        }
        // SAFETY: the boundary contract: `sa` readable for `len` bytes.
        let addr = unsafe { super::addr_of(sa, len as usize) }
            .ok_or(Refusal::Misuse("not an IPv4 or IPv6 address"))?;
        Ok(inner.add_nameserver(addr))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_get_nameserver_addr(
    base: *mut evdns_base,
    idx: c_int,
    sa: *mut libc::sockaddr,
    len: libc::socklen_t,
) -> c_int {
    entry("evdns_base_get_nameserver_addr", || {
        let inner: Arc<Inner> = arg!(base)?;
        let Some(addr) = usize::try_from(idx)
            .ok()
            .and_then(|i| inner.with(|st| st.core.server_addr(i)))
        else {
            return Ok(-1);
        };
        let (ss, n) = crate::util::sockaddr_of(addr);
        if n > len {
            return Ok(n as c_int);
        }
        if sa.is_null() {
            return Err(Refusal::Missing("sockaddr"));
        }
        // SAFETY: `sa` is writable for `len` >= `n` bytes (the contract).
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&ss as *const libc::sockaddr_storage).cast::<u8>(),
                sa.cast::<u8>(),
                n as usize,
            )
        };
        Ok(n as c_int)
    })
}

/// Starts a resolve on `inner`; the request's handle, NULL if it could
/// not be asked.
pub(crate) fn resolve(
    inner: &Arc<Inner>,
    qtype: u16,
    name: &[u8],
    flags: c_int,
    cb: Cb,
    want_cname: bool,
) -> *mut evdns_request {
    inner.with(|st| {
        match st
            .core
            .resolve(Instant::now(), qtype, name, flags, cb, want_cname)
        {
            Some(key) => st.adopt(key, inner),
            None => std::ptr::null_mut(),
        }
    })
}

fn user_cb(callback: evdns_callback_type, ptr: *mut std::os::raw::c_void) -> Result<Cb, Refusal> {
    let f = given(callback, "callback")?;
    Ok(Cb {
        func: f as usize,
        arg: ptr as usize,
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_ipv4(
    base: *mut evdns_base,
    name: *const c_char,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut std::os::raw::c_void,
) -> *mut evdns_request {
    entry("evdns_base_resolve_ipv4", || {
        let inner: Arc<Inner> = arg!(base)?;
        let name: &CStr = arg!(name)?;
        Ok(resolve(
            &inner,
            TYPE_A,
            name.to_bytes(),
            flags,
            user_cb(callback, ptr)?,
            false,
        ))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_ipv6(
    base: *mut evdns_base,
    name: *const c_char,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut std::os::raw::c_void,
) -> *mut evdns_request {
    entry("evdns_base_resolve_ipv6", || {
        let inner: Arc<Inner> = arg!(base)?;
        let name: &CStr = arg!(name)?;
        Ok(resolve(
            &inner,
            TYPE_AAAA,
            name.to_bytes(),
            flags,
            user_cb(callback, ptr)?,
            false,
        ))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_reverse(
    base: *mut evdns_base,
    r#in: *const libc::in_addr,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut std::os::raw::c_void,
) -> *mut evdns_request {
    entry("evdns_base_resolve_reverse", || {
        let inner: Arc<Inner> = arg!(base)?;
        // SAFETY: the boundary contract: NULL or a readable in_addr.
        let a = unsafe { r#in.as_ref() }.ok_or(Refusal::Missing("in_addr"))?;
        let name = reverse_name_v4(a.s_addr.to_ne_bytes());
        Ok(resolve(
            &inner,
            TYPE_PTR,
            name.as_bytes(),
            flags,
            user_cb(callback, ptr)?,
            false,
        ))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolve_reverse_ipv6(
    base: *mut evdns_base,
    r#in: *const libc::in6_addr,
    flags: c_int,
    callback: evdns_callback_type,
    ptr: *mut std::os::raw::c_void,
) -> *mut evdns_request {
    entry("evdns_base_resolve_reverse_ipv6", || {
        let inner: Arc<Inner> = arg!(base)?;
        // SAFETY: the boundary contract: NULL or a readable in6_addr.
        let a = unsafe { r#in.as_ref() }.ok_or(Refusal::Missing("in6_addr"))?;
        let name = reverse_name_v6(a.s6_addr);
        Ok(resolve(
            &inner,
            TYPE_PTR,
            name.as_bytes(),
            flags,
            user_cb(callback, ptr)?,
            false,
        ))
    })
}

/// Cancels request `req` (its base may be NULL): the callback gets
/// `DNS_ERR_CANCEL` from the loop. A request whose callback is already
/// due is left alone.
#[no_mangle]
pub unsafe extern "C" fn evdns_cancel_request(_base: *mut evdns_base, req: *mut evdns_request) {
    entry("evdns_cancel_request", || {
        // SAFETY: the boundary contract: NULL or a live request handle.
        let r = unsafe { req.as_ref() }.ok_or(Refusal::Missing("evdns_request"))?;
        if let Some(inner) = r.inner.upgrade() {
            let key = r.key;
            inner.with(|st| st.core.cancel(key));
        }
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_set_option(
    base: *mut evdns_base,
    option: *const c_char,
    val: *const c_char,
) -> c_int {
    entry("evdns_base_set_option", || {
        let inner: Arc<Inner> = arg!(base)?;
        let option: &CStr = arg!(option)?;
        let val: &CStr = arg!(val)?;
        let (o, v) = (option.to_string_lossy(), val.to_string_lossy());
        Ok(inner.with(|st| st.core.set_option(&o, &v, DNS_OPTIONS_ALL)))
    })
}

fn hostname() -> Vec<u8> {
    let mut buf = [0u8; 256];
    // SAFETY: a writable buffer of the stated size.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return Vec::new();
    }
    buf.split(|&b| b == 0).next().unwrap_or_default().to_vec()
}

fn set_defaults(inner: &Arc<Inner>, flags: c_int) {
    if flags & DNS_OPTION_SEARCH != 0 {
        let h = hostname();
        inner.with(|st| st.core.search_from_hostname(&h));
    }
    if flags & DNS_OPTION_NAMESERVERS != 0 && flags & DNS_OPTION_NAMESERVERS_NO_DEFAULT == 0 {
        nameserver_ip_add(inner, "127.0.0.1");
    }
}

/// `evdns_base_resolv_conf_parse`: 0, 1 (no file: defaults set), 2 (not
/// readable), 6 (no nameserver: the default added).
pub(crate) fn resolv_conf_parse(
    inner: &Arc<Inner>,
    flags: c_int,
    filename: Option<&[u8]>,
) -> c_int {
    if flags & DNS_OPTION_HOSTSFILE != 0 {
        load_hosts(inner, Some(b"/etc/hosts"));
    }
    let Some(filename) = filename else {
        set_defaults(inner, flags);
        return 1;
    };
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(filename));
    let text = match std::fs::File::open(path) {
        Err(_) => {
            set_defaults(inner, flags);
            return 1;
        }
        Ok(mut f) => {
            let mut v = Vec::new();
            if std::io::Read::read_to_end(&mut f, &mut v).is_err() {
                return 2;
            }
            v
        }
    };
    for line in conf::parse_resolv_conf(&text) {
        match line {
            Line::Nameserver(ns) if flags & DNS_OPTION_NAMESERVERS != 0 => {
                nameserver_ip_add(inner, &ns);
            }
            Line::Domain(d) if flags & DNS_OPTION_SEARCH != 0 => {
                inner.with(|st| st.core.search_set(&[d]));
            }
            Line::Search(list) if flags & DNS_OPTION_SEARCH != 0 => {
                inner.with(|st| st.core.search_set(&list));
            }
            Line::Options(opts) => inner.with(|st| {
                for (name, val) in &opts {
                    st.core.set_option(name, val, flags);
                }
            }),
            _ => {}
        }
    }
    let mut err = 0;
    let add_default =
        flags & DNS_OPTION_NAMESERVERS != 0 && flags & DNS_OPTION_NAMESERVERS_NO_DEFAULT == 0;
    if add_default && inner.with(|st| st.core.count_servers()) == 0 {
        nameserver_ip_add(inner, "127.0.0.1");
        err = 6;
    }
    let no_search = inner.with(|st| st.core.search.as_ref().is_none_or(|s| s.domains.is_empty()));
    if flags & DNS_OPTION_SEARCH != 0 && no_search {
        let h = hostname();
        inner.with(|st| st.core.search_from_hostname(&h));
    }
    err
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_resolv_conf_parse(
    base: *mut evdns_base,
    flags: c_int,
    filename: *const c_char,
) -> c_int {
    entry("evdns_base_resolv_conf_parse", || {
        let inner: Arc<Inner> = arg!(base)?;
        let name = opt_str(filename)?;
        Ok(resolv_conf_parse(&inner, flags, name.map(CStr::to_bytes)))
    })
}

/// `evdns_base_load_hosts`: appends a hosts file's entries (no file
/// name, or one not readable: localhost's; -1 for the latter).
pub(crate) fn load_hosts(inner: &Arc<Inner>, fname: Option<&[u8]>) -> c_int {
    let text = fname.map(|f| std::fs::read(std::ffi::OsStr::from_bytes(f)));
    let (entries, r) = match text {
        Some(Ok(t)) => (conf::parse_hosts(&t), 0),
        Some(Err(_)) => (conf::default_hosts(), -1),
        None => (conf::default_hosts(), 0),
    };
    inner.with(|st| st.core.hosts.extend(entries));
    r
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_load_hosts(
    base: *mut evdns_base,
    hosts_fname: *const c_char,
) -> c_int {
    entry("evdns_base_load_hosts", || {
        let base = if base.is_null() {
            super::global()
        } else {
            base
        };
        let inner: Arc<Inner> = arg!(base)?;
        let name = opt_str(hosts_fname)?;
        Ok(load_hosts(&inner, name.map(CStr::to_bytes)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_clear(base: *mut evdns_base) {
    entry("evdns_base_search_clear", || {
        let inner: Arc<Inner> = arg!(base)?;
        inner.with(|st| st.core.search_clear());
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_add(base: *mut evdns_base, domain: *const c_char) {
    entry("evdns_base_search_add", || {
        let inner: Arc<Inner> = arg!(base)?;
        let d: &CStr = arg!(domain)?;
        inner.with(|st| st.core.search_add(d.to_bytes()));
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evdns_base_search_ndots_set(base: *mut evdns_base, ndots: c_int) {
    entry("evdns_base_search_ndots_set", || {
        let inner: Arc<Inner> = arg!(base)?;
        inner.with(|st| st.core.search_ndots_set(ndots));
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn evdns_set_log_fn(fn_: evdns_debug_log_fn_type) {
    super::set_log_fn(fn_);
}

/// Accepted and ignored, as in libevent 2.1: ids come from the secure
/// random generator.
#[no_mangle]
pub extern "C" fn evdns_set_transaction_id_fn(_fn_: Option<extern "C" fn() -> u16>) {}

/// Accepted and ignored, as in libevent 2.1: random bytes come from
/// `evutil_secure_rng_get_bytes`.
#[no_mangle]
pub extern "C" fn evdns_set_random_bytes_fn(_fn_: Option<extern "C" fn(*mut c_char, usize)>) {}

/// An address as the host table answers for a name, for getaddrinfo.
pub(crate) fn hosts_lookup(inner: &Arc<Inner>, name: &[u8]) -> Vec<IpAddr> {
    inner.with(|st| st.core.hosts_lookup(name))
}

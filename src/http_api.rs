//! `event2/http.h`, its string-level part: URIs, escaping, query strings
//! and header lists. The logic is rel-extra's (`rel_extra::http`); here
//! C strings become byte strings and results become malloc'd C strings
//! or `evkeyvalq` nodes.

use std::cell::OnceCell;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_uint};

use rel_extra::http::escape::{self, Plus};
use rel_extra::http::uri::Uri;
use rel_extra::http::{headers, query};

use crate::boundary::{arg, entry, FromC, Refusal};
use crate::layout::keyvalq_struct::{c_bytes, evkeyvalq};
use crate::util::ev_ssize_t;

/// Parse flag: accept URIs that break RFC 3986's character rules (the
/// path runs to `?` or `#`, the query to `#`, the fragment to the end).
pub const EVHTTP_URI_NONCONFORMANT: c_uint = 0x01;

const _: () = assert!(EVHTTP_URI_NONCONFORMANT == rel_extra::http::uri::NONCONFORMANT);

/// A URI (opaque to C): the parts, and their C copies that the getters
/// hand out (made when first asked for, valid until that part is set
/// again or the URI freed).
pub struct evhttp_uri {
    uri: Uri,
    c: [OnceCell<Option<CString>>; 6],
}

impl evhttp_uri {
    /// A parsed URI for C (a request's `uri_elems`).
    pub(crate) fn from_uri(uri: Uri) -> *mut evhttp_uri {
        evhttp_uri::boxed(uri)
    }

    fn boxed(uri: Uri) -> *mut evhttp_uri {
        Box::into_raw(Box::new(evhttp_uri {
            uri,
            c: Default::default(),
        }))
    }

    fn part(&self, which: usize) -> &Option<Vec<u8>> {
        let u = &self.uri;
        match which {
            SCHEME => &u.scheme,
            USERINFO => &u.userinfo,
            HOST => &u.host,
            PATH => &u.path,
            QUERY => &u.query,
            _ => &u.fragment,
        }
    }

    /// The path (what a server routes on).
    pub(crate) fn path(&self) -> Option<&[u8]> {
        self.uri.path.as_deref()
    }

    fn get(&self, which: usize) -> *const c_char {
        self.c[which]
            .get_or_init(|| {
                // Parts come from C strings, so they hold no NUL.
                self.part(which)
                    .as_ref()
                    .and_then(|p| CString::new(p.as_slice()).ok())
            })
            .as_ref()
            .map_or(std::ptr::null(), |c| c.as_ptr())
    }

    /// Applies a setter of part `which` (`None`: the port), then drops
    /// that part's C copy.
    fn set<E>(
        &mut self,
        which: Option<usize>,
        f: impl FnOnce(&mut Uri) -> Result<(), E>,
    ) -> Result<c_int, Refusal> {
        f(&mut self.uri).map_err(|_| Refusal::Quiet)?;
        if let Some(w) = which {
            self.c[w] = OnceCell::new();
        }
        Ok(0)
    }
}

const SCHEME: usize = 0;
const USERINFO: usize = 1;
const HOST: usize = 2;
const PATH: usize = 3;
const QUERY: usize = 4;
const FRAGMENT: usize = 5;

impl FromC<*mut evhttp_uri> for &mut evhttp_uri {
    unsafe fn from_c(p: *mut evhttp_uri) -> Result<Self, Refusal> {
        // SAFETY: the boundary contract: NULL or a URI librel returned.
        unsafe { p.as_mut() }.ok_or(Refusal::Missing("uri"))
    }
}

impl FromC<*const evhttp_uri> for &evhttp_uri {
    unsafe fn from_c(p: *const evhttp_uri) -> Result<Self, Refusal> {
        // SAFETY: as above.
        unsafe { p.as_ref() }.ok_or(Refusal::Missing("uri"))
    }
}

/// An optional string argument: NULL clears a part.
fn opt_str<'a>(s: *const c_char) -> Option<&'a [u8]> {
    let s: Result<&CStr, _> = arg!(s);
    s.ok().map(CStr::to_bytes)
}

/// A malloc'd copy for C; out of memory is a refusal.
fn to_c(bytes: &[u8]) -> Result<*mut c_char, Refusal> {
    let p = c_bytes(bytes);
    if p.is_null() {
        return Err(Refusal::Misuse("out of memory"));
    }
    Ok(p)
}

// ---------------------------------------------------------------- URIs

#[no_mangle]
pub extern "C" fn evhttp_uri_new() -> *mut evhttp_uri {
    evhttp_uri::boxed(Uri::new())
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_free(uri: *mut evhttp_uri) {
    entry("evhttp_uri_free", || {
        let _: &mut evhttp_uri = arg!(uri)?;
        // SAFETY: a URI librel returned (Box::into_raw), freed once.
        drop(unsafe { Box::from_raw(uri) });
        Ok(())
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_flags(uri: *mut evhttp_uri, flags: c_uint) {
    entry("evhttp_uri_set_flags", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.uri.flags = flags;
        Ok(())
    })
}

/// A URI, or NULL when `source_uri` is not one (quietly, as libevent).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_parse_with_flags(
    source_uri: *const c_char,
    flags: c_uint,
) -> *mut evhttp_uri {
    entry("evhttp_uri_parse_with_flags", || {
        let s: &CStr = arg!(source_uri)?;
        let uri = Uri::parse(s.to_bytes(), flags).ok_or(Refusal::Quiet)?;
        Ok(evhttp_uri::boxed(uri))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_parse(source_uri: *const c_char) -> *mut evhttp_uri {
    // SAFETY: the same contract, passed on.
    unsafe { evhttp_uri_parse_with_flags(source_uri, 0) }
}

/// Writes the URI into `buf` (at most `limit` bytes with the NUL) and
/// returns `buf`; NULL when it does not fit or cannot be written.
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_join(
    uri: *mut evhttp_uri,
    buf: *mut c_char,
    limit: usize,
) -> *mut c_char {
    entry("evhttp_uri_join", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        if buf.is_null() || limit == 0 {
            return Err(Refusal::Quiet);
        }
        let text = u.uri.join().ok_or(Refusal::Quiet)?;
        if text.len() + 1 > limit {
            return Err(Refusal::Quiet);
        }
        // SAFETY: the boundary contract: `buf` holds `limit` writable
        // bytes, and text + NUL fits in them.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
            *buf.add(text.len()) = 0;
        }
        Ok(buf)
    })
}

// Each part, or NULL when the URI lacks it.

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_scheme(uri: *const evhttp_uri) -> *const c_char {
    entry("evhttp_uri_get_scheme", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.get(SCHEME))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_userinfo(uri: *const evhttp_uri) -> *const c_char {
    entry("evhttp_uri_get_userinfo", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.get(USERINFO))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_host(uri: *const evhttp_uri) -> *const c_char {
    entry("evhttp_uri_get_host", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.get(HOST))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_path(uri: *const evhttp_uri) -> *const c_char {
    entry("evhttp_uri_get_path", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.get(PATH))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_query(uri: *const evhttp_uri) -> *const c_char {
    entry("evhttp_uri_get_query", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.get(QUERY))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_fragment(uri: *const evhttp_uri) -> *const c_char {
    entry("evhttp_uri_get_fragment", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.get(FRAGMENT))
    })
}

/// The port, or -1 when the URI has none.
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_port(uri: *const evhttp_uri) -> c_int {
    entry("evhttp_uri_get_port", || {
        let u: &evhttp_uri = arg!(uri)?;
        Ok(u.uri.port)
    })
}

// Each setter sets its part (NULL removes it) and returns -1, leaving the
// part as it was, when the text does not fit the part's grammar.

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_scheme(
    uri: *mut evhttp_uri,
    scheme: *const c_char,
) -> c_int {
    entry("evhttp_uri_set_scheme", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(Some(SCHEME), |x| x.set_scheme(opt_str(scheme)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_userinfo(
    uri: *mut evhttp_uri,
    userinfo: *const c_char,
) -> c_int {
    entry("evhttp_uri_set_userinfo", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(Some(USERINFO), |x| x.set_userinfo(opt_str(userinfo)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_host(uri: *mut evhttp_uri, host: *const c_char) -> c_int {
    entry("evhttp_uri_set_host", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(Some(HOST), |x| x.set_host(opt_str(host)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_path(uri: *mut evhttp_uri, path: *const c_char) -> c_int {
    entry("evhttp_uri_set_path", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(Some(PATH), |x| x.set_path(opt_str(path)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_query(uri: *mut evhttp_uri, query: *const c_char) -> c_int {
    entry("evhttp_uri_set_query", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(Some(QUERY), |x| x.set_query(opt_str(query)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_fragment(
    uri: *mut evhttp_uri,
    fragment: *const c_char,
) -> c_int {
    entry("evhttp_uri_set_fragment", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(Some(FRAGMENT), |x| x.set_fragment(opt_str(fragment)))
    })
}

/// Sets the port; -1 removes it, below -1 is refused.
#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_port(uri: *mut evhttp_uri, port: c_int) -> c_int {
    entry("evhttp_uri_set_port", || {
        let u: &mut evhttp_uri = arg!(uri)?;
        u.set(None, |x| x.set_port(port))
    })
}

// ------------------------------------------------------------ escaping

/// Percent-encodes the first `len` bytes of `str` (all of it up to the
/// NUL when `len` is negative); the result is the caller's to free().
#[no_mangle]
pub unsafe extern "C" fn evhttp_uriencode(
    str: *const c_char,
    len: ev_ssize_t,
    space_as_plus: c_int,
) -> *mut c_char {
    entry("evhttp_uriencode", || {
        let bytes = match usize::try_from(len) {
            // With a length the text need not end in a NUL.
            Ok(_) if str.is_null() => return Err(Refusal::Missing("string")),
            // SAFETY: the boundary contract: `str` holds `len` bytes.
            Ok(n) => unsafe { std::slice::from_raw_parts(str.cast::<u8>(), n) },
            Err(_) => {
                let s: &CStr = arg!(str)?;
                s.to_bytes()
            }
        };
        to_c(&escape::encode(bytes, space_as_plus != 0))
    })
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_encode_uri(str: *const c_char) -> *mut c_char {
    // SAFETY: the same contract, passed on.
    unsafe { evhttp_uriencode(str, -1, 0) }
}

/// Decodes `%XX` everywhere and `+` after the first `?` (deprecated).
#[no_mangle]
pub unsafe extern "C" fn evhttp_decode_uri(uri: *const c_char) -> *mut c_char {
    entry("evhttp_decode_uri", || {
        let s: &CStr = arg!(uri)?;
        to_c(&escape::decode(s.to_bytes(), Plus::AfterQuery))
    })
}

/// Decodes `%XX`, and `+` as a space when `decode_plus`; `*size_out`
/// gets the decoded length (the result may hold NULs).
#[no_mangle]
pub unsafe extern "C" fn evhttp_uridecode(
    uri: *const c_char,
    decode_plus: c_int,
    size_out: *mut usize,
) -> *mut c_char {
    entry("evhttp_uridecode", || {
        let s: &CStr = arg!(uri)?;
        let plus = if decode_plus != 0 {
            Plus::Space
        } else {
            Plus::Keep
        };
        let out = escape::decode(s.to_bytes(), plus);
        let p = to_c(&out)?;
        // SAFETY: the boundary contract: NULL or a writable size_t.
        if let Some(n) = unsafe { size_out.as_mut() } {
            *n = out.len();
        }
        Ok(p)
    })
}

/// `<`, `>`, `"`, `'` and `&` as HTML entities; NULL for NULL, quietly.
#[no_mangle]
pub unsafe extern "C" fn evhttp_htmlescape(html: *const c_char) -> *mut c_char {
    entry("evhttp_htmlescape", || {
        let s = opt_str(html).ok_or(Refusal::Quiet)?;
        to_c(&escape::html_escape(s))
    })
}

// -------------------------------------------------------------- queries

/// Fills `headers` (emptied first, without freeing) with the pairs of a
/// query string; on a malformed query it is left empty and -1 returned.
fn parse_query_into(q: &mut evkeyvalq, text: Option<&[u8]>) -> Result<c_int, Refusal> {
    let pairs = query::parse(text.unwrap_or_default()).map_err(|_| Refusal::Quiet)?;
    for (k, v) in &pairs {
        if !q.push(k, v) {
            q.clear();
            return Err(Refusal::Misuse("out of memory"));
        }
    }
    Ok(0)
}

/// The query of URI `uri` into `headers`.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query(uri: *const c_char, headers: *mut evkeyvalq) -> c_int {
    entry("evhttp_parse_query", || {
        let q: &mut evkeyvalq = arg!(headers)?;
        q.init();
        let s: &CStr = arg!(uri)?;
        let parsed = Uri::parse(s.to_bytes(), 0).ok_or(Refusal::Quiet)?;
        parse_query_into(q, parsed.query.as_deref())
    })
}

/// The query string `uri` (`a=1&b=2`) into `headers`.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query_str(
    uri: *const c_char,
    headers: *mut evkeyvalq,
) -> c_int {
    entry("evhttp_parse_query_str", || {
        let q: &mut evkeyvalq = arg!(headers)?;
        q.init();
        let s: &CStr = arg!(uri)?;
        parse_query_into(q, Some(s.to_bytes()))
    })
}

// -------------------------------------------------------------- headers

/// The value of the first header named `key` (any case), or NULL.
#[no_mangle]
pub unsafe extern "C" fn evhttp_find_header(
    headers: *const evkeyvalq,
    key: *const c_char,
) -> *const c_char {
    entry("evhttp_find_header", || {
        let q: &evkeyvalq = arg!(headers)?;
        let key: &CStr = arg!(key)?;
        let Some(node) = q.find_name(key.to_bytes()) else {
            return Ok(std::ptr::null());
        };
        // SAFETY: a node of a well-formed queue is live.
        Ok(unsafe { node.as_ref() }.value.cast_const())
    })
}

/// Removes and frees the first header named `key`; -1 when none is.
#[no_mangle]
pub unsafe extern "C" fn evhttp_remove_header(
    headers: *mut evkeyvalq,
    key: *const c_char,
) -> c_int {
    entry("evhttp_remove_header", || {
        let q: &mut evkeyvalq = arg!(headers)?;
        let key: &CStr = arg!(key)?;
        let node = q.find_name(key.to_bytes()).ok_or(Refusal::Quiet)?;
        q.remove(node);
        Ok(0)
    })
}

/// Appends a header; -1 when the name or the value holds CR or LF.
#[no_mangle]
pub unsafe extern "C" fn evhttp_add_header(
    headers: *mut evkeyvalq,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    entry("evhttp_add_header", || {
        let q: &mut evkeyvalq = arg!(headers)?;
        let key: &CStr = arg!(key)?;
        let value: &CStr = arg!(value)?;
        let (key, value) = (key.to_bytes(), value.to_bytes());
        if !headers::text_ok(key) || !headers::text_ok(value) {
            return Err(Refusal::Quiet);
        }
        if !q.push(key, value) {
            return Err(Refusal::Misuse("out of memory"));
        }
        Ok(0)
    })
}

/// Frees every header; the list is left empty.
#[no_mangle]
pub unsafe extern "C" fn evhttp_clear_headers(headers: *mut evkeyvalq) {
    entry("evhttp_clear_headers", || {
        let q: &mut evkeyvalq = arg!(headers)?;
        q.clear();
        Ok(())
    })
}

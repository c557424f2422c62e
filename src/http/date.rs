//! The Date header a server's replies get, kept per server.

/// The Date header's text for the current second, formatted once per
/// second (a server answers many requests within one).
#[derive(Default)]
pub(crate) struct DateCache {
    /// The second `text` is for.
    second: libc::time_t,
    /// 0 before the first date.
    len: usize,
    text: [u8; 32],
}

impl DateCache {
    /// Now as RFC 1123 text; `None` if it could not be made.
    pub(super) fn now(&mut self) -> Option<&[u8]> {
        // SAFETY: time(NULL) only reads the clock.
        let t = unsafe { libc::time(std::ptr::null_mut()) };
        if t != self.second || self.len == 0 {
            let mut tm = std::mem::MaybeUninit::<libc::tm>::zeroed();
            // SAFETY: `t` is a local, `tm` a zeroed local that gmtime_r
            // fills (or leaves zeroed, a valid tm, on failure); the
            // text buffer is ours and its size is passed.
            let n = unsafe {
                libc::gmtime_r(&t, tm.as_mut_ptr());
                crate::util::evutil_date_rfc1123(
                    self.text.as_mut_ptr().cast(),
                    self.text.len(),
                    tm.as_ptr(),
                )
            };
            self.len = usize::try_from(n).unwrap_or(0).min(self.text.len() - 1);
            self.second = t;
        }
        (self.len > 0).then(|| &self.text[..self.len])
    }
}

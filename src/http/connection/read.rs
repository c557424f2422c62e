//! Reading a message off a connection: the first line, the header
//! lines (folded, within the size limit), then the body as its framing
//! says (length, chunks and trailer, or to the close), with
//! `Expect: 100-continue` and the body size limit on the way.

use std::os::raw::c_void;
use std::ptr::null_mut;

use super::*;

pub(super) fn read_firstline(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let buf = input(conn(c).bufev);
    let max = conn(c).max_headers_size;
    let mut spill = std::mem::take(&mut conn(c).line);
    let mut ok = None;
    lines(buf, &mut spill, |line| {
        ok = Some(
            line.len() <= max && {
                req(r).headers_size = line.len();
                if req(r).kind == EVHTTP_REQUEST {
                    request_state::take_request_line(r, line)
                } else {
                    request_state::take_status_line(r, line)
                }
            },
        );
        false
    });
    conn(c).line = spill;
    match ok {
        None => {
            if len(buf) > max {
                fail(c, EVREQ_HTTP_INVALID_HEADER);
            }
            return;
        }
        Some(false) => {
            fail(c, EVREQ_HTTP_INVALID_HEADER);
            return;
        }
        Some(true) => {}
    }
    conn(c).state = State::ReadingHeaders;
    read_header(c, r);
}

/// Header lines until the empty one; `Some(true)` when the head is
/// complete, `None` when it is bad or too long.
fn parse_headers(c: *mut evhttp_connection, r: *mut evhttp_request) -> Option<bool> {
    let buf = input(conn(c).bufev);
    let max = conn(c).max_headers_size;
    let headers = req(r).input_headers;
    let mut spill = std::mem::take(&mut conn(c).line);
    // Set once a line decides: the head is complete, or bad.
    let mut verdict = None;
    lines(buf, &mut spill, |line| {
        req(r).headers_size += line.len();
        verdict = if req(r).headers_size > max {
            Some(None)
        } else {
            match msg::parse_header_line(line) {
                HeaderLine::End => Some(Some(true)),
                HeaderLine::Fold(more) => (!fold_into_last(headers, more)).then_some(None),
                HeaderLine::Field(k, v) => (!add_header(headers, k, v)).then_some(None),
                HeaderLine::Bad => Some(None),
            }
        };
        verdict.is_none()
    });
    conn(c).line = spill;
    if let Some(v) = verdict {
        return v;
    }
    if req(r).headers_size.saturating_add(len(buf)) > max {
        return None;
    }
    Some(false)
}

pub(super) fn read_header(c: *mut evhttp_connection, r: *mut evhttp_request) {
    match parse_headers(c, r) {
        None => {
            fail(c, EVREQ_HTTP_INVALID_HEADER);
            return;
        }
        Some(false) => return,
        Some(true) => {}
    }
    if let Some(hcb) = req(r).header_cb {
        // SAFETY: the program's header callback and argument.
        if unsafe { hcb(r, req(r).cb_arg) } < 0 {
            fail(c, EVREQ_HTTP_EOF);
            return;
        }
    }
    if req(r).kind == EVHTTP_REQUEST {
        get_body(c, r);
        return;
    }
    if req(r).response_code == 100 {
        // The server wants the body now.
        let out = output(conn(c).bufev);
        append(out, req(r).output_buffer);
        start_write(c);
        return;
    }
    if !msg::response_has_body(req(r).response_code, req(r).type_ as u32) {
        done(c);
    } else {
        get_body(c, r);
    }
}

fn get_body(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let incoming_req = req(r).kind == EVHTTP_REQUEST;
    if incoming_req && !msg::method_may_have_body(req(r).type_ as u32) {
        done(c);
        return;
    }
    conn(c).state = State::ReadingBody;
    let h = req(r).input_headers;
    match msg::framing(
        find(h, b"Transfer-Encoding"),
        find(h, b"Content-Length"),
        find(h, b"Connection"),
    ) {
        Some(Framing::Chunked) => {
            req(r).bits |= REQ_CHUNKED;
            req(r).ntoread = -1;
        }
        Some(f) => {
            req(r).ntoread = match f {
                Framing::Length(n) => n.min(i64::MAX as u64) as i64,
                _ => -1,
            };
            if incoming_req && req(r).ntoread < 1 {
                done(c);
                return;
            }
        }
        None => {
            fail(c, EVREQ_HTTP_INVALID_HEADER);
            return;
        }
    }
    match expect(r) {
        Expect::Continue => {
            let n = req(r).ntoread;
            if n > 0 && conn(c).max_body_size <= i64::MAX as u64 && n as u64 > conn(c).max_body_size
            {
                lingering_fail(c, r);
                return;
            }
            if len(input(conn(c).bufev)) == 0 {
                send_continue(c, r);
            }
        }
        Expect::Other => {
            send_error(r, 417, None);
            return;
        }
        Expect::No => {}
    }
    read_body(c, r);
}

enum Expect {
    No,
    Continue,
    Other,
}

/// A 1.1 request's `Expect` header.
fn expect(r: *mut evhttp_request) -> Expect {
    let q = req(r);
    if q.kind != EVHTTP_REQUEST || q.major < 1 || (q.major == 1 && q.minor < 1) {
        return Expect::No;
    }
    match find(q.input_headers, b"Expect") {
        None => Expect::No,
        Some(v) if v.eq_ignore_ascii_case(b"100-continue") => Expect::Continue,
        Some(_) => Expect::Other,
    }
}

fn send_continue(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let bev = conn(c).bufev;
    enable(bev, EV_WRITE);
    let line = format!(
        "HTTP/{}.{} 100 Continue\r\n\r\n",
        req(r).major,
        req(r).minor
    );
    add(output(bev), line.as_bytes());
    conn(c).cb = Some(continue_done);
    conn(c).cb_arg = null_mut();
    setcb(bev, Some(read_cb), Some(write_cb), Some(error_cb), c.cast());
}

unsafe extern "C" fn continue_done(c: *mut evhttp_connection, _arg: *mut c_void) {
    disable(conn(c).bufev, EV_WRITE);
}

enum Chunked {
    AllRead,
    More,
    Corrupt,
    Canceled,
}

fn read_chunks(c: *mut evhttp_connection, r: *mut evhttp_request) -> Chunked {
    let buf = input(conn(c).bufev);
    loop {
        let have = len(buf);
        if have == 0 {
            return Chunked::More;
        }
        if req(r).ntoread < 0 {
            let mut line = std::mem::take(&mut conn(c).line);
            let size = readln(buf, &mut line).then(|| msg::parse_chunk_size(&line));
            let empty = line.is_empty();
            conn(c).line = line;
            let Some(size) = size else {
                return Chunked::More;
            };
            if empty {
                continue;
            }
            let Some(n) = size else {
                return Chunked::Corrupt;
            };
            let body = req(r).body_size as u64;
            if n > (usize::MAX as u64).saturating_sub(body) || body + n > conn(c).max_body_size {
                return Chunked::Corrupt;
            }
            req(r).body_size += n as usize;
            req(r).ntoread = n.min(i64::MAX as u64) as i64;
            if n == 0 {
                return Chunked::AllRead;
            }
            continue;
        }
        let want = req(r).ntoread as u64;
        if (have as u64) < want {
            return Chunked::More;
        }
        move_n(buf, req(r).input_buffer, want as usize);
        req(r).ntoread = -1;
        if let Some(ccb) = req(r).chunk_cb {
            req(r).flags |= EVHTTP_REQ_DEFER_FREE;
            // SAFETY: the program's chunk callback and argument.
            unsafe { ccb(r, req(r).cb_arg) };
            drain(req(r).input_buffer, usize::MAX);
            req(r).flags &= !EVHTTP_REQ_DEFER_FREE;
            if req(r).flags & EVHTTP_REQ_NEEDS_FREE != 0 {
                return Chunked::Canceled;
            }
        }
    }
}

pub(super) fn read_trailer(c: *mut evhttp_connection, r: *mut evhttp_request) {
    match parse_trailer(c, r) {
        None => fail(c, EVREQ_HTTP_DATA_TOO_LONG),
        Some(true) => {
            disable(conn(c).bufev, EV_READ);
            done(c);
        }
        Some(false) => {}
    }
}

/// Trailer lines go into the input headers, as header lines do.
fn parse_trailer(c: *mut evhttp_connection, r: *mut evhttp_request) -> Option<bool> {
    parse_headers(c, r)
}

fn lingering_fail(c: *mut evhttp_connection, r: *mut evhttp_request) {
    if conn(c).flags & EVHTTP_CON_LINGERING_CLOSE != 0 {
        // Read (and drop) the rest of the body before answering 413.
        let buf = input(conn(c).bufev);
        let n = len(buf).min(req(r).ntoread.max(0) as usize);
        req(r).ntoread -= n as i64;
        req(r).body_size += n;
        drain(buf, n);
        if req(r).ntoread == 0 {
            fail(c, EVREQ_HTTP_DATA_TOO_LONG);
        }
    } else {
        fail(c, EVREQ_HTTP_DATA_TOO_LONG);
    }
}

pub(super) fn read_body(c: *mut evhttp_connection, r: *mut evhttp_request) {
    let buf = input(conn(c).bufev);
    if req(r).bits & REQ_CHUNKED != 0 {
        match read_chunks(c, r) {
            Chunked::AllRead => {
                conn(c).state = State::ReadingTrailer;
                read_trailer(c, r);
                return;
            }
            Chunked::Corrupt => {
                fail(c, EVREQ_HTTP_DATA_TOO_LONG);
                return;
            }
            Chunked::Canceled => {
                request_state::free_auto(r);
                return;
            }
            Chunked::More => {}
        }
    } else if req(r).ntoread < 0 {
        // Read to the close.
        let n = len(buf);
        req(r).body_size = req(r).body_size.saturating_add(n);
        append(req(r).input_buffer, buf);
    } else if req(r).chunk_cb.is_some() || len(buf) as u64 >= req(r).ntoread as u64 {
        let n = len(buf).min(req(r).ntoread as usize);
        req(r).ntoread -= n as i64;
        req(r).body_size += n;
        move_n(buf, req(r).input_buffer, n);
    }
    let max = conn(c).max_body_size;
    let q = req(r);
    if q.body_size as u64 > max
        || (q.bits & REQ_CHUNKED == 0 && q.ntoread >= 0 && q.ntoread as u64 > max)
    {
        lingering_fail(c, r);
        return;
    }
    if len(req(r).input_buffer) > 0 {
        if let Some(ccb) = req(r).chunk_cb {
            req(r).flags |= EVHTTP_REQ_DEFER_FREE;
            // SAFETY: the program's chunk callback and argument.
            unsafe { ccb(r, req(r).cb_arg) };
            req(r).flags &= !EVHTTP_REQ_DEFER_FREE;
            drain(req(r).input_buffer, usize::MAX);
            if req(r).flags & EVHTTP_REQ_NEEDS_FREE != 0 {
                request_state::free_auto(r);
                return;
            }
        }
    }
    if req(r).ntoread == 0 {
        disable(conn(c).bufev, EV_READ);
        done(c);
    }
}

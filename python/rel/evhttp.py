"""pyevent's WSGI server (its evhttp.pxi) on the library's evhttp, on rel's base.

``wsgi(address='0.0.0.0', port=80)`` listens at once (port 0: any free port,
then in ``.port``); ``register_app(path, app)`` serves requests for exactly
that path, ``register_default_app(app)`` the others (404 without one), and
``run()`` dispatches until SIGINT or SIGTERM. A listening server keeps
dispatch() running; ``close()`` (or rel.init()) frees it.

The environ is WSGI 1.0's, as pyevent built it, except that pyevent put the
whole request URI in SCRIPT_NAME: here SCRIPT_NAME is empty, PATH_INFO the
decoded path and QUERY_STRING the query, as WSGI means them, and REQUEST_URI
keeps the URI as received. Also CONTENT_TYPE and CONTENT_LENGTH ('' when
absent), SERVER_NAME/SERVER_PORT from the Host header (80 when it has no port;
the bound address without one), SERVER_PROTOCOL, REMOTE_ADDR (and
REMOTE_HOST, the same)/REMOTE_PORT, HTTP_* for the other headers (which
pyevent lacked), wsgi.input (the whole body, file-like: read(size),
readline(), readlines()) and wsgi.errors (sys.stderr).

Replies: an app that returns a list or tuple of at most one body and never
calls write() gets one evhttp_send_reply (with Content-Length); any other
reply is streamed, each piece as it comes, with evhttp_send_reply_start /
_chunk / _end (chunked unless the app gave a Content-Length). An exception
from an app is printed to wsgi.errors; the client gets a 500 if nothing was
sent yet, else a cut-short reply; the loop goes on.
"""

from __future__ import annotations

import ctypes
import io
import os
import signal as _signal
import socket
import sys
import traceback
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import unquote

from . import core
from .attached import Attached, function, rel_api, require, run_callback

__all__ = [
    "wsgi",
    "HTTP_OK", "HTTP_NOCONTENT", "HTTP_MOVEPERM", "HTTP_MOVETEMP", "HTTP_NOTMODIFIED", "HTTP_BADREQUEST",
    "HTTP_NOTFOUND", "HTTP_BADMETHOD", "HTTP_ENTITYTOOLARGE", "HTTP_EXPECTATIONFAILED", "HTTP_INTERNAL",
    "HTTP_NOTIMPLEMENTED", "HTTP_SERVUNAVAIL",
    "EVHTTP_REQUEST", "EVHTTP_RESPONSE", "EVHTTP_REQ_GET", "EVHTTP_REQ_POST", "EVHTTP_REQ_HEAD",
    "HTTP_method2name", "HTTP_name2method",
]

HTTP_OK = 200
HTTP_NOCONTENT = 204
HTTP_MOVEPERM = 301
HTTP_MOVETEMP = 302
HTTP_NOTMODIFIED = 304
HTTP_BADREQUEST = 400
HTTP_NOTFOUND = 404
HTTP_BADMETHOD = 405
HTTP_ENTITYTOOLARGE = 413
HTTP_EXPECTATIONFAILED = 417
HTTP_INTERNAL = 500
HTTP_NOTIMPLEMENTED = 501
HTTP_SERVUNAVAIL = 503

# pyevent's names and values (libevent 1.4's numbering), for pyevent programs;
# none of rel's calls takes them.
EVHTTP_REQUEST = 0
EVHTTP_RESPONSE = 1
EVHTTP_REQ_GET = 0
EVHTTP_REQ_POST = 1
EVHTTP_REQ_HEAD = 2
HTTP_method2name = {EVHTTP_REQ_GET: "GET", EVHTTP_REQ_POST: "POST", EVHTTP_REQ_HEAD: "HEAD"}
HTTP_name2method = {name: number for number, name in HTTP_method2name.items()}

# What evhttp_request_get_command() returns: libevent 2's one bit per method.
_METHODS = {1 << bit: name for bit, name in enumerate(
    ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"))}
_ALL_METHODS = sum(_METHODS)


class _KeyVal(ctypes.Structure):
    """struct evkeyval: one header in a TAILQ."""


_KeyVal._fields_ = [("next", ctypes.POINTER(_KeyVal)), ("prev", ctypes.c_void_p),
                    ("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class _RequestHead(ctypes.Structure):
    """The leading fields of the public struct evhttp_request, up to the HTTP version."""

    _fields_ = [("next", ctypes.c_void_p * 2), ("evcon", ctypes.c_void_p), ("flags", ctypes.c_int),
                ("input_headers", ctypes.c_void_p), ("output_headers", ctypes.c_void_p),
                ("remote_host", ctypes.c_char_p), ("remote_port", ctypes.c_uint16), ("host_cache", ctypes.c_char_p),
                ("kind", ctypes.c_int), ("type", ctypes.c_int), ("headers_size", ctypes.c_size_t),
                ("body_size", ctypes.c_size_t), ("uri", ctypes.c_char_p), ("uri_elems", ctypes.c_void_p),
                ("major", ctypes.c_char), ("minor", ctypes.c_char)]


_vp, _int, _cp, _size = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t
_REQUEST_CB = ctypes.CFUNCTYPE(None, _vp, _vp)

_new = function("evhttp_new", _vp, [_vp])
_free = function("evhttp_free", None, [_vp])
_bind = function("evhttp_bind_socket_with_handle", _vp, [_vp, _cp, ctypes.c_uint16])
_bound_fd = function("evhttp_bound_socket_get_fd", _int, [_vp])
_allow = function("evhttp_set_allowed_methods", None, [_vp, ctypes.c_uint16])
_set_cb = function("evhttp_set_cb", _int, [_vp, _cp, _vp, _vp])
_del_cb = function("evhttp_del_cb", _int, [_vp, _cp])
_set_gencb = function("evhttp_set_gencb", None, [_vp, _vp, _vp])
_del_accept = function("evhttp_del_accept_socket", None, [_vp, _vp])
_on_complete = function("evhttp_request_set_on_complete_cb", None, [_vp, _vp, _vp])
_send_reply = function("evhttp_send_reply", None, [_vp, _int, _cp, _vp])
_reply_start = function("evhttp_send_reply_start", None, [_vp, _int, _cp])
_reply_chunk = function("evhttp_send_reply_chunk", None, [_vp, _vp])
_reply_end = function("evhttp_send_reply_end", None, [_vp])
_get_uri = function("evhttp_request_get_uri", _cp, [_vp])
_get_command = function("evhttp_request_get_command", _int, [_vp])
_get_connection = function("evhttp_request_get_connection", _vp, [_vp])
_in_headers = function("evhttp_request_get_input_headers", _vp, [_vp])
_out_headers = function("evhttp_request_get_output_headers", _vp, [_vp])
_in_buffer = function("evhttp_request_get_input_buffer", _vp, [_vp])
_out_buffer = function("evhttp_request_get_output_buffer", _vp, [_vp])
_clear_headers = function("evhttp_clear_headers", None, [_vp])
_add_header = function("evhttp_add_header", _int, [_vp, _cp, _cp])
_peer = function("evhttp_connection_get_peer", None, [_vp, ctypes.POINTER(_cp), ctypes.POINTER(ctypes.c_uint16)])
_buf_new = function("evbuffer_new", _vp, [])
_buf_free = function("evbuffer_free", None, [_vp])
_buf_add = function("evbuffer_add", _int, [_vp, _cp, _size])
_buf_len = function("evbuffer_get_length", _size, [_vp])
_buf_copyout = function("evbuffer_copyout", ctypes.c_ssize_t, [_vp, _vp, _size])

# route key -> (server, app or None for the server's default app).
_routes: "Dict[int, Tuple[weakref.ref[wsgi], Optional[Callable[..., Any]]]]" = {}


@_REQUEST_CB
def _on_request(req: int, key: Optional[int]) -> None:
    route = _routes.get(key or 0)
    server = route[0]() if route is not None else None
    if server is None:
        _send_reply(req, HTTP_SERVUNAVAIL, b"Service Unavailable", None)
        return
    app = route[1] if route[1] is not None else server.default_app  # type: ignore[index]
    run_callback(server._base, server._serve, req, app)


@_REQUEST_CB
def _on_sent(req: int, key: Optional[int]) -> None:
    """A reply is out: a server whose app called close() can go, once
    evhttp has left this callback."""
    route = _routes.get(key or 0)
    server = route[0]() if route is not None else None
    if server is not None and server._close_later:
        rel_api["timeout"](0, server.close)


def _headers(head: int) -> List[Tuple[str, str]]:
    """The (name, value) pairs of a struct evkeyvalq, in order."""
    out = []
    node = ctypes.cast(ctypes.c_void_p.from_address(head).value, ctypes.POINTER(_KeyVal)) if head else None
    while node:
        item = node.contents
        out.append((item.key.decode("latin-1"), item.value.decode("latin-1")))
        node = item.next
    return out


def _body(req: int) -> bytes:
    buf = _in_buffer(req)
    size = _buf_len(buf) if buf else 0
    if not size:
        return b""
    data = ctypes.create_string_buffer(size)
    got = _buf_copyout(buf, data, size)
    return data.raw[:max(got, 0)]


def _split_host(host: str) -> Tuple[str, str]:
    """SERVER_NAME and SERVER_PORT from a Host header (no port: http's 80)."""
    if host.startswith("["):  # [v6]:port
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else "80"
    name, colon, port = host.rpartition(":")
    return (name, port) if colon and port.isdigit() else (host, "80")


class _Reply:
    """start_response, write() and the sending of one request's reply."""

    def __init__(self, server: wsgi, req: int) -> None:
        self.server, self.req = server, req
        self.status: Optional[Tuple[int, bytes]] = None
        self.headers: List[Tuple[str, str]] = []
        self.started = False  # the status line went out: streaming
        self.wrote = False
        self.done = False  # the reply is complete: req is the library's again

    def start_response(self, status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        if exc_info:
            try:
                if self.started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response() called twice without exc_info")
        code, _, reason = str(status).partition(" ")
        self.status = (int(code), reason.encode("latin-1"))
        self.headers = [(str(k), str(v)) for k, v in headers]
        return self.write

    def write(self, data: bytes) -> None:
        """WSGI's write(): stream data at once."""
        self.wrote = True
        self._stream(data)

    def _apply_headers(self) -> None:
        if self.status is None:
            raise AssertionError("the application sent data before calling start_response()")
        out = _out_headers(self.req)
        for name, value in self.headers:
            if _add_header(out, name.encode("latin-1"), value.encode("latin-1")) != 0:
                raise ValueError(f"invalid response header {name!r}: {value!r}")

    def _stream(self, data: bytes) -> None:
        if not self.started:
            self._apply_headers()
            code, reason = self.status  # type: ignore[misc]
            _reply_start(self.req, code, reason)
            self.started = True
        if data:
            chunk = self.server._scratch
            _buf_add(chunk, bytes(data), len(data))
            _reply_chunk(self.req, chunk)

    def finish(self, result: Iterable[bytes]) -> None:
        """Send what the app returned, then end the reply."""
        if not self.wrote and isinstance(result, (list, tuple)) and len(result) <= 1:
            body = bytes(result[0]) if result else b""
            self._apply_headers()
            _buf_add(_out_buffer(self.req), body, len(body))
            code, reason = self.status  # type: ignore[misc]
            self.done = True
            _send_reply(self.req, code, reason, None)
            return
        for data in result:
            self._stream(data)
        self._stream(b"")
        self.done = True
        _reply_end(self.req)

    def fail(self) -> None:
        """After an exception from the app: a 500 if nothing went out, else cut the reply short."""
        if self.done:
            return
        self.done = True
        if self.started:
            _reply_end(self.req)
        else:
            _clear_headers(_out_headers(self.req))
            _send_reply(self.req, HTTP_INTERNAL, b"Internal Server Error", None)


class wsgi(Attached):  # noqa: N801 - pyevent's name
    """An HTTP server running WSGI applications, listening on address:port."""

    def __init__(self, address: str = "0.0.0.0", port: int = 80) -> None:
        require("evhttp_new", "evhttp_bind_socket_with_handle")
        super().__init__()
        self.default_app: Optional[Callable[..., Any]] = None
        self._paths: Dict[str, int] = {}  # path -> route key
        self._serving = 0  # apps running now
        self._close_later = False  # close() came from an app: free once its reply is out
        self._default_key = self._route(None)
        self.address, self.port = address, port
        ptr = _new(self._base.ptr)
        if not ptr:
            _routes.pop(self._default_key, None)
            raise OSError("evhttp_new failed")
        self._scratch = _buf_new()  # what each streamed piece goes out through
        self.ptr = ptr
        _allow(ptr, _ALL_METHODS)
        _set_gencb(ptr, _on_request, self._default_key)
        bound = self._bound = _bind(ptr, address.encode(), port)
        if not bound:
            self.close()
            raise OSError(f"could not listen on {address}:{port}")
        with socket.socket(fileno=os.dup(_bound_fd(bound))) as probe:
            self.address, self.port = probe.getsockname()[:2]
        self._keep(True)

    def _route(self, app: Optional[Callable[..., Any]]) -> int:
        key = core.next_key()
        _routes[key] = (weakref.ref(self), app)
        return key

    def register_app(self, path: str, app: Callable[..., Any]) -> None:
        """Serve requests for exactly `path` (no query) with app, replacing any app there."""
        ptr = self._live_ptr()
        self.unregister_app(path)
        key = self._route(app)
        if _set_cb(ptr, path.encode(), _on_request, key) != 0:
            _routes.pop(key, None)
            raise ValueError(f"could not register an app at {path!r}")
        self._paths[path] = key

    def register_default_app(self, app: Optional[Callable[..., Any]]) -> None:
        """Serve every path no app is registered at with app (None: 404)."""
        self.default_app = app

    def unregister_app(self, path: str) -> None:
        key = self._paths.pop(path, None)
        if key is not None:
            _del_cb(self._live_ptr(), path.encode())
            _routes.pop(key, None)

    def run(self) -> None:
        """Dispatch until SIGINT or SIGTERM (rel.abort() also ends it)."""
        stops = [rel_api["signal"](sig, rel_api["abort"]) for sig in (_signal.SIGINT, _signal.SIGTERM)]
        try:
            rel_api["dispatch"]()
        finally:
            for stop in stops:
                stop.delete()

    def _environ(self, req: int) -> Dict[str, Any]:
        uri = (_get_uri(req) or b"/").decode("latin-1")
        path, _, query = uri.partition("?")
        head = _RequestHead.from_address(req)
        address, port = _cp(), ctypes.c_uint16()
        _peer(_get_connection(req), ctypes.byref(address), ctypes.byref(port))
        peer = (address.value or b"").decode("latin-1")
        environ: Dict[str, Any] = {
            "REQUEST_METHOD": _METHODS.get(_get_command(req), "GET"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path.partition("#")[0], encoding="latin-1"),
            "QUERY_STRING": query.partition("#")[0],
            "REQUEST_URI": uri,
            "SERVER_NAME": str(self.address),
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": f"HTTP/{ord(head.major)}.{ord(head.minor)}",
            "CONTENT_TYPE": "",
            "CONTENT_LENGTH": "",
            "REMOTE_ADDR": peer,
            "REMOTE_HOST": peer,
            "REMOTE_PORT": str(port.value),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(_body(req)),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in _headers(_in_headers(req)):
            lower = name.lower()
            if lower == "content-type":
                environ["CONTENT_TYPE"] = value
            elif lower == "content-length":
                environ["CONTENT_LENGTH"] = value
            else:
                if lower == "host":
                    environ["SERVER_NAME"], environ["SERVER_PORT"] = _split_host(value)
                key = "HTTP_" + name.upper().replace("-", "_")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _serve(self, req: int, app: Optional[Callable[..., Any]]) -> None:
        if app is None:
            _send_reply(req, HTTP_NOTFOUND, b"Not Found", None)
            return
        reply = _Reply(self, req)
        environ = self._environ(req)
        _on_complete(req, _on_sent, self._default_key)
        self._serving += 1
        try:
            result = app(environ, reply.start_response)
            try:
                reply.finish(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:
            reply.fail()
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt & co. stop the loop
            traceback.print_exc(file=environ["wsgi.errors"])
        finally:
            self._serving -= 1

    def close(self) -> None:
        """Stop listening and free the server; called by an app, it stops
        listening at once and frees the server once that app's reply is out."""
        if self._serving and self.ptr:
            if not self._close_later:
                self._close_later = True
                _del_accept(self.ptr, self._bound)
        else:
            super().close()

    def _free(self, ptr: int) -> None:
        for key in [self._default_key, *self._paths.values()]:
            _routes.pop(key, None)
        self._paths.clear()
        _free(ptr)
        _buf_free(self._scratch)

    def __repr__(self) -> str:
        return f"<wsgi {self.address}:{self.port} {'open' if self.ptr else 'closed'}>"

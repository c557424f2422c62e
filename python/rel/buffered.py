"""pyevent's bufferevent: buffered socket I/O on the library's bufferevents.

``bufferevent(handle, readcb, writecb, errorcb, *args)`` wraps a
bufferevent_socket_new() on rel's event base. As in libevent, writing is
enabled from the start (write() data goes out on its own) and reading only
after enable(EV_READ). readcb(*args) runs when input arrived (take it with
read(), which pyevent lacked), writecb(*args) when the output drained, and
errorcb(what, *args) on end of file, error or timeout, with ``what`` the
EVBUFFER_* bits (EVBUFFER_READ | EVBUFFER_EOF for end of file); the
direction an error or timeout hit is disabled then, as libevent does.

The socket is not closed with the bufferevent, which is freed by close(),
when collected, or by rel.init(). While it reads or has output to flush it
keeps dispatch() running and stays alive even with no reference left.
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Any, Callable, Optional

from . import core
from .attached import Attached, function, run_callback
from .core import EV_READ, EV_WRITE
from .listener import fileno

__all__ = ["bufferevent", "EVBUFFER_READ", "EVBUFFER_WRITE", "EVBUFFER_EOF", "EVBUFFER_ERROR", "EVBUFFER_TIMEOUT"]

EVBUFFER_READ = 0x01
EVBUFFER_WRITE = 0x02
EVBUFFER_EOF = 0x10
EVBUFFER_ERROR = 0x20
EVBUFFER_TIMEOUT = 0x40

# rel's bases are thread-safe; so must be their bufferevents (write() from any thread).
_BEV_OPT_THREADSAFE = 0x02

_vp, _size = ctypes.c_void_p, ctypes.c_size_t
_tv = ctypes.POINTER(core._Timeval)
_DATA_CB = ctypes.CFUNCTYPE(None, _vp, _vp)
_EVENT_CB = ctypes.CFUNCTYPE(None, _vp, ctypes.c_short, _vp)

_new = function("bufferevent_socket_new", _vp, [_vp, ctypes.c_int, ctypes.c_int])
_setcb = function("bufferevent_setcb", None, [_vp, _vp, _vp, _vp, _vp])
_enable = function("bufferevent_enable", ctypes.c_int, [_vp, ctypes.c_short])
_disable = function("bufferevent_disable", ctypes.c_int, [_vp, ctypes.c_short])
_enabled = function("bufferevent_get_enabled", ctypes.c_short, [_vp])
_write = function("bufferevent_write", ctypes.c_int, [_vp, ctypes.c_char_p, _size])
_read = function("bufferevent_read", _size, [_vp, _vp, _size])
_input = function("bufferevent_get_input", _vp, [_vp])
_output = function("bufferevent_get_output", _vp, [_vp])
_length = function("evbuffer_get_length", _size, [_vp])
_timeouts = function("bufferevent_set_timeouts", ctypes.c_int, [_vp, _tv, _tv])
_free = function("bufferevent_free", None, [_vp])

# ctx key -> bufferevent, for the three C callbacks all bufferevents share.
_objects: "weakref.WeakValueDictionary[int, bufferevent]" = weakref.WeakValueDictionary()


@_DATA_CB
def _on_read(bev: int, ctx: int) -> None:
    obj = _objects.get(ctx)
    if obj is not None:
        obj._run(obj.readcb)


@_DATA_CB
def _on_write(bev: int, ctx: int) -> None:
    obj = _objects.get(ctx)
    if obj is not None:
        obj._run(obj.writecb)


@_EVENT_CB
def _on_event(bev: int, what: int, ctx: int) -> None:
    obj = _objects.get(ctx)
    if obj is not None:
        obj._run(obj.errorcb, what)


def _seconds(secs: Optional[float]) -> Any:
    """A timeval for a timeout in seconds; None or 0 is no timeout (pyevent's 0)."""
    return ctypes.byref(core._timeval(secs)) if secs else None


class bufferevent(Attached):  # noqa: N801 - pyevent's name
    """bufferevent(handle, readcb, writecb, errorcb, *args): handle is a fd or
    has fileno(); readcb(*args), writecb(*args), errorcb(what, *args)."""

    def __init__(self, handle: Any, readcb: Optional[Callable[..., Any]], writecb: Optional[Callable[..., Any]],
                 errorcb: Optional[Callable[..., Any]], *args: Any) -> None:
        super().__init__()
        self.handle = handle  # keeps a socket object (and so its fd) open
        self.fd = fileno(handle)
        self.readcb, self.writecb, self.errorcb, self.args = readcb, writecb, errorcb, args
        ptr = _new(self._base.ptr, self.fd, _BEV_OPT_THREADSAFE)
        if not ptr:
            raise core._oserror(f"bufferevent_socket_new failed for fd {self.fd}")
        self.ptr = ptr
        _objects[self._key] = self
        _setcb(ptr, _on_read, _on_write, _on_event, self._key)

    def _run(self, fn: Optional[Callable[..., Any]], *what: int) -> None:
        run_callback(self._base, fn, *what, *self.args)
        self._update()

    def _update(self) -> None:
        """Stay live while reading or while output waits to be written."""
        ptr = self.ptr
        if ptr:
            enabled = _enabled(ptr)
            self._keep(bool(enabled & EV_READ or enabled & EV_WRITE and _length(_output(ptr))))
        else:
            self._keep(False)

    def _free(self, ptr: int) -> None:
        _setcb(ptr, None, None, None, None)
        _free(ptr)

    def enable(self, evtype: int) -> int:
        """Enable EV_READ and/or EV_WRITE; 0 or -1."""
        rc = int(_enable(self._live_ptr(), evtype))
        self._update()
        return rc

    def disable(self, evtype: int) -> int:
        rc = int(_disable(self._live_ptr(), evtype))
        self._update()
        return rc

    def write(self, buf: Any) -> int:
        """Queue bytes (a str is UTF-8 encoded) for the socket; 0 or -1."""
        data = buf.encode() if isinstance(buf, str) else bytes(buf)
        rc = int(_write(self._live_ptr(), data, len(data)))
        self._update()
        return rc

    def read(self, size: int = -1) -> bytes:
        """Take up to size bytes (all with size < 0) of what has been received."""
        ptr = self._live_ptr()
        if size < 0:
            size = _length(_input(ptr))
        if size == 0:
            return b""
        buf = ctypes.create_string_buffer(size)
        got = _read(ptr, buf, size)
        return buf.raw[:got]

    def set_timeout(self, read_secs: Optional[float], write_secs: Optional[float]) -> None:
        """Read/write inactivity timeouts in seconds (0 or None: none)."""
        if _timeouts(self._live_ptr(), _seconds(read_secs), _seconds(write_secs)) != 0:
            raise core._oserror("bufferevent_set_timeouts failed")

    def close(self) -> None:
        _objects.pop(self._key, None)
        super().close()

    def __repr__(self) -> str:
        return f"<bufferevent fd={self.fd} {'open' if self.ptr else 'closed'} pending={self.pending()}>"

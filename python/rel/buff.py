"""Buffered writes: buffwrite(sock, data, sender, onerror) queues data for a
socket; it leaves in chunks of at most WMAX bytes, one ``sender(sock, chunk)``
call per writable event, on the loop thread. Any thread may call buffwrite()
and release_buff().

Writers are keyed by the socket object, and a writer checks its socket still
owns its fd number before each send: a socket closed without release_buff()
never passes its leftovers (or its sender) to a new socket that got the same
fd number.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import threading
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional

from . import rel
from .listener import SocketIO
from .util import Basic

WMAX = 4096
Sender = Callable[[Any, Any], Any]

_lock = threading.Lock()  # guards the two tables, never held across C calls
writings: Dict[Any, "BuffWriter"] = {}  # socket object -> its writer
_by_fd: Dict[int, "BuffWriter"] = {}  # fd number -> the writer that last used it

_RETRY = (BlockingIOError, InterruptedError, ssl.SSLWantWriteError)


def _send(sock: Any, chunk: Any) -> Any:
    return sock.send(chunk)


class BuffWriter(Basic):
    def __init__(self, sock: Any, sender: Optional[Sender] = None,
                 onerror: Optional[Callable[[str], Any]] = None) -> None:
        self.sock = sock
        self.fileno = sock.fileno()
        self.subname = self.fileno
        self.sender = sender or _send
        self.onerror = onerror or (lambda msg: self.log("unhandled error:", msg))
        self.chunks: Deque[Any] = deque()
        self.errors: List[str] = []
        self.released = False
        self._lock = threading.RLock()  # RLock: a sender may call buffwrite() again
        self._writer: Optional[SocketIO] = None
        self._watcher: Optional[SocketIO] = None

    def ingest(self, data: Any) -> bool:
        """Queue data; False if this writer was already released."""
        with self._lock:
            if self.released:
                return False
            self.chunks.extend(data[i:i + WMAX] for i in range(0, len(data), WMAX))
            if self._writer is None:
                self._writer = rel.write(self.sock, self._on_writable)
                self._watcher = rel.error(self.sock, self._on_error)
            elif not self._writer.pending():
                self._writer.add()
                self._watcher.add()  # type: ignore[union-attr]
            self.log(f"queued {len(data)} bytes, {len(self.chunks)} chunks pending")
            return True

    def _stale(self) -> bool:
        try:
            return bool(self.sock.fileno() != self.fileno)
        except (OSError, ValueError):
            return True

    def _on_writable(self) -> bool:
        # Always truthy: the writer deletes its own events under its lock, so a
        # buffwrite() from another thread can never be lost between the two.
        with self._lock:
            if self.released or not self.chunks:
                return True
            if self._stale():
                failure = None
            else:
                chunk = self.chunks[0]
                try:
                    sent = self.sender(self.sock, chunk)
                except _RETRY:
                    return True
                except Exception as exc:
                    failure = f"write error: {exc}"
                else:
                    if isinstance(sent, int) and 0 <= sent < len(chunk):
                        self.chunks[0] = chunk[sent:]
                    else:
                        self.chunks.popleft()
                    if not self.chunks:
                        self.log("all writes complete")
                        self._writer.delete()  # type: ignore[union-attr]
                        self._watcher.delete()  # type: ignore[union-attr]
                    return True
        if failure is None:
            self.log("socket closed under its writer: dropping it")
            self.release()
        else:
            self._fail(failure)
        return True

    def _on_error(self) -> bool:
        msg = "connection closed"
        try:
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                msg = os.strerror(err)
        except OSError as exc:
            msg = os.strerror(exc.errno or errno.EBADF)
        self._fail(msg)
        return False

    def _fail(self, msg: str) -> None:
        self.errors.append(msg)
        self.log(f"error #{len(self.errors)}: {msg}")
        self.release()
        self.onerror(msg)

    def release(self) -> None:
        """Drop queued data and stop listening; buffwrite() on the socket starts a new writer."""
        with self._lock:
            self.released = True
            self.chunks.clear()
            listeners = [self._writer, self._watcher]
        for listener in listeners:
            if listener is not None:
                listener.delete()
        with _lock:
            if writings.get(self.sock) is self:
                del writings[self.sock]
            if _by_fd.get(self.fileno) is self:
                del _by_fd[self.fileno]


def buffwrite(sock: Any, data: Any, sender: Optional[Sender] = None,
              onerror: Optional[Callable[[str], Any]] = None) -> None:
    """Queue data for sock; sender(sock, chunk) sends it (an int return is the count sent)."""
    while True:
        stale = None
        with _lock:
            writer = writings.get(sock)
            if writer is None:
                writer = BuffWriter(sock, sender, onerror)
                stale = _by_fd.get(writer.fileno)
                writings[sock] = _by_fd[writer.fileno] = writer
        if stale is not None and stale.sock is not sock:
            stale.release()
        if writer.ingest(data):
            return


def release_buff(sock: Any) -> None:
    """Forget sock's writer and whatever it still had queued."""
    with _lock:
        writer = writings.get(sock)
    if writer is not None:
        writer.release()

"""Registrars: one librel event base each, with rel's semantics around it.

``Registrar(method)`` runs on the named librel backend ('epoll', 'poll',
'select', 'kqueue'); EpollRegistrar & co. pin one. It alone owns its base
and its slot table; the listeners it makes reach them only through base,
claim() and vacate() (listener.Registry). ``PyeventRegistrar`` runs on an
installed pyevent ``event`` C module instead.

set_sleep()/set_turbo() tuned the polling sleep of pure-Python rel. librel
blocks in the kernel until something happens, so the values are recorded and
have no effect.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import signal as _signal
import sys
import threading
import time
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import core
from .core import EV_CLOSED, EV_PERSIST, EV_READ, EV_SIGNAL, EV_WRITE
from .errors import AbortBranch
from .listener import Event, Listener, Signal, Slot, SocketIO, Timer
from .util import Basic, log

SLEEP_SEC = 0.03
SLEEP_TURBO = 0.0006


def set_sleep(s: float) -> None:
    """Accepted for compatibility; librel does not poll, so nothing sleeps."""
    global SLEEP_SEC
    SLEEP_SEC = s


def set_turbo(s: float) -> None:
    """Accepted for compatibility; librel does not poll, so nothing sleeps."""
    global SLEEP_TURBO
    SLEEP_TURBO = s


class Registrar(Basic):
    method: Optional[str] = None

    def __init__(self, method: Optional[str] = None) -> None:
        self.base = core.Base(method or self.method)
        self.method = self.base.method
        self.running = False
        self.slots: Dict[Slot, Listener] = {}  # slot -> its one SocketIO or Signal
        self._retired: List[core.Base] = []  # replaced by init() while their loop ran
        self._sigint: Optional[Tuple[core.Base, int]] = None

    # -- registration -------------------------------------------------------
    def read(self, sock: Any, cb: Callable[..., Any], *args: Any) -> SocketIO:
        self.log("read")
        return SocketIO(self, "read", sock, cb, *args)

    def write(self, sock: Any, cb: Callable[..., Any], *args: Any) -> SocketIO:
        self.log("write")
        return SocketIO(self, "write", sock, cb, *args)

    def error(self, sock: Any, cb: Callable[..., Any], *args: Any) -> SocketIO:
        self.log("error")
        return SocketIO(self, "error", sock, cb, *args)

    def timeout(self, delay: Optional[float], cb: Callable[..., Any], *args: Any) -> Timer:
        self.log("timeout")
        return Timer(self, delay, cb, *args)

    def signal(self, sig: int, cb: Callable[..., Any], *args: Any) -> Signal:
        self.log("signal")
        return Signal(self, sig, cb, *args)

    def event(self, callback: Callable[..., Any], arg: Any = None, evtype: int = 0, handle: Any = None) -> Event:
        self.log("event")
        return Event(self, callback, arg, evtype, handle)

    # -- slots (for listeners) ----------------------------------------------
    def claim(self, slot: Slot, listener: Listener) -> None:
        """Make listener the holder of slot, deleting whoever held it."""
        old = self.slots.get(slot)
        if old is not None and old is not listener:
            old.delete()
        self.slots[slot] = listener

    def vacate(self, slot: Slot, listener: Listener) -> None:
        """Free slot if listener holds it."""
        if self.slots.get(slot) is listener:
            self.slots.pop(slot, None)

    # -- running ------------------------------------------------------------
    def dispatch(self) -> None:
        """Run until abort()/pause(), until nothing is registered, or a callback raises."""
        if self.running:
            return
        self.running = True
        try:
            with self._interruptible():
                while self.running and self.base.live:
                    if self.base.loop() == 1:
                        break
        finally:
            self.running = False
            self._reap()

    def loop(self) -> None:
        """One pass: wait for at least one event, run what is ready."""
        if self.base.looping:
            raise RuntimeError("rel.loop() cannot run inside a callback of the running loop")
        try:
            if self.base.live:
                with self._interruptible():
                    self.base.loop(once=True)
        finally:
            self._reap()

    def pause(self) -> None:
        if self.running:
            self.running = False
            self.base.request_break()

    def abort(self) -> None:
        """Stop the loop and drop every read/write/error registration (timers and signals stay)."""
        self.log("abort")
        self.running = False
        for listener in self._listeners():
            if listener.flags & (EV_READ | EV_WRITE | EV_CLOSED):
                listener.delete()
        self.base.request_break()

    def abort_branch(self) -> None:
        self.log("abort_branch")
        raise AbortBranch()

    def init(self) -> None:
        """Drop every registration and carry on with a fresh base."""
        self.running = False
        self._drop_all()
        old, self.base = self.base, core.Base(self.base.method)
        self._retire(old)

    def close(self) -> None:
        """Drop everything and free the base."""
        self.running = False
        self._drop_all()
        self._retire(self.base)

    # -- state --------------------------------------------------------------
    def report(self) -> Dict[str, int]:
        counts = {"timers": 0, "signals": 0, "reads": 0, "writes": 0}
        for listener in self._listeners():
            flags = listener.flags
            counts["reads"] += bool(flags & EV_READ)
            counts["writes"] += bool(flags & EV_WRITE)
            counts["signals"] += bool(flags & EV_SIGNAL)
            counts["timers"] += not flags & ~EV_PERSIST
        return counts

    @property
    def tick(self) -> int:
        """Microseconds field of the time the current (or last) loop pass started."""
        return int(self.base.cached_time().tv_usec)

    # -- internals ----------------------------------------------------------
    def _listeners(self) -> List[Listener]:
        return list(self.base.live.values())  # type: ignore[arg-type]

    def _drop_all(self) -> None:
        for listener in self._listeners():
            listener.delete()
        self.slots.clear()

    def _retire(self, base: core.Base) -> None:
        """Free base now or, when one of its callbacks called us, once its loop returns."""
        if base.looping:
            base.request_break()
            self._retired.append(base)
        else:
            base.close()

    def _reap(self) -> None:
        while self._retired and not self._retired[0].looping:
            self._retired.pop(0).close()

    @contextmanager
    def _interruptible(self) -> Iterator[None]:
        """Let Ctrl-C end a loop blocked in C.

        Python's own SIGINT handler only sets a flag that bytecode checks, so
        while the main thread waits in C, a C-level SIGINT event stands in for
        it and calls the Python handler (KeyboardInterrupt by default) from the
        loop; it steps aside while a rel.signal(SIGINT) is registered.
        """
        handler = _signal.getsignal(_signal.SIGINT)
        if threading.current_thread() is not threading.main_thread() or not callable(handler):
            yield
            return
        base = self.base
        if self._sigint is None or self._sigint[0] is not base:
            def on_sigint(what: int) -> None:
                current = _signal.getsignal(_signal.SIGINT)
                if ("signal", _signal.SIGINT) not in self.slots and callable(current):
                    current(_signal.SIGINT, None)

            self._sigint = (base, base.new_hook(_signal.SIGINT, EV_SIGNAL | EV_PERSIST, on_sigint))
        ev = self._sigint[1]
        core.add(ev, None)
        try:
            yield
        finally:
            if base.ptr is not None:
                core.delete(ev)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} method={self.method!r} {self.report()}>"


class EpollRegistrar(Registrar):
    method = "epoll"


class PollRegistrar(Registrar):
    method = "poll"


class SelectRegistrar(Registrar):
    method = "select"


class KqueueRegistrar(Registrar):
    method = "kqueue"


def find_pyevent() -> ModuleType:
    """An installed pyevent ``event`` module (never rel's own override())."""
    mod = sys.modules.get("event")
    if mod is None or getattr(mod, "__rel_override__", False):
        spec = importlib.machinery.PathFinder.find_spec("event")
        if spec is None or spec.loader is None:
            raise ImportError("pyevent (module 'event') is not installed")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    if not all(hasattr(mod, name) for name in ("event", "dispatch", "abort", "timeout")):
        raise ImportError(f"module 'event' at {getattr(mod, '__file__', '?')} is not pyevent")
    return mod


class PyeventRegistrar(Basic):
    """rel's API on top of pyevent; what pyevent lacks (error(), report()) is stubbed."""

    method = "pyevent"

    def __init__(self) -> None:
        self.ev = find_pyevent()
        self.running = False
        self.tick = 0
        self._sharer: Any = None

    def read(self, sock: Any, cb: Callable[..., Any], *args: Any) -> Any:
        return self.ev.read(sock, cb, *args)

    def write(self, sock: Any, cb: Callable[..., Any], *args: Any) -> Any:
        return self.ev.write(sock, cb, *args)

    def error(self, sock: Any, cb: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError("pyevent has no error events")

    def timeout(self, delay: Optional[float], cb: Callable[..., Any], *args: Any) -> Any:
        return self.ev.timeout(delay, cb, *args)

    def signal(self, sig: int, cb: Callable[..., Any], *args: Any) -> Any:
        return self.ev.signal(sig, cb, *args)

    def event(self, callback: Callable[..., Any], arg: Any = None, evtype: int = 0, handle: Any = None) -> Any:
        return self.ev.event(callback, arg, evtype, handle)

    def dispatch(self) -> None:
        if self.running:
            return
        self.running = True
        try:
            self.ev.dispatch()
        finally:
            self.running = False

    def loop(self) -> None:
        self.ev.loop()

    def pause(self) -> None:
        self.abort()

    def abort(self) -> None:
        self.running = False
        self.ev.abort()

    def abort_branch(self) -> None:
        raise AbortBranch()

    def init(self) -> None:
        self.running = False
        self.ev.init()
        if self._sharer is not None:
            self.share_gil()

    def close(self) -> None:
        self.running = False

    def report(self) -> Dict[str, int]:
        return {"timers": 0, "signals": 0, "reads": 0, "writes": 0}

    def share_gil(self) -> None:
        """'threaded': pyevent holds the GIL while it waits; yield it every 10 ms when threads exist."""
        log("pyevent: yielding the GIL to other threads every 10 ms")

        def share() -> bool:
            if threading.active_count() > 1:
                time.sleep(0.005)
            return True

        self._sharer = self.ev.timeout(0.01, share)

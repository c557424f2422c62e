"""The event objects rel hands out: SocketIO, Timer, Signal and Event.

Each owns one librel event. While registered it sits in its base's ``live``
table (that is what keeps it alive while C may call it, even when the caller
dropped every reference); once deleted, the Python object alone decides its
lifetime, and collecting it frees the C event.

A listener sees the registrar that made it only as a Registry: the base to
make its event on, and the slots (one SocketIO per kind and fd, one Signal
per signal number) it claims and vacates. The registrar owns both.

read/write/timeout events are EV_PERSIST in C, so a truthy callback return
costs nothing; only a falsy one calls back into C (event_del).
"""

from __future__ import annotations

import signal as _signal
import sys
import weakref
from typing import Any, Callable, List, Optional, Protocol, Tuple

from . import core
from .core import EV_CLOSED, EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE
from .errors import AbortBranch
from .util import Basic

__all__ = ["EV_PERSIST", "EV_READ", "EV_SIGNAL", "EV_TIMEOUT", "EV_WRITE",
           "contains", "Slot", "Registry", "Listener", "SocketIO", "Timer", "Signal", "Event"]

_WAITS = EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED  # anything but a bare timer
# 'error' means hang-up or error: EV_CLOSED (EPOLLRDHUP/POLLRDHUP); select cannot see it.
_KIND_FLAGS = {"read": EV_READ, "write": EV_WRITE, "error": EV_CLOSED}


def contains(mode: int, bit: int) -> bool:
    return mode & bit == bit


def fileno(sock: Any) -> int:
    fd = sock if isinstance(sock, int) else sock.fileno()
    if fd < 0:  # a closed socket: select would write outside its fd_set
        raise ValueError(f"invalid file descriptor {fd} (closed socket?)")
    return fd


# What one listener at most holds: (kind, fd) for a SocketIO, ("signal", number) for a Signal.
Slot = Tuple[str, int]


class Registry(Protocol):
    """What a listener needs from the registrar that made it."""

    @property
    def base(self) -> core.Base:
        """The base new events go on (init() replaces it)."""

    def claim(self, slot: Slot, listener: Listener) -> None:
        """Make listener the holder of slot, deleting whoever held it."""

    def vacate(self, slot: Slot, listener: Listener) -> None:
        """Free slot if listener holds it."""


class Listener(Basic):
    """Common machinery: one C event, registered through _arm()/_disarm()."""

    flags = 0
    _base: Optional[core.Base] = None

    def __init__(self, registrar: Registry, fd: int, cb: Optional[Callable[..., Any]], args: Tuple[Any, ...]) -> None:
        self.registrar = registrar
        self.fd = fd
        self.cb = cb
        self.args = args
        self._key = core.next_key()
        self._ev = 0

    # [callable, args, decline] for librel to run without _fire (see core.Base.new_event).
    _direct: Optional[List[Any]] = None

    def _event(self) -> int:
        """This listener's C event on the registrar's current base (made on first use)."""
        base = self.registrar.base
        if self._base is not base:
            if self._base is not None:
                self._base.free_event(self._key)
            self._ev = base.new_event(self.fd, self.flags, self._key, self, self._direct)
            self._base = base
        return self._ev

    def _arm(self, delay: Optional[float]) -> None:
        if delay is None and not self.flags & _WAITS:
            return  # a timer with no delay has nothing to wait for
        ev = self._event()
        live = self._base.live  # type: ignore[union-attr]
        live[self._key] = self  # before event_add: the loop thread may fire it at once
        try:
            core.add(ev, delay)
        except BaseException:
            live.pop(self._key, None)
            raise

    def _claim(self, slot: Slot, delay: Optional[float]) -> None:
        """Hold `slot` (deleting whoever held it) and arm; a failed arm frees it again."""
        self.registrar.claim(slot, self)
        try:
            self._arm(delay)
        except BaseException:
            self.registrar.vacate(slot, self)
            raise

    def _unlive(self) -> bool:
        """Forget the registration; tell the loop when nothing is left to wait for."""
        base = self._base
        if base is None or base.live.pop(self._key, None) is None:
            return False
        if not base.live:
            base.request_break()
        return True

    def _disarm(self) -> None:
        base = self._base
        if base is not None and self._key in base.live:
            core.delete(self._ev)
            self._unlive()

    def pending(self) -> int:
        base = self._base
        return int(base is not None and self._key in base.live)

    def __del__(self) -> None:
        base = self._base
        if base is not None and not sys.is_finalizing():
            base.free_event(self._key)

    def add(self, delay: Optional[float] = None) -> None:
        raise NotImplementedError

    def delete(self) -> None:
        raise NotImplementedError

    def _fire(self, what: int) -> None:
        """Run the callback for a firing with result `what`; the loop calls it."""
        raise NotImplementedError

    def __repr__(self) -> str:
        name = getattr(self.cb, "__qualname__", repr(self.cb))
        return f"<{type(self).__name__} fd={self.fd} callback={name} pending={self.pending()}>"


class SocketIO(Listener):
    """read/write/error interest in one fd; one per (kind, fd), the newest wins.

    Replacing rather than stacking (as pure-Python rel does) also means a fd
    number reused after close() never keeps a stale callback registered.
    """

    def __init__(self, registrar: Registry, kind: str, sock: Any, cb: Callable[..., Any], *args: Any) -> None:
        super().__init__(registrar, fileno(sock), cb, args)
        self.kind = kind
        self.sock = sock
        self.subname = f"{kind}-{self.fd}"
        self.slot: Slot = (kind, self.fd)
        self.flags = _KIND_FLAGS[kind] | EV_PERSIST
        self._direct = [cb, args, _decliner(self)]
        self.add()

    def add(self, delay: Optional[float] = None) -> None:
        self.log("add w/ delay =", delay)
        self._claim(self.slot, delay)

    def delete(self) -> None:
        self.log("delete")
        self.registrar.vacate(self.slot, self)
        self._disarm()

    def dereference(self) -> None:
        """Delete, and drop the callback and its arguments."""
        self.log("dereference")
        self.delete()
        self.cb, self.args = None, ()
        self._direct[:2] = [None, ()]  # type: ignore[index]

    def _fire(self, what: int) -> None:
        try:
            if not self.cb(*self.args):  # type: ignore[misc]
                self.delete()
        except AbortBranch:
            pass


def _decliner(listener: Listener) -> Callable[[], None]:
    """What a falsy callback return runs: delete the listener, if it lives
    (weakly held: the listener holds this)."""
    ref = weakref.ref(listener)

    def decline() -> None:
        owner = ref()
        if owner is not None:
            owner.delete()

    return decline


class Timer(Listener):
    """timeout(delay, cb, *args): one-shot; a truthy return re-arms it.

    EV_PERSIST timers re-arm from their previous deadline (fixed rate, so a
    periodic timer does not drift by its callback's run time).
    """

    flags = EV_PERSIST

    def __init__(self, registrar: Registry, delay: Optional[float], cb: Callable[..., Any], *args: Any) -> None:
        super().__init__(registrar, -1, cb, args)
        self.delay = delay
        self.add(delay)

    def add(self, delay: Optional[float] = None) -> None:
        """Arm (or re-arm) the timer; with no delay, reuse the last one."""
        if delay is None:
            delay = self.delay
        self.delay = delay
        self._arm(delay)

    def delete(self, dereference: bool = False) -> None:
        self._disarm()
        if dereference:
            self.cb, self.args = None, ()

    def _fire(self, what: int) -> None:
        try:
            keep = self.cb(*self.args)  # type: ignore[misc]
        except BaseException as exc:
            # C re-arms persistent timers itself, except zero-delay ones:
            # such a timer is no longer pending, so let it go with the error.
            if not self.delay:
                self.delete()
            if isinstance(exc, AbortBranch):
                return
            raise
        if keep:
            if not self.delay and self.pending():
                core.add(self._ev, 0)
        else:
            self.delete()


class Signal(Listener):
    """signal(sig, cb, *args): cb on the loop thread each time sig arrives.

    A C-level signal event (librel's sigaction + self-pipe), so it can be set
    up from any thread; one per signal number, the newest wins.
    """

    flags = EV_SIGNAL | EV_PERSIST

    def __init__(self, registrar: Registry, sig: int, cb: Callable[..., Any], *args: Any) -> None:
        sig = int(sig)
        if not 0 < sig < _signal.NSIG:
            raise ValueError(f"signal number out of range: {sig}")
        super().__init__(registrar, sig, cb, args)
        self.sig = sig
        self.slot: Slot = ("signal", sig)
        self.add()

    def add(self, delay: Optional[float] = None) -> None:
        self._claim(self.slot, delay)

    def delete(self) -> None:
        self.registrar.vacate(self.slot, self)
        self._disarm()

    def _fire(self, what: int) -> None:
        try:
            self.cb(*self.args)  # type: ignore[misc]
        except AbortBranch:
            pass


class Event(Listener):
    """pyevent's event(callback, arg=None, evtype=0, handle=None).

    Not registered until add(); the callback gets (event, handle, evtype, arg)
    with evtype what fired (EV_TIMEOUT, EV_READ, ...); its return value is
    ignored, EV_PERSIST keeps the event registered.
    """

    def __init__(self, registrar: Registry, cb: Callable[..., Any], arg: Any = None,
                 evtype: int = 0, handle: Any = None) -> None:
        evtype = evtype or EV_TIMEOUT
        super().__init__(registrar, -1 if handle is None else fileno(handle), cb, ())
        self.arg = arg
        self.evtype = evtype
        self.handle = handle
        self.flags = evtype & ~EV_TIMEOUT

    def add(self, delay: Optional[float] = None) -> None:
        self._arm(delay)

    def delete(self) -> None:
        self._disarm()

    def _fire(self, what: int) -> None:
        if not self.flags & EV_PERSIST:
            self._unlive()  # C already dropped a non-persistent event
        try:
            self.cb(self, self.handle, what, self.arg)  # type: ignore[misc]
        except AbortBranch:
            pass

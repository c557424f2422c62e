"""What rel's bufferevents, DNS requests and HTTP servers share: C objects of
the loaded library on the registrar's event base, calling Python back through
ctypes callbacks.

Such an object sits in its base's ``live`` table only while it waits for
something (a bufferevent reading or with output to flush, a DNS request in
flight, a listening HTTP server): that is what keeps dispatch() running, and
the table holds it alive meanwhile. It is also one of the base's
``dependents``, so rel.init() frees it before the base it was made on.
Its ``flags`` is no event flag: report() counts it as none of its kinds and
abort() leaves it in place, as it does timers and signals.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, Callable, Dict, List, Optional

from . import core
from .errors import AbortBranch
from .util import Basic

ATTACHED = 0x10000


def function(name: str, restype: Any, argtypes: List[Any]) -> Any:
    """The library's C function `name` with its prototype, or None when it lacks it."""
    fn = getattr(core._lib, name, None)
    if fn is not None:
        fn.restype, fn.argtypes = restype, argtypes
    return fn


def require(*names: str) -> None:
    """NotImplementedError unless the loaded library exports every name."""
    missing = [n for n in names if not hasattr(core._lib, n)]
    if missing:
        raise NotImplementedError(f"{core.LIBRARY_PATH} lacks {', '.join(missing)}")


# What the extras need of rel.py: its registrar's base, and its own calls
# (dispatch, signal, abort, timeout). rel.py provides them, so the modules
# below it never import it.
_registrar_base: Callable[[], Optional[core.Base]] = lambda: None
rel_api: Dict[str, Callable[..., Any]] = {}


def provide(base: Callable[[], Optional[core.Base]], **calls: Callable[..., Any]) -> None:
    """rel.py hands over how to find (and first make) its registrar's base,
    and the calls of its API the extras use."""
    global _registrar_base
    _registrar_base = base
    rel_api.update(calls)


def current_base() -> core.Base:
    """The event base of rel's registrar (initialized on first use)."""
    base = _registrar_base()
    if base is None or base.ptr is None:
        raise RuntimeError("this needs one of librel's backends, not 'pyevent'")
    return base


def run_callback(base: core.Base, fn: Optional[Callable[..., Any]], *args: Any) -> None:
    """Run a Python callback C called through ctypes, which cannot carry an
    exception back: stop the running loop and let dispatch() raise it, as
    rel's other callbacks do (outside a loop, print it). AbortBranch just
    ends the callback."""
    if fn is None:
        return
    try:
        fn(*args)
    except AbortBranch:
        pass
    except BaseException as exc:
        if base.looping and base.failure is None and base.ptr is not None:
            base.failure = exc
            core._lib.event_base_loopbreak(base.ptr)
        else:
            traceback.print_exc()


class Waiter(Basic):
    """An entry of a base's live table that is no C event."""

    flags = ATTACHED

    def __init__(self, base: core.Base) -> None:
        self._base = base
        self._key = core.next_key()

    def _keep(self, waiting: bool) -> None:
        """Be in the live table while waiting; tell the loop when nothing is left."""
        live = self._base.live
        if waiting:
            live[self._key] = self  # type: ignore[assignment]
        elif live.pop(self._key, None) is not None and not live:
            self._base.request_break()

    def pending(self) -> int:
        return int(self._key in self._base.live)

    def delete(self) -> None:
        """What rel.init() calls on what is live: end it."""
        raise NotImplementedError

    def _fire(self, what: int) -> None:
        """Never called: a Waiter has no C event of rel's."""


class Attached(Waiter):
    """A C object on the current base, freed by close(), collection, or
    before its base is (rel.init())."""

    ptr: Optional[int] = None  # the C object, once made

    def __init__(self) -> None:
        super().__init__(current_base())
        self._base.dependents[self._key] = self

    def _free(self, ptr: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Free the C object (idempotent)."""
        ptr, self.ptr = self.ptr, None
        self._keep(False)
        self._base.dependents.pop(self._key, None)
        if ptr:
            self._free(ptr)

    def delete(self) -> None:
        self.close()

    def _live_ptr(self) -> int:
        if not self.ptr:
            raise ValueError(f"{type(self).__name__} is closed")
        return self.ptr

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if self.ptr and not sys.is_finalizing():
            self.close()


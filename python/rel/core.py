"""ctypes binding to librel, the C-ABI libevent 2.1 core that rel runs on.

The library is ``librel*.so`` next to this file (``pip install .`` builds it),
or whatever path the ``REL_LIBRARY`` environment variable names; any libevent
2.1 build with the same ABI works too.

Design, for few Python/C crossings:
- each event has a target: an object whose ``_fire(result)`` runs it (a
  Listener, or a Hook for internal events);
- on librel under CPython, librel calls the targets itself: events are made
  with librel's ``rel_hosted`` marker as their callback and the target as
  their argument, and ``rel_base_loop_hosted`` runs the loop holding the GIL,
  calls ``target._fire(result)`` through CPython's own C API (no ctypes
  callback, no argument conversion) and releases the GIL only while it
  blocks. An exception from a target stops the loop and comes out of that
  call;
- read/write events skip even ``_fire``: they are made with the
  ``rel_hosted_call`` marker and a ``[callback, args, decline]`` list, and
  librel calls ``callback(*args)`` itself, then ``decline()`` when that
  returned something false (one Python frame per event instead of two);
- elsewhere (another libevent 2.1, or no ``ctypes.pythonapi``), one CFUNCTYPE
  trampoline per base is the callback and the C argument is a key looked up
  in the base's tables;
- events are allocated by the library (event_new) and freed when the Python
  object owning them is collected, so C never calls into a dead object;
- every base is thread-safe: other threads may add, delete and activate events
  while the loop blocks in C without the GIL.
"""

from __future__ import annotations

import ctypes
import glob
import itertools
import os
import threading
import weakref
from typing import Callable, Dict, List, Optional, Protocol

from .errors import AbortBranch

EV_TIMEOUT = 0x01
EV_READ = 0x02
EV_WRITE = 0x04
EV_SIGNAL = 0x08
EV_PERSIST = 0x10
EV_CLOSED = 0x80

EVLOOP_ONCE = 0x01

# libevent's default clock is coarse (a 1 ms timer fires after ~4 ms); librel
# is precise anyway and accepts the flag.
_EVENT_BASE_FLAG_PRECISE_TIMER = 0x20

ENV_VAR = "REL_LIBRARY"


class Target(Protocol):
    """What an event runs: _fire is called with the event's result (EV_READ, ...)."""

    def _fire(self, what: int) -> None: ...


class Dependent(Protocol):
    """A C object made on a base (a bufferevent, an evdns or evhttp base)
    that must be freed before the base is."""

    def close(self) -> None: ...


class Hook:
    """The target of an internal event: calls fn(result)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[int], None]) -> None:
        self.fn = fn

    def _fire(self, what: int) -> None:
        self.fn(what)


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_short, ctypes.c_ssize_t)
_vp, _int, _short = ctypes.c_void_p, ctypes.c_int, ctypes.c_short


class _Host(ctypes.Structure):
    """librel's struct rel_host: the interpreter entry points it calls."""

    _fields_ = [(name, _vp) for name in ("release", "reacquire", "wrap", "call_method", "method", "keep", "drop",
                                         "call", "call_none", "truth", "item")]


_PROTOTYPES = {
    "event_config_new": (_vp, []),
    "event_config_free": (None, [_vp]),
    "event_config_avoid_method": (_int, [_vp, ctypes.c_char_p]),
    "event_config_set_flag": (_int, [_vp, _int]),
    "event_get_supported_methods": (ctypes.POINTER(ctypes.c_char_p), []),
    "event_base_new_with_config": (_vp, [_vp]),
    "event_base_get_method": (ctypes.c_char_p, [_vp]),
    "event_base_free": (None, [_vp]),
    "event_base_loop": (_int, [_vp, _int]),
    "event_base_loopbreak": (_int, [_vp]),
    "event_base_gettimeofday_cached": (_int, [_vp, ctypes.POINTER(_Timeval)]),
    # The callback argument is declared as an integer: it carries a key, not a pointer.
    "event_new": (_vp, [_vp, _int, _short, _vp, ctypes.c_ssize_t]),
    "event_free": (None, [_vp]),
    "event_add": (_int, [_vp, ctypes.POINTER(_Timeval)]),
    "event_del": (_int, [_vp]),
    "event_active": (None, [_vp, _int, _short]),
}


def _locate() -> str:
    path = os.environ.get(ENV_VAR)
    if path:
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(glob.glob(os.path.join(here, "librel*.so")) + glob.glob(os.path.join(here, "librel*.dylib")))
    if not found:
        raise ImportError(
            f"librel is not in {here}: install the package with 'pip install .' "
            f"or set {ENV_VAR} to the path of librel.so (or of a libevent 2.1 library)"
        )
    return found[0]


def _enable_threads(lib: ctypes.CDLL, path: str) -> None:
    """Make the library's bases lockable and wakeable from other threads.

    librel is always thread-safe and exports a no-op evthread_use_pthreads.
    Stock libevent keeps it in libevent_pthreads, which must bind to the very
    copy of the core we loaded: promote that copy to the global symbol scope
    before loading the helper, so the helper's references resolve to it.
    """
    use = getattr(lib, "evthread_use_pthreads", None)
    if use is None:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        helpers = sorted(glob.glob(os.path.join(os.path.dirname(path), "libevent_pthreads*.so*")))
        if not helpers:
            raise ImportError(f"{path} lacks evthread_use_pthreads and no libevent_pthreads is beside it")
        use = ctypes.CDLL(helpers[0], mode=ctypes.RTLD_GLOBAL).evthread_use_pthreads
    use.restype = _int
    if use() != 0:
        raise ImportError(f"evthread_use_pthreads failed for {path}")


def _load(path: str) -> ctypes.CDLL:
    lib = ctypes.CDLL(path, use_errno=True)
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    _enable_threads(lib, path)
    return lib


LIBRARY_PATH = _locate()
_lib = _load(LIBRARY_PATH)


_METHOD = "_fire"  # interned, and alive as long as this module


def _hosted_loop() -> Optional[Callable[[int, int], int]]:
    """rel_base_loop_hosted bound to CPython's entry points, if both exist."""
    api = getattr(ctypes, "pythonapi", None)
    names = ("PyEval_SaveThread", "PyEval_RestoreThread", "PyLong_FromLong", "PyObject_VectorcallMethod",
             "Py_IncRef", "Py_DecRef", "PyObject_Call", "PyObject_CallNoArgs", "PyObject_IsTrue", "PyList_GetItem")
    if not hasattr(_lib, "rel_hosted_call") or api is None or not all(hasattr(api, n) for n in names):
        return None
    release, reacquire, wrap, call_method, keep, drop, call, call_none, truth, item = (
        ctypes.cast(getattr(api, n), _vp) for n in names)
    host = _Host(release, reacquire, wrap, call_method, id(_METHOD), keep, drop, call, call_none, truth, item)
    # Through PyDLL: the call keeps the GIL (librel releases it while it
    # waits) and raises the exception a callback left set.
    fn = ctypes.PyDLL(LIBRARY_PATH).rel_base_loop_hosted
    fn.restype, fn.argtypes = _int, [_vp, _int, ctypes.POINTER(_Host)]
    ref = ctypes.byref(host)
    return lambda ptr, flags: fn(ptr, flags, ref)  # type: ignore[no-any-return]


_loop_hosted = _hosted_loop()
_hosted_marker = ctypes.cast(_lib.rel_hosted, _vp).value if _loop_hosted else None
_hosted_call_marker = ctypes.cast(_lib.rel_hosted_call, _vp).value if _loop_hosted else None

_keys = itertools.count(1)


def next_key() -> int:
    """A process-unique key for one event (itertools.count is atomic under the GIL)."""
    return next(_keys)


def supported_methods() -> List[str]:
    """The backends this library can use here, in its order of preference."""
    names = _lib.event_get_supported_methods()
    out: List[str] = []
    i = 0
    while names[i] is not None:
        out.append(names[i].decode())
        i += 1
    return out


def _timeval(delay: float) -> _Timeval:
    delay = max(0.0, float(delay))
    sec = int(delay)
    usec = round((delay - sec) * 1e6)
    if usec >= 1000000:
        sec, usec = sec + 1, usec - 1000000
    return _Timeval(sec, usec)


def _oserror(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}" if err else what)


def add(ev: int, delay: Optional[float]) -> None:
    """event_add with an optional relative timeout in seconds."""
    tv = None if delay is None else ctypes.byref(_timeval(delay))
    if _lib.event_add(ev, tv) != 0:
        raise _oserror("event_add failed")


def delete(ev: int) -> None:
    _lib.event_del(ev)


class Base:
    """One event base plus the tables of what its events run."""

    def __init__(self, method: Optional[str] = None) -> None:
        available = supported_methods()
        if method is not None and method not in available:
            raise ImportError(f"backend {method!r} is not available (have {available})")
        cfg = _lib.event_config_new()
        try:
            _lib.event_config_set_flag(cfg, _EVENT_BASE_FLAG_PRECISE_TIMER)
            for other in available:
                if method is not None and other != method:
                    _lib.event_config_avoid_method(cfg, other.encode())
            ptr = _lib.event_base_new_with_config(cfg)
        finally:
            _lib.event_config_free(cfg)
        if not ptr:
            raise ImportError(f"could not create an event base with backend {method!r}")
        self.ptr: Optional[int] = ptr
        self.method: str = _lib.event_base_get_method(ptr).decode()
        # key -> target of every pending event; what the loop keeps running for.
        self.live: Dict[int, Target] = {}
        # key -> target of internal events, which never keep the loop alive.
        self.hooks: Dict[int, Hook] = {}
        self.looping = False
        self.failure: Optional[BaseException] = None
        self._owned: Dict[int, int] = {}  # key -> struct event *
        # key -> C objects made on this base, closed before it (weakly held:
        # collecting one frees it too).
        self.dependents: "weakref.WeakValueDictionary[int, Dependent]" = weakref.WeakValueDictionary()
        self._lock = threading.Lock()
        if _loop_hosted is None:
            self._trampoline = _CALLBACK(self._make_trampoline(ptr))
        self._breaker = self.new_hook(-1, 0, self._on_break)

    def _on_break(self, what: int) -> None:
        if self.ptr is not None:
            _lib.event_base_loopbreak(self.ptr)

    def _make_trampoline(self, ptr: int) -> Callable[[int, int, int], None]:
        live, hooks = self.live, self.hooks

        def trampoline(fd: int, what: int, key: int) -> None:
            # ctypes cannot carry an exception back through C: keep it, stop the
            # loop right after this callback, and let loop() raise it.
            try:
                target = live.get(key)
                if target is None:
                    target = hooks.get(key)
                if target is not None:
                    target._fire(what)
            except BaseException as exc:
                self.failure = exc
                _lib.event_base_loopbreak(ptr)

        return trampoline

    def new_event(self, fd: int, flags: int, key: int, target: Target, direct: Optional[List[object]] = None) -> int:
        """A C event on this base running target._fire(result); the caller
        keeps target (and direct) alive for as long as the event exists.

        With direct, ``[callable, args, decline]``, librel's hosted loop runs
        the event without target: it calls ``callable(*args)``, then
        ``decline()`` if that returned something false (an exception stops
        the loop and comes out of it, AbortBranch included)."""
        if self.ptr is None:
            raise RuntimeError("this event base was closed (rel.init() or rel.initialize() replaced it)")
        if _loop_hosted is None:
            callback, arg = ctypes.cast(self._trampoline, _vp).value, key
        elif direct is not None:
            callback, arg = _hosted_call_marker, id(direct)
        else:
            callback, arg = _hosted_marker, id(target)
        ev = _lib.event_new(self.ptr, fd, flags, callback, arg)
        if not ev:
            raise _oserror(f"event_new failed for fd {fd}")
        with self._lock:
            self._owned[key] = ev
        return int(ev)

    def new_hook(self, fd: int, flags: int, fn: Callable[[int], None]) -> int:
        """An internal C event running fn(result), kept until the base goes."""
        key = next_key()
        self.hooks[key] = hook = Hook(fn)
        return self.new_event(fd, flags, key, hook)

    def free_event(self, key: int) -> None:
        with self._lock:
            ev = self._owned.pop(key, None)
            if ev is not None:
                _lib.event_free(ev)

    def _run_hosted(self, flags: int) -> int:
        """The hosted loop; an AbortBranch from a direct event ends only that
        callback: the loop goes on (a once-loop has then run something)."""
        while True:
            try:
                return _loop_hosted(self.ptr, flags)  # type: ignore[arg-type, misc]
            except AbortBranch:
                if flags & EVLOOP_ONCE:
                    return 0

    def request_break(self) -> None:
        """Stop the loop from any thread, even one about to enter it.

        A loopbreak issued before the loop starts is lost; an activated event
        stays queued, and its hook breaks the loop once it runs.
        """
        if self.ptr is not None:
            _lib.event_active(self._breaker, EV_TIMEOUT, 0)

    def loop(self, once: bool = False) -> int:
        """Run until a break, an exception from a callback (raised here) or,
        with once, the first pass that ran something. Returns 1 when nothing
        was pending, else 0."""
        self.looping = True
        flags = EVLOOP_ONCE if once else 0
        try:
            if _loop_hosted is not None:
                rc = self._run_hosted(flags)
            else:
                rc = _lib.event_base_loop(self.ptr, flags)
        finally:
            self.looping = False
        exc, self.failure = self.failure, None
        if exc is not None:
            try:
                raise exc
            finally:
                exc = None  # break the frame <-> traceback cycle
        if rc < 0:
            raise _oserror("event_base_loop failed")
        return int(rc)

    def cached_time(self) -> _Timeval:
        """The time the running loop pass started (or now, outside a pass)."""
        tv = _Timeval()
        if self.ptr is not None:
            _lib.event_base_gettimeofday_cached(self.ptr, ctypes.byref(tv))
        return tv

    def close(self) -> None:
        """Free every event and the base. The caller deleted its events first."""
        if self.ptr is not None:
            for dependent in list(self.dependents.values()):
                dependent.close()
        with self._lock:
            if self.ptr is None:
                return
            for ev in self._owned.values():
                _lib.event_free(ev)
            self._owned.clear()
            self.live.clear()
            self.hooks.clear()
            _lib.event_base_free(self.ptr)
            self.ptr = None

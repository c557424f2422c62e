"""rel's functional API (also importable as ``from rel import rel``).

Registered Event Listener: pyevent's interface, run by librel (a Rust
re-implementation of the libevent 2.1 core) through ctypes. Unlike
pure-Python rel it blocks in the kernel instead of polling, releases the GIL
while it waits, and runs every callback on the thread that called dispatch().
"""

from __future__ import annotations

import pprint
import sys
import threading
import time
import types
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .core import EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE
from .errors import AbortBranch
from . import attached, buffered, dns, evhttp
from .listener import Event, Signal, SocketIO, Timer
from .registrar import PyeventRegistrar, Registrar, set_sleep, set_turbo
from .util import log, set_verbose
from .version import __version__

__all__ = [
    "__version__", "override", "supported_methods", "initialize", "set_verbose", "set_sleep",
    "set_turbo", "safe_read", "read", "write", "error", "timeout", "signal", "event", "dispatch",
    "pause", "resume", "loop", "report", "is_running", "abort", "abort_branch", "thread", "tick",
    "init", "start", "stop", "log", "EV_PERSIST", "EV_READ", "EV_SIGNAL", "EV_TIMEOUT", "EV_WRITE",
]

_EXTRAS = (buffered, dns, evhttp)

AnyRegistrar = Union[Registrar, PyeventRegistrar]
Callback = Callable[..., Any]

supported_methods: List[str] = ["epoll", "poll", "kqueue", "select", "pyevent"]
registrar: Optional[AnyRegistrar] = None
SAFE_READ = False


def _make_registrar(method: str) -> AnyRegistrar:
    if method == "pyevent":
        return PyeventRegistrar()
    if method not in supported_methods:
        raise ImportError(f"unknown method {method!r}")
    return Registrar(method)


def _report() -> bool:
    print("=" * 60)
    print("rel status report".center(60))
    print(str(time.time()).center(60))
    print("-" * 60)
    pprint.pprint(report())
    print("=" * 60)
    return True


def initialize(methods: Sequence[str] = supported_methods, options: Sequence[str] = ()) -> str:
    """Pick the first usable method of ``methods`` (then of supported_methods,
    unless 'strict' is in ``options``) and return its name.

    options: 'verbose' (log events), 'report' (print a status report every
    5 s), 'strict', 'threaded' (pyevent only: share the GIL with other threads).
    """
    global registrar
    if "verbose" in options:
        set_verbose(True)
    order = list(methods)
    if "strict" not in options:
        order += [m for m in supported_methods if m not in order]
    chosen: Optional[AnyRegistrar] = None
    for method in order:
        try:
            chosen = _make_registrar(method)
            break
        except ImportError as exc:
            log(f'could not use "{method}": {exc}')
    if chosen is None:
        raise ImportError(f"could not use any of the methods {order}")
    if registrar is not None:
        registrar.close()
    registrar = chosen
    log(f'initialized with "{method}"')
    if "threaded" in options:
        if isinstance(chosen, PyeventRegistrar):
            chosen.share_gil()
        else:
            log("'threaded' is unnecessary: librel waits without holding the GIL")
    if "report" in options:
        if isinstance(chosen, PyeventRegistrar):
            log("'report' is unavailable with pyevent")
        else:
            timeout(5, _report)
    return method


def _registrar() -> AnyRegistrar:
    if registrar is None:
        initialize()
    return registrar  # type: ignore[return-value]


def safe_read() -> None:
    """From now on read() ignores the extra arguments it is given."""
    global SAFE_READ
    SAFE_READ = True


def read(sock: Any, cb: Callback, *args: Any) -> SocketIO:
    """Call cb(*args) whenever sock (fileno() or int fd) is readable; falsy return unregisters."""
    return _registrar().read(sock, cb, *(() if SAFE_READ else args))


def write(sock: Any, cb: Callback, *args: Any) -> SocketIO:
    """Call cb(*args) whenever sock is writable; falsy return unregisters."""
    return _registrar().write(sock, cb, *args)


def error(sock: Any, cb: Callback, *args: Any) -> SocketIO:
    """Call cb(*args) when sock hangs up or fails (not seen by the select backend)."""
    return _registrar().error(sock, cb, *args)


def timeout(delay: Optional[float], cb: Callback, *args: Any) -> Timer:
    """Call cb(*args) after delay seconds (None: unarmed until .add(delay)); truthy return repeats."""
    return _registrar().timeout(delay, cb, *args)


def signal(sig: int, callback: Callback, *args: Any) -> Signal:
    """Call callback(*args) on the loop thread whenever signal sig arrives (callable from any thread)."""
    return _registrar().signal(sig, callback, *args)


def event(callback: Callback, arg: Any = None, evtype: int = 0, handle: Any = None) -> Event:
    """pyevent-style event; callback(ev, handle, evtype, arg). Register with .add(delay=None)."""
    return _registrar().event(callback, arg, evtype, handle)


def dispatch() -> None:
    """Run the loop until abort(), pause(), nothing left, or a callback raises (re-raised here)."""
    _registrar().dispatch()


def pause() -> None:
    if registrar is not None:
        registrar.pause()


def resume() -> None:
    if registrar is not None:
        registrar.dispatch()


def loop() -> None:
    """One pass: wait for at least one event and run what is ready."""
    _registrar().loop()


def report() -> Dict[str, int]:
    """Counts of registered timers, signals, reads and writes."""
    return _registrar().report()


def is_running() -> bool:
    return registrar is not None and registrar.running


def abort() -> None:
    """Stop the loop (from a callback or any thread) and drop read/write/error registrations."""
    _registrar().abort()


def abort_branch() -> None:
    """End the running callback only (raises AbortBranch, which the loop swallows)."""
    raise AbortBranch()


def _run_branch(callback: Callable[[], Any]) -> None:
    try:
        callback()
    except AbortBranch:
        pass


def thread(callback: Callable[[], Any]) -> threading.Thread:
    """Run callback() in a new thread, where abort_branch() just ends it."""
    worker = threading.Thread(target=_run_branch, args=(callback,))
    worker.start()
    return worker


def tick() -> int:
    return _registrar().tick


def init() -> None:
    """Drop every registration and start over on a fresh event base."""
    _registrar().init()


def start() -> None:
    """SIGINT -> abort(), then dispatch()."""
    log("start")
    signal(2, abort)
    dispatch()


def stop() -> None:
    log("goodbye")
    if is_running():
        abort()
    else:
        sys.exit()


def override() -> None:
    """Install rel as ``sys.modules['event']`` so pyevent code (``import event``) runs on it."""
    current = sys.modules.get("event")
    if current is not None and getattr(current, "__rel_override__", False):
        return
    mod = types.ModuleType("event", "pyevent's API, provided by rel")
    mod.__rel_override__ = True  # type: ignore[attr-defined]
    mod.__version__ = __version__  # type: ignore[attr-defined]
    for name in ("event", "read", "write", "timeout", "signal", "dispatch", "loop", "abort", "init",
                 "EV_PERSIST", "EV_READ", "EV_SIGNAL", "EV_TIMEOUT", "EV_WRITE"):
        setattr(mod, name, globals()[name])
    # pyevent's extras: bufferevent, the dns_* calls and the wsgi server.
    for extra in _EXTRAS:
        for name in extra.__all__:
            setattr(mod, name, getattr(extra, name))
    sys.modules["event"] = mod


attached.provide(
    lambda: getattr(_registrar(), "base", None),
    dispatch=dispatch,
    signal=signal,
    abort=abort,
    timeout=timeout,
)

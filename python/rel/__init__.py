"""rel: Registered Event Listener, pyevent's API on librel (a Rust libevent 2.1 core).

librel is loaded with ctypes from this package's directory, or from the path in
the REL_LIBRARY environment variable.
"""

from .version import __version__
from .rel import (override, supported_methods, initialize, set_verbose, set_sleep, set_turbo,
                  safe_read, read, write, error, timeout, signal, event, dispatch, pause, resume,
                  loop, report, is_running, abort, abort_branch, thread, tick, init, start, stop,
                  EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE)
from .buff import buffwrite, release_buff
from .buffered import (bufferevent, EVBUFFER_READ, EVBUFFER_WRITE, EVBUFFER_EOF, EVBUFFER_ERROR,
                       EVBUFFER_TIMEOUT)

__all__ = [
    "__version__", "override", "supported_methods", "initialize", "set_verbose", "set_sleep",
    "set_turbo", "safe_read", "read", "write", "error", "timeout", "signal", "event", "dispatch",
    "pause", "resume", "loop", "report", "is_running", "abort", "abort_branch", "thread", "tick",
    "init", "start", "stop", "buffwrite", "release_buff",
    "EV_PERSIST", "EV_READ", "EV_SIGNAL", "EV_TIMEOUT", "EV_WRITE",
    "bufferevent", "EVBUFFER_READ", "EVBUFFER_WRITE", "EVBUFFER_EOF", "EVBUFFER_ERROR", "EVBUFFER_TIMEOUT",
]

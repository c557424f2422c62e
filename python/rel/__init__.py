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
from . import buffered, dns, evhttp
# pyevent's extras: bufferevent, EVBUFFER_*, dns_*, DNS_*, wsgi, HTTP_*, EVHTTP_REQ_*.
from .buffered import *  # noqa: F401,F403
from .dns import *  # noqa: F401,F403
from .evhttp import *  # noqa: F401,F403

__all__ = [
    "__version__", "override", "supported_methods", "initialize", "set_verbose", "set_sleep",
    "set_turbo", "safe_read", "read", "write", "error", "timeout", "signal", "event", "dispatch",
    "pause", "resume", "loop", "report", "is_running", "abort", "abort_branch", "thread", "tick",
    "init", "start", "stop", "buffwrite", "release_buff",
    "EV_PERSIST", "EV_READ", "EV_SIGNAL", "EV_TIMEOUT", "EV_WRITE",
] + buffered.__all__ + dns.__all__ + evhttp.__all__

"""Shared fixtures. Run with the library rel should load, e.g.

    REL_LIBRARY=/work/main/target/release/librel.so python -m pytest python/tests
"""

import faulthandler
import signal
import socket
import sys
import threading
import time

import pytest

import rel
import rel.rel
import rel.util

BACKENDS = ["epoll", "poll", "select"]
HANG_LIMIT = 60  # seconds before a hung test dumps its stacks and kills the run


@pytest.fixture(autouse=True)
def _no_hang():
    faulthandler.dump_traceback_later(HANG_LIMIT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def ctrl_c():
    """SIGINT handled by Python (KeyboardInterrupt), as in a terminal, even
    when the runner was started with SIGINT ignored (a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """A fresh registrar on one librel backend, selected strictly."""
    assert rel.initialize([request.param], ["strict"]) == request.param
    yield request.param
    rel.rel.SAFE_READ = False
    rel.util.verbose = False
    rel.init()


@pytest.fixture
def later():
    """later(delay, fn, *args): fn on another thread after delay s; never outlives the test."""
    timers = []

    def later(delay, fn, *args):
        timer = threading.Timer(delay, fn, args)
        timers.append(timer)
        timer.start()
        return timer

    yield later
    for timer in timers:
        timer.cancel()
        timer.join()


@pytest.fixture
def run():
    """dispatch() with a watchdog: fails the test if the loop is still running after `limit` s."""

    def run(limit=5.0):
        fired = threading.Event()

        def bite():
            fired.set()
            rel.abort()

        dog = threading.Timer(limit, bite)
        dog.start()
        start = time.monotonic()
        try:
            rel.dispatch()
        finally:
            dog.cancel()
        assert not fired.is_set(), f"dispatch() still running after {limit} s"
        return time.monotonic() - start

    return run


@pytest.fixture
def pair():
    """A non-blocking socketpair, closed (and its buffered writer released) afterwards."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    rel.release_buff(a)
    a.close()
    b.close()


@pytest.fixture
def contend(run, later):
    """contend(*fns): runs each fn on its own thread against a dispatching
    loop for 0.5 s (they should loop until `stop` is set), then stops all."""
    stop = threading.Event()

    def contend(*fns):
        keepalive = rel.timeout(30, lambda: None)
        threads = [threading.Thread(target=f) for f in fns]
        for t in threads:
            t.start()
        later(0.5, stop.set)
        later(0.6, keepalive.delete)
        later(0.7, rel.abort)
        try:
            run(limit=10)
        finally:
            stop.set()
            for t in threads:
                t.join()

    contend.stop = stop
    return contend


def pytest_report_header(config):
    import rel.core

    return f"rel library: {rel.core.LIBRARY_PATH} (python {sys.version.split()[0]})"

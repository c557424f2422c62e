import os
import signal
import socket
import time
import traceback

import pytest

import rel
from rel.errors import AbortBranch

pytestmark = pytest.mark.usefixtures("backend")


class Boom(Exception):
    pass


def raiser():
    raise Boom("from callback")


def test_exception_in_timer_propagates_with_traceback(run):
    rel.timeout(0, raiser)
    rel.timeout(5, lambda: None)
    with pytest.raises(Boom) as info:
        run()
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "raiser" in frames
    assert not rel.is_running()


def test_exception_in_read_stops_loop_and_loop_can_resume(run):
    a, b = socket.socketpair()
    try:
        calls = []

        def on_read():
            calls.append(b.recv(5))
            if len(calls) == 1:
                raise Boom()
            return True

        rel.read(b, on_read)
        rel.timeout(0.3, rel.abort)
        a.send(b"x")
        with pytest.raises(Boom):
            run()
        a.send(b"y")
        run()  # registrations survive; dispatch goes on
        assert calls == [b"x", b"y"]
    finally:
        a.close()
        b.close()


def test_loop_reraises_too():
    rel.timeout(0, raiser)
    with pytest.raises(Boom):
        rel.loop()


def test_caught_exception_does_not_stop_anything(run):
    got = []

    def quiet():
        try:
            raise Boom()
        except Boom:
            got.append("caught")

    rel.timeout(0, quiet)
    rel.timeout(0.02, got.append, "next")
    run()
    assert got == ["caught", "next"]


def test_abort_branch_is_swallowed_and_keeps_registration(run):
    got = []

    def cb():
        got.append(1)
        if len(got) < 3:
            rel.abort_branch()
        return False

    t = rel.timeout(0.01, cb)
    run()
    assert got == [1, 1, 1]
    assert not t.pending()
    with pytest.raises(AbortBranch):
        rel.abort_branch()


def test_abort_branch_in_read_ends_only_that_callback(run, pair):
    a, b = pair
    got = []

    def on_read():
        got.append(b.recv(1))
        if len(got) < 3:
            rel.abort_branch()
        return len(got) < 4

    listener = rel.read(b, on_read)
    a.send(b"abcd")
    run()
    assert got == [b"a", b"b", b"c", b"d"]
    assert not listener.pending()


def test_abort_branch_in_read_during_one_pass(pair):
    a, b = pair
    got = []

    def on_read():
        got.append(b.recv(1))
        rel.abort_branch()

    listener = rel.read(b, on_read)
    a.send(b"x")
    rel.loop()
    assert got == [b"x"] and listener.pending()
    listener.delete()


def test_thread_swallows_abort_branch():
    done = []

    def body():
        done.append("started")
        rel.abort_branch()
        done.append("never")

    worker = rel.thread(body)
    worker.join(5)
    assert done == ["started"]


def test_ctrl_c_raises_keyboard_interrupt_promptly(run, later, ctrl_c):
    rel.timeout(30, lambda: None)
    start = time.monotonic()
    later(0.1, os.kill, os.getpid(), signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        run()
    assert time.monotonic() - start < 1.0
    # Python's own handler is back once dispatch() returns
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)


def test_sigint_handler_registered_with_rel_wins(run):
    got = []
    rel.signal(signal.SIGINT, got.append, "handled")
    rel.timeout(0.1, os.kill, os.getpid(), signal.SIGINT)
    rel.timeout(0.3, rel.abort)
    run()
    assert got == ["handled"]


def test_custom_python_sigint_handler_runs_promptly(run, later):
    got = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: (got.append(signum), rel.abort()))
    try:
        rel.timeout(30, lambda: None)
        later(0.1, os.kill, os.getpid(), signal.SIGINT)
        assert run() < 1.0
        assert got == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)

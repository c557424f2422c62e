"""pyevent's bufferevent on the library's bufferevents: echo, EOF, timeouts, lifetime."""

import gc
import socket
import sys
import time
import weakref

import pytest

import rel
from rel.buffered import (EVBUFFER_EOF, EVBUFFER_ERROR, EVBUFFER_READ, EVBUFFER_TIMEOUT, EVBUFFER_WRITE,
                          bufferevent)


def test_constants_are_pyevents():
    assert (EVBUFFER_READ, EVBUFFER_WRITE, EVBUFFER_EOF, EVBUFFER_ERROR, EVBUFFER_TIMEOUT) == (1, 2, 0x10, 0x20, 0x40)


def test_echo_then_eof_ends_dispatch(backend, pair, run):
    a, b = pair
    seen = []

    def on_read(tag):
        data = bev.read()
        seen.append((tag, data))
        assert bev.write(data.upper()) == 0

    def on_write(tag):
        seen.append((tag, "drained"))
        b.shutdown(socket.SHUT_WR)  # the peer is done: EOF next

    def on_error(what, tag):
        seen.append((tag, what))

    bev = bufferevent(a, on_read, on_write, on_error, "x")
    assert bev.enable(rel.EV_READ) == 0
    b.send(b"hello")
    run()  # returns on its own: after EOF the bufferevent no longer reads
    assert seen == [("x", b"hello"), ("x", "drained"), ("x", EVBUFFER_READ | EVBUFFER_EOF)]
    assert b.recv(100) == b"HELLO"
    assert not bev.pending()


def test_read_size_and_int_handle(backend, pair, run):
    a, b = pair
    chunks = []

    def on_read():  # called once per arrival: take it all, 3 bytes at a time
        while True:
            chunk = bev.read(3)
            if not chunk:
                break
            chunks.append(chunk)
        if sum(map(len, chunks)) == 7:
            bev.disable(rel.EV_READ)

    bev = bufferevent(a.fileno(), on_read, None, None)
    bev.enable(rel.EV_READ)
    b.send(b"abcdefg")
    run()
    assert b"".join(chunks) == b"abcdefg"
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert bev.read() == b""


def test_read_timeout(backend, pair, run):
    a, b = pair
    what = []
    bev = bufferevent(a, None, None, lambda w: what.append(w))
    bev.set_timeout(0.1, 0)
    bev.enable(rel.EV_READ)
    took = run()
    assert what == [EVBUFFER_READ | EVBUFFER_TIMEOUT]
    assert 0.08 <= took < 2


def test_write_timeout(backend, pair, run):
    a, b = pair
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    what = []
    bev = bufferevent(a, None, None, lambda w: what.append(w))
    bev.set_timeout(0, 0.1)
    assert bev.write(b"x" * (4 << 20)) == 0  # far more than the socket takes; b never reads
    run()
    assert what == [EVBUFFER_WRITE | EVBUFFER_TIMEOUT]


def test_write_error(backend, pair, run):
    a, b = pair
    b.close()  # writing now fails with EPIPE (Python ignores SIGPIPE)
    what = []
    bev = bufferevent(a, None, None, lambda w: what.append(w))
    assert bev.write(b"into the void") == 0
    run()
    assert what == [EVBUFFER_WRITE | EVBUFFER_ERROR]


def test_callback_exception_leaves_dispatch(backend, pair, run):
    a, b = pair

    def on_read():
        raise KeyError("boom")

    bev = bufferevent(a, on_read, None, None)
    bev.enable(rel.EV_READ)
    b.send(b"!")
    with pytest.raises(KeyError):
        run()
    bev.close()


def test_abort_branch_ends_only_the_callback(backend, pair, run):
    a, b = pair
    calls = []

    def on_read():
        calls.append(bev.read())
        if len(calls) == 1:
            b.send(b"2")
            rel.abort_branch()
        bev.close()

    bev = bufferevent(a, on_read, None, None)
    bev.enable(rel.EV_READ)
    b.send(b"1")
    run()
    assert calls == [b"1", b"2"]


def test_close_and_collection(backend, pair):
    a, b = pair
    bev = bufferevent(a, None, None, None)
    bev.close()
    bev.close()  # idempotent
    with pytest.raises(ValueError):
        bev.write(b"late")
    with pytest.raises(ValueError):
        bev.enable(rel.EV_READ)
    idle = weakref.ref(bufferevent(a, None, None, None))
    gc.collect()
    assert idle() is None  # not waiting for anything: collected and freed


def test_live_while_reading_even_unreferenced(backend, pair, run):
    a, b = pair
    got = []

    def make():
        bev = bufferevent(a, lambda: got.append(bev.read()) or bev.close(), None, None)
        bev.enable(rel.EV_READ)
        return weakref.ref(bev)

    ref = make()
    gc.collect()
    assert ref() is not None
    b.send(b"late")
    run()
    assert got == [b"late"]
    gc.collect()
    assert ref() is None


def test_init_frees_it(backend, pair):
    a, b = pair
    bev = bufferevent(a, None, None, None)
    bev.enable(rel.EV_READ)
    assert bev.pending()
    rel.init()
    assert bev.ptr is None and not bev.pending()
    with pytest.raises(ValueError):
        bev.read()


def test_write_from_another_thread(backend, pair, run, later):
    a, b = pair
    bev = bufferevent(a, None, None, None)
    bev.enable(rel.EV_READ)  # keeps the loop waiting
    later(0.05, bev.write, b"from a thread")
    later(0.3, rel.abort)
    run()
    time.sleep(0.05)
    assert b.recv(100) == b"from a thread"
    bev.close()


def test_through_override(backend, pair, run):
    a, b = pair
    saved = sys.modules.pop("event", None)
    try:
        rel.override()
        import event

        assert event.EVBUFFER_EOF == EVBUFFER_EOF and event.EVBUFFER_READ == EVBUFFER_READ
        seen = []
        bev = event.bufferevent(a, lambda: seen.append(bev.read()), None, lambda what: seen.append(what))
        bev.enable(event.EV_READ)
        b.send(b"pyevent")
        b.shutdown(socket.SHUT_WR)
        run()
        assert seen == [b"pyevent", EVBUFFER_READ | EVBUFFER_EOF]
    finally:
        sys.modules.pop("event", None)
        if saved is not None:
            sys.modules["event"] = saved

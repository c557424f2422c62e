import os
import socket
import time

import pytest

import rel
import rel.rel
from rel.listener import SocketIO

pytestmark = pytest.mark.usefixtures("backend")



def test_read_passes_args_and_falsy_return_unregisters(pair, run):
    a, b = pair
    calls = []

    def on_read(tag, n):
        calls.append((tag, n, b.recv(10)))
        return False

    ev = rel.read(b, on_read, "t", 7)
    assert isinstance(ev, SocketIO) and ev.pending()
    a.send(b"hi")
    run()
    assert calls == [("t", 7, b"hi")]
    assert not ev.pending()
    assert rel.report()["reads"] == 0


def test_truthy_return_keeps_read_registered(pair, run):
    a, b = pair
    got = []

    def on_read():
        got.append(b.recv(10))
        if len(got) < 3:
            a.send(b"%d" % len(got))
            return True
        return None

    rel.read(b, on_read)
    a.send(b"0")
    run()
    assert got == [b"0", b"1", b"2"]


def test_write_fires_when_writable(pair, run):
    a, b = pair
    n = []

    def on_write(sock):
        n.append(sock.send(b"x"))
        return len(n) < 4

    rel.write(a, on_write, a)
    run()
    assert n == [1, 1, 1, 1]
    assert b.recv(10) == b"xxxx"


def test_int_fd_and_pipe(run):
    r, w = os.pipe()
    try:
        got = []
        rel.read(r, lambda: got.append(os.read(r, 10)))
        os.write(w, b"pipe")
        run()
        assert got == [b"pipe"]
    finally:
        os.close(r)
        os.close(w)


def test_object_with_fileno(pair, run):
    a, b = pair

    class Wrapper:
        def fileno(self):
            return b.fileno()

    got = []
    rel.read(Wrapper(), lambda: got.append(b.recv(5)))
    a.send(b"wrap")
    run()
    assert got == [b"wrap"]


def test_delete_add_pending_dereference(pair, run):
    a, b = pair
    got = []
    ev = rel.read(b, lambda: got.append(b.recv(5)) or True)
    ev.delete()
    assert not ev.pending()
    a.send(b"1")
    rel.timeout(0.05, lambda: None)
    run()
    assert got == []  # deleted: data waits unread
    ev.add()
    assert ev.pending()
    rel.timeout(0.05, rel.abort)
    run()
    assert got == [b"1"]
    ev.dereference()
    assert not ev.pending() and ev.cb is None


def test_add_with_delay_fires_on_timeout_without_io(pair, run):
    a, b = pair
    fired = []
    ev = rel.read(b, lambda: fired.append(time.monotonic()))
    ev.delete()
    start = time.monotonic()
    ev.add(0.05)
    run()
    assert len(fired) == 1
    assert 0.045 < fired[0] - start < 1.0


def test_newest_registration_on_a_fd_wins(pair, run):
    a, b = pair
    got = []
    first = rel.read(b, lambda: got.append("first"))
    second = rel.read(b, lambda: got.append(("second", b.recv(5))))
    assert not first.pending() and second.pending()
    assert rel.report()["reads"] == 1
    first.delete()  # deleting a replaced registration leaves the new one alone
    assert second.pending()
    a.send(b"x")
    run()
    assert got == [("second", b"x")]


def test_fd_reuse_after_close_reaches_only_the_new_callback(run):
    a, b = socket.socketpair()
    fd = b.fileno()
    stale = []
    rel.read(b, lambda: stale.append("stale") or True)
    b.close()  # closed without delete(): sloppy but common
    a.close()
    c, d = socket.socketpair()
    try:
        by_fd = {c.fileno(): (c, d), d.fileno(): (d, c)}
        if fd not in by_fd:
            pytest.skip("the kernel did not reuse the fd number")
        target, peer = by_fd[fd]
        got = []
        rel.read(target, lambda: got.append(target.recv(5)))
        peer.send(b"new")
        run()
        assert got == [b"new"] and stale == []
    finally:
        c.close()
        d.close()


def test_error_fires_on_hangup(backend, pair, run):
    if backend == "select":
        pytest.skip("select cannot report a hang-up on its own")
    a, b = pair
    seen = []
    rel.error(b, lambda: seen.append("hup"))
    rel.timeout(0.02, a.close)
    run()
    assert seen == ["hup"]


def test_safe_read_drops_extra_args(pair, run):
    a, b = pair
    got = []
    rel.safe_read()
    rel.read(b, lambda *args: got.append(args) or b.recv(5) and None, "dropped")
    a.send(b"x")
    run()
    assert got == [()]


def test_closed_fd_is_refused_by_epoll(backend):
    if backend != "epoll":
        pytest.skip("only epoll checks a fd when it is added")
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError):
        rel.read(r, lambda: None)
    assert rel.report()["reads"] == 0
    assert rel.rel.registrar.slots == {}


def test_closed_socket_is_refused(pair):
    a, b = pair
    b.close()
    with pytest.raises(ValueError):
        rel.read(b, lambda: None)
    with pytest.raises(AttributeError):
        rel.read(object(), lambda: None)

import socket
import threading
import time

import pytest

import rel
import rel.buff
from rel.buff import WMAX, BuffWriter

pytestmark = pytest.mark.usefixtures("backend")



def drain(sock, want, limit=5.0):
    """Read until `want` bytes arrived (from the test thread, while the loop runs elsewhere)."""
    sock.setblocking(True)
    sock.settimeout(limit)
    out = b""
    while len(out) < want:
        out += sock.recv(65536)
    return out


def sender_log(log):
    def sender(sock, chunk):
        log.append(len(chunk))
        return sock.send(chunk)

    return sender


def test_data_goes_out_in_order_in_4k_chunks(pair, run):
    a, b = pair
    data = bytes(range(256)) * 100  # 25600 bytes
    sizes = []
    errors = []
    rel.buffwrite(a, data, sender_log(sizes), errors.append)
    rel.buffwrite(a, b"tail", sender_log(sizes), errors.append)
    run()
    assert drain(b, len(data) + 4) == data + b"tail"
    assert max(sizes) <= WMAX and errors == []
    assert isinstance(rel.buff.writings[a], BuffWriter)
    assert rel.report()["writes"] == 0  # idle writer: nothing registered, dispatch ended


def test_partial_sends_are_resumed(pair, run):
    a, b = pair
    sent = []

    def dribble(sock, chunk):
        sent.append(chunk[:3])
        return sock.send(chunk[:3])

    rel.buffwrite(a, b"abcdefghij", dribble, print)
    run()
    assert drain(b, 10) == b"abcdefghij"
    assert sent == [b"abc", b"def", b"ghi", b"j"]


def test_buffwrite_from_other_threads_wakes_the_loop(pair, run):
    a, b = pair
    keepalive = rel.timeout(30, lambda: None)
    received = []

    def reader():
        received.append(drain(b, 3 * 10000))
        keepalive.delete()

    def writer(tag):
        for _ in range(10):
            rel.buffwrite(a, tag * 1000, None, print)
            time.sleep(0.001)

    threads = [threading.Thread(target=writer, args=(t,)) for t in (b"x", b"y", b"z")]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    run(limit=10)
    for t in threads:
        t.join()
    data = received[0]
    assert sorted(data) == sorted(b"x" * 10000 + b"y" * 10000 + b"z" * 10000)


def test_sender_failure_calls_onerror_and_releases(pair, run):
    a, b = pair
    errors = []

    def broken(sock, chunk):
        raise OSError(32, "Broken pipe")

    rel.buffwrite(a, b"data", broken, errors.append)
    run()
    assert len(errors) == 1 and "Broken pipe" in errors[0]
    assert a not in rel.buff.writings
    rel.buffwrite(a, b"again", None, errors.append)  # a fresh writer
    run()
    assert drain(b, 5) == b"again"


def test_peer_hangup_calls_onerror(backend, run):
    if backend == "select":
        pytest.skip("select cannot report a hang-up on its own")
    a, b = socket.socketpair()
    try:
        errors = []
        b.close()
        rel.buffwrite(a, b"x" * (1 << 20), None, errors.append)
        run()
        assert len(errors) == 1 and a not in rel.buff.writings
    finally:
        a.close()


def test_release_buff_drops_pending_data(pair, run):
    a, b = pair
    sent = []
    rel.buffwrite(a, b"x" * 10 * WMAX, sender_log(sent), print)
    rel.release_buff(a)
    run()
    assert sent == [] and a not in rel.buff.writings
    rel.release_buff(a)  # twice is harmless


def test_closed_socket_fd_reuse_never_reaches_stale_writer(run):
    a, b = socket.socketpair()
    stale_calls = []

    def stale_sender(sock, chunk):
        stale_calls.append(sock)
        return 0  # "would block": keeps the old writer's data queued

    rel.buffwrite(a, b"old" * 1000, stale_sender, print)
    rel.timeout(0.02, rel.pause)  # unlike abort(), pause() leaves the writer registered
    run()
    assert stale_calls  # it did try on the old socket
    fd = a.fileno()
    stale_calls.clear()
    a.close()  # closed without release_buff()
    b.close()
    c, d = socket.socketpair()
    try:
        new, peer = (c, d) if c.fileno() == fd else (d, c)
        if new.fileno() != fd:
            pytest.skip("the kernel did not reuse the fd number")
        # poll/select still watch the fd number: the old writer wakes up, sees its
        # socket closed and drops itself without sending
        rel.timeout(0.05, rel.pause)
        run()
        assert stale_calls == []
        rel.buffwrite(new, b"fresh", None, print)
        run()
        assert drain(peer, 5) == b"fresh"
        peer.settimeout(0.1)
        with pytest.raises(socket.timeout):
            peer.recv(10)  # nothing of the old writer's data
        assert stale_calls == []
        assert a not in rel.buff.writings
    finally:
        rel.release_buff(new)
        c.close()
        d.close()


def test_release_and_buffwrite_racing_from_threads(pair, contend):
    a, b = pair
    stop = contend.stop
    received = [0]

    def writer():
        while not stop.is_set():
            rel.buffwrite(a, b"w" * 20000, None, print)

    def releaser():
        while not stop.is_set():
            rel.release_buff(a)
            time.sleep(0.001)

    def reader():
        while not stop.is_set():
            try:
                received[0] += len(b.recv(65536))
            except BlockingIOError:
                time.sleep(0.0005)

    contend(writer, releaser, reader)
    assert received[0] > 0

import os
import signal
import socket
import threading
import time

import pytest

import rel

pytestmark = pytest.mark.usefixtures("backend")


def test_signal_on_loop_thread(run):
    got = []
    rel.signal(signal.SIGUSR1, lambda tag: got.append((tag, threading.get_ident())), "usr1")
    rel.timeout(0.05, os.kill, os.getpid(), signal.SIGUSR1)
    rel.timeout(0.3, rel.abort)
    run()
    assert got == [("usr1", threading.get_ident())]


def test_signal_registered_from_a_non_main_thread(run):
    got = []
    errors = []

    def register():
        try:
            rel.signal(signal.SIGUSR2, got.append, "from thread")
        except Exception as exc:  # pure-Python rel: "signal only works in main thread"
            errors.append(exc)

    worker = threading.Thread(target=register)
    worker.start()
    worker.join()
    assert errors == []
    rel.timeout(0.05, os.kill, os.getpid(), signal.SIGUSR2)
    rel.timeout(0.3, rel.abort)
    run()
    assert got == ["from thread"]


def test_newest_signal_handler_wins_and_delete_restores_default(run):
    got = []
    first = rel.signal(signal.SIGUSR1, got.append, 1)
    second = rel.signal(signal.SIGUSR1, got.append, 2)
    assert not first.pending() and second.pending()
    rel.timeout(0.05, os.kill, os.getpid(), signal.SIGUSR1)
    rel.timeout(0.3, rel.abort)
    run()
    assert got == [2]
    second.delete()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


def test_dispatch_on_a_non_main_thread():
    got = []
    rel.timeout(0.02, lambda: got.append(threading.current_thread().name))
    worker = threading.Thread(target=rel.dispatch, name="looper")
    worker.start()
    worker.join(5)
    assert got == ["looper"]


def test_other_threads_run_while_the_loop_waits(run):
    # The loop waits in C without the GIL: a busy Python thread keeps going.
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    rel.timeout(0.2, stop.set)
    worker = threading.Thread(target=spin)
    worker.start()
    run()
    worker.join()
    assert counter[0] > 10000


def test_registrations_from_other_threads_wake_the_loop(run, later):
    a, b = socket.socketpair()
    try:
        stamps = {}
        keepalive = rel.timeout(30, lambda: None)

        def from_thread():
            stamps["sent"] = time.monotonic()
            rel.read(b, lambda: stamps.setdefault("read", time.monotonic()) and b.recv(5) and None)
            rel.write(a, lambda: stamps.setdefault("write", time.monotonic()) and None)
            rel.timeout(0.01, lambda: stamps.setdefault("timer", time.monotonic()))
            a.send(b"x")
            time.sleep(0.3)
            rel.abort()

        later(0.1, from_thread)
        run()
        keepalive.delete()
        for key in ("read", "write", "timer"):
            assert stamps[key] - stamps["sent"] < 0.2, key  # unwoken, they would wait for abort() at +0.3 s
    finally:
        a.close()
        b.close()


def test_delete_from_another_thread_ends_dispatch(run, later):
    t = rel.timeout(30, lambda: None)
    later(0.05, t.delete)
    assert run() < 1


def test_callbacks_run_on_the_dispatching_thread(run, later):
    threads = set()
    a, b = socket.socketpair()
    try:
        rel.read(b, lambda: threads.add(threading.get_ident()) or b.recv(5) and None)
        rel.timeout(0.01, lambda: threads.add(threading.get_ident()))
        later(0.02, a.send, b"x")
        run()
        assert threads == {threading.get_ident()}
    finally:
        a.close()
        b.close()


def test_threads_hammering_the_loop(pair, contend):
    """Registrations, deletions and aborts from many threads while callbacks run."""
    a, b = pair
    fired = [0]
    stop = contend.stop

    def count(*_):
        fired[0] += 1
        return fired[0] % 3 != 0

    def drain():
        try:
            b.recv(100)
        except BlockingIOError:  # another reader got there first
            pass
        return count()

    def worker():
        mine = []
        while not stop.is_set():
            mine.append(rel.timeout(0.0005, count))
            rel.write(a, count)
            rel.read(b, drain)
            try:
                a.send(b"x")
            except BlockingIOError:
                pass
            if len(mine) > 20:
                for t in mine[:10]:
                    t.delete()
                del mine[:10]

    contend(*[worker] * 4)
    assert fired[0] > 100

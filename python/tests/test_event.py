"""pyevent compatibility: event(), override() / import event, initialize()."""

import os
import signal
import socket
import sys
import textwrap

import pytest

import rel
import rel.rel
from rel.listener import Event
from rel.registrar import PyeventRegistrar


@pytest.mark.usefixtures("backend")
class TestEvent:
    def test_timeout_event_signature(self, run):
        got = []
        ev = rel.event(lambda *a: got.append(a), arg={"k": 1})
        assert isinstance(ev, Event) and not ev.pending()
        ev.add(0.01)
        assert ev.pending()
        run()
        assert got == [(ev, None, rel.EV_TIMEOUT, {"k": 1})]
        assert not ev.pending()

    def test_read_event_with_handle(self, run):
        r, w = os.pipe()
        try:
            got = []

            def cb(ev, fd, evtype, arg):
                got.append((fd, evtype, arg, os.read(fd, 10)))

            rel.event(cb, "arg", rel.EV_READ, r).add()
            os.write(w, b"hi niels")
            run()
            assert got == [(r, rel.EV_READ, "arg", b"hi niels")]
        finally:
            os.close(r)
            os.close(w)

    def test_persistent_event_stays_until_deleted(self, run):
        a, b = socket.socketpair()
        try:
            got = []

            def cb(ev, sock, evtype, arg):
                got.append(sock.recv(5))
                if len(got) == 3:
                    ev.delete()
                else:
                    a.send(b"%d" % len(got))

            rel.event(cb, None, rel.EV_READ | rel.EV_PERSIST, b).add()
            a.send(b"0")
            run()
            assert got == [b"0", b"1", b"2"]
        finally:
            a.close()
            b.close()

    def test_non_persistent_event_can_re_add_itself(self, run):
        got = []

        def cb(ev, handle, evtype, arg):
            got.append(evtype)
            if len(got) < 3:
                ev.add(0.005)

        rel.event(cb).add(0.005)
        run()
        assert got == [rel.EV_TIMEOUT] * 3

    def test_read_event_timeout_reports_ev_timeout(self, run):
        a, b = socket.socketpair()
        try:
            got = []
            rel.event(lambda ev, h, evtype, arg: got.append(evtype), None, rel.EV_READ, b).add(0.02)
            run()
            assert got == [rel.EV_TIMEOUT]
        finally:
            a.close()
            b.close()

    def test_signal_event(self, run):
        got = []

        def cb(ev, sig, evtype, arg):
            if evtype == rel.EV_SIGNAL:
                got.append(sig)
                ev.delete()
            else:
                os.kill(os.getpid(), signal.SIGUSR1)

        rel.event(cb, handle=signal.SIGUSR1, evtype=rel.EV_SIGNAL | rel.EV_PERSIST).add()
        rel.event(cb).add(0.02)
        run()
        assert got == [signal.SIGUSR1]

    def test_override_gives_working_import_event(self, run):
        saved = sys.modules.pop("event", None)
        try:
            rel.override()
            rel.override()  # idempotent
            import event

            assert event.__rel_override__
            for name in ("event", "read", "write", "timeout", "signal", "dispatch", "loop", "abort", "init"):
                assert callable(getattr(event, name)), name
            assert (event.EV_TIMEOUT, event.EV_READ, event.EV_WRITE, event.EV_SIGNAL, event.EV_PERSIST) == (1, 2, 4, 8, 16)
            got = []
            event.timeout(0.01, got.append, "timeout")
            event.event(lambda ev, h, t, arg: got.append(arg), "ev").add(0.02)
            event.dispatch()
            assert got == ["timeout", "ev"]
            event.timeout(5, got.append, "dropped")
            event.init()
            assert rel.report()["timers"] == 0
        finally:
            sys.modules.pop("event", None)
            if saved is not None:
                sys.modules["event"] = saved


def test_initialize_returns_method_and_strict_fails():
    assert rel.initialize(["select"], ["strict"]) == "select"
    assert rel.rel.registrar.method == "select"
    with pytest.raises(ImportError):
        rel.initialize(["kqueue"], ["strict"])
    assert rel.rel.registrar.method == "select"  # a failed initialize keeps the old one
    methods = ["kqueue"]
    assert rel.initialize(methods) == "epoll"  # falls back to supported_methods order
    assert methods == ["kqueue"]  # the caller's list is left alone
    assert rel.initialize() == "epoll"
    assert rel.supported_methods == ["epoll", "poll", "kqueue", "select", "pyevent"]


def test_initialize_verbose_and_threaded_log(capsys):
    import rel.util

    try:
        rel.initialize(["poll"], ["strict", "verbose", "threaded"])
        out = capsys.readouterr().out
        assert 'initialized with "poll"' in out
        assert "'threaded' is unnecessary" in out
    finally:
        rel.set_verbose(False)


def test_initialize_report_prints_every_5_seconds(monkeypatch, capsys):
    rel.initialize(["epoll"], ["strict", "report"])
    assert rel.report()["timers"] == 1
    timer = next(iter(rel.rel.registrar.base.live.values()))
    assert timer.delay == 5
    timer.cb()
    assert "rel status report" in capsys.readouterr().out
    rel.init()


FAKE_PYEVENT = textwrap.dedent('''
    """A stand-in for pyevent's C module, recording what rel asks of it."""
    EV_TIMEOUT, EV_READ, EV_WRITE, EV_SIGNAL, EV_PERSIST = 1, 2, 4, 8, 16
    calls = []
    def _rec(name):
        def fn(*args, **kw):
            calls.append((name, args))
            return name
        return fn
    for _n in ("read", "write", "timeout", "signal", "dispatch", "loop", "abort", "init", "event"):
        globals()[_n] = _rec(_n)
''')


def test_pyevent_method_uses_an_installed_event_module(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "event.py").write_text(FAKE_PYEVENT)
    saved = sys.modules.pop("event", None)
    try:
        rel.override()  # rel's own stand-in must not be taken for pyevent
        assert rel.initialize(["pyevent"], ["strict", "threaded"]) == "pyevent"
        reg = rel.rel.registrar
        assert isinstance(reg, PyeventRegistrar)
        assert reg.ev is not sys.modules["event"] and reg.ev.__file__ == str(tmp_path / "event.py")
        assert rel.read(3, print) == "read"
        assert rel.timeout(1, print) == "timeout"
        rel.dispatch()
        rel.abort()
        names = [name for name, args in reg.ev.calls]
        assert names == ["timeout", "read", "timeout", "dispatch", "abort"]  # first timeout: 'threaded'
        with pytest.raises(NotImplementedError):
            rel.error(3, print)
    finally:
        sys.modules.pop("event", None)
        if saved is not None:
            sys.modules["event"] = saved
        rel.initialize(["epoll"], ["strict"])


def test_pyevent_method_missing_falls_back(monkeypatch):
    monkeypatch.setattr(sys, "path", [p for p in sys.path if not os.path.exists(os.path.join(p, "event.py"))])
    with pytest.raises(ImportError):
        rel.initialize(["pyevent"], ["strict"])
    assert rel.initialize(["pyevent"]) == "epoll"

"""Callback objects live exactly as long as C can call them."""

import gc
import socket
import weakref

import pytest

import rel
import rel.rel

pytestmark = pytest.mark.usefixtures("backend")


def owned():
    """C events of the current base (after a first dispatch made its internal ones)."""
    rel.dispatch()
    return len(rel.rel.registrar.base._owned)


def test_unreferenced_registrations_keep_working(run):
    a, b = socket.socketpair()
    try:
        got = []
        rel.read(b, lambda: got.append(b.recv(5)))  # result dropped at once
        rel.timeout(0.01, got.append, "timer")
        gc.collect()
        a.send(b"x")
        run()
        assert sorted(map(str, got)) == sorted(map(str, [b"x", "timer"]))
    finally:
        a.close()
        b.close()


def test_dropping_a_registered_event_object_does_not_crash(run):
    got = []
    ev = rel.event(lambda *args: got.append(args[2]))
    ev.add(0.01)
    del ev
    gc.collect()
    run()
    assert got == [rel.EV_TIMEOUT]


def test_no_leak_per_registration(run):
    baseline = owned()
    refs = []
    for i in range(200):
        refs.append(weakref.ref(rel.timeout(0.001, lambda: None)))
    run()
    gc.collect()
    assert all(r() is None for r in refs)
    assert owned() == baseline


def test_falsy_read_frees_its_event(run):
    a, b = socket.socketpair()
    try:
        baseline = owned()
        ref = weakref.ref(rel.read(b, lambda: b.recv(5) and None))
        a.send(b"x")
        run()
        gc.collect()
        assert ref() is None and owned() == baseline
    finally:
        a.close()
        b.close()


def test_read_events_need_no_cycle_collector(run, pair):
    """Freed by reference counting alone: no listener <-> callback cycle."""
    a, b = pair
    gc.disable()
    try:
        baseline = owned()
        ref = weakref.ref(rel.read(b, lambda: b.recv(5) and None))
        kept = rel.read(a, lambda: True)
        kept.delete()
        kept_ref = weakref.ref(kept)
        del kept
        a.send(b"x")
        run()
        assert ref() is None and kept_ref() is None and owned() == baseline
    finally:
        gc.enable()


def test_dereference_drops_the_callback_and_its_arguments(pair):
    class Payload:
        def __call__(self, *args):
            return True

    cb, arg = Payload(), Payload()
    refs = weakref.ref(cb), weakref.ref(arg)
    listener = rel.read(pair[1], cb, arg)
    del cb, arg
    listener.dereference()
    assert refs[0]() is None and refs[1]() is None
    assert not listener.pending()


def test_deleted_but_referenced_object_can_be_re_added(run):
    got = []
    t = rel.timeout(0.01, got.append, 1)
    t.delete()
    gc.collect()
    t.add(0.01)
    run()
    assert got == [1]


def test_events_share_one_c_callback(pair):
    """No ctypes callback object per event: every C event of a base points at
    one function (librel's markers: rel_hosted_call for read/write, rel_hosted
    for the rest; else the base's trampoline)."""
    import ctypes

    import rel.core

    def address(fn):
        return ctypes.cast(fn, ctypes.c_void_p).value

    def callbacks(listeners):
        # struct event: evcb_cb_union (the callback) sits at offset 24 on LP64.
        return {ctypes.c_void_p.from_address(x._ev + 24).value for x in listeners}

    a, b = pair
    timers = [rel.timeout(5, lambda: None) for _ in range(10)]
    reads = [rel.read(a, lambda: None), rel.write(b, lambda: None)]
    base = rel.rel.registrar.base
    if rel.core._loop_hosted is not None:
        assert callbacks(timers) == {address(rel.core._lib.rel_hosted)}
        assert callbacks(reads) == {address(rel.core._lib.rel_hosted_call)}
    else:
        assert callbacks(timers + reads) == {address(base._trampoline)}
    for x in reads:
        x.delete()

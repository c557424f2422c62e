"""Abuse over many cycles: exceptions, self-dropping events, init() with
events pending, Ctrl-C. Nothing may crash, and memory must not grow."""

import gc
import os
import signal
import socket
import tracemalloc

import pytest

import rel

pytestmark = pytest.mark.usefixtures("backend")

CYCLES = 200
# Allocator noise (free lists, interned objects) stays well below this; a
# leak of one object per cycle would not.
SLACK = 48 * 1024


def grows(cycle, cycles=CYCLES):
    """Runs `cycle` a few times to warm up, then `cycles` times under
    tracemalloc; returns how many bytes Python memory grew."""
    for _ in range(10):
        cycle()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(cycles):
            cycle()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_exceptions_in_callbacks_neither_crash_nor_leak():
    def boom():
        raise ValueError("from a callback")

    def cycle():
        rel.timeout(0, boom)
        with pytest.raises(ValueError, match="from a callback"):
            rel.dispatch()

    assert grows(cycle) < SLACK


def test_callbacks_dropping_the_last_reference_to_their_event():
    fired = []

    def cycle():
        holder = []

        def cb(ev, handle, evtype, arg):
            holder.clear()  # the only reference to the event goes away here
            fired.append(evtype)

        holder.append(rel.event(cb))
        holder[0].add(0)
        rel.dispatch()

    assert grows(cycle) < SLACK
    assert len(fired) == CYCLES + 10 and set(fired) == {rel.EV_TIMEOUT}


def test_init_while_events_are_pending():
    a, b = socket.socketpair()
    try:
        ran = []

        def cycle():
            rel.timeout(3600, ran.append, "timer")
            rel.read(b, ran.append, "read")
            rel.signal(signal.SIGUSR2, ran.append, "signal")
            rel.init()  # drops all three with the old base

        assert grows(cycle, cycles=100) < SLACK
        a.send(b"x")
        rel.timeout(0.01, rel.abort)
        rel.dispatch()
        assert ran == []
    finally:
        a.close()
        b.close()


def test_keyboard_interrupt_during_dispatch_over_many_cycles(ctrl_c):
    def cycle():
        rel.timeout(0, os.kill, os.getpid(), signal.SIGINT)
        rel.timeout(5, rel.abort)  # would end a hung cycle
        with pytest.raises(KeyboardInterrupt):
            rel.dispatch()
        rel.init()

    assert grows(cycle, cycles=50) < SLACK

import socket
import threading
import time

import pytest

import rel
import rel.rel

pytestmark = pytest.mark.usefixtures("backend")


def test_dispatch_returns_when_nothing_is_left(run):
    got = []
    rel.timeout(0.01, got.append, 1)
    run()
    assert got == [1]
    assert not rel.is_running()


def test_dispatch_with_nothing_registered_returns_at_once(run):
    assert run() < 0.5


def test_second_dispatch_after_running_dry_works(run):
    got = []
    rel.timeout(0.01, got.append, 1)
    run()
    rel.timeout(0.01, got.append, 2)
    run()
    assert got == [1, 2]


def test_abort_from_callback_keeps_timers_drops_io(run):
    a, b = socket.socketpair()
    try:
        reader = rel.read(b, lambda: True)
        later = rel.timeout(10, lambda: None)
        rel.timeout(0.01, rel.abort)
        assert run() < 1
        assert not reader.pending()
        assert later.pending()
        assert rel.report() == {"timers": 1, "signals": 0, "reads": 0, "writes": 0}
    finally:
        a.close()
        b.close()


def test_abort_from_another_thread_is_prompt(run, later):
    rel.timeout(30, lambda: None)
    later(0.05, rel.abort)
    assert run() < 1


def test_abort_as_dispatch_starts_is_not_lost(run):
    # abort() lands while dispatch() is entering the C loop: it must still end it
    def aborter():
        while not rel.is_running():
            time.sleep(0)
        rel.abort()

    for _ in range(20):
        rel.timeout(30, lambda: None)
        t = threading.Thread(target=aborter)
        t.start()
        run(limit=5)
        t.join()
        rel.init()


def test_is_running_inside_callback():
    seen = []
    rel.timeout(0.01, lambda: seen.append(rel.is_running()))
    assert not rel.is_running()
    rel.dispatch()
    assert seen == [True] and not rel.is_running()


def test_pause_and_resume(run):
    fired = []
    rel.timeout(0.01, rel.pause)
    rel.timeout(0.05, fired.append, "after")
    run()
    assert fired == []  # paused before the second timer
    rel.resume()
    assert fired == ["after"]


def test_loop_runs_one_pass():
    got = []
    rel.timeout(0, got.append, 1)
    rel.timeout(0.2, got.append, 2)
    rel.loop()
    assert got == [1]
    rel.loop()
    assert got == [1, 2]
    rel.loop()  # nothing left: returns at once


def test_nested_dispatch_and_loop_from_callback():
    errors = []

    def cb():
        rel.dispatch()  # already running: no-op
        try:
            rel.loop()
        except RuntimeError as exc:
            errors.append(exc)

    rel.timeout(0, cb)
    rel.dispatch()
    assert len(errors) == 1


def test_report_counts():
    a, b = socket.socketpair()
    try:
        rel.read(a, lambda: True)
        rel.write(b, lambda: True)
        rel.timeout(5, lambda: None)
        rel.timeout(6, lambda: None)
        rel.timeout(None, lambda: None)
        rel.signal(10, lambda: None)
        assert rel.report() == {"timers": 2, "signals": 1, "reads": 1, "writes": 1}
    finally:
        a.close()
        b.close()


def test_tick_is_microseconds_of_the_pass():
    ticks = []
    rel.timeout(0.01, lambda: ticks.append(rel.tick()))
    rel.dispatch()
    assert isinstance(ticks[0], int) and 0 <= ticks[0] < 1000000
    assert isinstance(rel.tick(), int)


def test_init_drops_everything():
    got = []
    t = rel.timeout(0.01, got.append, 1)
    rel.signal(10, lambda: None)
    old_base = rel.rel.registrar.base
    rel.init()
    assert rel.report() == {"timers": 0, "signals": 0, "reads": 0, "writes": 0}
    assert rel.rel.registrar.base is not old_base and old_base.ptr is None
    rel.dispatch()
    assert got == []
    t.add(0.01)  # old objects work on the new base
    rel.dispatch()
    assert got == [1]


def test_init_from_a_callback():
    got = []

    def reset():
        rel.init()
        got.append("reset")

    rel.timeout(0.01, reset)
    rel.timeout(0.05, got.append, "dropped")
    rel.dispatch()
    assert got == ["reset"]
    rel.timeout(0.01, got.append, "new base")
    rel.dispatch()
    assert got == ["reset", "new base"]


def test_start_registers_sigint_abort_and_stop_aborts():
    got = []

    def cb():
        got.append(rel.report()["signals"])
        rel.stop()

    rel.timeout(0.01, cb)
    rel.timeout(30, lambda: None)
    rel.start()
    assert got == [1]
    assert not rel.is_running()


def test_stop_when_not_running_exits():
    with pytest.raises(SystemExit):
        rel.stop()


def test_set_sleep_and_turbo_are_recorded_only(run):
    import rel.registrar as registrar

    rel.set_sleep(0.5)
    rel.set_turbo(0.25)
    assert (registrar.SLEEP_SEC, registrar.SLEEP_TURBO) == (0.5, 0.25)
    got = []
    rel.timeout(0.01, got.append, 1)
    assert run() < 0.3 and got == [1]  # no 0.5 s polling sleep
    rel.set_sleep(0.03)
    rel.set_turbo(0.0006)


def test_idle_loop_sleeps_in_the_kernel():
    rel.timeout(0.5, lambda: None)
    cpu = time.process_time()
    rel.dispatch()
    assert time.process_time() - cpu < 0.05


def test_initialize_from_a_callback_switches_backend():
    got = []

    def switch():
        got.append(rel.initialize(["poll"], ["strict"]))

    rel.timeout(0.01, switch)
    rel.timeout(0.05, got.append, "dropped with the old registrar")
    rel.dispatch()
    assert got == ["poll"]
    rel.timeout(0.01, got.append, "on poll")
    rel.dispatch()
    assert got == ["poll", "on poll"]

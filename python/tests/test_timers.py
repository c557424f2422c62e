import time

import pytest

import rel
from rel.listener import Timer

pytestmark = pytest.mark.usefixtures("backend")


def test_one_shot_with_args_and_delay(run):
    got = []
    start = time.monotonic()
    t = rel.timeout(0.1, lambda *a: got.append((a, time.monotonic() - start)), 1, "two")
    assert isinstance(t, Timer) and t.pending()
    run()
    (args, when), = got
    assert args == (1, "two")
    assert 0.095 <= when < 0.5
    assert not t.pending()


def test_truthy_return_rearms_with_same_delay(run):
    stamps = []

    def tick():
        stamps.append(time.monotonic())
        return len(stamps) < 5

    start = time.monotonic()
    rel.timeout(0.02, tick)
    run()
    assert len(stamps) == 5
    # fixed rate: the fifth firing lands near 5 * 20 ms
    assert 0.095 <= stamps[-1] - start < 0.5


def test_none_delay_is_unarmed_until_add(run):
    got = []
    t = rel.timeout(None, lambda: got.append(1))
    assert not t.pending()
    assert rel.report()["timers"] == 0
    run()  # nothing registered: returns at once
    assert got == []
    t.add(0.01)
    assert t.pending()
    run()
    assert got == [1]
    t.add()  # no delay given: reuses the last one
    run()
    assert got == [1, 1]


def test_zero_delay_runs_on_next_pass_and_can_repeat(run):
    order = []

    def zero():
        order.append("zero")
        return order.count("zero") < 3

    rel.timeout(0, zero)
    rel.timeout(0.05, lambda: order.append("later"))
    run()
    assert order == ["zero", "zero", "zero", "later"]


def test_delete_and_dereference(run):
    got = []
    t = rel.timeout(0.01, lambda: got.append(1))
    t.delete()
    assert not t.pending()
    run()
    assert got == []
    t.add(0.01)
    t.delete(dereference=True)
    assert t.cb is None and t.args == ()


def test_add_on_pending_timer_replaces_its_delay(run):
    start = time.monotonic()
    when = []
    t = rel.timeout(5, lambda: when.append(time.monotonic() - start))
    t.add(0.05)
    run()
    assert len(when) == 1 and when[0] < 1.0


def test_callback_can_change_its_own_delay(run):
    stamps = []

    def cb():
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            t.add(0.1)
            return True
        return False

    start = time.monotonic()
    t = rel.timeout(0.01, cb)
    run()
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.09 and stamps[0] - start < 0.09


def test_timers_fire_in_deadline_order(run):
    order = []
    for d in (0.06, 0.02, 0.04):
        rel.timeout(d, order.append, d)
    run()
    assert order == [0.02, 0.04, 0.06]


def test_chained_millisecond_timers_are_precise(run):
    gaps = []
    last = [time.perf_counter()]

    def again():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if len(gaps) < 100:
            rel.timeout(0.001, again)

    rel.timeout(0.001, again)
    run()
    gaps.sort()
    assert len(gaps) == 100
    assert gaps[0] >= 0.0005  # not early (deadlines count from the pass start)
    # a 4 ms coarse clock (libevent's default) puts even the quickest quarter at ~3.5 ms
    assert gaps[25] < 0.0025

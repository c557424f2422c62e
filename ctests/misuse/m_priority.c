/* Priorities out of range: event_priority_set with -1 or >= the number of
 * priorities, event_base_priority_init with 0 or 256 (EVENT_MAX_PRIORITIES)
 * or while events are active: -1 (no log line, as libevent) and nothing
 * changes. */
#include "misuse.h"

static struct event_base *base;

static void
set_out_of_range(void)
{
	struct event *ev = event_new(base, -1, 0, m_count_cb, NULL);
	int before = event_get_priority(ev);
	EXPECT_RET("event_priority_set(ev, -1)", event_priority_set(ev, -1), -1);
	EXPECT_RET("event_priority_set(ev, npriorities)",
	    event_priority_set(ev, event_base_get_npriorities(base)), -1);
	EXPECT_RET("event_priority_set(ev, 1000)", event_priority_set(ev, 1000), -1);
	CHECK(event_get_priority(ev) == before, "priority changed to %d", event_get_priority(ev));
	EXPECT_RET("event_priority_set(ev, npriorities - 1)",
	    event_priority_set(ev, event_base_get_npriorities(base) - 1), 0);
	event_free(ev);
}

static void
set_while_active(void)
{
	struct event *ev = event_new(base, -1, 0, m_count_cb, NULL);
	event_active(ev, EV_TIMEOUT, 1);
	EXPECT_RET("event_priority_set(active ev, 0)", event_priority_set(ev, 0), -1);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_RET("event_priority_set(ev, 0) after it ran", event_priority_set(ev, 0), 0);
	event_free(ev);
}

static void
init_out_of_range(void)
{
	int n = event_base_get_npriorities(base);
	EXPECT_RET("event_base_priority_init(base, 0)", event_base_priority_init(base, 0), -1);
	EXPECT_RET("event_base_priority_init(base, -3)", event_base_priority_init(base, -3), -1);
	EXPECT_RET("event_base_priority_init(base, 256)", event_base_priority_init(base, 256), -1);
	CHECK(event_base_get_npriorities(base) == n, "npriorities changed");
	EXPECT_RET("event_base_priority_init(base, 255)", event_base_priority_init(base, 255), 0);
	EXPECT_RET("event_base_get_npriorities", event_base_get_npriorities(base), 255);
	event_base_priority_init(base, 3);
}

static void
init_while_active(void)
{
	struct event *ev = event_new(base, -1, 0, m_count_cb, NULL);
	event_active(ev, EV_TIMEOUT, 1);
	EXPECT_RET("event_base_priority_init(base, 5) with an active event",
	    event_base_priority_init(base, 5), -1);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_RET("event_base_priority_init(base, 5) after", event_base_priority_init(base, 5), 0);
	event_free(ev);
}

static void
shrunk_below_event(void)
{
	/* An event keeps a priority the base no longer has (the base was
	 * re-initialised with fewer): it runs in the least urgent queue. */
	int calls = 0;
	struct event *ev;
	event_base_priority_init(base, 8);
	ev = event_new(base, -1, 0, m_count_cb, &calls);
	event_priority_set(ev, 7);
	event_base_priority_init(base, 2);
	event_active(ev, EV_TIMEOUT, 1);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	OBS("callback ran %d times", calls);
	CHECK(calls == 1, "callback ran %d times", calls);
	event_free(ev);
	event_base_priority_init(base, 3);
}

int
main(void)
{
	m_begin("m_priority");
	base = m_base();
	event_base_priority_init(base, 3);
	m_case("event_priority_set out of range", "-1, no log, priority unchanged", set_out_of_range);
	m_case("event_priority_set on an active event", "-1", set_while_active);
	m_case("event_base_priority_init 0 / -3 / 256", "-1, no log; 255 is accepted", init_out_of_range);
	m_case("event_base_priority_init with an active event", "-1", init_while_active);
	m_case("event priority 7 after the base shrinks to 2 priorities",
	    "runs (in the least urgent queue)", shrunk_below_event);
	event_base_free(base);
	return m_end();
}

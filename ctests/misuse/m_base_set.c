/* event_base_set of an event that is pending (or active) in another base:
 * -1 and a log line; the event stays in its first base.  Once deleted it
 * moves and works in the second base.  (event_assign on a pending event is
 * undefined, as in libevent: see README.md.) */
#include "misuse.h"

static void
across_bases(void)
{
	struct event_base *b1 = m_base(), *b2 = m_base();
	struct event ev;
	struct timeval tv = {0, 0}, far = {100, 0};
	int calls = 0;

	event_assign(&ev, b1, -1, 0, m_count_cb, &calls);
	evtimer_add(&ev, &far);
	EXPECT_RET("event_base_set(b2, pending ev)", event_base_set(b2, &ev), -1);
	EXPECT_LOG("event is pending");
	CHECK(event_get_base(&ev) == b1, "event moved");
	CHECK(evtimer_pending(&ev, NULL), "no longer pending in b1");
	event_del(&ev);
	event_active(&ev, EV_TIMEOUT, 1);
	EXPECT_RET("event_base_set(b2, active ev)", event_base_set(b2, &ev), -1);
	event_base_loop(b1, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(calls == 1, "active event ran %d times in b1", calls);
	EXPECT_RET("event_base_set(b2, ev) once idle", event_base_set(b2, &ev), 0);
	evtimer_add(&ev, &tv);
	EXPECT_RET("b1 loop (nothing left)", event_base_loop(b1, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
	EXPECT_RET("b2 loop", event_base_loop(b2, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	CHECK(calls == 2, "ran %d times in all, want 2", calls);
	event_base_free(b1);
	event_base_free(b2);
}

int
main(void)
{
	m_begin("m_base_set");
	m_case("event_base_set across bases with a pending / active event",
	    "-1, log \"event is pending\"; 0 once the event is idle", across_bases);
	return m_end();
}

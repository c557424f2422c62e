/* Regression (librel divergence from libevent 2.1, found while writing the
 * model): a persistent event remembers its timeout interval across
 * event_del, because libevent keeps it in the struct event
 * (ev_io_timeout).  After event_add(ev, &5s), event_del, event_add(ev,
 * NULL), the event has no timeout until its first callback, which re-arms
 * the remembered 5 s.  event_remove_timer and event_assign forget it.
 * librel kept the interval with its internal slot and lost it on event_del. */
#include "misuse.h"

static int
pending_timeout_after_io(int forget)
{
	struct event_base *b = m_base();
	int sv[2], calls = 0, r;
	struct timeval five = {5, 0}, when, now;
	struct event *e;

	m_pair(sv);
	e = event_new(b, sv[0], EV_READ | EV_PERSIST, m_count_cb, &calls);
	event_add(e, &five);
	if (forget)
		event_remove_timer(e);
	event_del(e);
	event_add(e, NULL);
	CHECK(!event_pending(e, EV_TIMEOUT, NULL), "timeout pending right after event_add(NULL)");
	m_write1(sv[1]);
	event_base_loop(b, EVLOOP_ONCE);
	CHECK(calls == 1, "callback ran %d times", calls);
	r = event_pending(e, EV_TIMEOUT, &when) != 0;
	gettimeofday(&now, NULL);
	if (r)
		CHECK(when.tv_sec - now.tv_sec >= 3 && when.tv_sec - now.tv_sec <= 6,
		    "re-armed %ld s ahead, want 5", (long)(when.tv_sec - now.tv_sec));
	event_free(e);
	m_close_pair(sv);
	event_base_free(b);
	return r;
}

static void
remembered(void)
{
	EXPECT_RET("timeout pending after the first I/O callback", pending_timeout_after_io(0), 1);
}

static void
forgotten(void)
{
	EXPECT_RET("timeout pending after the first I/O callback", pending_timeout_after_io(1), 0);
}

int
main(void)
{
	m_begin("m_persist_after_del");
	m_case("persistent event: add(5 s), del, add(NULL), I/O fires",
	    "the callback re-arms the remembered 5 s timeout (as libevent)", remembered);
	m_case("same after event_remove_timer", "no timeout after the callback", forgotten);
	return m_end();
}

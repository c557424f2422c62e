/* event_del twice (and on an event never added).  Documented as legal in
 * libevent and relied upon by programs: every call returns 0, logs nothing,
 * and the event can be added again afterwards. */
#include "misuse.h"

static struct event_base *base;
static int sv[2], calls;

static void
check_twice(struct event *ev)
{
	log_clear();
	EXPECT_RET("event_del (1st)", event_del(ev), 0);
	EXPECT_RET("event_del (2nd)", event_del(ev), 0);
	EXPECT_RET("event_pending after", event_pending(ev, EV_READ | EV_TIMEOUT, NULL), 0);
	EXPECT_NO_LOG();
}

static void
io_event(void)
{
	struct event *ev = event_new(base, sv[0], EV_READ | EV_PERSIST, m_count_cb, &calls);
	struct timeval tv = {5, 0};
	event_add(ev, &tv);
	check_twice(ev);
	/* still usable: add again and see it fire */
	calls = 0;
	EXPECT_RET("event_add again", event_add(ev, NULL), 0);
	m_write1(sv[1]);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(calls == 1, "re-added event fired %d times, want 1", calls);
	m_drain(sv[0]);
	event_free(ev);
}

static void
timer_event(void)
{
	struct event *ev = evtimer_new(base, m_count_cb, &calls);
	struct timeval tv = {0, 0};
	evtimer_add(ev, &tv);
	check_twice(ev);
	calls = 0;
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(calls == 0, "a deleted timer fired");
	event_free(ev);
}

static void
never_added(void)
{
	struct event ev;
	event_assign(&ev, base, -1, 0, m_count_cb, NULL);
	check_twice(&ev);
}

static void
active_event(void)
{
	struct event *ev = event_new(base, -1, 0, m_count_cb, &calls);
	event_active(ev, EV_TIMEOUT, 1);
	check_twice(ev);
	calls = 0;
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK)",
	    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
	CHECK(calls == 0, "a deleted active event ran");
	event_free(ev);
}

static void
signal_event(void)
{
	struct event *ev = evsignal_new(base, SIGUSR2, m_count_cb, &calls);
	evsignal_add(ev, NULL);
	check_twice(ev);
	event_free(ev);
}

int
main(void)
{
	m_begin("m_double_del");
	base = m_base();
	m_pair(sv);
	m_case("double event_del: I/O event with timeout", "0 both times, no log; re-add works", io_event);
	m_case("double event_del: timer", "0 both times, no log; never fires", timer_event);
	m_case("double event_del: signal event", "0 both times, no log", signal_event);
	m_case("double event_del: active (event_active) event", "0 both times; callback never runs",
	    active_event);
	m_case("event_del of an assigned, never-added event", "0 both times, no log", never_added);
	m_close_pair(sv);
	event_base_free(base);
	return m_end();
}

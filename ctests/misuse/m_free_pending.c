/* event_free of an event that is still pending (inserted, with a timeout,
 * or active).  Contract (as libevent): event_free deletes it first; its
 * callback never runs, the base forgets it (no events left: the loop returns
 * 1), and no memory is touched afterwards (valgrind run). */
#include "misuse.h"

static struct event_base *base;
static int sv[2], calls;

static void
after_free(void)
{
	EXPECT_RET("event_base_get_num_events(ADDED|ACTIVE)",
	    event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE), 0);
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK)",
	    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
	CHECK(calls == 0, "callback of a freed event ran %d times", calls);
}

static void
free_io(void)
{
	struct event *ev = event_new(base, sv[0], EV_READ | EV_PERSIST, m_count_cb, &calls);
	struct timeval tv = {0, 0};
	calls = 0;
	event_add(ev, &tv);
	m_write1(sv[1]);
	event_free(ev);
	OBS("event_free(pending I/O event with expired timeout) returned");
	after_free();
	m_drain(sv[0]);
}

static void
free_active(void)
{
	struct event *ev = event_new(base, -1, 0, m_count_cb, &calls);
	calls = 0;
	event_active(ev, EV_TIMEOUT, 1);
	event_free(ev);
	OBS("event_free(active event) returned");
	after_free();
}

static void
free_signal(void)
{
	struct event *ev = evsignal_new(base, SIGUSR2, m_count_cb, &calls);
	calls = 0;
	evsignal_add(ev, NULL);
	event_free(ev);
	OBS("event_free(pending signal event) returned");
	after_free();
}

static struct event *victim;

static void
free_other_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	event_free(victim);
	victim = NULL;
}

static void
free_from_callback(void)
{
	/* One callback frees another event that is active in the same pass. */
	struct event *killer = event_new(base, -1, 0, free_other_cb, NULL);
	calls = 0;
	victim = event_new(base, -1, 0, m_count_cb, &calls);
	event_priority_set(killer, 0);
	event_priority_set(victim, 1);
	event_active(victim, EV_TIMEOUT, 1);
	event_active(killer, EV_TIMEOUT, 1);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	OBS("victim ran %d times", calls);
	CHECK(victim == NULL, "killer did not run");
	after_free();
	event_free(killer);
}

int
main(void)
{
	m_begin("m_free_pending");
	base = m_base();
	event_base_priority_init(base, 2);
	m_pair(sv);
	m_case("event_free of a pending I/O event (readable, timeout expired)",
	    "deleted first; never runs; base empty", free_io);
	m_case("event_free of an active event", "deleted first; never runs; base empty", free_active);
	m_case("event_free of a pending signal event", "deleted first; base empty", free_signal);
	m_case("event_free from a callback of another active event",
	    "the freed event never runs; base empty", free_from_callback);
	m_close_pair(sv);
	event_base_free(base);
	return m_end();
}

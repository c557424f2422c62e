/* event_base_free while events are still added (I/O, timer, signal,
 * active).  Contract: the base deletes them and clears their ev_base; later
 * event_del returns -1 without a log line, event_add returns -1 with one,
 * event_pending 0, event_free works; the signal's previous handler is back. */
#include "misuse.h"

static volatile sig_atomic_t own_handler_calls;

static void
own_handler(int sig)
{
	(void)sig;
	own_handler_calls++;
}

static void
with_events(void)
{
	struct event_base *b = m_base();
	struct event *ev[4];
	struct timeval far = {100, 0};
	int sv[2], i;

	signal(SIGUSR2, own_handler);
	m_pair(sv);
	ev[0] = event_new(b, sv[0], EV_READ | EV_PERSIST, m_count_cb, NULL);
	ev[1] = evtimer_new(b, m_count_cb, NULL);
	ev[2] = evsignal_new(b, SIGUSR2, m_count_cb, NULL);
	ev[3] = event_new(b, -1, 0, m_count_cb, NULL);
	event_add(ev[0], &far);
	evtimer_add(ev[1], &far);
	evsignal_add(ev[2], NULL);
	event_active(ev[3], EV_TIMEOUT, 1);
	event_base_free(b);
	OBS("event_base_free returned");
	for (i = 0; i < 4; i++) {
		CHECK(event_get_base(ev[i]) == NULL, "ev[%d] still has its base", i);
		log_clear();
		EXPECT_RET("event_del", event_del(ev[i]), -1);
		EXPECT_NO_LOG();
		EXPECT_RET("event_pending", event_pending(ev[i], EV_READ | EV_TIMEOUT | EV_SIGNAL, NULL), 0);
		EXPECT_RET("event_add", event_add(ev[i], &far), -1);
		EXPECT_LOG("no event_base set");
		event_free(ev[i]);
	}
	raise(SIGUSR2);
	CHECK(own_handler_calls == 1, "the program's SIGUSR2 handler was not restored");
	signal(SIGUSR2, SIG_DFL);
	m_close_pair(sv);
}

static void
idle_event_freed_after(void)
{
	/* An assigned event that was never added still names the freed base.
	 * Freeing it afterwards is what many programs do at exit. */
	struct event_base *b = m_base();
	struct event *ev = evtimer_new(b, m_count_cb, NULL);
	event_base_free(b);
	event_free(ev);
	OBS("event_free of an idle event after event_base_free returned");
}

int
main(void)
{
	m_begin("m_base_free");
	m_case("event_base_free with I/O, timer, signal and active events",
	    "events lose ev_base; event_del -1 (no log); event_add -1 + log; event_free works; "
	    "signal handler restored", with_events);
	m_case("event_free of a never-added event after event_base_free",
	    "works; no access to the freed base (valgrind)", idle_event_freed_after);
	return m_end();
}

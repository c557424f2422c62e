/* Regression (librel divergence from libevent 2.1, found by the model
 * test): timeouts on persistent signal events.  In libevent a signal event
 * never goes through the persist closure: when its timeout fires it is
 * deleted like any event (no longer watching the signal), and a signal or
 * an EV_TIMEOUT activation never re-arms its timeout.  librel treated it
 * like a persistent I/O event (kept it, re-armed it). */
#include "misuse.h"

static void
own_handler(int sig)
{
	(void)sig;
}

static void
expired(void)
{
	struct event_base *b = m_base();
	int calls = 0;
	struct event *e = evsignal_new(b, SIGUSR1, m_count_cb, &calls);
	struct timeval zero = {0, 0};
	event_add(e, &zero);
	event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(calls == 1, "timeout callback ran %d times", calls);
	EXPECT_RET("event_pending after its timeout fired",
	    event_pending(e, EV_SIGNAL | EV_TIMEOUT, NULL), 0);
	event_free(e);
	event_base_free(b);
}

static void
not_rearmed(void)
{
	struct event_base *b = m_base();
	int calls = 0;
	struct event *e = evsignal_new(b, SIGUSR1, m_count_cb, &calls);
	struct timeval hour = {3600, 0}, when, now;
	event_add(e, &hour);
	event_active(e, EV_TIMEOUT, 1);
	event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(event_pending(e, EV_TIMEOUT, &when), "timeout no longer pending");
	gettimeofday(&now, NULL);
	OBS("deadline %ld s from now", (long)(when.tv_sec - now.tv_sec));
	CHECK(when.tv_sec - now.tv_sec <= 3601, "timeout re-armed to %ld s from now, want 3600",
	    (long)(when.tv_sec - now.tv_sec));
	event_free(e);
	event_base_free(b);
}

int
main(void)
{
	signal(SIGUSR1, own_handler);
	m_begin("m_signal_timeout");
	m_case("persistent signal event whose {0,0} timeout fired",
	    "deleted: event_pending 0 (as libevent)", expired);
	m_case("persistent signal event with 1 h timeout, event_active(EV_TIMEOUT)",
	    "timeout not re-armed: still 1 h away (as libevent)", not_rearmed);
	return m_end();
}

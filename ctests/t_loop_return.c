/* Return values of event_base_loop/dispatch and the EVLOOP_* flags. */
#include <event2/event.h>
#include "common.h"

static struct event_base *base;
static int calls, inner_ret = 99, warns;

static void
log_cb(int severity, const char *msg)
{
	if (severity == EVENT_LOG_WARN && msg && *msg)
		warns++;
}

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	calls++;
}

static void
reenter_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	inner_ret = event_base_dispatch(base);
	calls++;
}

static void
reenter_loop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	inner_ret = event_base_loop(base, EVLOOP_NONBLOCK);
	calls++;
}

int
main(void)
{
	struct event *t1, *t2, *a;
	struct timeval tv;
	double t0;

	t_begin("t_loop_return");
	event_set_log_callback(log_cb);
	base = event_base_new();

	EXPECT_INT("dispatch on empty base", event_base_dispatch(base), 1);
	EXPECT_INT("loop(0) on empty base", event_base_loop(base, 0), 1);
	EXPECT_INT("loop(ONCE) on empty base", event_base_loop(base, EVLOOP_ONCE), 1);
	EXPECT_INT("loop(NONBLOCK) on empty base", event_base_loop(base, EVLOOP_NONBLOCK), 1);
	EXPECT_INT("loop(NO_EXIT_ON_EMPTY|NONBLOCK) on empty base",
	    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY | EVLOOP_NONBLOCK), 0);
	EXPECT_INT("got_exit after plain runs", event_base_got_exit(base), 0);
	EXPECT_INT("got_break after plain runs", event_base_got_break(base), 0);

	/* a pending 60 ms timer: NONBLOCK returns 0 without running it */
	t1 = evtimer_new(base, count_cb, NULL);
	tv = t_tv_ms(60);
	evtimer_add(t1, &tv);
	calls = 0;
	t0 = t_now_ms();
	EXPECT_INT("loop(NONBLOCK) with pending timer", event_base_loop(base, EVLOOP_NONBLOCK), 0);
	EXPECT_INT("  timer not yet run", calls, 0);
	CHECK("  NONBLOCK did not wait", t_now_ms() - t0 < 40);
	/* ONCE blocks until the timer fires, returns 0 */
	EXPECT_INT("loop(ONCE) with pending timer", event_base_loop(base, EVLOOP_ONCE), 0);
	EXPECT_INT("  timer ran", calls, 1);
	CHECK("  ONCE waited >= 50ms", t_now_ms() - t0 >= 50);
	EXPECT_INT("  timer no longer pending", evtimer_pending(t1, NULL), 0);
	EXPECT_INT("dispatch after timer consumed", event_base_dispatch(base), 1);

	/* dispatch runs until empty: returns 1 after the last timer */
	calls = 0;
	tv = t_tv_ms(5);
	evtimer_add(t1, &tv);
	t2 = evtimer_new(base, count_cb, NULL);
	tv = t_tv_ms(10);
	evtimer_add(t2, &tv);
	EXPECT_INT("dispatch with two timers", event_base_dispatch(base), 1);
	EXPECT_INT("  both timers ran", calls, 2);

	/* ONCE with several active events runs them all, returns 0 */
	a = event_new(base, -1, 0, count_cb, NULL);
	calls = 0;
	event_active(a, EV_READ, 0);
	event_active(t1, EV_TIMEOUT, 0);
	event_active(t2, EV_TIMEOUT, 0);
	EXPECT_INT("loop(ONCE) with 3 active", event_base_loop(base, EVLOOP_ONCE), 0);
	EXPECT_INT("  all 3 ran", calls, 3);
	/* NONBLOCK only stops after a pass that ran nothing: with nothing
	 * else added, the next pass finds the base empty and returns 1 */
	calls = 0;
	event_active(a, EV_READ, 0);
	EXPECT_INT("loop(NONBLOCK) with 1 active, nothing added", event_base_loop(base, EVLOOP_NONBLOCK), 1);
	EXPECT_INT("  it ran", calls, 1);
	tv = t_tv_ms(5000);
	evtimer_add(t1, &tv);
	calls = 0;
	event_active(a, EV_READ, 0);
	EXPECT_INT("loop(NONBLOCK) with 1 active, a timer added", event_base_loop(base, EVLOOP_NONBLOCK), 0);
	EXPECT_INT("  it ran", calls, 1);
	evtimer_del(t1);
	calls = 0;
	event_active(a, EV_READ, 0);
	EXPECT_INT("loop(ONCE|NO_EXIT_ON_EMPTY) with 1 active",
	    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY), 0);
	EXPECT_INT("  it ran", calls, 1);
	calls = 0;
	event_active(a, EV_READ, 0);
	EXPECT_INT("dispatch with only an active (not added) event", event_base_dispatch(base), 1);
	EXPECT_INT("  it ran", calls, 1);

	/* re-entrant dispatch from a callback fails with -1 and warns */
	event_free(a);
	a = event_new(base, -1, 0, reenter_cb, NULL);
	calls = 0;
	warns = 0;
	event_active(a, EV_READ, 0);
	EXPECT_INT("outer dispatch around re-entrant call", event_base_dispatch(base), 1);
	EXPECT_INT("  re-entrant dispatch returned", inner_ret, -1);
	EXPECT_INT("  callback completed", calls, 1);
	CHECK("  a warning was logged", warns >= 1);
	event_free(a);
	a = event_new(base, -1, 0, reenter_loop_cb, NULL);
	inner_ret = 99;
	event_active(a, EV_READ, 0);
	EXPECT_INT("outer loop(NONBLOCK)", event_base_loop(base, EVLOOP_NONBLOCK), 1);
	EXPECT_INT("  re-entrant loop(NONBLOCK) returned", inner_ret, -1);
	EXPECT_INT("base usable afterwards", event_base_dispatch(base), 1);

	/* a second base can be run from a callback of the first */
	{
		struct event_base *b2 = event_base_new();
		EXPECT_INT("other base dispatched from outside", event_base_dispatch(b2), 1);
		event_base_free(b2);
	}

	event_free(a);
	event_free(t1);
	event_free(t2);
	event_base_free(base);
	event_set_log_callback(NULL);
	return t_end();
}

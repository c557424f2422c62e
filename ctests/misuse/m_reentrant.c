/* Running a base's loop from inside one of its own callbacks: -1 and a log
 * line ("reentrant invocation"); the outer loop goes on.  Freeing the base
 * from a callback is refused the same way.  Another base may be run from a
 * callback. */
#include "misuse.h"

static struct event_base *base, *other;
static int inner_ret = 99, inner_dispatch = 99, other_ret = 99, calls;

static void
reenter_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	calls++;
	inner_ret = event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	inner_dispatch = event_base_dispatch(base);
}

static void
free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	calls++;
	event_base_free(base);
}

static void
other_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *ev;
	(void)fd; (void)what; (void)arg;
	ev = event_new(other, -1, 0, m_count_cb, &calls);
	event_active(ev, EV_TIMEOUT, 1);
	other_ret = event_base_loop(other, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	event_free(ev);
}

static void
run_one(event_callback_fn cb)
{
	struct event *ev = event_new(base, -1, 0, cb, NULL);
	event_active(ev, EV_TIMEOUT, 1);
	EXPECT_RET("outer event_base_loop", event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	event_free(ev);
}

static void
reentrant_loop(void)
{
	calls = 0;
	run_one(reenter_cb);
	EXPECT_RET("inner event_base_loop", inner_ret, -1);
	EXPECT_RET("inner event_base_dispatch", inner_dispatch, -1);
	EXPECT_LOG("reentrant invocation");
	CHECK(calls == 1, "callback ran %d times", calls);
}

static void
free_from_callback(void)
{
	run_one(free_cb);
	EXPECT_LOG("loop is running");
	EXPECT_RET("loop afterwards", event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
}

static void
other_base(void)
{
	calls = 0;
	run_one(other_cb);
	EXPECT_RET("other base's loop from a callback", other_ret, 0);
	CHECK(calls == 1, "other base's event ran %d times", calls);
}

int
main(void)
{
	m_begin("m_reentrant");
	base = m_base();
	other = m_base();
	m_case("event_base_loop / dispatch from a callback of the same base",
	    "-1, log \"reentrant invocation\"; outer loop unaffected", reentrant_loop);
	m_case("event_base_free from a callback of the same base",
	    "refused, log \"loop is running\"; the base stays usable", free_from_callback);
	m_case("another base's loop from a callback", "works", other_base);
	event_base_free(other);
	event_base_free(base);
	return m_end();
}

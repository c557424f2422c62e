/* Two behaviours programs rely on: the callback of an EV_READ|EV_ET event
 * gets EV_ET in its flags where the backend is edge-triggered (epoll), and
 * event_base_loopexit with a delay in the past ends the loop at the next
 * pass. */
#include <event2/event.h>
#include "common.h"

static short got;
static int calls;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)arg;
	got = what;
	calls++;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	(*(int *)arg)++;
}

int
main(void)
{
	struct event_base *base;
	struct event *et, *lt, *t;
	struct timeval past = { -1, 0 }, past_usec = { 0, -5 }, later = { 2, 0 };
	int sv[2], ticks = 0;
	const char *method;

	t_begin("t_et_loopexit");
	base = event_base_new();
	method = event_base_get_method(base);
	t_pair(sv);
	et = event_new(base, sv[0], EV_READ | EV_ET | EV_PERSIST, cb, NULL);
	event_add(et, NULL);
	if (write(sv[1], "x", 1) != 1)
		DIE("write");
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("EV_ET event fired", calls, 1);
	EXPECT_INT("  EV_READ in its flags", got & EV_READ, EV_READ);
	CHECK("  EV_ET in its flags exactly where the backend is edge-triggered (epoll)",
	    ((got & EV_ET) != 0) == (strcmp(method, "epoll") == 0));
	event_free(et);
	t_drain(sv[0]);

	lt = event_new(base, sv[0], EV_READ, cb, NULL);
	event_add(lt, NULL);
	if (write(sv[1], "y", 1) != 1)
		DIE("write");
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("level-triggered event: no EV_ET", got, EV_READ);
	event_free(lt);
	t_drain(sv[0]);

	/* A persistent 2 s timer keeps the loop going; loopexit in the past
	 * ends it at once. */
	t = event_new(base, -1, EV_PERSIST, tick, &ticks);
	event_add(t, &later);
	EXPECT_INT("loopexit({-1, 0})", event_base_loopexit(base, &past), 0);
	EXPECT_INT("dispatch returns", event_base_dispatch(base), 0);
	EXPECT_INT("  got_exit", event_base_got_exit(base), 1);
	EXPECT_INT("  before any tick", ticks, 0);
	EXPECT_INT("loopexit({0, -5})", event_base_loopexit(base, &past_usec), 0);
	EXPECT_INT("dispatch returns again", event_base_dispatch(base), 0);
	EXPECT_INT("  before any tick", ticks, 0);
	event_free(t);
	event_base_free(base);
	return t_end();
}

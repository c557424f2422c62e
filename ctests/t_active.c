/* event_active, merging of res, event_base_active_by_fd/by_signal,
 * evuser_* macros. */
#include <signal.h>
#include <event2/event.h>
#include "common.h"

static struct event_base *base;
static int calls, last_what;
static char trace[128];

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	char b[32];
	(void)fd;
	calls++;
	last_what = what;
	snprintf(b, sizeof b, "%s:%d ", (const char *)arg, what);
	strcat(trace, b);
}

int
main(void)
{
	struct event *e, *r1, *w1, *r2, *rw, *u, *p;
	int sv[2], sv2[2];
	struct timeval tv;

	t_begin("t_active");
	base = event_base_new();
	t_pair(sv);
	t_pair(sv2);

	/* active without being added */
	e = event_new(base, -1, 0, cb, "e");
	event_active(e, EV_TIMEOUT, 0);
	EXPECT_INT("pending(any) while active, not added", event_pending(e, EV_TIMEOUT | EV_READ | EV_WRITE, NULL), EV_TIMEOUT);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_INT("calls", calls, 1);
	EXPECT_INT("what", last_what, EV_TIMEOUT);
	EXPECT_INT("pending after", event_pending(e, EV_TIMEOUT | EV_READ | EV_WRITE, NULL), 0);

	/* res merging: activated twice before running, runs once */
	calls = 0;
	event_active(e, EV_READ, 0);
	event_active(e, EV_WRITE, 0);
	event_active(e, EV_READ, 0);
	event_base_dispatch(base);
	EXPECT_INT("merged calls", calls, 1);
	EXPECT_INT("merged what", last_what, EV_READ | EV_WRITE);

	/* arbitrary res bits reach the callback */
	calls = 0;
	event_active(e, EV_READ | EV_SIGNAL | EV_CLOSED, 0);
	event_base_dispatch(base);
	EXPECT_INT("unusual res passed through", last_what, EV_READ | EV_SIGNAL | EV_CLOSED);
	calls = 0;
	event_active(e, 0, 0);
	event_base_dispatch(base);
	EXPECT_INT("res 0 still runs", calls, 1);
	EXPECT_INT("  with what", last_what, 0);

	/* activate an added (not ready) read event */
	r1 = event_new(base, sv[0], EV_READ, cb, "r1");
	tv = t_tv_ms(5000);
	event_add(r1, &tv);
	calls = 0;
	event_active(r1, EV_WRITE, 0);
	EXPECT_INT("pending read+timeout while also active", event_pending(r1, EV_READ | EV_WRITE | EV_TIMEOUT, NULL),
	    EV_READ | EV_WRITE | EV_TIMEOUT);
	event_base_dispatch(base);
	EXPECT_INT("added event activated manually ran", calls, 1);
	EXPECT_INT("  what", last_what, EV_WRITE);
	EXPECT_INT("  non-persistent: no longer pending", event_pending(r1, EV_READ | EV_TIMEOUT, NULL), 0);

	/* persistent added event activated manually stays pending */
	p = event_new(base, sv[0], EV_READ | EV_PERSIST, cb, "p");
	event_add(p, NULL);
	calls = 0;
	event_active(p, EV_READ, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("persistent activated manually ran", calls, 1);
	EXPECT_INT("  still pending", event_pending(p, EV_READ, NULL), EV_READ);
	event_del(p);
	EXPECT_INT("  deleted", event_pending(p, EV_READ, NULL), 0);
	/* a deleted persistent event keeps its interval: run through
	 * event_active, it is added again (I/O + timeout) */
	tv = t_tv_ms(5000);
	event_add(p, &tv);
	event_del(p);
	event_active(p, EV_READ, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("deleted persistent+timeout event after manual run: pending",
	    event_pending(p, EV_READ | EV_TIMEOUT, NULL), EV_READ | EV_TIMEOUT);
	event_free(p);

	/* event_base_active_by_fd */
	event_free(r1);
	r1 = event_new(base, sv[0], EV_READ, cb, "r1");
	w1 = event_new(base, sv[0], EV_WRITE, cb, "w1");
	r2 = event_new(base, sv2[0], EV_READ, cb, "r2");
	rw = event_new(base, sv2[0], EV_READ | EV_WRITE | EV_PERSIST, cb, "rw");
	event_add(r1, NULL);
	event_add(r2, NULL);
	calls = 0;
	trace[0] = 0;
	event_base_active_by_fd(base, sv[0], EV_READ);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_STR("active_by_fd(READ): read event on that fd only", trace, "r1:2 ");
	event_add(r1, NULL);
	trace[0] = 0;
	event_base_active_by_fd(base, sv[0], EV_WRITE);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_STR("active_by_fd(WRITE): no write event added on fd", trace, "");
	trace[0] = 0;
	event_base_active_by_fd(base, sv[0], EV_READ | EV_WRITE);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_STR("active_by_fd(READ|WRITE) on fd with only a read event", trace, "r1:2 ");
	trace[0] = 0;
	event_base_active_by_fd(base, sv[0], EV_READ); /* nothing added now */
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_STR("active_by_fd on fd without events", trace, "");
	event_add(r1, NULL);
	event_add(w1, NULL);
	calls = 0;
	trace[0] = 0;
	event_base_active_by_fd(base, sv[0], EV_READ | EV_WRITE);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("active_by_fd(READ|WRITE) with read and write events: calls", calls, 2);
	CHECK("  read event got EV_READ", strstr(trace, "r1:2 ") != NULL);
	CHECK("  write event got EV_WRITE", strstr(trace, "w1:4 ") != NULL);
	event_del(r2);

	/* evuser_* */
	u = evuser_new(base, cb, "u");
	calls = 0;
	EXPECT_INT("evuser_initialized", evuser_initialized(u) != 0, 1);
	EXPECT_INT("evuser_pending before trigger", evuser_pending(u, NULL), 0);
	evuser_trigger(u);
	trace[0] = 0;
	event_base_dispatch(base);
	EXPECT_STR("evuser_trigger", trace, "u:0 ");
	evuser_trigger(u);
	EXPECT_INT("evuser_del of triggered event", evuser_del(u), 0);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("deleted before running: not run", calls, 0);
	event_free(u);

	/* event_base_active_by_signal: runs signal events without a signal */
	{
		struct event *s = evsignal_new(base, SIGUSR2, cb, "s");
		evsignal_add(s, NULL);
		trace[0] = 0;
		event_base_active_by_signal(base, SIGUSR2);
		event_base_loop(base, EVLOOP_NONBLOCK);
		EXPECT_STR("active_by_signal", trace, "s:8 ");
		event_free(s);
	}

	/* activating an event on another base from here works the same */
	{
		struct event_base *b2 = event_base_new();
		struct event *o = event_new(b2, -1, 0, cb, "o");
		trace[0] = 0;
		event_active(o, EV_READ, 0);
		event_base_loop(base, EVLOOP_NONBLOCK);
		EXPECT_STR("other base's event not run by this base", trace, "");
		event_base_loop(b2, EVLOOP_NONBLOCK);
		EXPECT_STR("run by its own base", trace, "o:2 ");
		event_free(o);
		event_base_free(b2);
	}

	event_free(e);
	event_free(r1);
	event_free(w1);
	event_free(r2);
	event_free(rw);
	event_base_free(base);
	close(sv[0]); close(sv[1]); close(sv2[0]); close(sv2[1]);
	return t_end();
}

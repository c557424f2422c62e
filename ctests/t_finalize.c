/* event_finalize, event_free_finalize, event_base_free running pending
 * finalizers, event_base_free_nofinalize. */
#include <event2/event.h>
#include "common.h"

static char trace[256];

static void
fin_cb(struct event *ev, void *arg)
{
	char b[32];
	(void)ev;
	snprintf(b, sizeof b, "fin(%s) ", (const char *)arg);
	strcat(trace, b);
}

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	char b[32];
	(void)fd; (void)what;
	snprintf(b, sizeof b, "cb(%s) ", (const char *)arg);
	strcat(trace, b);
}

static struct event *selfev;
static void
self_finalize_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	strcat(trace, "cb(self) ");
	event_free_finalize(0, selfev, fin_cb);
	strcat(trace, "after-call ");
}

int
main(void)
{
	struct event_base *base;
	struct event *a, *b, *c;
	struct timeval tv = t_tv_ms(1);

	t_begin("t_finalize");
	base = event_base_new();

	/* finalize a pending timer: its callback never runs, the finalizer
	 * runs from the loop */
	a = evtimer_new(base, cb, "a");
	evtimer_add(a, &tv);
	trace[0] = 0;
	EXPECT_INT("event_finalize", event_finalize(0, a, fin_cb), 0);
	EXPECT_STR("finalizer not run synchronously", trace, "");
	EXPECT_INT("not pending after finalize", evtimer_pending(a, NULL), 0);
	EXPECT_INT("event_add after finalize refused", evtimer_add(a, &tv), -1);
	t_sleep_ms(3);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_STR("trace", trace, "fin(a) ");
	event_free(a); /* event_finalize does not free */

	/* event_free_finalize: finalizer then free */
	b = evtimer_new(base, cb, "b");
	evtimer_add(b, &tv);
	trace[0] = 0;
	EXPECT_INT("event_free_finalize", event_free_finalize(0, b, fin_cb), 0);
	event_base_dispatch(base);
	EXPECT_STR("trace", trace, "fin(b) ");

	/* finalizing from inside the event's own callback */
	selfev = evtimer_new(base, self_finalize_cb, "self");
	evtimer_add(selfev, &tv);
	trace[0] = 0;
	event_base_dispatch(base);
	EXPECT_STR("self finalize", trace, "cb(self) after-call fin(self) ");

	/* event_base_free runs pending finalizers */
	c = evtimer_new(base, cb, "c");
	evtimer_add(c, &tv);
	event_free_finalize(0, c, fin_cb);
	trace[0] = 0;
	event_base_free(base);
	EXPECT_STR("finalizer run by event_base_free", trace, "fin(c) ");

	/* event_base_free_nofinalize on a base without pending finalizers */
	base = event_base_new();
	a = evtimer_new(base, cb, "a");
	evtimer_add(a, &tv);
	event_base_dispatch(base);
	event_free(a);
	event_base_free_nofinalize(base);
	printf("ok event_base_free_nofinalize\n");
	return t_end();
}

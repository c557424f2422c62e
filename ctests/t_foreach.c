/* event_base_foreach_event, event_base_get_num_events/get_max_events,
 * event_base_get_running_event, event_base_dump_events. */
#include <signal.h>
#include <event2/event.h>
#include "common.h"

static struct event *evs[8];
static int visits[8], nvisit, stop_after;

static int
visit_cb(const struct event_base *b, const struct event *e, void *arg)
{
	int i;
	(void)b;
	(void)arg;
	nvisit++;
	for (i = 0; i < 8; i++)
		if (evs[i] == e)
			visits[i]++;
	if (stop_after && nvisit == stop_after)
		return 42;
	return 0;
}

static struct event_base *base;
static int running_ok = -1, foreach_in_cb = -1;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	running_ok = event_base_get_running_event(base) == arg;
	nvisit = 0;
	memset(visits, 0, sizeof visits);
	stop_after = 0;
	foreach_in_cb = event_base_foreach_event(base, visit_cb, NULL);
}

#define NUM(f) event_base_get_num_events(base, (f))
#define MAX(f, c) event_base_get_max_events(base, (f), (c))

int
main(void)
{
	int sv[2], i;
	struct timeval tv;
	const struct timeval *common;

	t_begin("t_foreach");
	base = event_base_new();
	t_pair(sv);

	EXPECT_INT("empty: added", NUM(EVENT_BASE_COUNT_ADDED), 0);
	EXPECT_INT("empty: active", NUM(EVENT_BASE_COUNT_ACTIVE), 0);
	EXPECT_INT("empty: virtual", NUM(EVENT_BASE_COUNT_VIRTUAL), 0);
	EXPECT_INT("empty: foreach", event_base_foreach_event(base, visit_cb, NULL), 0);
	EXPECT_INT("empty: visits", nvisit, 0);
	EXPECT_INT("npriorities", event_base_get_npriorities(base), 1);

	evs[0] = event_new(base, sv[0], EV_READ, cb, NULL);                 /* io */
	evs[1] = evtimer_new(base, cb, NULL);                               /* timer */
	evs[2] = event_new(base, sv[0], EV_READ | EV_PERSIST, cb, NULL);    /* io + timeout */
	evs[3] = evtimer_new(base, cb, NULL);                               /* active only */
	evs[4] = evtimer_new(base, cb, NULL);                               /* common timeout */
	evs[5] = evsignal_new(base, SIGUSR1, cb, NULL);                     /* signal */
	evs[6] = evtimer_new(base, cb, NULL);                               /* never added */
	evs[7] = event_new(base, sv[1], EV_WRITE, cb, NULL);                /* io, later active too */

	event_add(evs[0], NULL);
	EXPECT_INT("1 io: added", NUM(EVENT_BASE_COUNT_ADDED), 1);
	tv = t_tv_ms(60000);
	evtimer_add(evs[1], &tv);
	EXPECT_INT("+timer: added", NUM(EVENT_BASE_COUNT_ADDED), 2);
	event_add(evs[2], &tv);
	/* an io event with a timeout counts twice */
	EXPECT_INT("+io with timeout: added", NUM(EVENT_BASE_COUNT_ADDED), 4);
	event_active(evs[3], EV_TIMEOUT, 0);
	EXPECT_INT("+active: added", NUM(EVENT_BASE_COUNT_ADDED), 5);
	EXPECT_INT("+active: active", NUM(EVENT_BASE_COUNT_ACTIVE), 1);
	EXPECT_INT("+active: active|added", NUM(EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_ADDED), 6);
	common = event_base_init_common_timeout(base, &tv);
	evtimer_add(evs[4], common);
	EXPECT_INT("+common timeout: added", NUM(EVENT_BASE_COUNT_ADDED), 6);
	evsignal_add(evs[5], NULL);
	EXPECT_INT("+signal: added", NUM(EVENT_BASE_COUNT_ADDED), 7);
	event_add(evs[7], NULL);
	event_active(evs[7], EV_WRITE, 0);
	EXPECT_INT("+io also active: added", NUM(EVENT_BASE_COUNT_ADDED), 9);
	EXPECT_INT("active", NUM(EVENT_BASE_COUNT_ACTIVE), 2);
	EXPECT_INT("virtual", NUM(EVENT_BASE_COUNT_VIRTUAL), 0);
	EXPECT_INT("all three flags", NUM(EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_VIRTUAL), 11);
	EXPECT_INT("no flags", NUM(0), 0);

	nvisit = 0;
	memset(visits, 0, sizeof visits);
	EXPECT_INT("foreach returns 0", event_base_foreach_event(base, visit_cb, NULL), 0);
	/* libevent may also visit events of its own (documented) */
	CHECK("foreach visits >= 7", nvisit >= 7);
	for (i = 0; i < 8; i++) {
		char name[32];
		snprintf(name, sizeof name, "visits of evs[%d]", i);
		EXPECT_INT(name, visits[i], i == 6 ? 0 : 1);
	}
	nvisit = 0;
	stop_after = 3;
	EXPECT_INT("foreach stopped by callback returns its value", event_base_foreach_event(base, visit_cb, NULL), 42);
	EXPECT_INT("visits before stop", nvisit, 3);
	stop_after = 0;

	/* max counters */
	EXPECT_INT("max added", MAX(EVENT_BASE_COUNT_ADDED, 0), 9);
	EXPECT_INT("max active", MAX(EVENT_BASE_COUNT_ACTIVE, 0), 2);
	EXPECT_INT("max virtual", MAX(EVENT_BASE_COUNT_VIRTUAL, 0), 0);
	for (i = 0; i < 8; i++)
		if (i != 6)
			event_del(evs[i]);
	EXPECT_INT("after del: added", NUM(EVENT_BASE_COUNT_ADDED), 0);
	EXPECT_INT("after del: active", NUM(EVENT_BASE_COUNT_ACTIVE), 0);
	EXPECT_INT("max added keeps the high-water mark", MAX(EVENT_BASE_COUNT_ADDED, 0), 9);
	EXPECT_INT("max added, clearing", MAX(EVENT_BASE_COUNT_ADDED, 1), 9);
	EXPECT_INT("max added after clear", MAX(EVENT_BASE_COUNT_ADDED, 0), 0);
	EXPECT_INT("max active|added sums", MAX(EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_ADDED, 0), 2);

	/* running event and foreach inside a callback */
	event_free(evs[3]);
	evs[3] = evtimer_new(base, cb, event_self_cbarg());
	event_add(evs[0], NULL);
	event_active(evs[3], EV_TIMEOUT, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("running event inside callback", running_ok, 1);
	/* the running (non-persistent) event is deleted and not visited */
	EXPECT_INT("foreach inside callback", foreach_in_cb, 0);
	EXPECT_INT("  visits of the added read event", visits[0], 1);
	EXPECT_INT("  visits of the running event", visits[3], 0);

	/* dump_events writes something, without crashing */
	{
		FILE *f = tmpfile();
		long n;
		event_active(evs[1], EV_TIMEOUT, 0);
		event_base_dump_events(base, f);
		n = ftell(f);
		CHECK("dump_events wrote text", n > 0);
		fclose(f);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}

	for (i = 0; i < 8; i++)
		event_free(evs[i]);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

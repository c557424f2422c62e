/* Priorities: 0 highest, one queue per pass, defaults, range checks. */
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include "common.h"

static struct event_base *base;
static char trace[256];
static struct event *ev[8];

static void
tr_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(long)arg;
	char b[2] = {(char)('A' + i), 0};
	(void)fd; (void)what;
	strcat(trace, b);
	/* A (priority 1) activates E (priority 0): E waits for the next pass */
	if (i == 0 && ev[4])
		event_active(ev[4], EV_READ, 0);
}

int
main(void)
{
	struct event *e, sev;
	int i, r;

	t_begin("t_priority");
	base = event_base_new();
	EXPECT_INT("default npriorities", event_base_get_npriorities(base), 1);
	e = event_new(base, -1, 0, tr_cb, NULL);
	EXPECT_INT("default priority with 1 queue", event_get_priority(e), 0);
	EXPECT_INT("priority_set(1) with 1 queue", event_priority_set(e, 1), -1);
	EXPECT_INT("priority_set(0) with 1 queue", event_priority_set(e, 0), 0);
	event_free(e);

	EXPECT_INT("priority_init(0)", event_base_priority_init(base, 0), -1);
	EXPECT_INT("priority_init(257)", event_base_priority_init(base, EVENT_MAX_PRIORITIES + 1), -1);
	EXPECT_INT("priority_init(256)", event_base_priority_init(base, EVENT_MAX_PRIORITIES), -1);
	EXPECT_INT("npriorities unchanged", event_base_get_npriorities(base), 1);
	EXPECT_INT("priority_init(255)", event_base_priority_init(base, EVENT_MAX_PRIORITIES - 1), 0);
	EXPECT_INT("npriorities", event_base_get_npriorities(base), 255);
	EXPECT_INT("priority_init(5)", event_base_priority_init(base, 5), 0);
	EXPECT_INT("npriorities", event_base_get_npriorities(base), 5);
	e = event_new(base, -1, 0, tr_cb, NULL);
	EXPECT_INT("event_new default priority n/2", event_get_priority(e), 2);
	event_assign(&sev, base, -1, 0, tr_cb, NULL);
	EXPECT_INT("event_assign default priority n/2", event_get_priority(&sev), 2);
	EXPECT_INT("evcb_pri field", sev.ev_evcallback.evcb_pri, 2);
	EXPECT_INT("priority_set(-1)", event_priority_set(e, -1), -1);
	EXPECT_INT("priority_set(5)", event_priority_set(e, 5), -1);
	EXPECT_INT("priority_set(4)", event_priority_set(e, 4), 0);
	EXPECT_INT("get_priority", event_get_priority(e), 4);
	event_active(e, EV_READ, 0);
	EXPECT_INT("priority_set while active", event_priority_set(e, 1), -1);
	EXPECT_INT("priority still", event_get_priority(e), 4);
	EXPECT_INT("priority_init while an event is active", event_base_priority_init(base, 3), -1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("priority_set pending (not active)", event_priority_set(e, 1), 0);
	trace[0] = 0;
	event_free(e);

	EXPECT_INT("priority_init(3)", event_base_priority_init(base, 3), 0);
	event_base_set(base, &sev);
	EXPECT_INT("event_base_set resets priority to n/2", event_get_priority(&sev), 1);

	/* each pass runs only the highest-priority non-empty queue; a
	 * callback activating a higher-priority event ends the current pass
	 * after that callback (E runs before D) */
	for (i = 0; i < 6; i++)
		ev[i] = event_new(base, -1, 0, tr_cb, (void *)(long)i);
	event_priority_set(ev[0], 1); /* A */
	event_priority_set(ev[1], 2); /* B */
	event_priority_set(ev[2], 0); /* C */
	event_priority_set(ev[3], 1); /* D */
	event_priority_set(ev[4], 0); /* E: activated by A */
	event_priority_set(ev[5], 2); /* F */
	for (i = 0; i < 6; i++)
		if (i != 4)
			event_active(ev[i], EV_READ, 0);
	trace[0] = 0;
	r = event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_STR("dispatch order", trace, "CAEDBF");
	EXPECT_INT("loop ret", r, 1);

	/* ONCE processes pass after pass until nothing is active */
	for (i = 0; i < 6; i++)
		if (i != 4)
			event_active(ev[i], EV_READ, 0);
	trace[0] = 0;
	r = event_base_loop(base, EVLOOP_ONCE);
	EXPECT_STR("loop(ONCE) order", trace, "CAEDBF");

	/* with a pending timer keeping the base busy, NONBLOCK also runs
	 * all passes that have active events */
	{
		struct event *t = evtimer_new(base, tr_cb, (void *)6L);
		struct timeval tv = t_tv_ms(10000);
		evtimer_add(t, &tv);
		for (i = 0; i < 6; i++)
			if (i != 4)
				event_active(ev[i], EV_READ, 0);
		trace[0] = 0;
		r = event_base_loop(base, EVLOOP_NONBLOCK);
		EXPECT_STR("loop(NONBLOCK) order with timer pending", trace, "CAEDBF");
		EXPECT_INT("loop ret", r, 0);
		event_free(t);
	}

	/* I/O and timers obey priorities as well */
	{
		int sv[2];
		struct event *rd, *t;
		struct timeval tv = t_tv_ms(1);
		t_pair(sv);
		event_free(ev[4]);
		ev[4] = NULL;
		rd = event_new(base, sv[0], EV_READ, tr_cb, (void *)1L);     /* B */
		t = evtimer_new(base, tr_cb, (void *)2L);                     /* C */
		event_priority_set(rd, 2);
		event_priority_set(t, 0);
		event_add(rd, NULL);
		evtimer_add(t, &tv);
		event_active(ev[3], EV_READ, 0);                              /* D, pri 1 */
		t_write1(sv[1]);
		t_sleep_ms(5);
		trace[0] = 0;
		event_base_dispatch(base);
		EXPECT_STR("timer(0) active(1) read(2)", trace, "CDB");
		event_free(rd);
		event_free(t);
		close(sv[0]);
		close(sv[1]);
	}

	/* priority_init may be called again when nothing is active; existing
	 * events keep their number */
	EXPECT_INT("priority_init(2) again", event_base_priority_init(base, 2), 0);
	EXPECT_INT("existing event keeps priority", event_get_priority(ev[5]), 2);

	for (i = 0; i < 6; i++)
		if (ev[i])
			event_free(ev[i]);
	event_base_free(base);

	/* 1.4: event_priority_init on the current base; event_set uses n/2 */
	{
		struct event_base *cb = event_init();
		struct event e14;
		EXPECT_INT("event_priority_init(4)", event_priority_init(4), 0);
		EXPECT_INT("current base npriorities", event_base_get_npriorities(cb), 4);
		event_set(&e14, -1, 0, tr_cb, NULL);
		EXPECT_INT("event_set default priority n/2", event_get_priority(&e14), 2);
		event_base_free(cb);
	}
	return t_end();
}

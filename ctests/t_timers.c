/* Timer ordering and the evtimer_* macros (2.x style). */
#include <event2/event.h>
#include <event2/event_struct.h>
#include "common.h"

static char trace[256];
static double t0, at[8];

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	const char *name = arg;
	char b[16];
	snprintf(b, sizeof b, "%s%s ", name, (fd == -1 && what == EV_TIMEOUT) ? "" : "?");
	strcat(trace, b);
	if (name[0] >= '0' && name[0] <= '7')
		at[name[0] - '0'] = t_now_ms() - t0;
}

int
main(void)
{
	struct event_base *base;
	struct event *e[6], st;
	struct timeval tv;
	int i;

	t_begin("t_timers");
	base = event_base_new();

	/* added out of order, fire in deadline order (gaps of 100 ms: a slow
	 * start under valgrind must not reorder deadlines taken at each add) */
	e[0] = evtimer_new(base, cb, "300");
	e[1] = evtimer_new(base, cb, "100");
	e[2] = evtimer_new(base, cb, "200");
	e[3] = evtimer_new(base, cb, "0");
	e[4] = evtimer_new(base, cb, "1");
	e[5] = evtimer_new(base, cb, "hour");
	EXPECT_INT("evtimer_initialized", evtimer_initialized(e[0]), 1);
	t0 = t_now_ms();
	tv = t_tv_ms(300); evtimer_add(e[0], &tv);
	tv = t_tv_ms(100); evtimer_add(e[1], &tv);
	tv = t_tv_ms(200); evtimer_add(e[2], &tv);
	tv = t_tv_ms(0);  evtimer_add(e[3], &tv);
	tv = t_tv_ms(1);  evtimer_add(e[4], &tv);
	tv.tv_sec = 3600; tv.tv_usec = 0;
	evtimer_add(e[5], &tv);
	trace[0] = 0;
	/* (a slow start may let several expire in the same pass) */
	for (i = 0; i < 5 && strlen(trace) < strlen("0 1 100 200 300 "); i++)
		event_base_loop(base, EVLOOP_ONCE);
	EXPECT_STR("order", trace, "0 1 100 200 300 ");
	/* (libevent's coarse clock may read up to a tick early; librel's
	 * never-early promise is checked in librel_only/precise_timer) */
	CHECK("300ms timer at >= 280ms", t_now_ms() - t0 >= 280);
	EXPECT_INT("1h timer still pending", evtimer_pending(e[5], NULL), EV_TIMEOUT);
	/* a loopexit ends a dispatch kept alive by the 1h timer */
	tv = t_tv_ms(5);
	event_base_loopexit(base, &tv);
	EXPECT_INT("dispatch ended by loopexit", event_base_dispatch(base), 0);
	evtimer_del(e[5]);
	EXPECT_INT("evtimer_del", evtimer_pending(e[5], NULL), 0);

	/* zero timeout added after a 5ms one runs first */
	event_free(e[4]);
	e[4] = evtimer_new(base, cb, "5");
	tv = t_tv_ms(5); evtimer_add(e[4], &tv);
	tv = t_tv_ms(0); evtimer_add(e[3], &tv);
	trace[0] = 0;
	event_base_dispatch(base);
	EXPECT_STR("zero before 5ms", trace, "0 5 ");

	/* microsecond values above one second are accepted */
	tv.tv_sec = 0;
	tv.tv_usec = 1005000; /* 1.005 s */
	evtimer_add(e[4], &tv);
	tv = t_tv_ms(5);
	evtimer_add(e[3], &tv);
	trace[0] = 0;
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_STR("tv_usec > 1e6: fires after the 5ms one", trace, "0 ");
	evtimer_del(e[4]);

	/* evtimer_assign on a struct event by value */
	evtimer_assign(&st, base, cb, "st");
	EXPECT_INT("evtimer_assign events", st.ev_events, 0);
	EXPECT_INT("evtimer_assign fd", st.ev_fd, -1);
	tv = t_tv_ms(2);
	evtimer_add(&st, &tv);
	trace[0] = 0;
	event_base_dispatch(base);
	EXPECT_STR("assigned timer", trace, "st ");

	/* many timers with distinct deadlines fire in order */
	{
		struct event *m[50];
		char names[50][8];
		char want[512] = "";
		double start;
		for (i = 0; i < 50; i++) {
			int ms = ((i * 37) % 50) + 1; /* a permutation of 1..50 */
			snprintf(names[i], sizeof names[i], "%02d", ms);
			m[i] = evtimer_new(base, cb, names[i]);
		}
		/* deadlines start+1ms .. start+50ms, whatever the adds cost */
		start = t_now_ms();
		for (i = 0; i < 50; i++) {
			int ms = ((i * 37) % 50) + 1;
			long us = (long)((ms - (t_now_ms() - start)) * 1000);
			tv.tv_sec = 0;
			tv.tv_usec = us > 0 ? us : 0;
			evtimer_add(m[i], &tv);
		}
		for (i = 1; i <= 50; i++) {
			char b[8];
			snprintf(b, sizeof b, "%02d ", i);
			strcat(want, b);
		}
		trace[0] = 0;
		event_base_dispatch(base);
		/* timers 1ms apart: a coarse clock (or a slow add) can swap
		 * neighbours by a few ms; check everything ran and the order
		 * is deadline order within 6ms */
		EXPECT_INT("50 timers: length", (int)strlen(trace), (int)strlen(want));
		{
			int sorted = 1, maxv = 0, v;
			char *p = trace;
			while (sscanf(p, "%d", &v) == 1) {
				if (v < maxv - 6)
					sorted = 0;
				if (v > maxv)
					maxv = v;
				p += 3;
			}
			CHECK("50 timers: fired in deadline order (within 6ms)", sorted);
		}
		for (i = 0; i < 50; i++)
			event_free(m[i]);
	}

	for (i = 0; i < 6; i++)
		event_free(e[i]);
	event_base_free(base);
	return t_end();
}

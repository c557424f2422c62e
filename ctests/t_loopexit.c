/* loopexit vs loopbreak vs loopcontinue, got_exit/got_break. */
#include <event2/event.h>
#include "common.h"

static struct event_base *base;
static struct event *ev[8];
static int mode;
static int sv[2] = {-1, -1};
static char trace[128];

enum { M_NONE, M_BREAK, M_EXIT, M_CONTINUE };

static void
tr(const char *s)
{
	strcat(trace, s);
}

/* arg: index; ev 0 performs the "mode" action */
static void
act_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(long)arg;
	char b[4] = {(char)('A' + i), 0};
	(void)fd; (void)what;
	tr(b);
	if (i == 0) {
		if (mode == M_BREAK)
			event_base_loopbreak(base);
		else if (mode == M_EXIT)
			event_base_loopexit(base, NULL);
		else if (mode == M_CONTINUE) {
			/* makes the priority-0 read event E ready: only a new
			 * pass (which polls) can see it */
			t_write1(sv[1]);
			event_base_loopcontinue(base);
		} else if (mode == M_NONE && sv[1] >= 0) {
			t_write1(sv[1]);
		}
	}
	if (i == 4)
		t_drain(fd);
}

static int ticks;
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	ticks++;
}

static void
activate_abc(void)
{
	trace[0] = 0;
	event_active(ev[0], EV_READ, 0);
	event_active(ev[1], EV_READ, 0);
	event_active(ev[2], EV_READ, 0);
}

int
main(void)
{
	struct timeval tv;
	struct event *t10, *t40, *p;
	int i, r;
	double t0, el;

	t_begin("t_loopexit");
	base = event_base_new();
	event_base_priority_init(base, 2);
	for (i = 0; i < 8; i++) {
		ev[i] = event_new(base, -1, 0, act_cb, (void *)(long)i);
		event_priority_set(ev[i], i == 4 ? 0 : 1);
	}

	/* loopbreak: returns right after the running callback; the rest of
	 * the active queue stays active for the next loop */
	mode = M_BREAK;
	activate_abc();
	r = event_base_dispatch(base);
	EXPECT_INT("dispatch after loopbreak in callback", r, 0);
	EXPECT_STR("ran before break", trace, "A");
	EXPECT_INT("got_break", event_base_got_break(base), 1);
	EXPECT_INT("got_exit", event_base_got_exit(base), 0);
	EXPECT_INT("B still active (pending reports res)", event_pending(ev[1], EV_READ, NULL), EV_READ);
	mode = M_NONE;
	trace[0] = 0;
	r = event_base_dispatch(base);
	EXPECT_INT("next dispatch runs the leftovers, returns", r, 1);
	EXPECT_STR("leftovers", trace, "BC");
	EXPECT_INT("got_break cleared by loop entry", event_base_got_break(base), 0);

	/* loopexit(NULL) from a callback: the running pass finishes */
	mode = M_EXIT;
	activate_abc();
	r = event_base_dispatch(base);
	EXPECT_INT("dispatch after loopexit(NULL) in callback", r, 0);
	EXPECT_STR("pass finished", trace, "ABC");
	EXPECT_INT("got_exit", event_base_got_exit(base), 1);
	EXPECT_INT("got_break", event_base_got_break(base), 0);

	/* loopcontinue: ends the pass after this callback; the next pass
	 * polls for I/O and starts again from the highest priority */
	t_pair(sv);
	event_free(ev[4]);
	ev[4] = event_new(base, sv[0], EV_READ, act_cb, (void *)4L);
	event_priority_set(ev[4], 0);
	event_add(ev[4], NULL);
	mode = M_CONTINUE;
	activate_abc();
	r = event_base_dispatch(base);
	EXPECT_INT("dispatch with loopcontinue", r, 1);
	EXPECT_STR("order with loopcontinue", trace, "AEBC");
	/* without loopcontinue the pass runs the whole queue first */
	mode = M_NONE;
	event_add(ev[4], NULL);
	activate_abc();
	event_active(ev[3], EV_READ, 0);
	r = event_base_dispatch(base);
	EXPECT_STR("order without", trace, "ABCDE");
	close(sv[0]);
	close(sv[1]);
	sv[1] = -1;
	EXPECT_INT("loopcontinue outside loop", event_base_loopcontinue(base), 0);

	/* break issued before dispatch is lost */
	EXPECT_INT("loopbreak outside loop", event_base_loopbreak(base), 0);
	EXPECT_INT("got_break set outside loop", event_base_got_break(base), 1);
	t10 = evtimer_new(base, tick_cb, NULL);
	tv = t_tv_ms(10);
	evtimer_add(t10, &tv);
	ticks = 0;
	r = event_base_dispatch(base);
	EXPECT_INT("dispatch after early loopbreak", r, 1);
	EXPECT_INT("  timer ran anyway", ticks, 1);
	EXPECT_INT("  got_break cleared", event_base_got_break(base), 0);

	/* loopexit(NULL) before dispatch is a scheduled event: not lost */
	tv = t_tv_ms(200);
	evtimer_add(t10, &tv);
	ticks = 0;
	EXPECT_INT("loopexit(NULL) outside loop", event_base_loopexit(base, NULL), 0);
	r = event_base_dispatch(base);
	EXPECT_INT("dispatch after early loopexit", r, 0);
	EXPECT_INT("  timer did not run", ticks, 0);
	EXPECT_INT("  got_exit", event_base_got_exit(base), 1);
	evtimer_del(t10);

	/* loopexit(tv): timers due before it run, later ones do not */
	t40 = evtimer_new(base, tick_cb, NULL);
	tv = t_tv_ms(10);
	evtimer_add(t10, &tv);
	tv = t_tv_ms(100);
	evtimer_add(t40, &tv);
	ticks = 0;
	tv = t_tv_ms(30);
	t0 = t_now_ms();
	event_base_loopexit(base, &tv);
	r = event_base_dispatch(base);
	el = t_now_ms() - t0;
	EXPECT_INT("dispatch with loopexit(30ms)", r, 0);
	EXPECT_INT("  timers run", ticks, 1);
	CHECK("  exited after >= 25ms", el >= 25);
	CHECK("  exited before the 100ms timer", el < 100);
	EXPECT_INT("  100ms timer still pending", evtimer_pending(t40, NULL), EV_TIMEOUT);
	EXPECT_INT("  got_exit", event_base_got_exit(base), 1);
	evtimer_del(t40);

	/* a persistent 100ms tick with loopexit(150ms) ticks once (wide
	 * gaps: a slow start under valgrind must not fit a second tick) */
	p = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	tv = t_tv_ms(100);
	event_add(p, &tv);
	ticks = 0;
	tv = t_tv_ms(150);
	event_base_loopexit(base, &tv);
	r = event_base_dispatch(base);
	EXPECT_INT("persistent tick with loopexit", r, 0);
	EXPECT_INT("  ticks", ticks, 1);
	/* the loop can be entered again; got_exit is cleared on entry.  The
	 * tick is due in ~50ms, the new loopexit in 120ms */
	tv = t_tv_ms(120);
	event_base_loopexit(base, &tv);
	ticks = 0;
	r = event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("loop(ONCE) after exit", r, 0);
	EXPECT_INT("  one tick", ticks, 1);
	EXPECT_INT("  got_exit cleared on entry", event_base_got_exit(base), 0);
	event_free(p);
	/* the pending loopexit event is still there */
	r = event_base_dispatch(base);
	EXPECT_INT("dispatch ends via the older loopexit", r, 0);
	EXPECT_INT("  got_exit", event_base_got_exit(base), 1);

	event_free(t10);
	event_free(t40);
	for (i = 0; i < 8; i++)
		event_free(ev[i]);
	event_base_free(base);
	return t_end();
}

/* event_remove_timer, event_del/_block/_noblock. */
#include <event2/event.h>
#include "common.h"

static int calls, last_what;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)arg;
	calls++;
	last_what = what;
	if (what & EV_READ)
		t_drain(fd);
}

int
main(void)
{
	struct event_base *base;
	struct event *e, *t;
	struct timeval tv;
	int sv[2];

	t_begin("t_deltimer");
	base = event_base_new();
	t_pair(sv);

	/* remove the timeout of a read+timeout event: stays pending for read */
	e = event_new(base, sv[0], EV_READ, cb, NULL);
	tv = t_tv_ms(10);
	event_add(e, &tv);
	EXPECT_INT("remove_timer", event_remove_timer(e), 0);
	EXPECT_INT("  pending", event_pending(e, EV_READ | EV_TIMEOUT, NULL), EV_READ);
	t = evtimer_new(base, cb, NULL);
	tv = t_tv_ms(30);
	evtimer_add(t, &tv);
	calls = 0;
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("  loop(ONCE): only the 30ms timer ran, not the old 10ms timeout", calls, 1);
	EXPECT_INT("  with", last_what, EV_TIMEOUT);
	EXPECT_INT("  still pending read", event_pending(e, EV_READ, NULL), EV_READ);
	t_write1(sv[1]);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("  fires on read", calls, 1);
	EXPECT_INT("  with", last_what, EV_READ);

	/* remove the timeout of a pure timer: no longer pending at all */
	tv = t_tv_ms(5);
	evtimer_add(t, &tv);
	EXPECT_INT("remove_timer on timer", event_remove_timer(t), 0);
	EXPECT_INT("  pending", evtimer_pending(t, NULL), 0);
	calls = 0;
	EXPECT_INT("  dispatch on now-empty base", event_base_dispatch(base), 1);
	EXPECT_INT("  calls", calls, 0);
	EXPECT_INT("remove_timer on idle event", event_remove_timer(t), 0);

	/* remove_timer on a persistent event also forgets the interval */
	event_free(e);
	e = event_new(base, sv[0], EV_READ | EV_PERSIST, cb, NULL);
	tv = t_tv_ms(5);
	event_add(e, &tv);
	event_remove_timer(e);
	t_write1(sv[1]);
	calls = 0;
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("persistent after remove_timer: read", calls, 1);
	EXPECT_INT("  not re-armed with a timeout", event_pending(e, EV_TIMEOUT, NULL), 0);
	event_del(e);

	/* event_del variants */
	event_add(e, NULL);
	EXPECT_INT("event_del", event_del(e), 0);
	EXPECT_INT("event_del again", event_del(e), 0);
	event_add(e, NULL);
	EXPECT_INT("event_del_block", event_del_block(e), 0);
	EXPECT_INT("  pending", event_pending(e, EV_READ, NULL), 0);
	event_add(e, NULL);
	EXPECT_INT("event_del_noblock", event_del_noblock(e), 0);
	EXPECT_INT("  pending", event_pending(e, EV_READ, NULL), 0);
	EXPECT_INT("event_del on never-added timer", event_del(t), 0);
	/* del removes an active event from the active queue too */
	event_active(t, EV_TIMEOUT, 0);
	EXPECT_INT("event_del of active", event_del(t), 0);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("  did not run", calls, 0);
	/* del in the middle of a pending timeout, then re-add: fresh timeout */
	tv = t_tv_ms(10);
	evtimer_add(t, &tv);
	event_del(t);
	EXPECT_INT("re-add after del", evtimer_add(t, &tv), 0);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("  ran once", calls, 1);

	event_free(e);
	event_free(t);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

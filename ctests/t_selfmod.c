/* Callbacks that delete, free, re-add or reuse their own event or other
 * events, including events already in the active queue of the same pass. */
#include <stdlib.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "common.h"

static struct event_base *base;
static char trace[256];
static struct event *evs[6];
static struct event embedded; /* reused memory */
static int count;

static void
tr(const char *s)
{
	strcat(trace, s);
}

/* A frees B (already active in this pass); C still runs */
static void
free_other_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(long)arg;
	char b[2] = {(char)('A' + i), 0};
	(void)fd; (void)what;
	tr(b);
	if (i == 0) {
		event_free(evs[1]);
		evs[1] = NULL;
		event_del(evs[2]); /* C: deleted while active */
	}
}

static void
free_self_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	(void)fd; (void)what;
	tr("f");
	event_free(self);
}

static void
readd_self_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	struct timeval tv = t_tv_ms(2);
	(void)fd; (void)what;
	tr("r");
	if (++count < 3)
		evtimer_add(self, &tv);
}

static void
del_self_persist_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;
	(void)what;
	tr("p");
	t_drain(fd);
	if (++count == 2)
		event_del(self);
}

static void second_life_cb(evutil_socket_t fd, short what, void *arg);

static void
first_life_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = t_tv_ms(1);
	(void)fd; (void)what; (void)arg;
	tr("1");
	/* reuse the memory of our own (non-persistent, so deleted) event */
	event_assign(&embedded, base, -1, 0, second_life_cb, (void *)7L);
	event_add(&embedded, &tv);
}

static void
second_life_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	tr(arg == (void *)7L ? "2" : "?");
}

static void
persist_reuse_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = t_tv_ms(1);
	(void)fd; (void)what; (void)arg;
	tr("P");
	/* persistent: delete first, then reuse the memory */
	event_del(&embedded);
	event_assign(&embedded, base, -1, 0, second_life_cb, (void *)7L);
	event_add(&embedded, &tv);
}

/* reactivate self once: goes to the tail of the same queue */
static void
reactivate_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(long)arg;
	char b[2] = {(char)('A' + i), 0};
	(void)fd; (void)what;
	tr(b);
	if (i == 0 && count++ == 0)
		event_active(evs[0], EV_READ, 0);
}

/* frees everything, including itself, with others still queued */
static void
free_all_cb(evutil_socket_t fd, short what, void *arg)
{
	int i;
	(void)fd; (void)what; (void)arg;
	tr("X");
	for (i = 0; i < 4; i++) {
		event_free(evs[i]);
		evs[i] = NULL;
	}
}

/* timer callback deletes a pending timer that expires in the same pass */
static void
del_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	tr(arg == NULL ? "T" : "U");
	if (arg == NULL)
		event_del(evs[1]);
}

/* what a rewritten pending event runs: the callback and argument its
 * struct holds when it runs (1.4-era programs write ev_arg directly) */
static void
rewritten_cb(evutil_socket_t fd, short what, void *arg)
{
	char b[2] = {(char)('a' + (int)(long)arg), 0};
	(void)what;
	tr(b);
	if (fd >= 0)
		t_drain(fd);
}

int
main(void)
{
	int sv[2], i;
	struct timeval tv;

	t_begin("t_selfmod");
	base = event_base_new();
	t_pair(sv);

	/* free/del of other events that are already active */
	trace[0] = 0;
	for (i = 0; i < 4; i++)
		evs[i] = event_new(base, -1, 0, free_other_cb, (void *)(long)i);
	for (i = 0; i < 4; i++)
		event_active(evs[i], EV_READ, 0);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_STR("A frees active B, deletes active C", trace, "AD");
	EXPECT_INT("C not pending after del", event_pending(evs[2], EV_READ | EV_TIMEOUT, NULL), 0);
	for (i = 0; i < 4; i++)
		if (evs[i])
			event_free(evs[i]);

	/* a callback frees its own event: timer, I/O, persistent I/O */
	trace[0] = 0;
	evs[0] = evtimer_new(base, free_self_cb, event_self_cbarg());
	tv = t_tv_ms(1);
	evtimer_add(evs[0], &tv);
	evs[1] = event_new(base, sv[0], EV_WRITE, free_self_cb, event_self_cbarg());
	event_add(evs[1], NULL);
	evs[2] = event_new(base, sv[0], EV_WRITE | EV_PERSIST, free_self_cb, event_self_cbarg());
	tv = t_tv_ms(100);
	event_add(evs[2], &tv);
	EXPECT_INT("dispatch with self-freeing events", event_base_dispatch(base), 1);
	EXPECT_STR("each ran once", trace, "fff");

	/* a non-persistent timer re-adds itself from its callback */
	trace[0] = 0;
	count = 0;
	evs[0] = evtimer_new(base, readd_self_cb, event_self_cbarg());
	tv = t_tv_ms(2);
	evtimer_add(evs[0], &tv);
	event_base_dispatch(base);
	EXPECT_STR("re-added timer ran 3 times", trace, "rrr");
	event_free(evs[0]);

	/* a persistent read deletes itself */
	trace[0] = 0;
	count = 0;
	evs[0] = event_new(base, sv[0], EV_READ | EV_PERSIST, del_self_persist_cb, event_self_cbarg());
	event_add(evs[0], NULL);
	t_write1(sv[1]);
	event_base_loop(base, EVLOOP_ONCE);
	t_write1(sv[1]);
	event_base_loop(base, EVLOOP_ONCE);
	t_write1(sv[1]);
	EXPECT_INT("persistent read after self-delete: dispatch", event_base_dispatch(base), 1);
	EXPECT_STR("ran twice", trace, "pp");
	t_drain(sv[0]);
	event_free(evs[0]);

	/* a callback reuses its own struct event memory */
	trace[0] = 0;
	memset(&embedded, 0, sizeof embedded);
	event_assign(&embedded, base, -1, 0, first_life_cb, NULL);
	tv = t_tv_ms(1);
	event_add(&embedded, &tv);
	event_base_dispatch(base);
	EXPECT_STR("non-persistent reassigned in callback", trace, "12");
	trace[0] = 0;
	event_assign(&embedded, base, sv[0], EV_WRITE | EV_PERSIST, persist_reuse_cb, NULL);
	event_add(&embedded, NULL);
	event_base_dispatch(base);
	EXPECT_STR("persistent deleted+reassigned in callback", trace, "P2");

	/* an event that activates itself again goes to the queue's tail */
	trace[0] = 0;
	count = 0;
	for (i = 0; i < 3; i++) {
		evs[i] = event_new(base, -1, 0, reactivate_cb, (void *)(long)i);
		event_active(evs[i], EV_READ, 0);
	}
	event_base_dispatch(base);
	EXPECT_STR("self-reactivation order", trace, "ABCA");
	for (i = 0; i < 3; i++)
		event_free(evs[i]);

	/* one callback frees every event, itself included */
	trace[0] = 0;
	for (i = 0; i < 4; i++) {
		evs[i] = event_new(base, -1, 0, free_all_cb, NULL);
		event_active(evs[i], EV_READ, 0);
	}
	EXPECT_INT("dispatch after free-all", event_base_dispatch(base), 1);
	EXPECT_STR("only the first ran", trace, "X");

	/* two timers due in the same pass: the first deletes the second */
	trace[0] = 0;
	evs[0] = evtimer_new(base, del_timer_cb, NULL);
	evs[1] = evtimer_new(base, del_timer_cb, (void *)1L);
	tv = t_tv_ms(5);
	evtimer_add(evs[0], &tv);
	tv = t_tv_ms(6);
	evtimer_add(evs[1], &tv);
	t_sleep_ms(15); /* both expired before the loop looks */
	event_base_dispatch(base);
	EXPECT_STR("expired timer deleted by an earlier one", trace, "T");
	event_free(evs[0]);
	event_free(evs[1]);

	/* fields rewritten while pending: a timer, and a registered read */
	trace[0] = 0;
	evs[0] = evtimer_new(base, del_timer_cb, NULL);
	evs[1] = event_new(base, sv[0], EV_READ, del_timer_cb, NULL);
	tv = t_tv_ms(2);
	evtimer_add(evs[0], &tv);
	event_add(evs[1], NULL);
	evs[0]->ev_evcallback.evcb_cb_union.evcb_callback = rewritten_cb;
	evs[0]->ev_evcallback.evcb_arg = (void *)1L;
	evs[1]->ev_evcallback.evcb_cb_union.evcb_callback = rewritten_cb;
	evs[1]->ev_evcallback.evcb_arg = (void *)2L;
	t_write1(sv[1]);
	event_base_dispatch(base);
	EXPECT_STR("rewritten callback and argument run", trace, "cb");
	event_free(evs[0]);
	event_free(evs[1]);

	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

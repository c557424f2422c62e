/* libevent 1.4 style program: <event.h>, the implicit current base, and
 * the evtimer_/timeout_/signal_/evsignal_ macros. */
#include <sys/types.h>
#include <signal.h>
#include <event.h>
#include "common.h"

/* 2.x exports the 1.4 current_base under this name (not in headers) */
extern struct event_base *event_global_current_base_;

static struct event ev_rd, ev_tm, ev_to, ev_sig, ev_sig2;
static char trace[256];
static int sv[2];

static void
cb(int fd, short what, void *arg)
{
	char b[64];
	snprintf(b, sizeof b, "%s:%d ", (const char *)arg, what);
	strcat(trace, b);
	if (what & EV_READ)
		t_drain(fd);
}

static void
loopbreak_cb(int fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	strcat(trace, "brk ");
	event_loopbreak();
}

int
main(void)
{
	struct event_base *base, *other;
	struct timeval tv;
	const char *m;

	t_begin("t_compat14");
	base = event_init();
	CHECK("event_init returns a base", base != NULL);
	CHECK("current base is it", event_global_current_base_ == base);
	m = event_get_method();
	CHECK("event_get_method matches the base", m && strcmp(m, event_base_get_method(base)) == 0);
	EXPECT_INT("event_dispatch on empty", event_dispatch(), 1);
	EXPECT_INT("event_loop(EVLOOP_NONBLOCK) on empty", event_loop(EVLOOP_NONBLOCK), 1);
	t_pair(sv);

	/* event_set without event_base_set uses the current base */
	event_set(&ev_rd, sv[0], EV_READ, cb, "rd");
	CHECK("event_set: ev_base is current", ev_rd.ev_base == base);
	CHECK("EVENT_FD", EVENT_FD(&ev_rd) == sv[0]);
	EXPECT_INT("event_add", event_add(&ev_rd, NULL), 0);
	t_write1(sv[1]);

	evtimer_set(&ev_tm, cb, "tm");
	EXPECT_INT("evtimer_initialized", evtimer_initialized(&ev_tm), 1);
	tv = t_tv_ms(5);
	evtimer_add(&ev_tm, &tv);
	EXPECT_INT("evtimer_pending", evtimer_pending(&ev_tm, NULL), EV_TIMEOUT);

	timeout_set(&ev_to, cb, "to");
	EXPECT_INT("timeout_initialized", timeout_initialized(&ev_to), 1);
	tv = t_tv_ms(15);
	timeout_add(&ev_to, &tv);
	EXPECT_INT("timeout_pending", timeout_pending(&ev_to, NULL), EV_TIMEOUT);

	trace[0] = 0;
	EXPECT_INT("event_dispatch", event_dispatch(), 1);
	EXPECT_STR("order", trace, "rd:2 tm:1 to:1 ");

	/* timeout_del / evtimer_del */
	timeout_add(&ev_to, &tv);
	timeout_del(&ev_to);
	EXPECT_INT("timeout_del", timeout_pending(&ev_to, NULL), 0);
	evtimer_add(&ev_tm, &tv);
	evtimer_del(&ev_tm);
	EXPECT_INT("evtimer_del", evtimer_pending(&ev_tm, NULL), 0);

	/* signal_* and evsignal_* */
	signal_set(&ev_sig, SIGUSR1, cb, "sig");
	EXPECT_INT("signal_initialized", signal_initialized(&ev_sig), 1);
	EXPECT_INT("EVENT_SIGNAL", EVENT_SIGNAL(&ev_sig), SIGUSR1);
	EXPECT_INT("signal events", ev_sig.ev_events, EV_SIGNAL | EV_PERSIST);
	signal_add(&ev_sig, NULL);
	EXPECT_INT("signal_pending", signal_pending(&ev_sig, NULL), EV_SIGNAL);
	evsignal_set(&ev_sig2, SIGUSR2, cb, "sig2");
	evsignal_add(&ev_sig2, NULL);
	EXPECT_INT("evsignal_pending", evsignal_pending(&ev_sig2, NULL), EV_SIGNAL);
	raise(SIGUSR1);
	trace[0] = 0;
	EXPECT_INT("event_loop(EVLOOP_ONCE)", event_loop(EVLOOP_ONCE), 0);
	EXPECT_STR("signal delivered", trace, "sig:8 ");
	signal_del(&ev_sig);
	EXPECT_INT("signal_del", signal_pending(&ev_sig, NULL), 0);
	evsignal_del(&ev_sig2);
	EXPECT_INT("evsignal_del", evsignal_pending(&ev_sig2, NULL), 0);

	/* event_loopexit / event_loopbreak */
	tv = t_tv_ms(10);
	EXPECT_INT("event_loopexit", event_loopexit(&tv), 0);
	timeout_set(&ev_to, cb, "to");
	tv = t_tv_ms(500);
	timeout_add(&ev_to, &tv);
	trace[0] = 0;
	EXPECT_INT("event_dispatch with loopexit", event_dispatch(), 0);
	EXPECT_STR("timeout did not run", trace, "");
	EXPECT_INT("got_exit", event_base_got_exit(base), 1);
	evtimer_set(&ev_tm, loopbreak_cb, NULL);
	tv = t_tv_ms(1);
	evtimer_add(&ev_tm, &tv);
	EXPECT_INT("event_dispatch with loopbreak", event_dispatch(), 0);
	EXPECT_STR("loopbreak ran", trace, "brk ");
	EXPECT_INT("got_break", event_base_got_break(base), 1);
	timeout_del(&ev_to);

	/* event_base_set moves an initialized event to another base */
	other = event_base_new();
	event_set(&ev_rd, sv[0], EV_READ, cb, "other");
	EXPECT_INT("event_base_set", event_base_set(other, &ev_rd), 0);
	CHECK("ev_base now other", ev_rd.ev_base == other);
	event_add(&ev_rd, NULL);
	EXPECT_INT("event_base_set on pending event", event_base_set(base, &ev_rd), -1);
	t_write1(sv[1]);
	trace[0] = 0;
	EXPECT_INT("event_dispatch (current base has nothing)", event_dispatch(), 1);
	EXPECT_STR("nothing ran", trace, "");
	event_base_dispatch(other);
	EXPECT_STR("ran on the other base", trace, "other:2 ");
	event_base_free(other);
	CHECK("freeing another base keeps current", event_global_current_base_ == base);

	/* ... and any other list: a timer, or an event only made active */
	{
		struct event t;
		struct timeval ms = t_tv_ms(50);
		evtimer_set(&t, cb, "t");
		EXPECT_INT("event_base_set on a timer not added", event_base_set(base, &t), 0);
		evtimer_add(&t, &ms);
		EXPECT_INT("event_base_set on a pending timer", event_base_set(base, &t), -1);
		evtimer_del(&t);
		EXPECT_INT("event_base_set after evtimer_del", event_base_set(base, &t), 0);
		event_active(&t, EV_TIMEOUT, 1);
		EXPECT_INT("event_base_set on an active event", event_base_set(base, &t), -1);
		trace[0] = 0;
		event_base_loop(base, EVLOOP_NONBLOCK);
		EXPECT_STR("the active event ran", trace, "t:1 ");
		EXPECT_INT("event_base_set once it ran", event_base_set(base, &t), 0);
	}

	/* a second event_init replaces the current base */
	{
		struct event_base *b2 = event_init();
		CHECK("second event_init becomes current", event_global_current_base_ == b2 && b2 != base);
		event_base_free(b2);
		CHECK("freeing the current base clears it", event_global_current_base_ == NULL);
	}
	event_base_free(base);

	/* event_base_free(NULL) frees the current base */
	event_init();
	event_base_free(NULL);
	CHECK("event_base_free(NULL) frees the current base", event_global_current_base_ == NULL);
	event_base_free(NULL); /* nothing to free: a warning, no crash */
	printf("ok event_base_free(NULL) without a current base\n");

	close(sv[0]);
	close(sv[1]);
	return t_end();
}

/* event_pending with timeval output, event_initialized, accessors,
 * event_get_assignment, event_self_cbarg. */
#include <signal.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>
#include "common.h"

static void *seen_arg;
static struct event *seen_running;
static struct event_base *base;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	seen_arg = arg;
	seen_running = event_base_get_running_event(base);
}

static int n_warn;
static void
count_log(int sev, const char *msg)
{
	(void)msg;
	if (sev == EVENT_LOG_WARN)
		n_warn++;
}

static double
tv_ms(const struct timeval *tv)
{
	return tv->tv_sec * 1000.0 + tv->tv_usec / 1000.0;
}

int
main(void)
{
	struct event zero, *e, *s;
	struct event_base *b_out;
	evutil_socket_t fd_out;
	short ev_out;
	event_callback_fn cb_out;
	void *arg_out;
	struct timeval tv, out, now;
	int sv[2];
	double d;

	t_begin("t_pending");
	base = event_base_new();
	t_pair(sv);

	memset(&zero, 0, sizeof zero);
	EXPECT_INT("event_initialized on zeroed memory", event_initialized(&zero), 0);
	/* a zeroed event has no base: calls fail cleanly, with a warning */
	event_set_log_callback(count_log);
	EXPECT_INT("event_add on zeroed event", event_add(&zero, NULL), -1);
	EXPECT_INT("event_del on zeroed event", event_del(&zero), -1);
	EXPECT_INT("event_pending on zeroed event", event_pending(&zero, EV_READ | EV_TIMEOUT, NULL), 0);
	EXPECT_INT("event_remove_timer on zeroed event", event_remove_timer(&zero), -1);
	EXPECT_INT("  warnings", n_warn, 4);
	event_set_log_callback(NULL);
	event_assign(&zero, base, -1, 0, cb, NULL);
	EXPECT_INT("event_initialized after assign", event_initialized(&zero), 1);

	/* accessors */
	e = event_new(base, sv[0], EV_READ | EV_PERSIST | EV_ET, cb, &zero);
	CHECK("event_get_fd", event_get_fd(e) == sv[0]);
	CHECK("event_get_base", event_get_base(e) == base);
	EXPECT_INT("event_get_events", event_get_events(e), EV_READ | EV_PERSIST | EV_ET);
	CHECK("event_get_callback", event_get_callback(e) == cb);
	CHECK("event_get_callback_arg", event_get_callback_arg(e) == &zero);
	EXPECT_INT("event_get_priority", event_get_priority(e), 0);
	EXPECT_INT("event_initialized(event_new)", event_initialized(e), 1);
	b_out = NULL; fd_out = -7; ev_out = 0; cb_out = NULL; arg_out = NULL;
	event_get_assignment(e, &b_out, &fd_out, &ev_out, &cb_out, &arg_out);
	CHECK("assignment base", b_out == base);
	CHECK("assignment fd", fd_out == sv[0]);
	EXPECT_INT("assignment events", ev_out, EV_READ | EV_PERSIST | EV_ET);
	CHECK("assignment callback", cb_out == cb);
	CHECK("assignment arg", arg_out == &zero);
	event_get_assignment(e, NULL, NULL, &ev_out, NULL, NULL);
	EXPECT_INT("assignment with NULL outputs", ev_out, EV_READ | EV_PERSIST | EV_ET);

	/* signal accessors */
	s = evsignal_new(base, SIGUSR1, cb, NULL);
	EXPECT_INT("evsignal events", event_get_events(s), EV_SIGNAL | EV_PERSIST);
	EXPECT_INT("event_get_signal", event_get_signal(s), SIGUSR1);
	EXPECT_INT("signal fd", event_get_fd(s), SIGUSR1);

	/* event_pending */
	EXPECT_INT("pending before add", event_pending(e, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, NULL), 0);
	tv = t_tv_ms(300);
	event_add(e, &tv);
	EXPECT_INT("pending READ", event_pending(e, EV_READ, NULL), EV_READ);
	EXPECT_INT("pending WRITE", event_pending(e, EV_WRITE, NULL), 0);
	EXPECT_INT("pending TIMEOUT", event_pending(e, EV_TIMEOUT, NULL), EV_TIMEOUT);
	EXPECT_INT("pending all", event_pending(e, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, NULL), EV_READ | EV_TIMEOUT);
	EXPECT_INT("pending 0 mask", event_pending(e, 0, NULL), 0);
	EXPECT_INT("pending with PERSIST|ET in mask", event_pending(e, EV_PERSIST | EV_ET, NULL), 0);
	out.tv_sec = 12345; out.tv_usec = 0;
	EXPECT_INT("pending with tv", event_pending(e, EV_READ | EV_TIMEOUT, &out), EV_READ | EV_TIMEOUT);
	gettimeofday(&now, NULL);
	d = tv_ms(&out) - tv_ms(&now);
	/* the expiry is reported as a wall-clock time */
	/* a slow machine (valgrind, load) may spend a while between add and here */
	CHECK("tv is the wall-clock expiry (now+300ms, up to 150ms earlier)", d > 150 && d <= 340);
	out.tv_sec = 12345; out.tv_usec = 0;
	event_pending(e, EV_READ, &out);
	CHECK("tv untouched when TIMEOUT not asked", out.tv_sec == 12345);
	event_del(e);
	event_add(e, NULL);
	out.tv_sec = 12345; out.tv_usec = 0;
	EXPECT_INT("pending no timeout", event_pending(e, EV_READ | EV_TIMEOUT, &out), EV_READ);
	CHECK("tv untouched without timeout", out.tv_sec == 12345);
	event_del(e);
	EXPECT_INT("pending after del", event_pending(e, EV_READ | EV_TIMEOUT, NULL), 0);

	evsignal_add(s, NULL);
	EXPECT_INT("signal pending", evsignal_pending(s, NULL), EV_SIGNAL);
	EXPECT_INT("signal pending READ", event_pending(s, EV_READ, NULL), 0);
	evsignal_del(s);
	EXPECT_INT("signal pending after del", evsignal_pending(s, NULL), 0);

	/* timer pending with a long timeout */
	tv.tv_sec = 3600;
	tv.tv_usec = 0;
	evtimer_add(&zero, &tv);
	EXPECT_INT("evtimer_pending", evtimer_pending(&zero, &out), EV_TIMEOUT);
	gettimeofday(&now, NULL);
	d = tv_ms(&out) - tv_ms(&now);
	CHECK("1h timer expiry in wall-clock (within 100ms)", d > 3600000 - 100 && d <= 3600000 + 100);
	evtimer_del(&zero);

	/* event_self_cbarg */
	event_free(e);
	e = event_new(base, -1, 0, cb, event_self_cbarg());
	CHECK("event_self_cbarg: get_callback_arg is the event", event_get_callback_arg(e) == e);
	event_active(e, EV_READ, 0);
	seen_arg = NULL;
	seen_running = NULL;
	event_base_dispatch(base);
	CHECK("event_self_cbarg: callback arg is the event", seen_arg == e);
	CHECK("running event in callback is the event", seen_running == e);
	/* (libevent 2.1.12 crashes on event_base_get_running_event outside
	 * the loop: that case lives in librel_only/null_args.c) */
	event_assign(&zero, base, -1, 0, cb, event_self_cbarg());
	CHECK("event_self_cbarg with event_assign", event_get_callback_arg(&zero) == &zero);
	CHECK("event_self_cbarg is stable", event_self_cbarg() == event_self_cbarg());

	event_free(e);
	event_free(s);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

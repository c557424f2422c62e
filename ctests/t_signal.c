/* Signal events: delivery, callback arguments, persistence, several
 * events per signal, timeouts on signal events, handler restoration. */
#include <signal.h>
#include <sys/types.h>
#include <event2/event.h>
#include "common.h"

static struct event_base *base;
static int n_usr1, n_usr1b, n_usr2, n_hup, bad_args, last_what;
static volatile sig_atomic_t prev_handler_hits;

static void
sig_cb(evutil_socket_t fd, short what, void *arg)
{
	int *counter = arg;
	(*counter)++;
	last_what = what;
	if (counter == &n_usr1 || counter == &n_usr1b) {
		if (fd != SIGUSR1 || what != EV_SIGNAL)
			bad_args++;
	} else if (counter == &n_usr2) {
		if (fd != SIGUSR2 || what != EV_SIGNAL)
			bad_args++;
	}
}

static void
raise_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	kill(getpid(), (int)(long)arg);
}

static int quiet_warns;
static void
quiet_log(int sev, const char *msg)
{
	(void)msg;
	if (sev == EVENT_LOG_WARN)
		quiet_warns++;
}

static void
prev_handler(int sig)
{
	(void)sig;
	prev_handler_hits++;
}

static void (*current_handler(int sig))(int)
{
	struct sigaction sa;
	sigaction(sig, NULL, &sa);
	return sa.sa_handler;
}

int
main(void)
{
	struct event *s1, *s1b, *s2, *t, *h;
	struct timeval tv;
	struct sigaction sa;

	t_begin("t_signal");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = prev_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	base = event_base_new();

	/* EV_SIGNAL cannot be combined with I/O flags */
	{
		struct event *bad;
		event_set_log_callback(quiet_log);
		bad = event_new(base, SIGUSR1, EV_SIGNAL | EV_READ, sig_cb, &n_usr1);
		CHECK("event_new(EV_SIGNAL|EV_READ) fails", bad == NULL);
		EXPECT_INT("  and logs a warning", quiet_warns, 1);
		event_set_log_callback(NULL);
	}

	/* persistent signal event, raise() before dispatch */
	s1 = evsignal_new(base, SIGUSR1, sig_cb, &n_usr1);
	EXPECT_INT("evsignal_add", evsignal_add(s1, NULL), 0);
	CHECK("handler replaced while added", current_handler(SIGUSR1) != prev_handler);
	raise(SIGUSR1);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("delivered once", n_usr1, 1);
	EXPECT_INT("fd==signo and what==EV_SIGNAL", bad_args, 0);
	EXPECT_INT("still pending (persistent)", evsignal_pending(s1, NULL), EV_SIGNAL);
	EXPECT_INT("previous handler not called", prev_handler_hits, 0);

	/* raised twice before the loop looks: at least one callback */
	n_usr1 = 0;
	raise(SIGUSR1);
	raise(SIGUSR1);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK("two raises -> >= 1 callback", n_usr1 >= 1 && n_usr1 <= 2);

	/* kill() from a timer callback while the loop is running */
	n_usr1 = 0;
	t = evtimer_new(base, raise_cb, (void *)(long)SIGUSR1);
	tv = t_tv_ms(5);
	evtimer_add(t, &tv);
	event_base_loop(base, EVLOOP_ONCE); /* the timer */
	if (n_usr1 == 0)
		event_base_loop(base, EVLOOP_ONCE); /* the signal */
	EXPECT_INT("signal raised inside the loop delivered", n_usr1, 1);

	/* two events on the same signal both run */
	n_usr1 = n_usr1b = 0;
	s1b = evsignal_new(base, SIGUSR1, sig_cb, &n_usr1b);
	evsignal_add(s1b, NULL);
	raise(SIGUSR1);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("both events: first", n_usr1, 1);
	EXPECT_INT("both events: second", n_usr1b, 1);
	EXPECT_INT("args", bad_args, 0);

	/* non-persistent signal event fires once */
	s2 = event_new(base, SIGUSR2, EV_SIGNAL, sig_cb, &n_usr2);
	event_add(s2, NULL);
	raise(SIGUSR2);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("non-persistent signal", n_usr2, 1);
	EXPECT_INT("  no longer pending", event_pending(s2, EV_SIGNAL, NULL), 0);
	/* its handler is restored once no event for SIGUSR2 remains */
	CHECK("SIGUSR2 handler restored after the one-shot", current_handler(SIGUSR2) == prev_handler);
	raise(SIGUSR2);
	EXPECT_INT("  restored handler runs", prev_handler_hits, 1);

	/* signal event with a timeout and no signal: EV_TIMEOUT */
	h = event_new(base, SIGHUP, EV_SIGNAL, sig_cb, &n_hup);
	tv = t_tv_ms(10);
	event_add(h, &tv);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("signal event timeout", n_hup, 1);
	EXPECT_INT("  what", last_what, EV_TIMEOUT);
	CHECK("SIGHUP handler back to default", current_handler(SIGHUP) == SIG_DFL);

	/* deleting the last event restores the previous handler */
	evsignal_del(s1);
	CHECK("one of two deleted: handler still libevent's", current_handler(SIGUSR1) != prev_handler);
	evsignal_del(s1b);
	CHECK("last deleted: previous handler restored", current_handler(SIGUSR1) == prev_handler);
	raise(SIGUSR1);
	EXPECT_INT("previous handler runs", prev_handler_hits, 2);
	n_usr1 = 0;
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("deleted events do not run", n_usr1, 0);

	/* re-add: handled by libevent again; event_free also restores */
	evsignal_add(s1, NULL);
	raise(SIGUSR1);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("re-added event runs", n_usr1, 1);
	EXPECT_INT("previous handler untouched", prev_handler_hits, 2);
	event_free(s1);
	event_free(s1b);
	CHECK("after event_free: previous handler restored", current_handler(SIGUSR1) == prev_handler);

	/* a base with only a signal event keeps dispatch running until the
	 * signal arrives; loop ends when it is deleted from the callback */
	s1 = evsignal_new(base, SIGUSR1, sig_cb, &n_usr1);
	evsignal_add(s1, NULL);
	tv = t_tv_ms(10);
	evtimer_add(t, &tv);
	n_usr1 = 0;
	event_base_loop(base, EVLOOP_ONCE);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("signal from timer", n_usr1, 1);
	event_free(s1);
	EXPECT_INT("dispatch after all freed", event_base_dispatch(base), 1);

	event_free(t);
	event_free(s2);
	event_free(h);
	event_base_free(base);
	CHECK("after base free: SIGUSR1 handler is the program's", current_handler(SIGUSR1) == prev_handler);
	return t_end();
}

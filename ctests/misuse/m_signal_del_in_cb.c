/* Regression (librel bug, found by the model test): a non-persistent
 * signal event that arrived N times has its callback called N times; if
 * the callback deletes or frees the event, the remaining calls must not
 * happen (libevent: event_del aborts the ncalls loop).  librel kept calling
 * it: after event_free, on freed memory. */
#include "misuse.h"

static int calls;

static void
free_self_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	calls++;
	event_free(arg);	/* arg is the event itself */
}

static void
del_self_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	calls++;
	event_del(arg);
}

static void
run(event_callback_fn cb, int persist)
{
	struct event_base *b = m_base();
	struct event *ev = event_new(b, SIGUSR1, EV_SIGNAL | (persist ? EV_PERSIST : 0), cb,
	    event_self_cbarg());
	calls = 0;
	event_add(ev, NULL);
	raise(SIGUSR1);
	raise(SIGUSR1);
	raise(SIGUSR1);
	event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	OBS("callback ran %d times", calls);
	CHECK(calls == 1, "callback ran %d times after deleting its event, want 1", calls);
	if (cb == del_self_cb)
		event_free(ev);
	event_base_free(b);
}

static void free_nonpersist(void) { run(free_self_cb, 0); }
static void del_nonpersist(void) { run(del_self_cb, 0); }
static void free_persist(void) { run(free_self_cb, 1); }
static void del_persist(void) { run(del_self_cb, 1); }

int
main(void)
{
	m_begin("m_signal_del_in_cb");
	m_case("non-persistent signal x3, callback frees its event", "callback runs once", free_nonpersist);
	m_case("non-persistent signal x3, callback deletes its event", "callback runs once", del_nonpersist);
	m_case("persistent signal x3, callback frees its event", "callback runs once", free_persist);
	m_case("persistent signal x3, callback deletes its event", "callback runs once", del_persist);
	return m_end();
}

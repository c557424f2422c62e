/* Cross-thread wake-ups with evthread_use_pthreads(): another thread
 * calls event_active, event_add of a timer, loopbreak, loopexit and
 * event_del on a base blocked in (or running) dispatch. */
#include <pthread.h>
#include <event2/event.h>
#include <event2/thread.h>
#include "common.h"

static struct event_base *base;
static struct event *user, *timer, *slow, *keepalive;
static int fired_user, fired_timer, slow_done;
static double t_del_returned, t_slow_finished;

static void
user_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)arg;
	fired_user = what;
	event_base_loopbreak(base);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	fired_timer++;
	event_base_loopbreak(base);
}

static void
slow_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	t_sleep_ms(60);
	t_slow_finished = t_now_ms();
	slow_done = 1;
}

static void
nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

static void *
th_active(void *arg)
{
	(void)arg;
	t_sleep_ms(20);
	event_active(user, EV_READ, 0);
	return NULL;
}

static void *
th_add_timer(void *arg)
{
	struct timeval tv = t_tv_ms(5);
	(void)arg;
	t_sleep_ms(20);
	event_add(timer, &tv);
	return NULL;
}

static void *
th_break(void *arg)
{
	(void)arg;
	t_sleep_ms(20);
	event_base_loopbreak(base);
	return NULL;
}

static void *
th_exit(void *arg)
{
	struct timeval tv = t_tv_ms(10);
	(void)arg;
	t_sleep_ms(20);
	event_base_loopexit(base, &tv);
	return NULL;
}

static void *
th_del(void *arg)
{
	(void)arg;
	t_sleep_ms(20); /* slow_cb is running by now */
	event_del(slow);
	t_del_returned = t_now_ms();
	return NULL;
}

static void *
th_del_noblock(void *arg)
{
	(void)arg;
	t_sleep_ms(20);
	event_del_noblock(slow);
	t_del_returned = t_now_ms();
	return NULL;
}

static int
run_with(void *(*fn)(void *), int flags, double *elapsed)
{
	pthread_t th;
	double t0 = t_now_ms();
	int r;
	pthread_create(&th, NULL, fn, NULL);
	r = event_base_loop(base, flags);
	*elapsed = t_now_ms() - t0;
	pthread_join(th, NULL);
	return r;
}

int
main(void)
{
	struct timeval tv;
	double el;
	int r;

#ifdef THREADS_WITHOUT_EVTHREAD
	/* librel_only/threads_nouse.c: librel is thread-safe by default */
	t_begin("threads_nouse");
	base = event_base_new();
#else
	t_begin("t_threads");
	EXPECT_INT("evthread_use_pthreads", evthread_use_pthreads(), 0);
	base = event_base_new();
	EXPECT_INT("evthread_make_base_notifiable", evthread_make_base_notifiable(base), 0);
#endif
	user = event_new(base, -1, 0, user_cb, NULL);
	timer = evtimer_new(base, timer_cb, NULL);
	keepalive = evtimer_new(base, nothing_cb, NULL);
	tv = t_tv_ms(10000);
	evtimer_add(keepalive, &tv);

	r = run_with(th_active, 0, &el);
	EXPECT_INT("event_active from a thread: dispatch", r, 0);
	EXPECT_INT("  callback what", fired_user, EV_READ);
	CHECK("  woke up promptly (< 2s)", el < 2000);
	CHECK("  not before the thread acted", el >= 15);

	r = run_with(th_add_timer, 0, &el);
	EXPECT_INT("event_add(timer) from a thread: dispatch", r, 0);
	EXPECT_INT("  timer fired", fired_timer, 1);
	CHECK("  woke up promptly (< 2s)", el < 2000);

	r = run_with(th_break, 0, &el);
	EXPECT_INT("loopbreak from a thread: dispatch", r, 0);
	EXPECT_INT("  got_break", event_base_got_break(base), 1);
	CHECK("  woke up promptly (< 2s)", el < 2000);

	r = run_with(th_exit, 0, &el);
	EXPECT_INT("loopexit(10ms) from a thread: dispatch", r, 0);
	EXPECT_INT("  got_exit", event_base_got_exit(base), 1);
	CHECK("  woke up promptly (< 2s)", el < 2000);
	CHECK("  not before the exit timeout", el >= 22);

	/* an empty base kept alive by NO_EXIT_ON_EMPTY, broken from a thread */
	evtimer_del(keepalive);
	r = run_with(th_break, EVLOOP_NO_EXIT_ON_EMPTY, &el);
	EXPECT_INT("NO_EXIT_ON_EMPTY on empty base, loopbreak from a thread", r, 0);
	CHECK("  stayed in the loop until the break (>= 15ms)", el >= 15);
	CHECK("  woke up promptly (< 2s)", el < 2000);

	/* event_del from another thread waits for the running callback */
	slow = event_new(base, -1, 0, slow_cb, NULL);
	event_active(slow, EV_READ, 0);
	r = run_with(th_del, 0, &el);
	EXPECT_INT("event_del while the callback runs: dispatch", r, 1);
	EXPECT_INT("  callback finished", slow_done, 1);
	CHECK("  event_del returned after the callback finished", t_del_returned >= t_slow_finished);

	/* event_del_noblock does not wait */
	slow_done = 0;
	event_active(slow, EV_READ, 0);
	r = run_with(th_del_noblock, 0, &el);
	EXPECT_INT("event_del_noblock while the callback runs: dispatch", r, 1);
	CHECK("  event_del_noblock returned before the callback finished", t_del_returned < t_slow_finished);

	event_free(user);
	event_free(timer);
	event_free(slow);
	event_free(keepalive);
	event_base_free(base);
	return t_end();
}

/* Non-persistent events the 1.4 way: re-added from their callbacks, dropped
 * between their report and their run, closed in their callbacks while a
 * dup keeps the socket open, and fds whose numbers come back. (librel's
 * epoll backend registers a lone non-persistent event one-shot; each case
 * here is one its bookkeeping must get right.) */
#include <sys/resource.h>

#include <event.h>
#include "common.h"

static struct event_base *base;
static int calls[4];

static void
count(int fd, short what, void *arg)
{
	(void)fd; (void)what;
	calls[(int)(long)arg]++;
}

/* Ping-pong: each side reads its byte and answers, re-registering itself
 * with event_set + event_base_set + event_add. */
static int sv[2], rounds;
static struct event ping[2];

static void
pong(int fd, short what, void *arg)
{
	int side = (int)(long)arg;
	(void)what;
	if (t_drain(fd) != 1)
		SAY("FAIL pong read");
	rounds++;
	if (rounds < 200)
		t_write1(fd);
	event_set(&ping[side], fd, EV_READ, pong, arg);
	event_base_set(base, &ping[side]);
	event_add(&ping[side], NULL);
}

/* One pass of the loop that does not block. */
static void
pass(void)
{
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* CPU time of the process, in ms. */
static double
cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	    ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

/* Runs the loop for 60 ms of nothing but a timer: whether it slept
 * (a registration reporting forever would make it spin). */
static int
idles_quietly(void)
{
	struct event t;
	struct timeval tv = t_tv_ms(60);
	double c0 = cpu_ms();
	evtimer_set(&t, count, (void *)3L);
	event_base_set(base, &t);
	evtimer_add(&t, &tv);
	event_base_loop(base, EVLOOP_ONCE);
	/* Read once: under valgrind the first fprintf alone costs ms. */
	double used = cpu_ms() - c0;
	fprintf(stderr, "cpu over the idle loop: %.1f ms\n", used);
	return used < 30;
}

/* Deletes the event its argument names, which is ready too. */
static void
del_other(int fd, short what, void *arg)
{
	(void)fd; (void)what;
	calls[0]++;
	event_del(arg);
}

/* Closes its fd in the callback, as a server does at EOF. */
static void
close_it(int fd, short what, void *arg)
{
	(void)what; (void)arg;
	calls[0]++;
	close(fd);
}

int
main(void)
{
	struct event a, b, hi, lo;
	int p[2], q[2], r[2];
	struct timeval tv;

	t_begin("t_readd");
	base = event_init();
	event_base_priority_init(base, 2);

	t_pair(sv);
	event_set(&ping[0], sv[0], EV_READ, pong, (void *)0L);
	event_set(&ping[1], sv[1], EV_READ, pong, (void *)1L);
	event_add(&ping[0], NULL);
	event_add(&ping[1], NULL);
	t_write1(sv[1]);
	while (rounds < 200 && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	EXPECT_INT("ping-pong rounds, re-added from each callback", rounds, 200);
	event_del(&ping[0]);
	event_del(&ping[1]);

	/* Fired and not re-added: silent with data still there; re-added, it
	 * runs again at once. */
	t_pair(p);
	event_set(&a, p[0], EV_READ, count, (void *)0L);
	event_add(&a, NULL);
	t_write1(p[1]);
	pass();
	EXPECT_INT("undrained: ran once", calls[0], 1);
	for (int i = 0; i < 3; i++)
		pass();
	EXPECT_INT("  and not again while not pending", calls[0], 1);
	CHECK("  loop idles quietly", idles_quietly());
	event_add(&a, NULL);
	pass();
	EXPECT_INT("  re-added: runs again", calls[0], 2);
	event_add(&a, NULL);
	event_del(&a);
	pass();
	EXPECT_INT("  added and deleted: does not run", calls[0], 2);

	/* Reported, then deleted by a callback of higher priority before it
	 * ran: it does not run; added again later, it runs. */
	t_pair(q);
	event_set(&lo, q[0], EV_READ, count, (void *)1L);
	event_priority_set(&lo, 1);
	event_add(&lo, NULL);
	event_set(&hi, p[0], EV_READ, del_other, &lo);
	event_priority_set(&hi, 0);
	event_add(&hi, NULL);
	t_write1(q[1]);
	calls[0] = calls[1] = 0;
	pass();
	EXPECT_INT("priorities: the high one ran", calls[0], 1);
	EXPECT_INT("  the low one, deleted by it, did not", calls[1], 0);
	EXPECT_INT("  nor is it pending", event_pending(&lo, EV_READ, NULL), 0);
	event_add(&lo, NULL);
	pass();
	EXPECT_INT("  added again: ran", calls[1], 1);
	t_drain(p[0]);
	t_drain(q[0]);

	/* Two non-persistent events on one fd, reading and writing. */
	event_set(&a, q[0], EV_READ, count, (void *)0L);
	event_set(&b, q[0], EV_WRITE, count, (void *)1L);
	event_add(&a, NULL);
	event_add(&b, NULL);
	calls[0] = calls[1] = 0;
	pass();
	EXPECT_INT("read and write on one fd: writer ran", calls[1], 1);
	EXPECT_INT("  reader waits", calls[0], 0);
	t_write1(q[1]);
	pass();
	EXPECT_INT("  reader ran", calls[0], 1);
	event_add(&b, NULL);
	pass();
	EXPECT_INT("  writer re-added: ran again", calls[1], 2);
	t_drain(q[0]);

	/* A persistent event on the fd a one-shot event just ran for: it
	 * reports on every pass while data waits. */
	event_set(&a, q[0], EV_READ, count, (void *)0L);
	event_add(&a, NULL);
	t_write1(q[1]);
	calls[0] = calls[1] = 0;
	pass();
	event_set(&b, q[0], EV_READ | EV_PERSIST, count, (void *)1L);
	event_add(&b, NULL);
	for (int i = 0; i < 3; i++)
		pass();
	EXPECT_INT("persistent after one-shot: one-shot ran", calls[0], 1);
	EXPECT_INT("  persistent ran on each pass", calls[1], 3);
	event_del(&b);
	t_drain(q[0]);

	/* Timed out before its fd was ready: data arriving later neither runs
	 * it nor keeps the loop busy. */
	event_set(&a, q[0], EV_READ, count, (void *)0L);
	tv = t_tv_ms(5);
	event_add(&a, &tv);
	calls[0] = 0;
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("timed out: ran once", calls[0], 1);
	t_write1(q[1]);
	CHECK("  then readable: loop idles quietly", idles_quietly());
	EXPECT_INT("  and it did not run again", calls[0], 1);
	t_drain(q[0]);

	/* Closed in its callback while a dup keeps the socket open and
	 * readable: nothing reports it, and the number, when it comes back
	 * (for a new socket, then for the dup'd one), works as new. */
	t_pair(r);
	int fd = r[0], keep = dup(r[0]);
	event_set(&a, fd, EV_READ, close_it, NULL);
	event_add(&a, NULL);
	t_write1(r[1]);
	calls[0] = 0;
	pass();
	EXPECT_INT("closed in its callback: ran", calls[0], 1);
	CHECK("  the dup still readable, loop idles quietly", idles_quietly());
	int n[2];
	t_pair(n);
	if (dup2(n[0], fd) != fd)
		DIE("dup2: %s", strerror(errno));
	event_set(&a, fd, EV_READ, count, (void *)0L);
	event_add(&a, NULL);
	calls[0] = 0;
	pass();
	EXPECT_INT("  number reused: quiet before data", calls[0], 0);
	t_write1(n[1]);
	pass();
	EXPECT_INT("  and runs on data", calls[0], 1);
	close(fd);
	if (dup2(keep, fd) != fd)
		DIE("dup2: %s", strerror(errno));
	event_add(&a, NULL);
	pass();
	EXPECT_INT("  the dup'd socket back on the number: its data runs it", calls[0], 2);

	/* Re-assigned after it ran, as something else each time: a writer on
	 * another fd, a timer, a reader again; then freed, and a new event made
	 * where it was. Each runs as what it was last made. */
	{
		int w[2];
		struct event *e;
		t_pair(w);
		t_drain(fd);
		event_set(&a, w[0], EV_READ, count, (void *)0L);
		event_add(&a, NULL);
		t_write1(w[1]);
		calls[0] = calls[1] = calls[2] = 0;
		pass();
		EXPECT_INT("re-assigned: the reader ran", calls[0], 1);
		event_set(&a, w[1], EV_WRITE, count, (void *)1L);
		event_add(&a, NULL);
		pass();
		EXPECT_INT("  as a writer on the other end: ran", calls[1], 1);
		EXPECT_INT("  and not as the reader (data still waits)", calls[0], 1);
		evtimer_set(&a, count, (void *)2L);
		tv = t_tv_ms(1);
		evtimer_add(&a, &tv);
		event_base_loop(base, EVLOOP_ONCE);
		EXPECT_INT("  as a timer: ran", calls[2], 1);
		EXPECT_INT("  and neither fd ran it", calls[0] + calls[1], 2);
		event_set(&a, w[0], EV_READ, count, (void *)0L);
		event_add(&a, NULL);
		pass();
		EXPECT_INT("  a reader again: ran for the waiting byte", calls[0], 2);
		calls[2] = calls[3] = 0;
		for (int i = 0; i < 2; i++) {
			e = event_new(base, w[0], EV_READ, count, (void *)(long)(3 - i));
			event_add(e, NULL);
			t_write1(w[1]);
			pass();
			event_free(e);
			t_drain(w[0]);
		}
		EXPECT_INT("  event_new, run, event_free: the first ran", calls[3], 1);
		EXPECT_INT("  and the second, made where it may have been", calls[2], 1);
		close(w[0]);
		close(w[1]);
	}

	return t_end();
}

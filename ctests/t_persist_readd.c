/* A persistent read event with a timeout, run by its read: the timeout is
 * re-armed before the callback (event_pending inside sees now + timeout),
 * and what the callback does then decides the timer: nothing (it fires a
 * timeout later), event_del, event_add with another timeout, event_add
 * with none (the re-armed timeout stays), or a delete followed by an add
 * (with or without a timeout). */
#include <sys/time.h>

#include <event2/event.h>
#include "common.h"

#define TIMEOUT_MS 200

enum action { NOTHING, DEL, ADD_SHORTER, ADD_NULL, DEL_ADD_NULL, DEL_ADD_SHORTER };

static const char *names[] = { "nothing", "event_del", "event_add 60ms", "event_add NULL",
	"event_del + event_add NULL", "event_del + event_add 60ms" };

static struct event_base *base;
static struct event *ev, *stopper;
static int sv[2];
static enum action action;
static double read_at, timeout_at, in_cb_ms, after_cb_ms;
static int in_cb_pending, after_cb_pending, timeouts;

/* Milliseconds from now to a deadline event_pending gave (wall clock;
 * libevent converts from its coarse monotonic clock with a difference it
 * refreshes every 5 s, so the windows below are wide: they only have to
 * tell the re-armed deadline, 200 ms after the read, from the one the add
 * gave, 100 ms after it, and from a new 60 ms one). */
static double
ms_until(const struct timeval *tv)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	return (tv->tv_sec - now.tv_sec) * 1000.0 + (tv->tv_usec - now.tv_usec) / 1000.0;
}

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv;
	(void)arg;
	if (what & EV_TIMEOUT) {
		timeouts++;
		timeout_at = t_now_ms();
		event_del(ev);
		event_del(stopper); /* nothing left: the dispatch returns */
		return;
	}
	t_drain(fd);
	read_at = t_now_ms();
	in_cb_pending = event_pending(ev, EV_TIMEOUT, &tv);
	in_cb_ms = in_cb_pending ? ms_until(&tv) : -1;
	switch (action) {
	case NOTHING:
		break;
	case DEL:
		event_del(ev);
		break;
	case ADD_SHORTER:
		tv = t_tv_ms(60);
		event_add(ev, &tv);
		break;
	case ADD_NULL:
		event_add(ev, NULL);
		break;
	case DEL_ADD_NULL:
		event_del(ev);
		event_add(ev, NULL);
		break;
	case DEL_ADD_SHORTER:
		event_del(ev);
		tv = t_tv_ms(60);
		event_add(ev, &tv);
		break;
	}
}

/* 20 ms after the read: what the timer is once the callback returned. */
static void
look_after(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv;
	(void)fd, (void)what, (void)arg;
	after_cb_pending = event_pending(ev, EV_TIMEOUT, &tv);
	after_cb_ms = after_cb_pending ? ms_until(&tv) : -1;
}

static void
stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_del(ev);
}

/* One case; the first run, unreported, warms the paths up (under
 * valgrind, a first callback can start tens of ms after its pass). */
static void
run_case(enum action a, int report)
{
	struct event *look;
	struct timeval tv;
	double start;
	int shorter;

	action = a;
	timeouts = 0;
	in_cb_pending = after_cb_pending = -1;
	ev = event_new(base, sv[0], EV_READ | EV_PERSIST, on_event, NULL);
	tv = t_tv_ms(TIMEOUT_MS);
	event_add(ev, &tv);
	/* the read comes 100 ms into the timeout: the deadline the add gave
	 * is then 100 ms after it, the re-armed one 200 */
	t_sleep_ms(100);
	t_write1(sv[1]);
	start = t_now_ms();
	look = evtimer_new(base, look_after, NULL);
	tv = t_tv_ms(20);
	evtimer_add(look, &tv);
	/* a dispatch that would otherwise wait forever ends at 400 ms */
	stopper = evtimer_new(base, stop, NULL);
	tv = t_tv_ms(400);
	evtimer_add(stopper, &tv);
	event_base_dispatch(base);
	event_free(stopper);
	event_free(look);
	event_free(ev);
	if (!report)
		return;
	shorter = a == ADD_SHORTER || a == DEL_ADD_SHORTER;
	fprintf(stderr, "%s: read at +%.1f, in cb %.1f, after %.1f, timeout at +%.1f ms\n",
	    names[a], read_at - start, in_cb_ms, after_cb_ms, timeouts ? timeout_at - read_at : -1.0);
	SAY("%s: timeout pending in the callback: %s", names[a], YN(in_cb_pending));
	SAY("%s:   due about %d ms after the read: %s", names[a], TIMEOUT_MS,
	    YN(in_cb_ms > TIMEOUT_MS - 50 && in_cb_ms <= TIMEOUT_MS + 25));
	SAY("%s: timeout pending after it: %s", names[a], YN(after_cb_pending));
	if (after_cb_pending) {
		double due = (shorter ? 60 : TIMEOUT_MS) - 20;
		SAY("%s:   due about %s ms after the read: %s", names[a], shorter ? "60" : "200",
		    YN(after_cb_ms > due - 50 && after_cb_ms <= due + 25));
	}
	SAY("%s: timeouts run: %d", names[a], timeouts);
	if (timeouts) {
		/* due where the callback put it, or where the re-arm did:
		 * counted from the pass, which may begin a little before the
		 * callback (as event_pending then says, unless its conversion
		 * reads late); libevent's coarse clock may read up to 4 ms
		 * behind */
		double due = shorter ? 60 : in_cb_ms < TIMEOUT_MS ? in_cb_ms : TIMEOUT_MS;
		CHECK("  not early", timeout_at - read_at >= due - 6);
		CHECK("  not long after", timeout_at - read_at < due + 100);
	}
}

int
main(void)
{
	int a;

	t_begin("t_persist_readd");
	base = event_base_new();
	t_pair(sv);
	run_case(NOTHING, 0);
	for (a = NOTHING; a <= DEL_ADD_SHORTER; a++)
		run_case((enum action)a, 1);
	event_base_free(base);
	return t_end();
}

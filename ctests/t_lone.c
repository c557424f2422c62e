/* A pass whose wait reports one fd with one event behaves as a pass with
 * many: its callback (which drains the fd, but once) activates events at
 * its own priority, a more urgent and a less urgent one, asks for
 * loopcontinue and loopbreak, deletes and re-adds its event; EVLOOP_ONCE
 * and NONBLOCK. */
#include <event2/event.h>
#include <event2/event_struct.h>
#include "common.h"

static struct event_base *base;
static struct event *rd, *same, *urgent, *later;
static char trace[256];
static int mode, sv[2], keep_readable;

static void
note(const char *what)
{
	strcat(trace, what);
	strcat(trace, " ");
}

static void
on_plain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	note(arg);
}

static void
on_rd(evutil_socket_t fd, short what, void *arg)
{
	char b[48], c;
	(void)arg;
	if (!keep_readable && recv(fd, &c, 1, MSG_DONTWAIT) != 1)
		DIE("recv");
	snprintf(b, sizeof b, "rd:%d pend=%d", what,
	    event_pending(rd, EV_READ | EV_WRITE | EV_TIMEOUT, NULL));
	note(b);
	switch (mode) {
	case 1: /* same priority: runs in this pass */
		event_active(same, EV_TIMEOUT, 0);
		break;
	case 2: /* more urgent: ends the run of this queue */
		event_active(urgent, EV_TIMEOUT, 0);
		event_active(same, EV_TIMEOUT, 0);
		break;
	case 3: /* loopcontinue: the queued one waits for the next pass */
		event_active(same, EV_TIMEOUT, 0);
		event_base_loopcontinue(base);
		break;
	case 4: /* loopbreak */
		event_active(same, EV_TIMEOUT, 0);
		event_base_loopbreak(base);
		break;
	case 5: /* deleted and added again by its own callback */
		event_del(rd);
		event_add(rd, NULL);
		break;
	case 6: /* a less urgent one waits for the pass after */
		event_active(later, EV_TIMEOUT, 0);
		break;
	}
	mode = 0;
}

static void
run(const char *name, int m, int flags)
{
	mode = m;
	trace[0] = 0;
	t_write1(sv[1]);
	int rc = event_base_loop(base, flags);
	SAY("%s: %s| rc=%d", name, trace, rc);
}

int
main(void)
{
	t_begin("t_lone");
	base = event_base_new();
	event_base_priority_init(base, 3);
	t_pair(sv);
	rd = event_new(base, sv[0], EV_READ | EV_PERSIST, on_rd, NULL);
	same = event_new(base, -1, 0, on_plain, "same");
	urgent = event_new(base, -1, 0, on_plain, "urgent");
	later = event_new(base, -1, 0, on_plain, "later");
	event_priority_set(rd, 1);
	event_priority_set(same, 1);
	event_priority_set(urgent, 0);
	event_priority_set(later, 2);
	event_add(rd, NULL);

	run("plain ONCE", 0, EVLOOP_ONCE);
	run("same priority ONCE", 1, EVLOOP_ONCE);
	run("more urgent ONCE", 2, EVLOOP_ONCE);
	run("loopcontinue ONCE", 3, EVLOOP_ONCE);
	run("loopbreak ONCE", 4, EVLOOP_ONCE);
	EXPECT_INT("after the break, same still queued",
	    event_pending(same, EV_TIMEOUT, NULL), EV_TIMEOUT);
	event_base_loop(base, EVLOOP_NONBLOCK);
	run("del+add in callback ONCE", 5, EVLOOP_ONCE);
	EXPECT_INT("still added", event_pending(rd, EV_READ, NULL), EV_READ);
	run("less urgent ONCE", 6, EVLOOP_ONCE);
	/* Left readable: what its callback queued runs before the fd is
	 * polled again (else it would run a second time). */
	keep_readable = 1;
	run("same priority, fd left readable, ONCE", 1, EVLOOP_ONCE);
	keep_readable = 0;
	{
		char c;
		while (recv(sv[0], &c, 1, MSG_DONTWAIT) == 1)
			;
	}
	run("same priority NONBLOCK", 1, EVLOOP_NONBLOCK);
	run("more urgent NONBLOCK", 2, EVLOOP_NONBLOCK);
	run("less urgent NONBLOCK", 6, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);

	/* one-shot: gone from every list in its callback, and after */
	event_free(rd);
	rd = event_new(base, sv[0], EV_READ, on_rd, NULL);
	event_add(rd, NULL);
	run("one-shot ONCE", 1, EVLOOP_ONCE);
	EXPECT_INT("one-shot not pending after", event_pending(rd, EV_READ, NULL), 0);

	event_free(rd);
	event_free(same);
	event_free(urgent);
	event_free(later);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

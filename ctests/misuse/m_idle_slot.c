/* Regression (librel bug, found by the model test and the fuzzer): a
 * persistent event that ran without being added (event_active), or a
 * persistent timer whose {0,0} timeout fired, is in no list afterwards:
 * event_pending says 0 and the program may reuse or free its memory
 * (libevent allows it).  librel kept an idle internal slot for it, so
 * event_base_foreach_event still visited it and event_base_free wrote into
 * its (possibly freed) memory; re-assigning it left the slot behind too. */
#include "misuse.h"

static int visits;

static int
count_visit(const struct event_base *b, const struct event *ev, void *arg)
{
	(void)b; (void)ev; (void)arg;
	visits++;
	return 0;
}

static struct event *
ran_persistent(struct event_base *b, int via_timer)
{
	struct event *ev = malloc(sizeof *ev);
	if (!ev)
		DIE("malloc");
	event_assign(ev, b, -1, EV_PERSIST, m_count_cb, NULL);
	if (via_timer)
		event_add(ev, &(struct timeval){0, 0});
	else
		event_active(ev, EV_TIMEOUT, 1);
	event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return ev;
}

static void
check(int via_timer)
{
	struct event_base *b = m_base();
	struct event *ev = ran_persistent(b, via_timer);
	EXPECT_RET("event_pending", event_pending(ev, EV_TIMEOUT | EV_READ, NULL), 0);
	visits = 0;
	event_base_foreach_event(b, count_visit, NULL);
	EXPECT_RET("events visited by event_base_foreach_event", visits, 0);
	/* the program frees the memory of an event in no list ... */
	free(ev);
	/* ... and later frees the base: nothing may touch that memory */
	event_base_free(b);
	OBS("event_base_free returned");
}

static void via_active(void) { check(0); }
static void via_timer(void) { check(1); }

static void
reassigned(void)
{
	struct event_base *b = m_base();
	struct event *ev = ran_persistent(b, 0);
	int calls = 0;
	event_assign(ev, b, -1, 0, m_count_cb, &calls);
	event_add(ev, &(struct timeval){0, 0});
	event_free(ev);
	visits = 0;
	event_base_foreach_event(b, count_visit, NULL);
	EXPECT_RET("events visited after event_free", visits, 0);
	event_base_free(b);
	OBS("event_base_free returned");
}

int
main(void)
{
	m_begin("m_idle_slot");
	m_case("persistent event run by event_active, then free()d",
	    "not visited by foreach; event_base_free does not touch it (valgrind)", via_active);
	m_case("persistent timer {0,0} fired, then free()d",
	    "not visited by foreach; event_base_free does not touch it (valgrind)", via_timer);
	m_case("persistent event run, re-assigned, added, event_free()d",
	    "nothing left in the base", reassigned);
	return m_end();
}

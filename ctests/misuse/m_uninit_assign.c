/* Regression (librel bug found by this suite, fixed in fcd8f84 by no
 * longer checking for a pending event in event_assign): event_new and event_assign
 * on memory that was never written.  Programs do this all the time
 * (`struct event ev; event_assign(&ev, ...)`, and event_new's own fresh
 * malloc).  Functionally everything works; the contract checked under
 * valgrind is that librel does not branch on the uninitialised bytes (it
 * used to read them to ask "is this event already pending?"). */
#include "misuse.h"

static void
fresh_memory(void)
{
	struct event_base *b = m_base();
	struct event *heap = malloc(sizeof *heap), *ev;
	struct event stack;
	int calls = 0;

	if (!heap)
		DIE("malloc");
	EXPECT_RET("event_assign(fresh malloc memory)",
	    event_assign(heap, b, -1, 0, m_count_cb, &calls), 0);
	EXPECT_RET("event_assign(uninitialised stack memory)",
	    event_assign(&stack, b, -1, 0, m_count_cb, &calls), 0);
	ev = event_new(b, -1, 0, m_count_cb, &calls);
	CHECK(ev != NULL, "event_new");
	event_active(heap, EV_TIMEOUT, 1);
	event_active(&stack, EV_TIMEOUT, 1);
	event_active(ev, EV_TIMEOUT, 1);
	event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(calls == 3, "ran %d callbacks, want 3", calls);
	event_free(ev);
	free(heap);
	event_base_free(b);
}

int
main(void)
{
	m_begin("m_uninit_assign");
	m_case("event_assign / event_new on never-written memory",
	    "works; no read of the uninitialised bytes (valgrind: no errors)", fresh_memory);
	return m_end();
}

/* Regression (librel bug, found by the model test): an event activated
 * with res 0 (event_active(ev, 0, 1), legal: the callback gets what == 0)
 * is in the active queue although event_pending reports nothing (as in
 * libevent).  librel decided "is this event in a list?" from
 * event_pending's bits, so event_base_set moved it to another base while
 * it was still queued in the first (libevent checks its list flags). */
#include "misuse.h"

static int old_calls;

static void
base_set(void)
{
	struct event_base *b1 = m_base(), *b2 = m_base();
	struct event ev;
	old_calls = 0;
	event_assign(&ev, b1, -1, 0, m_count_cb, &old_calls);
	event_active(&ev, 0, 1);
	EXPECT_RET("event_base_set(b2, queued in b1)", event_base_set(b2, &ev), -1);
	EXPECT_LOG("pending");
	event_del(&ev);
	event_base_free(b1);
	event_base_free(b2);
}

int
main(void)
{
	m_begin("m_active_res0");
	m_case("event_base_set of an event active with res 0", "-1, log", base_set);
	return m_end();
}

/* Signal events with numbers the kernel has no signal for (0, -1, 65, 1000)
 * and one that cannot be caught (SIGKILL).  event_add returns -1 with a log
 * line; the base stays usable and a valid signal still works after. */
#include "misuse.h"

static struct event_base *base;
static int bad;

static void
bad_signal(void)
{
	struct event *ev = evsignal_new(base, bad, m_count_cb, NULL);
	OBS("evsignal_new -> %s", ev ? "event" : "NULL");
	CHECK(ev != NULL, "evsignal_new refused");
	if (!ev)
		return;
	EXPECT_RET("evsignal_add", evsignal_add(ev, NULL), -1);
	if (bad == SIGKILL)
		EXPECT_LOG("sigaction for signal 9");
	else
		EXPECT_LOG("out of range");
	EXPECT_RET("evsignal_pending", evsignal_pending(ev, NULL), 0);
	event_free(ev);
}

static void
good_after(void)
{
	int calls = 0;
	struct event *ev = evsignal_new(base, SIGUSR1, m_count_cb, &calls);
	EXPECT_RET("evsignal_add(SIGUSR1)", evsignal_add(ev, NULL), 0);
	raise(SIGUSR1);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK(calls == 1, "SIGUSR1 callback ran %d times", calls);
	event_free(ev);
}

int
main(void)
{
	static const int sigs[] = {0, -1, 65, 1000, SIGKILL};
	static const char *names[] = {"signal 0", "signal -1", "signal 65", "signal 1000",
	    "SIGKILL"};
	char name[64];
	unsigned i;

	m_begin("m_signal");
	base = m_base();
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		bad = sigs[i];
		snprintf(name, sizeof name, "evsignal_add of %s", names[i]);
		m_case(name, bad == SIGKILL ? "-1, log \"sigaction for signal 9\""
		    : "-1, log \"signal number N out of range\"", bad_signal);
	}
	m_case("a valid signal afterwards", "works", good_after);
	event_base_free(base);
	return m_end();
}

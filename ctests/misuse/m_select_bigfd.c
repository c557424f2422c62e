/* An fd >= FD_SETSIZE (1024): a socket dup2'd onto fd 1500 after raising
 * RLIMIT_NOFILE.  select cannot hold it: librel's event_add returns -1 and
 * logs (libevent 2.1 overflows its fd_set: the fortified FD_SET aborts).
 * epoll and poll take it: a byte written to the peer fires the event. */
#include "misuse.h"

#define BIG 1500

static void
big_fd(void)
{
	struct event_base *base = m_base();
	int sv[2], calls = 0, is_select = strcmp(m_method(), "select") == 0;
	struct event *ev;

	if (m_raise_nofile(BIG + 10) < BIG + 1)
		DIE("cannot raise RLIMIT_NOFILE above %d", BIG);
	m_pair(sv);
	if (dup2(sv[0], BIG) != BIG)
		DIE("dup2: %s", strerror(errno));
	ev = event_new(base, BIG, EV_READ | EV_PERSIST, m_count_cb, &calls);
	if (is_select) {
		EXPECT_RET("event_add(fd 1500) on select", event_add(ev, NULL), -1);
		EXPECT_LOG("cannot watch fd 1500");
	} else {
		EXPECT_RET("event_add(fd 1500)", event_add(ev, NULL), 0);
		m_write1(sv[1]);
		event_base_loop(base, EVLOOP_ONCE);
		OBS("callback ran %d times", calls);
		CHECK(calls == 1, "callback ran %d times, want 1", calls);
	}
	event_free(ev);
	/* a small fd still works on every backend */
	calls = 0;
	if (is_select)
		m_write1(sv[1]);
	ev = event_new(base, sv[0], EV_READ, m_count_cb, &calls);
	EXPECT_RET("event_add(small fd)", event_add(ev, NULL), 0);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK(calls == 1, "small fd: callback ran %d times", calls);
	event_free(ev);
	close(BIG);
	m_close_pair(sv);
	event_base_free(base);
}

int
main(void)
{
	m_begin("m_select_bigfd");
	OBS("method %s", m_method());
	m_case("event_add on fd 1500",
	    "select: -1, log \"cannot watch fd 1500\"; epoll/poll: 0 and the event fires", big_fd);
	return m_end();
}

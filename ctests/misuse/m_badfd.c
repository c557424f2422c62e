/* event_add on an fd that is not open: one that was closed, and a number
 * that was never opened.  librel checks the fd on every backend: -1 and a
 * log line ("cannot watch fd N: Bad file descriptor"); the base stays empty
 * and a loop afterwards returns 1.  (libevent: epoll refuses, poll and
 * select accept the event and then report it ready or fail the loop.) */
#include "misuse.h"

static struct event_base *base;
static int calls;

static void
try_fd(int fd, short what)
{
	struct event *ev = event_new(base, fd, what, m_count_cb, &calls);
	int r;
	calls = 0;
	EXPECT_RET("event_add", event_add(ev, NULL), -1);
	EXPECT_LOG("Bad file descriptor");
	EXPECT_RET("event_pending", event_pending(ev, EV_READ | EV_WRITE, NULL), 0);
	r = event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK) afterwards", r, 1);
	OBS("callback ran %d times", calls);
	CHECK(calls == 0, "callback ran");
	event_free(ev);
}

static void
closed_fd(void)
{
	int sv[2];
	m_pair(sv);
	m_close_pair(sv);
	try_fd(sv[0], EV_READ);
}

static void
never_opened(void)
{
	int fd = 900;
	if (fcntl(fd, F_GETFD) != -1)
		DIE("fd %d is open", fd);
	try_fd(fd, EV_READ | EV_WRITE);
}

static void
negative_fd(void)
{
	struct event *ev = event_new(base, -5, EV_READ, m_count_cb, NULL);
	EXPECT_RET("event_add(fd -5, EV_READ)", event_add(ev, NULL), -1);
	EXPECT_LOG("invalid fd");
	event_free(ev);
}

static void
closed_after_add(void)
{
	/* Legal in libevent 2.1 only if the event is deleted before the next
	 * loop; here it is deleted and the number reused at once. */
	int sv[2], sv2[2];
	struct event *ev;
	m_pair(sv);
	ev = event_new(base, sv[0], EV_READ | EV_PERSIST, m_count_cb, &calls);
	event_add(ev, NULL);
	close(sv[0]);
	EXPECT_RET("event_del after close", event_del(ev), 0);
	m_pair(sv2); /* likely reuses the closed number */
	event_free(ev);
	ev = event_new(base, sv2[0], EV_READ, m_count_cb, &calls);
	calls = 0;
	EXPECT_RET("event_add on the reused number", event_add(ev, NULL), 0);
	m_write1(sv2[1]);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	CHECK(calls == 1, "event on reused fd ran %d times", calls);
	event_free(ev);
	close(sv[1]);
	m_close_pair(sv2);
}

/* Numbers no descriptor can have: refused at once, on every backend (a
 * table sized by descriptor number must not grow to 2^31 entries). */
static void
impossible_fds(void)
{
	static const int fds[] = { 1 << 30, 0x7fffffff };
	unsigned i;
	int calls = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct event *ev = event_new(base, fds[i], EV_READ, m_count_cb, &calls);
		EXPECT_RET("event_add(impossible fd)", event_add(ev, NULL), -1);
		event_free(ev);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(b.tv_sec - a.tv_sec < 2, "took %ld s", (long)(b.tv_sec - a.tv_sec));
	EXPECT_LOG("event_add: ");
}

int
main(void)
{
	m_begin("m_badfd");
	base = m_base();
	OBS("method %s", m_method());
	m_case("event_add on a closed fd", "-1, log \"Bad file descriptor\" (every backend)", closed_fd);
	m_case("event_add on an fd never opened (900)", "-1, log (every backend)", never_opened);
	m_case("event_add on fd -5 with EV_READ", "-1, log \"invalid fd\"", negative_fd);
	m_case("event_add on fd 1<<30 and INT_MAX", "-1 at once, log (every backend)", impossible_fds);
	m_case("fd closed while added, deleted, number reused",
	    "event_del 0; a new event on the reused number works", closed_after_add);
	event_base_free(base);
	return m_end();
}

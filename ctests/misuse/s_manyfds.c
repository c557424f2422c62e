/* As many fds as the hard RLIMIT_NOFILE allows: socketpairs until the limit
 * (minus a margin), a non-persistent READ event on one end of each, one
 * byte written to the other end of each: every callback runs exactly once.
 * On select only fds below FD_SETSIZE can be added (the others: -1).
 * runner: no-valgrind */
#include <sys/select.h>
#include "misuse.h"

static int *fds, calls_total;
static char *hit;

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(intptr_t)arg;
	(void)what;
	hit[i]++;
	calls_total++;
	m_drain(fd);
}

static void
many(void)
{
	long limit = m_raise_nofile(-1);
	int is_select = strcmp(m_method(), "select") == 0;
	struct event_base *b = m_base();
	struct event **ev;
	int npairs = 0, i, refused = 0, added = 0, passes = 0;
	double start;

	fds = calloc((size_t)limit, sizeof *fds);
	ev = calloc((size_t)limit / 2, sizeof *ev);
	hit = calloc((size_t)limit / 2, 1);
	if (!fds || !ev || !hit)
		DIE("calloc");
	while (npairs * 2 + 64 < limit) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			break;
		fds[npairs * 2] = sv[0];
		fds[npairs * 2 + 1] = sv[1];
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		npairs++;
	}
	OBS("RLIMIT_NOFILE %ld: %d socketpairs (%d fds)", limit, npairs, npairs * 2);
	for (i = 0; i < npairs; i++) {
		int fd = fds[i * 2];
		ev[i] = event_new(b, fd, EV_READ, read_cb, (void *)(intptr_t)i);
		if (event_add(ev[i], NULL) == 0) {
			added++;
			CHECK(!is_select || fd < FD_SETSIZE, "select took fd %d", fd);
		} else {
			refused++;
			CHECK(is_select && fd >= FD_SETSIZE, "event_add(fd %d) refused", fd);
			hit[i] = 1; /* not expected to run */
		}
		m_write1(fds[i * 2 + 1]);
	}
	log_clear();
	start = m_now();
	while (calls_total < added && passes < 100) {
		event_base_loop(b, EVLOOP_ONCE);
		passes++;
	}
	OBS("%d added, %d refused; %d callbacks in %d passes, %.0f ms", added, refused, calls_total,
	    passes, (m_now() - start) * 1000);
	CHECK(calls_total == added, "%d of %d callbacks", calls_total, added);
	for (i = 0; i < npairs; i++) {
		CHECK(hit[i] == 1, "pair %d ran %d times", i, hit[i]);
		if (hit[i] != 1)
			break;
	}
	EXPECT_RET("loop afterwards (nothing left)", event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
	for (i = 0; i < npairs; i++) {
		event_free(ev[i]);
		close(fds[i * 2]);
		close(fds[i * 2 + 1]);
	}
	free(fds);
	free(ev);
	free(hit);
	event_base_free(b);
}

int
main(void)
{
	m_begin("s_manyfds");
	m_watchdog(120);
	OBS("method %s", m_method());
	m_case("socketpairs up to the hard RLIMIT_NOFILE, all readable once",
	    "every added event runs exactly once (select: fds >= 1024 refused)", many);
	return m_end();
}

/* Thousands of fds: 5000 socketpairs chained (each read callback writes
 * to the next pair; 25 chains run side by side so that O(n) backends
 * finish quickly), then all ready at once.  The select backend cannot
 * hold fd >= FD_SETSIZE, so there the chain is as long as select allows;
 * the transcript is the same. */
#include <sys/resource.h>
#include <event2/event.h>
#include "common.h"

#define WANT 5000
#define CHAINS 25

static int (*pairs)[2];
static struct event **evs;
static int npairs, seg, hops, errors, fired;
static struct event_base *base;

static void
chain_cb(evutil_socket_t fd, short what, void *arg)
{
	int i = (int)(long)arg;
	char c;
	if (what != EV_READ || fd != pairs[i][0] || read(fd, &c, 1) != 1)
		errors++;
	hops++;
	if (i + 1 < npairs && (i + 1) % seg != 0)
		t_write1(pairs[i + 1][1]);
}

static void
all_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	if (what != EV_READ)
		errors++;
	t_drain(fd);
	fired++;
}

int
main(void)
{
	struct rlimit rl;
	int i, limit, is_select;
	double t0;

	t_begin("t_manyfds");
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);

	base = event_base_new();
	is_select = strcmp(event_base_get_method(base), "select") == 0;
	/* fds available: leave some slack for libevent and the runtime */
	limit = rl.rlim_cur > 100000 ? 100000 : (int)rl.rlim_cur;
	npairs = (limit - 64) / 2;
	if (npairs > WANT)
		npairs = WANT;
	pairs = calloc(WANT, sizeof *pairs);
	evs = calloc(WANT, sizeof *evs);
	for (i = 0; i < npairs; i++) {
		int sv[2];
		t_pair(sv);
		if (is_select && (sv[0] >= 1024 - 8 || sv[1] >= 1024 - 8)) {
			close(sv[0]);
			close(sv[1]);
			break;
		}
		pairs[i][0] = sv[0];
		pairs[i][1] = sv[1];
	}
	npairs = i;
	CHECK("enough pairs for this backend", is_select ? npairs > 400 : npairs == WANT);

	for (i = 0; i < npairs; i++) {
		evs[i] = event_new(base, pairs[i][0], EV_READ | EV_PERSIST, chain_cb, (void *)(long)i);
		if (event_add(evs[i], NULL) != 0)
			errors++;
	}
	EXPECT_INT("event_add errors", errors, 0);
	CHECK("added count", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == npairs);

	/* the chains: one hop each per loop pass */
	seg = (npairs + CHAINS - 1) / CHAINS;
	t0 = t_now_ms();
	for (i = 0; i < npairs; i += seg)
		t_write1(pairs[i][1]);
	while (hops < npairs && t_now_ms() - t0 < 20000)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK("chain complete", hops == npairs);
	EXPECT_INT("chain errors", errors, 0);

	/* all ready at once: every callback in one dispatch */
	for (i = 0; i < npairs; i++) {
		event_del(evs[i]);
		event_assign(evs[i], base, pairs[i][0], EV_READ, all_cb, NULL);
		event_add(evs[i], NULL);
		t_write1(pairs[i][1]);
	}
	EXPECT_INT("dispatch with all ready", event_base_dispatch(base), 1);
	CHECK("all fired", fired == npairs);
	EXPECT_INT("errors", errors, 0);

	/* delete half, make all ready, only the other half fires */
	fired = 0;
	for (i = 0; i < npairs; i++) {
		event_add(evs[i], NULL);
		if (i % 2)
			event_del(evs[i]);
		t_write1(pairs[i][1]);
	}
	event_base_dispatch(base);
	CHECK("half fired", fired == (npairs + 1) / 2);

	for (i = 0; i < npairs; i++) {
		event_free(evs[i]);
		close(pairs[i][0]);
		close(pairs[i][1]);
	}
	free(evs);
	free(pairs);
	event_base_free(base);
	return t_end();
}

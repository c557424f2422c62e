/* librel only: the select backend refuses fd >= FD_SETSIZE from event_add
 * with -1 (libevent 2.1 aborts the process instead); the base stays
 * usable. */
#include <sys/resource.h>
#include <event2/event.h>
#include "../common.h"

static int calls;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	calls++;
	t_drain(fd);
}

static void
quiet(int sev, const char *msg)
{
	(void)sev; (void)msg;
}

int
main(void)
{
	struct rlimit rl;
	struct event_config *cfg;
	struct event_base *base;
	struct event *big, *small;
	int sv[2], hi;

	t_begin("select_bigfd");
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	event_set_log_callback(quiet);

	cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
	event_config_avoid_method(cfg, "epoll");
	event_config_avoid_method(cfg, "poll");
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	EXPECT_STR("method", event_base_get_method(base), "select");

	t_pair(sv);
	hi = dup2(sv[0], 1500);
	CHECK("dup2 to fd 1500", hi == 1500);
	big = event_new(base, hi, EV_READ, cb, NULL);
	EXPECT_INT("event_add(fd 1500) on select", event_add(big, NULL), -1);
	EXPECT_INT("  not pending", event_pending(big, EV_READ, NULL), 0);

	small = event_new(base, sv[0], EV_READ, cb, NULL);
	EXPECT_INT("event_add(small fd)", event_add(small, NULL), 0);
	t_write1(sv[1]);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_INT("small fd fired", calls, 1);

	event_free(big);
	event_free(small);
	event_base_free(base);
	close(hi);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

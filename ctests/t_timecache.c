/* event_base_gettimeofday_cached, event_base_update_cache_time,
 * EVENT_BASE_FLAG_NO_CACHE_TIME, common timeouts. */
#include <event2/event.h>
#include <event2/util.h>
#include "common.h"

static struct event_base *base;
static struct timeval c1, c2, c3;
static char trace[128];

static double
ms(const struct timeval *tv)
{
	return tv->tv_sec * 1000.0 + tv->tv_usec / 1000.0;
}

static void
cache_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	event_base_gettimeofday_cached(base, &c1);
	t_sleep_ms(10);
	event_base_gettimeofday_cached(base, &c2);
	event_base_update_cache_time(base);
	event_base_gettimeofday_cached(base, &c3);
}

static void
tr_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	strcat(trace, (const char *)arg);
}

int
main(void)
{
	struct timeval now, tv, out;
	struct event *e, *a, *b, *c, *d;
	const struct timeval *ct40, *ct40b, *ct5;
	struct event_config *cfg;
	double dd, t0;

	t_begin("t_timecache");
	base = event_base_new();

	/* outside the loop: the live clock */
	EXPECT_INT("gettimeofday_cached outside loop", event_base_gettimeofday_cached(base, &out), 0);
	gettimeofday(&now, NULL);
	CHECK("  close to gettimeofday", ms(&now) - ms(&out) >= 0 && ms(&now) - ms(&out) < 50);
	EXPECT_INT("update_cache_time outside loop", event_base_update_cache_time(base), 0);

	/* inside a callback: constant until updated */
	e = evtimer_new(base, cache_cb, NULL);
	tv = t_tv_ms(1);
	evtimer_add(e, &tv);
	event_base_dispatch(base);
	CHECK("cached time constant within a callback", ms(&c2) == ms(&c1));
	CHECK("update_cache_time refreshes it (>= 6ms later after a 10ms sleep)", ms(&c3) - ms(&c1) >= 6);
	event_free(e);
	event_base_free(base);

	/* NO_CACHE_TIME: always live */
	cfg = event_config_new();
	EXPECT_INT("set_flag NO_CACHE_TIME", event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME), 0);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	e = evtimer_new(base, cache_cb, NULL);
	evtimer_add(e, &tv);
	event_base_dispatch(base);
	CHECK("NO_CACHE_TIME: time advances within a callback (>= 6ms)", ms(&c2) - ms(&c1) >= 6);
	event_free(e);
	event_base_free(base);

	/* common timeouts */
	base = event_base_new();
	tv = t_tv_ms(40);
	ct40 = event_base_init_common_timeout(base, &tv);
	CHECK("init_common_timeout returns non-NULL", ct40 != NULL);
	ct40b = event_base_init_common_timeout(base, &tv);
	CHECK("same duration gives the same pointer", ct40 == ct40b);
	tv = t_tv_ms(5);
	ct5 = event_base_init_common_timeout(base, &tv);
	CHECK("different duration gives another", ct5 != ct40);
	a = evtimer_new(base, tr_cb, "a");
	b = evtimer_new(base, tr_cb, "b");
	c = evtimer_new(base, tr_cb, "c");
	d = evtimer_new(base, tr_cb, "d");
	evtimer_add(a, ct40);
	t_sleep_ms(2);
	evtimer_add(b, ct40);
	evtimer_add(c, ct5);
	tv = t_tv_ms(80);
	t0 = t_now_ms();
	evtimer_add(d, &tv);
	EXPECT_INT("common timeout pending", evtimer_pending(a, &out), EV_TIMEOUT);
	gettimeofday(&now, NULL);
	dd = ms(&out) - ms(&now);
	CHECK("  expiry reported as wall-clock (now + <=40ms)", dd > -30 && dd <= 45);
	trace[0] = 0;
	event_base_dispatch(base);
	CHECK("took >= 75ms", t_now_ms() - t0 >= 75);
	EXPECT_STR("order", trace, "cabd");
	/* a persistent event on a common timeout keeps firing */
	{
		struct event *p = event_new(base, -1, EV_PERSIST, tr_cb, "p");
		trace[0] = 0;
		t0 = t_now_ms();
		event_add(p, ct40);
		while (strlen(trace) < 3)
			event_base_loop(base, EVLOOP_ONCE);
		EXPECT_STR("persistent common timeout", trace, "ppp");
		CHECK("  three periods took >= 110ms", t_now_ms() - t0 >= 110);
		event_free(p);
	}
	/* a regular struct timeval equal to a common duration is just a
	 * regular timeout */
	tv = t_tv_ms(60);
	trace[0] = 0;
	evtimer_add(a, &tv);
	evtimer_add(b, ct5);
	event_base_dispatch(base);
	EXPECT_STR("plain 60ms vs common 5ms", trace, "ba");

	event_free(a);
	event_free(b);
	event_free(c);
	event_free(d);
	event_base_free(base);

	/* PRECISE_TIMER is accepted */
	cfg = event_config_new();
	EXPECT_INT("set_flag PRECISE_TIMER", event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER), 0);
	base = event_base_new_with_config(cfg);
	CHECK("base with PRECISE_TIMER", base != NULL);
	e = evtimer_new(base, tr_cb, "x");
	tv = t_tv_ms(3);
	trace[0] = 0;
	evtimer_add(e, &tv);
	event_base_dispatch(base);
	EXPECT_STR("precise timer ran", trace, "x");
	event_free(e);
	event_base_free(base);
	event_config_free(cfg);
	return t_end();
}

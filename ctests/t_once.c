/* event_base_once and the 1.4 event_once. */
#include <event2/event.h>
#include <event2/event_compat.h>
#include "common.h"

static char trace[256];
static int sv[2];

static void
once_cb(evutil_socket_t fd, short what, void *arg)
{
	char b[64];
	snprintf(b, sizeof b, "%s:%d:%s ", (const char *)arg, what,
	    fd == -1 ? "nofd" : fd == sv[0] ? "sv0" : "other");
	strcat(trace, b);
	if (what & EV_READ)
		t_drain(fd);
}

int
main(void)
{
	struct event_base *base, *cur;
	struct timeval tv;
	double t0;

	t_begin("t_once");
	base = event_base_new();
	t_pair(sv);

	/* timeouts: ordered by deadline, NULL/zero = next pass */
	trace[0] = 0;
	t0 = t_now_ms();
	tv = t_tv_ms(50);
	EXPECT_INT("once timeout 50ms", event_base_once(base, -1, EV_TIMEOUT, once_cb, "t50", &tv), 0);
	tv = t_tv_ms(5);
	EXPECT_INT("once timeout 5ms", event_base_once(base, -1, EV_TIMEOUT, once_cb, "t5", &tv), 0);
	EXPECT_INT("once timeout NULL", event_base_once(base, -1, EV_TIMEOUT, once_cb, "tnull", NULL), 0);
	tv = t_tv_ms(0);
	EXPECT_INT("once timeout 0", event_base_once(base, -1, EV_TIMEOUT, once_cb, "tzero", &tv), 0);
	/* COUNT_ADDED counts queue memberships: 2 timeouts + 2 active */
	EXPECT_INT("num events added", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 4);
	EXPECT_INT("num events active", event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE), 2);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_STR("order", trace, "tnull:1:nofd tzero:1:nofd t5:1:nofd t50:1:nofd ");
	CHECK("took >= 45ms", t_now_ms() - t0 >= 45);

	/* read: data ready */
	trace[0] = 0;
	EXPECT_INT("once read", event_base_once(base, sv[0], EV_READ, once_cb, "rd", NULL), 0);
	t_write1(sv[1]);
	event_base_dispatch(base);
	EXPECT_STR("read fired with fd", trace, "rd:2:sv0 ");
	/* read with timeout, no data: EV_TIMEOUT */
	trace[0] = 0;
	tv = t_tv_ms(10);
	EXPECT_INT("once read with timeout", event_base_once(base, sv[0], EV_READ, once_cb, "rt", &tv), 0);
	event_base_dispatch(base);
	EXPECT_STR("timed out", trace, "rt:1:sv0 ");
	/* read|timeout flags with data: EV_READ */
	trace[0] = 0;
	tv = t_tv_ms(500);
	EXPECT_INT("once READ|TIMEOUT", event_base_once(base, sv[0], EV_READ | EV_TIMEOUT, once_cb, "rT", &tv), 0);
	t_write1(sv[1]);
	event_base_dispatch(base);
	EXPECT_STR("read before timeout", trace, "rT:2:sv0 ");
	/* write */
	trace[0] = 0;
	EXPECT_INT("once write", event_base_once(base, sv[0], EV_WRITE, once_cb, "wr", NULL), 0);
	event_base_dispatch(base);
	EXPECT_STR("write fired", trace, "wr:4:sv0 ");

	/* rejected combinations */
	EXPECT_INT("once EV_SIGNAL", event_base_once(base, 2, EV_SIGNAL, once_cb, "x", NULL), -1);
	EXPECT_INT("once READ|PERSIST", event_base_once(base, sv[0], EV_READ | EV_PERSIST, once_cb, "x", NULL), -1);
	EXPECT_INT("once TIMEOUT|PERSIST", event_base_once(base, -1, EV_TIMEOUT | EV_PERSIST, once_cb, "x", NULL), -1);
	EXPECT_INT("once with no event bits", event_base_once(base, -1, 0, once_cb, "x", NULL), -1);
	EXPECT_INT("dispatch after rejections", event_base_dispatch(base), 1);

	/* never-fired once events are freed with the base */
	tv = t_tv_ms(60000);
	EXPECT_INT("once 60s (freed with base)", event_base_once(base, -1, EV_TIMEOUT, once_cb, "late", &tv), 0);
	EXPECT_INT("once read never ready (freed with base)", event_base_once(base, sv[0], EV_READ, once_cb, "late", NULL), 0);
	event_base_free(base);

	/* 1.4 event_once on the current base */
	cur = event_init();
	trace[0] = 0;
	tv = t_tv_ms(5);
	EXPECT_INT("event_once timeout", event_once(-1, EV_TIMEOUT, once_cb, "o1", &tv), 0);
	EXPECT_INT("event_once read", event_once(sv[0], EV_READ, once_cb, "o2", NULL), 0);
	t_write1(sv[1]);
	EXPECT_INT("event_dispatch", event_dispatch(), 1);
	CHECK("event_once both ran", strstr(trace, "o1:1:nofd ") && strstr(trace, "o2:2:sv0 "));
	event_base_free(cur);

	close(sv[0]);
	close(sv[1]);
	return t_end();
}

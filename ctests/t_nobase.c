/* event_set with no current base (no event_init), then event_base_set, as
 * Debian's nsd does: silent, and the event runs on the base it was given. */
#include <event.h>
#include "common.h"

static int nlog;
static char trace[64];

static void
log_cb(int severity, const char *msg)
{
	(void)severity;
	printf("log: %s\n", msg);
	nlog++;
}

static void
cb(int fd, short what, void *arg)
{
	(void)fd;
	snprintf(trace, sizeof trace, "%s:%d", (const char *)arg, what);
}

int
main(void)
{
	struct event_base *base;
	struct event ev;
	struct timeval tv = t_tv_ms(1);

	t_begin("t_nobase");
	event_set_log_callback(log_cb);
	base = event_base_new();
	event_set(&ev, -1, 0, cb, "timer");
	CHECK("no base yet", event_get_base(&ev) == NULL);
	EXPECT_INT("event_base_set", event_base_set(base, &ev), 0);
	CHECK("base set", event_get_base(&ev) == base);
	EXPECT_INT("priority", event_get_priority(&ev), 0);
	EXPECT_INT("evtimer_add", evtimer_add(&ev, &tv), 0);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_STR("ran", trace, "timer:1");
	EXPECT_INT("log lines", nlog, 0);
	event_base_free(base);
	return t_end();
}

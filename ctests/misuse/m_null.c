/* NULL where the API takes a base, an event, a config or a callback.
 * librel refuses each call (-1, NULL, 0 or nothing) with a log line naming
 * the function; libevent 2.1 dereferences most of these pointers. */
#include "misuse.h"

static struct event_base *base;

static void
add_null(void)
{
	struct timeval tv = {1, 0};
	EXPECT_RET("event_add(NULL, NULL)", event_add(NULL, NULL), -1);
	EXPECT_RET("event_add(NULL, &tv)", event_add(NULL, &tv), -1);
	EXPECT_LOG("event_add: no event given");
}

static void
del_null(void)
{
	EXPECT_RET("event_del(NULL)", event_del(NULL), -1);
	EXPECT_LOG("event_del: no event given");
}

static void
active_null(void)
{
	event_active(NULL, EV_READ, 1);
	OBS("event_active(NULL) returned");
	EXPECT_LOG("event_active: no event given");
}

static void
pending_null(void)
{
	EXPECT_RET("event_pending(NULL)", event_pending(NULL, EV_READ | EV_TIMEOUT, NULL), 0);
	EXPECT_LOG("event_pending: no event given");
}

static void
free_null(void)
{
	event_free(NULL);
	OBS("event_free(NULL) returned");
	EXPECT_LOG("event_free: no event given");
}

static void
priority_set_null(void)
{
	EXPECT_RET("event_priority_set(NULL, 0)", event_priority_set(NULL, 0), -1);
	EXPECT_LOG("event_priority_set: no event given");
}

static void
initialized_null(void)
{
	EXPECT_RET("event_initialized(NULL)", event_initialized(NULL), 0);
}

static void
get_fd_null(void)
{
	EXPECT_RET("event_get_fd(NULL)", event_get_fd(NULL), -1);
	EXPECT_LOG("event_get_fd: no event given");
}

static void
assign_null_event(void)
{
	EXPECT_RET("event_assign(NULL, base, ...)",
	    event_assign(NULL, base, -1, 0, m_count_cb, NULL), -1);
	EXPECT_LOG("event_assign: no event given");
}

static void
new_null_base(void)
{
	/* No current base either (event_init was never called). */
	struct event *ev = event_new(NULL, -1, 0, m_count_cb, NULL);
	struct timeval tv = {1, 0};
	OBS("event_new(NULL base) -> %s", ev ? "event" : "NULL");
	CHECK(ev != NULL, "event_new(NULL base) must give an unattached event");
	if (!ev)
		return;
	EXPECT_RET("event_add of it", event_add(ev, &tv), -1);
	EXPECT_LOG("event has no event_base set");
	log_clear();
	EXPECT_RET("event_del of it", event_del(ev), -1);
	event_free(ev);
}

static void
loop_null(void)
{
	EXPECT_RET("event_base_loop(NULL, 0)", event_base_loop(NULL, 0), -1);
	EXPECT_LOG("event_base_loop: no event_base given");
}

static void
dispatch_null(void)
{
	EXPECT_RET("event_base_dispatch(NULL)", event_base_dispatch(NULL), -1);
	EXPECT_LOG("no event_base given");
}

static void
loopexit_null(void)
{
	EXPECT_RET("event_base_loopexit(NULL, NULL)", event_base_loopexit(NULL, NULL), -1);
	EXPECT_LOG("event_base_loopexit: no event_base given");
}

static void
loopbreak_null(void)
{
	EXPECT_RET("event_base_loopbreak(NULL)", event_base_loopbreak(NULL), -1);
	EXPECT_LOG("event_base_loopbreak: no event_base given");
}

static void
base_free_null(void)
{
	event_base_free(NULL);
	OBS("event_base_free(NULL) returned");
	EXPECT_LOG("event_base_free: no event_base given");
}

static void
get_method_null(void)
{
	const char *m = event_base_get_method(NULL);
	OBS("event_base_get_method(NULL) -> %s", m ? m : "NULL");
	CHECK(m == NULL, "want NULL");
	EXPECT_LOG("event_base_get_method: no event_base given");
}

static void
priority_init_null(void)
{
	EXPECT_RET("event_base_priority_init(NULL, 2)", event_base_priority_init(NULL, 2), -1);
	EXPECT_LOG("no event_base given");
}

static void
reinit_null(void)
{
	EXPECT_RET("event_reinit(NULL)", event_reinit(NULL), -1);
	EXPECT_LOG("event_reinit: no event_base given");
}

static void
base_set_null(void)
{
	struct event ev;
	EXPECT_RET("event_base_set(NULL, ev)",
	    (event_assign(&ev, base, -1, 0, m_count_cb, NULL), event_base_set(NULL, &ev)), -1);
	EXPECT_LOG("event_base_set: no event_base given");
	log_clear();
	EXPECT_RET("event_base_set(base, NULL)", event_base_set(base, NULL), -1);
	EXPECT_LOG("event_base_set: no event given");
}

static void
once_null_base(void)
{
	EXPECT_RET("event_base_once(NULL, ...)",
	    event_base_once(NULL, -1, EV_TIMEOUT, m_count_cb, NULL, NULL), -1);
	EXPECT_LOG("event_base_once: no event_base given");
}

static void
once_null_callback(void)
{
	struct timeval tv = {0, 0};
	EXPECT_RET("event_base_once(base, NULL callback)",
	    event_base_once(base, -1, EV_TIMEOUT, NULL, NULL, &tv), -1);
	EXPECT_LOG("event_base_once: no callback given");
}

static void
null_callback_fires(void)
{
	/* An event with a NULL callback may be assigned (libevent allows
	 * it); when it fires, nothing is called. */
	struct event *ev = event_new(base, -1, 0, NULL, NULL);
	int r;
	CHECK(ev != NULL, "event_new with NULL callback");
	if (!ev)
		return;
	event_active(ev, EV_TIMEOUT, 1);
	r = event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK) after event_active(NULL-callback event)", r, 0);
	event_free(ev);
}

static void
config_null(void)
{
	struct event_base *b;
	EXPECT_RET("event_config_avoid_method(NULL, \"select\")",
	    event_config_avoid_method(NULL, "select"), -1);
	EXPECT_LOG("no config given");
	EXPECT_RET("event_config_set_flag(NULL, 0)", event_config_set_flag(NULL, 0), -1);
	EXPECT_RET("event_config_require_features(NULL, 0)",
	    event_config_require_features(NULL, 0), -1);
	event_config_free(NULL);
	OBS("event_config_free(NULL) returned");
	b = event_base_new_with_config(NULL);
	OBS("event_base_new_with_config(NULL) -> %s", b ? "base" : "NULL");
	CHECK(b != NULL, "NULL config means defaults");
	if (b)
		event_base_free(b);
}

static void
avoid_null_method(void)
{
	struct event_config *cfg = event_config_new();
	EXPECT_RET("event_config_avoid_method(cfg, NULL)", event_config_avoid_method(cfg, NULL), -1);
	event_config_free(cfg);
}

static void
gettimeofday_cached_null(void)
{
	EXPECT_RET("event_base_gettimeofday_cached(base, NULL)",
	    event_base_gettimeofday_cached(base, NULL), -1);
}

int
main(void)
{
	m_begin("m_null");
	base = m_base();
	m_case("event_add(NULL)", "-1, log \"event_add: no event given\"", add_null);
	m_case("event_del(NULL)", "-1, log", del_null);
	m_case("event_active(NULL)", "ignored, log", active_null);
	m_case("event_pending(NULL)", "0, log", pending_null);
	m_case("event_free(NULL)", "ignored, log", free_null);
	m_case("event_priority_set(NULL)", "-1, log", priority_set_null);
	m_case("event_initialized(NULL)", "0", initialized_null);
	m_case("event_get_fd(NULL)", "-1, log", get_fd_null);
	m_case("event_assign(NULL event)", "-1, log", assign_null_event);
	m_case("event_new(NULL base), no current base",
	    "an event with no base; event_add -1 + log \"no event_base set\"; event_del -1", new_null_base);
	m_case("event_base_loop(NULL)", "-1, log", loop_null);
	m_case("event_base_dispatch(NULL)", "-1, log", dispatch_null);
	m_case("event_base_loopexit(NULL)", "-1, log", loopexit_null);
	m_case("event_base_loopbreak(NULL)", "-1, log", loopbreak_null);
	m_case("event_base_free(NULL)", "ignored, log", base_free_null);
	m_case("event_base_get_method(NULL)", "NULL, log", get_method_null);
	m_case("event_base_priority_init(NULL)", "-1, log", priority_init_null);
	m_case("event_reinit(NULL)", "-1, log", reinit_null);
	m_case("event_base_set(NULL base / NULL event)", "-1, log", base_set_null);
	m_case("event_base_once(NULL base)", "-1, log", once_null_base);
	m_case("event_base_once(NULL callback)", "-1, log \"no callback given\"", once_null_callback);
	m_case("event with a NULL callback fires", "accepted; firing calls nothing, loop returns 0",
	    null_callback_fires);
	m_case("event_config_* (NULL config)",
	    "-1 + log; event_config_free(NULL) ignored; event_base_new_with_config(NULL) uses defaults",
	    config_null);
	m_case("event_config_avoid_method(cfg, NULL)", "-1", avoid_null_method);
	m_case("event_base_gettimeofday_cached(base, NULL)", "-1", gettimeofday_cached_null);
	event_base_free(base);
	return m_end();
}

/* event_config_*, methods and features, environment variables. */
#include <event2/event.h>
#include "common.h"

static int nlog, last_sev;
static char last_msg[512];

static void
log_cb(int sev, const char *msg)
{
	nlog++;
	last_sev = sev;
	snprintf(last_msg, sizeof last_msg, "%s", msg ? msg : "");
}

static int
expected_features(const char *m)
{
	if (!strcmp(m, "epoll") || !strcmp(m, "epoll (with changelist)"))
		return EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE;
	if (!strcmp(m, "poll"))
		return EV_FEATURE_FDS | EV_FEATURE_EARLY_CLOSE;
	if (!strcmp(m, "select"))
		return EV_FEATURE_FDS;
	if (!strcmp(m, "kqueue"))
		return EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_FDS;
	return -1;
}

/* Builds a base from cfg and prints its method (cfg is freed). */
static void
show(const char *name, struct event_config *cfg)
{
	struct event_base *b = event_base_new_with_config(cfg);
	if (!b) {
		printf("ok %s -> NULL\n", name);
	} else {
		const char *m = event_base_get_method(b);
		int f = event_base_get_features(b);
		printf("ok %s -> %s features=%d%s\n", name, m, f,
		    f == expected_features(m) ? "" : " (UNEXPECTED)");
		event_base_free(b);
	}
	event_config_free(cfg);
}

static struct event_config *
cfg_ignore_env(void)
{
	struct event_config *c = event_config_new();
	event_config_set_flag(c, EVENT_BASE_FLAG_IGNORE_ENV);
	return c;
}

static void
clear_env(void)
{
	unsetenv("EVENT_NOEPOLL");
	unsetenv("EVENT_NOPOLL");
	unsetenv("EVENT_NOSELECT");
	unsetenv("EVENT_NOKQUEUE");
	unsetenv("EVENT_NODEVPOLL");
	unsetenv("EVENT_NOEVPORT");
	unsetenv("EVENT_NOWIN32");
	unsetenv("EVENT_SHOW_METHOD");
}

static char order[64];
static int sv[2];

static void
order_cb(evutil_socket_t fd, short what, void *arg)
{
	char b[4] = {*(const char *)arg, 0};
	(void)what;
	strcat(order, b);
	if (b[0] == 'A')
		t_write1(sv[1]);
	if (b[0] == 'R')
		t_drain(fd);
}

/* A..E active at priority 1; A makes R (priority 0, read) ready. */
static const char *
dispatch_order(struct event_config *c)
{
	static const char *names[] = {"A", "B", "C", "D", "E"};
	struct event_base *b = event_base_new_with_config(c);
	struct event *ev[5], *r;
	int i;
	event_config_free(c);
	event_base_priority_init(b, 3);
	t_pair(sv);
	r = event_new(b, sv[0], EV_READ, order_cb, "R");
	event_priority_set(r, 0);
	event_add(r, NULL);
	for (i = 0; i < 5; i++) {
		ev[i] = event_new(b, -1, 0, order_cb, (void *)names[i]);
		event_priority_set(ev[i], 1);
		event_active(ev[i], EV_READ, 0);
	}
	order[0] = 0;
	event_base_dispatch(b);
	for (i = 0; i < 5; i++)
		event_free(ev[i]);
	event_free(r);
	event_base_free(b);
	close(sv[0]);
	close(sv[1]);
	return order;
}

int
main(void)
{
	const char **methods;
	struct event_base *b;
	struct event_config *c;
	int i, n;
	char list[256] = "";

	t_begin("t_config");
	event_set_log_callback(log_cb);

	methods = event_get_supported_methods();
	for (n = 0; methods && methods[n]; n++) {
		strcat(list, methods[n]);
		strcat(list, " ");
	}
	EXPECT_STR("supported methods (preference order)", list, "epoll poll select ");

	/* the default base (environment chosen by the runner) */
	b = event_base_new();
	{
		const char *m = event_base_get_method(b);
		int found = 0;
		for (i = 0; i < n; i++)
			found |= !strcmp(methods[i], m);
		CHECK("default method is a supported one", found);
		CHECK("default features match the method", event_base_get_features(b) == expected_features(m));
		CHECK("EVENT_NOEPOLL in env -> not epoll", !getenv("EVENT_NOEPOLL") || strcmp(m, "epoll") != 0);
		CHECK("EVENT_NOPOLL in env -> not poll", !getenv("EVENT_NOPOLL") || strcmp(m, "poll") != 0);
	}
	event_base_free(b);
	b = event_base_new_with_config(NULL);
	CHECK("event_base_new_with_config(NULL) works", b != NULL);
	event_base_free(b);

	/* IGNORE_ENV: ignore what the runner set */
	show("IGNORE_ENV", cfg_ignore_env());
	c = cfg_ignore_env();
	EXPECT_INT("avoid_method epoll", event_config_avoid_method(c, "epoll"), 0);
	show("IGNORE_ENV avoid epoll", c);
	c = cfg_ignore_env();
	event_config_avoid_method(c, "epoll");
	event_config_avoid_method(c, "poll");
	show("IGNORE_ENV avoid epoll,poll", c);
	c = cfg_ignore_env();
	event_config_avoid_method(c, "select");
	event_config_avoid_method(c, "nonexistent");
	show("IGNORE_ENV avoid select,nonexistent", c);
	c = cfg_ignore_env();
	event_config_avoid_method(c, "epoll");
	event_config_avoid_method(c, "poll");
	event_config_avoid_method(c, "select");
	nlog = 0;
	show("IGNORE_ENV avoid all", c);
	CHECK("  no-backend case logged", nlog >= 1);
	CHECK("  at severity WARN", last_sev == EVENT_LOG_WARN);

	c = cfg_ignore_env();
	EXPECT_INT("require_features FDS", event_config_require_features(c, EV_FEATURE_FDS), 0);
	show("IGNORE_ENV require FDS", c);
	c = cfg_ignore_env();
	event_config_require_features(c, EV_FEATURE_ET);
	show("IGNORE_ENV require ET", c);
	c = cfg_ignore_env();
	event_config_require_features(c, EV_FEATURE_O1);
	show("IGNORE_ENV require O1", c);
	c = cfg_ignore_env();
	event_config_require_features(c, EV_FEATURE_EARLY_CLOSE);
	event_config_avoid_method(c, "epoll");
	show("IGNORE_ENV require EARLY_CLOSE avoid epoll", c);
	c = cfg_ignore_env();
	event_config_require_features(c, EV_FEATURE_O1 | EV_FEATURE_FDS);
	show("IGNORE_ENV require O1|FDS", c);
	c = cfg_ignore_env();
	event_config_require_features(c, EV_FEATURE_FDS);
	event_config_require_features(c, EV_FEATURE_ET);
	show("IGNORE_ENV require FDS then ET (last call wins)", c);

	/* other config knobs */
	c = cfg_ignore_env();
	EXPECT_INT("set_num_cpus_hint", event_config_set_num_cpus_hint(c, 4), 0);
	EXPECT_INT("set_flag NOLOCK", event_config_set_flag(c, EVENT_BASE_FLAG_NOLOCK), 0);
	EXPECT_INT("set_flag EPOLL_USE_CHANGELIST", event_config_set_flag(c, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST), 0);
	show("IGNORE_ENV NOLOCK CHANGELIST cpus", c);

	/* max_dispatch_interval: limits callbacks per pass, so a
	 * higher-priority read event made ready by the first callback runs
	 * earlier than it would otherwise */
	{
		struct timeval zero = {0, 0};
		c = cfg_ignore_env();
		EXPECT_INT("set_max_dispatch_interval(NULL, 2, 0)", event_config_set_max_dispatch_interval(c, NULL, 2, 0), 0);
		EXPECT_STR("max 2 callbacks per pass", dispatch_order(c), "ABRCDE");
		c = cfg_ignore_env();
		EXPECT_INT("set_max_dispatch_interval(0ms, -1, 0)", event_config_set_max_dispatch_interval(c, &zero, -1, 0), 0);
		EXPECT_STR("max 0ms per pass", dispatch_order(c), "ARBCDE");
		c = cfg_ignore_env();
		EXPECT_INT("set_max_dispatch_interval(NULL, 2, 1)", event_config_set_max_dispatch_interval(c, NULL, 2, 1), 0);
		EXPECT_STR("min_priority 1: priority 1 limited", dispatch_order(c), "ABRCDE");
		c = cfg_ignore_env();
		EXPECT_INT("set_max_dispatch_interval(NULL, 2, 2)", event_config_set_max_dispatch_interval(c, NULL, 2, 2), 0);
		EXPECT_STR("priorities below min_priority 2 unlimited", dispatch_order(c), "ABCDER");
		EXPECT_STR("default config", dispatch_order(cfg_ignore_env()), "ABCDER");
	}

	/* environment variables (no IGNORE_ENV) */
	clear_env();
	show("env: none", event_config_new());
	setenv("EVENT_NOEPOLL", "1", 1);
	show("env: NOEPOLL", event_config_new());
	setenv("EVENT_NOPOLL", "1", 1);
	show("env: NOEPOLL NOPOLL", event_config_new());
	setenv("EVENT_NOSELECT", "1", 1);
	nlog = 0;
	show("env: NOEPOLL NOPOLL NOSELECT", event_config_new());
	CHECK("  logged", nlog >= 1);
	b = event_base_new();
	CHECK("  event_base_new also NULL", b == NULL);
	show("env: all removed but IGNORE_ENV", cfg_ignore_env());
	clear_env();
	setenv("EVENT_NOEPOLL", "", 1);
	show("env: NOEPOLL set to empty string", event_config_new());
	clear_env();
	setenv("EVENT_SHOW_METHOD", "1", 1);
	setenv("EVENT_NOEPOLL", "1", 1);
	nlog = 0;
	last_msg[0] = 0;
	b = event_base_new();
	EXPECT_INT("EVENT_SHOW_METHOD: one log message", nlog, 1);
	EXPECT_INT("  severity MSG", last_sev, EVENT_LOG_MSG);
	CHECK("  names the method", strstr(last_msg, "poll") != NULL);
	event_base_free(b);
	c = cfg_ignore_env();
	nlog = 0;
	show("EVENT_SHOW_METHOD with IGNORE_ENV", c);
	/* 2.1.12 honours EVENT_SHOW_METHOD even with IGNORE_ENV */
	EXPECT_INT("  still one log message", nlog, 1);
	clear_env();

	event_set_log_callback(NULL);
	return t_end();
}

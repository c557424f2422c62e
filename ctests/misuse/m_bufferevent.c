/* bufferevent misuse: NULL bufferevents and arguments, freed and foreign
 * pointers, bad watermarks and flush modes, a descriptor closed under a
 * socket bufferevent, rate-limit calls without a limit, and unlocking a
 * lock not held. librel refuses with a log line or documents a no-op;
 * libevent dereferences NULL, asserts, or reads freed memory. */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include "misuse.h"

static struct event_base *base;

static void
null_bev(void)
{
	char c;
	EXPECT_RET("bufferevent_enable(NULL)", bufferevent_enable(NULL, EV_READ), -1);
	EXPECT_LOG("bufferevent_enable: no bufferevent given");
	EXPECT_RET("bufferevent_disable(NULL)", bufferevent_disable(NULL, EV_READ), -1);
	EXPECT_RET("bufferevent_write(NULL)", bufferevent_write(NULL, "x", 1), -1);
	EXPECT_RET("bufferevent_read(NULL)", bufferevent_read(NULL, &c, 1), 0);
	EXPECT_RET("bufferevent_get_input(NULL)", bufferevent_get_input(NULL) == NULL, 1);
	EXPECT_RET("bufferevent_getfd(NULL)", bufferevent_getfd(NULL), -1);
	EXPECT_RET("bufferevent_get_enabled(NULL)", bufferevent_get_enabled(NULL), 0);
	EXPECT_RET("bufferevent_socket_connect(NULL)", bufferevent_socket_connect(NULL, NULL, 0), -1);
	bufferevent_free(NULL);
	bufferevent_setcb(NULL, NULL, NULL, NULL, NULL);
	bufferevent_setwatermark(NULL, EV_READ, 0, 0);
	bufferevent_lock(NULL);
	bufferevent_unlock(NULL);
	OBS("void calls on NULL returned");
	EXPECT_LOG("bufferevent_free: no bufferevent given");
}

static void
null_args(void)
{
	struct bufferevent *b = bufferevent_socket_new(base, -1, 0);
	EXPECT_RET("bufferevent_write(b, NULL, 5)", bufferevent_write(b, NULL, 5), -1);
	EXPECT_RET("bufferevent_write_buffer(b, NULL)", bufferevent_write_buffer(b, NULL), -1);
	EXPECT_RET("bufferevent_read_buffer(b, NULL)", bufferevent_read_buffer(b, NULL), -1);
	EXPECT_RET("connect_hostname(b, NULL host)", bufferevent_socket_connect_hostname(b, NULL, AF_INET, NULL, 80), -1);
	EXPECT_LOG("bufferevent_socket_connect_hostname: no string given");
	EXPECT_RET("bufferevent_pair_new(base, 0, NULL)", bufferevent_pair_new(base, 0, NULL), -1);
	EXPECT_RET("bufferevent_filter_new(NULL underlying)",
	    bufferevent_filter_new(NULL, NULL, NULL, 0, NULL, NULL) == NULL, 1);
	bufferevent_free(b);
}

static void
no_base(void)
{
	EXPECT_RET("bufferevent_socket_new(NULL base), no current base",
	    bufferevent_socket_new(NULL, -1, 0) == NULL, 1);
	EXPECT_LOG("no event_base given");
	EXPECT_RET("bufferevent_new without event_init", bufferevent_new(-1, NULL, NULL, NULL, NULL) == NULL, 1);
}

static void
freed_bev(void)
{
	struct bufferevent *b = bufferevent_socket_new(base, -1, 0);
	bufferevent_free(b);
	event_base_loop(base, EVLOOP_NONBLOCK); /* finalizers run: memory released */
	OBS("freed and released");
	/* A pointer to something else entirely. */
	char junk[512];
	memset(junk, 0xA5, sizeof(junk));
	EXPECT_RET("bufferevent_enable(not a bufferevent)", bufferevent_enable((struct bufferevent *)junk, EV_READ), -1);
	EXPECT_LOG("not a live bufferevent");
}

static void
double_free_before_release(void)
{
	struct bufferevent *b = bufferevent_socket_new(base, -1, 0);
	bufferevent_free(b);
	/* Not yet released (the loop has not run its finalizers): refused. */
	bufferevent_incref(b);
	EXPECT_RET("bufferevent_decref after free", bufferevent_decref(b), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	OBS("released once");
}

static void
bad_values(void)
{
	struct bufferevent *b = bufferevent_socket_new(base, -1, 0);
	size_t lo = 7, hi = 7;
	bufferevent_setwatermark(b, EV_READ, 100, 10); /* low above high: kept as given */
	EXPECT_RET("getwatermark(EV_READ|EV_WRITE)", bufferevent_getwatermark(b, EV_READ | EV_WRITE, &lo, &hi), -1);
	EXPECT_RET("getwatermark(0)", bufferevent_getwatermark(b, 0, &lo, &hi), -1);
	EXPECT_RET("flush with mode 77", bufferevent_flush(b, EV_WRITE, 77), 0);
	EXPECT_RET("priority_set(-1)", bufferevent_priority_set(b, -1), -1);
	EXPECT_RET("connect_hostname(port 70000)", bufferevent_socket_connect_hostname(b, NULL, AF_INET, "127.0.0.1", 70000), -1);
	EXPECT_RET("UNLOCK_CALLBACKS without DEFER_CALLBACKS", bufferevent_socket_new(base, -1, BEV_OPT_UNLOCK_CALLBACKS) == NULL, 1);
	EXPECT_LOG("UNLOCK_CALLBACKS requires DEFER_CALLBACKS");
	bufferevent_free(b);
}

static int got_event;
static short last_what;
static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	got_event++;
	last_what = what;
}

static void
fd_closed_under(void)
{
	int sv[2], i;
	struct bufferevent *b;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		DIE("socketpair");
	b = bufferevent_socket_new(base, sv[0], 0);
	bufferevent_setcb(b, NULL, NULL, eventcb, NULL);
	bufferevent_enable(b, EV_READ);
	close(sv[0]);
	/* The write fails (EBADF): an error event, no crash, no hang. */
	bufferevent_write(b, "x", 1);
	for (i = 0; i < 20 && !got_event; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	OBS("events after the descriptor was closed: %d (what 0x%x)", got_event, last_what);
	bufferevent_free(b);
	close(sv[1]);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

static void
ratelimit_without_limit(void)
{
	struct bufferevent *b = bufferevent_socket_new(base, -1, 0);
	EXPECT_RET("decrement_read_limit without a limit", bufferevent_decrement_read_limit(b, 10), -1);
	EXPECT_LOG("the bufferevent has no rate limit");
	EXPECT_RET("group_new(base, NULL cfg)", bufferevent_rate_limit_group_new(base, NULL) == NULL, 1);
	EXPECT_RET("add_to_rate_limit_group(b, NULL)", bufferevent_add_to_rate_limit_group(b, NULL), -1);
	EXPECT_RET("cfg with a 0.5 ms tick", ev_token_bucket_cfg_new(1, 1, 1, 1, &(struct timeval){0, 500}) == NULL, 1);
	bufferevent_free(b);
}

static void
unlock_not_held(void)
{
	struct bufferevent *b = bufferevent_socket_new(base, -1, BEV_OPT_THREADSAFE);
	bufferevent_unlock(b);
	EXPECT_LOG("not locked by this thread");
	bufferevent_lock(b);
	bufferevent_lock(b);
	bufferevent_unlock(b);
	bufferevent_unlock(b);
	OBS("recursive lock and unlock balanced");
	bufferevent_free(b);
}

int
main(void)
{
	m_begin("m_bufferevent");
	base = event_base_new();
	m_case("NULL bufferevent", "-1 / NULL / 0 / ignored, log", null_bev);
	m_case("NULL arguments", "-1 / NULL, log", null_args);
	m_case("no base and no current base", "NULL, log", no_base);
	m_case("a pointer that is not a live bufferevent", "-1, log", freed_bev);
	m_case("incref/decref after free, before release", "works; released once", double_free_before_release);
	m_case("bad watermarks, flush modes, priorities, ports, options", "kept / -1 / NULL, log", bad_values);
	m_case("descriptor closed under a socket bufferevent", "error event, no crash", fd_closed_under);
	m_case("rate-limit calls without a limit or with bad arguments", "-1 / NULL, log", ratelimit_without_limit);
	m_case("bufferevent_unlock of a lock not held", "ignored, log; recursive locking works", unlock_not_held);
	event_base_free(base);
	return m_end();
}

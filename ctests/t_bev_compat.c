/* The libevent 1.4 bufferevent calls, as tmux uses them: event_init,
 * bufferevent_new on the current base, the EVBUFFER_* names,
 * bufferevent_settimeout and bufferevent_base_set. */
#include <event.h>
#include "common.h"

static int reads, errors;
static short last_what;

static void
readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	reads++;
	SAY("read %zu bytes: %.*s", EVBUFFER_LENGTH(EVBUFFER_INPUT(bev)),
	    (int)EVBUFFER_LENGTH(EVBUFFER_INPUT(bev)), (char *)EVBUFFER_DATA(EVBUFFER_INPUT(bev)));
	evbuffer_drain(EVBUFFER_INPUT(bev), EVBUFFER_LENGTH(EVBUFFER_INPUT(bev)));
}

static void
errorcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	errors++;
	last_what = what;
}

int
main(void)
{
	struct event_base *base, *other;
	struct bufferevent *a, *b;
	int sv[2], i;

	t_begin("t_bev_compat");
	base = event_init();
	t_pair(sv);
	a = bufferevent_new(sv[0], NULL, NULL, errorcb, NULL);
	b = bufferevent_new(sv[1], readcb, NULL, errorcb, NULL);
	CHECK("bufferevent_new", a && b);
	CHECK("events on the current base", event_get_base(&b->ev_read) == base);
	EXPECT_INT("EVBUFFER_* names", EVBUFFER_READ | EVBUFFER_WRITE | EVBUFFER_EOF | EVBUFFER_ERROR | EVBUFFER_TIMEOUT,
	    BEV_EVENT_READING | BEV_EVENT_WRITING | BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT);
	bufferevent_enable(b, EV_READ);
	evbuffer_add_printf(EVBUFFER_OUTPUT(a), "%s %d", "one", 1);
	bufferevent_write(a, " two", 4);
	for (i = 0; i < 50 && reads < 1; i++)
		event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("read callbacks", reads, 1);

	/* 1.4 timeouts are whole seconds; 0 clears. */
	bufferevent_settimeout(b, 1, 0);
	EXPECT_INT("timeout_read seconds", b->timeout_read.tv_sec, 1);
	EXPECT_INT("timeout_write cleared", b->timeout_write.tv_sec, 0);
	bufferevent_settimeout(b, 0, 0);
	EXPECT_INT("timeout_read cleared", b->timeout_read.tv_sec, 0);

	/* Moving to another base. */
	other = event_base_new();
	EXPECT_INT("bufferevent_base_set", bufferevent_base_set(other, a), 0);
	CHECK("moved", bufferevent_get_base(a) == other && event_get_base(&a->ev_write) == other);
	bufferevent_write(a, "three", 5);
	for (i = 0; i < 20; i++)
		event_base_loop(other, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (i = 0; i < 50 && reads < 2; i++)
		event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("read on the first base after the writer moved", reads, 2);

	/* EOF through the 1.4 names. */
	bufferevent_free(a);
	close(sv[0]);
	for (i = 0; i < 50 && errors < 1; i++)
		event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("error callback", errors, 1);
	EXPECT_INT("  what", last_what, EVBUFFER_EOF | EVBUFFER_READ);
	bufferevent_free(b);
	close(sv[1]);
	event_base_loop(other, EVLOOP_NONBLOCK);
	event_base_free(other);
	event_base_free(base);
	return t_end();
}

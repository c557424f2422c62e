/* Socket bufferevents: the public struct, reads and writes, callbacks,
 * watermarks, enable/disable, EOF, errors, timeouts, deferred callbacks,
 * triggers, priorities and freeing inside callbacks. */
#include <signal.h>
#include <stddef.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include "common.h"

static int reads, writes, events;
static short last_event;
static size_t last_len;
static int drain_each; /* drain the input in the read callback */
static int free_in_event;

static void
readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	reads++;
	last_len = evbuffer_get_length(bufferevent_get_input(bev));
	if (drain_each)
		evbuffer_drain(bufferevent_get_input(bev), last_len);
}

static void
writecb(struct bufferevent *bev, void *arg)
{
	(void)bev; (void)arg;
	writes++;
}

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	events++;
	last_event = what;
	if (free_in_event)
		bufferevent_free(bev);
}

static void
reset(void)
{
	reads = writes = events = 0;
	last_event = 0;
	last_len = 0;
}

/* Runs the loop until `*counter` reaches `want` or 200 passes went by. */
static void
run_until(struct event_base *base, int *counter, int want)
{
	int i;
	for (i = 0; i < 200 && *counter < want; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
spin(struct event_base *base, int passes)
{
	while (passes-- > 0)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

int
main(void)
{
	struct event_base *base;
	struct bufferevent *a, *b;
	int sv[2], i;
	char buf[256];
	size_t lo, hi;
	struct timeval tv;
	bufferevent_data_cb rcb, wcb;
	bufferevent_event_cb ecb;
	void *cbarg;

	t_begin("t_bev_socket");
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();

	EXPECT_INT("sizeof(struct bufferevent)", sizeof(struct bufferevent), 392);
	EXPECT_INT("offsetof input", offsetof(struct bufferevent, input), 272);
	EXPECT_INT("offsetof enabled", offsetof(struct bufferevent, enabled), 384);

	t_pair(sv);
	a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	b = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
	CHECK("socket_new", a && b);
	CHECK("bev->input is get_input", a->input == bufferevent_get_input(a));
	CHECK("bev->output is get_output", a->output == bufferevent_get_output(a));
	CHECK("bev->ev_base", a->ev_base == base && bufferevent_get_base(a) == base);
	EXPECT_INT("enabled at start", bufferevent_get_enabled(a), EV_WRITE);
	EXPECT_INT("enabled field", a->enabled, EV_WRITE);
	EXPECT_INT("getfd", bufferevent_getfd(a) == sv[0], 1);
	CHECK("no underlying", bufferevent_get_underlying(a) == NULL);
	EXPECT_INT("socket flush", bufferevent_flush(a, EV_WRITE, BEV_FLUSH), 0);
	CHECK("ev_read not pending before enable", !event_pending(&b->ev_read, EV_READ, NULL));

	bufferevent_setcb(a, readcb, writecb, eventcb, a);
	bufferevent_setcb(b, readcb, writecb, eventcb, b);
	bufferevent_getcb(b, &rcb, &wcb, &ecb, &cbarg);
	CHECK("getcb", rcb == readcb && wcb == writecb && ecb == eventcb && cbarg == b);
	CHECK("callback fields", b->readcb == readcb && b->errorcb == eventcb && b->cbarg == b);

	/* A write travels; the writer hears its output drained. */
	EXPECT_INT("enable read", bufferevent_enable(b, EV_READ), 0);
	CHECK("ev_read pending after enable", event_pending(&b->ev_read, EV_READ, NULL));
	EXPECT_INT("enabled", bufferevent_get_enabled(b), EV_READ | EV_WRITE);
	EXPECT_INT("write", bufferevent_write(a, "hello", 5), 0);
	CHECK("ev_write pending with data queued", event_pending(&a->ev_write, EV_WRITE, NULL));
	run_until(base, &reads, 1);
	EXPECT_INT("read callbacks", reads, 1);
	EXPECT_INT("  input length", last_len, 5);
	EXPECT_INT("writer's write callbacks", writes, 1);
	CHECK("ev_write idle once drained", !event_pending(&a->ev_write, EV_WRITE, NULL));
	EXPECT_INT("bufferevent_read", bufferevent_read(b, buf, sizeof(buf)), 5);
	buf[5] = 0;
	EXPECT_STR("  data", buf, "hello");

	/* Enabling EV_WRITE with nothing queued still calls the write callback
	 * once (libevent adds the write event unconditionally). */
	reset();
	bufferevent_enable(b, EV_WRITE);
	run_until(base, &writes, 1);
	spin(base, 3);
	EXPECT_INT("write callback on enable with empty output", writes, 1);

	/* Low read watermark: no callback until 10 bytes. */
	reset();
	bufferevent_setwatermark(b, EV_READ, 10, 0);
	bufferevent_getwatermark(b, EV_READ, &lo, &hi);
	EXPECT_INT("getwatermark low", lo, 10);
	EXPECT_INT("getwatermark high", hi, 0);
	EXPECT_INT("getwatermark both is refused", bufferevent_getwatermark(b, EV_READ | EV_WRITE, &lo, &hi), -1);
	bufferevent_write(a, "12345", 5);
	spin(base, 5);
	EXPECT_INT("below low watermark: no read callback", reads, 0);
	bufferevent_write(a, "67890", 5);
	run_until(base, &reads, 1);
	EXPECT_INT("at low watermark: read callback", reads, 1);
	EXPECT_INT("  length", last_len, 10);
	evbuffer_drain(bufferevent_get_input(b), 10);

	/* High read watermark: reads stop at 16 bytes and resume on drain. */
	reset();
	drain_each = 1;
	bufferevent_setwatermark(b, EV_READ, 0, 16);
	EXPECT_INT("wm_read.high field", b->wm_read.high, 16);
	memset(buf, 'x', 100);
	bufferevent_write(a, buf, 100);
	run_until(base, &reads, 7);
	spin(base, 3);
	EXPECT_INT("high watermark: read callbacks", reads, 7);
	EXPECT_INT("  last piece", last_len, 4);
	drain_each = 0;
	bufferevent_setwatermark(b, EV_READ, 0, 0);

	/* Disabled reading queues nothing; enabling delivers. */
	reset();
	bufferevent_disable(b, EV_READ);
	CHECK("ev_read not pending after disable", !event_pending(&b->ev_read, EV_READ, NULL));
	EXPECT_INT("enabled after disable", bufferevent_get_enabled(b), EV_WRITE);
	bufferevent_write(a, "abc", 3);
	spin(base, 5);
	EXPECT_INT("disabled: no read callback", reads, 0);
	bufferevent_enable(b, EV_READ);
	run_until(base, &reads, 1);
	EXPECT_INT("re-enabled: read callback", reads, 1);
	EXPECT_INT("  length", last_len, 3);
	evbuffer_drain(bufferevent_get_input(b), 3);

	/* Triggers. */
	reset();
	bufferevent_trigger(b, EV_READ, 0);
	EXPECT_INT("trigger read with empty input below low wm 0: runs", reads, 1);
	bufferevent_setwatermark(b, EV_READ, 5, 0);
	bufferevent_trigger(b, EV_READ, 0);
	EXPECT_INT("trigger below low watermark: nothing", reads, 1);
	bufferevent_trigger(b, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
	EXPECT_INT("trigger ignoring watermarks: runs", reads, 2);
	bufferevent_trigger(b, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	EXPECT_INT("deferred trigger: not yet", reads, 2);
	spin(base, 2);
	EXPECT_INT("deferred trigger: after a pass", reads, 3);
	bufferevent_setwatermark(b, EV_READ, 0, 0);
	bufferevent_trigger_event(b, BEV_EVENT_ERROR, 0);
	EXPECT_INT("trigger_event", events, 1);
	EXPECT_INT("  what", last_event, BEV_EVENT_ERROR);

	/* Priorities. */
	event_base_priority_init(base, 4);
	EXPECT_INT("priority_set", bufferevent_priority_set(b, 3), 0);
	EXPECT_INT("get_priority", bufferevent_get_priority(b), 3);
	EXPECT_INT("priority_set out of range", bufferevent_priority_set(b, 9), -1);

	/* Read timeout: reported once, reading disabled. */
	reset();
	tv.tv_sec = 0;
	tv.tv_usec = 30000;
	EXPECT_INT("set_timeouts", bufferevent_set_timeouts(b, &tv, NULL), 0);
	EXPECT_INT("timeout_read field", b->timeout_read.tv_usec, 30000);
	run_until(base, &events, 1);
	for (i = 0; i < 50 && events < 1; i++) {
		t_sleep_ms(5);
		spin(base, 1);
	}
	EXPECT_INT("timeout event", events, 1);
	EXPECT_INT("  what", last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	EXPECT_INT("  reading disabled", bufferevent_get_enabled(b) & EV_READ, 0);
	bufferevent_set_timeouts(b, NULL, NULL);
	EXPECT_INT("cleared timeout field", b->timeout_read.tv_usec, 0);

	/* EOF: the peer closes. */
	reset();
	bufferevent_enable(b, EV_READ);
	bufferevent_free(a);
	run_until(base, &events, 1);
	EXPECT_INT("eof event", events, 1);
	EXPECT_INT("  what", last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	EXPECT_INT("  reading disabled", bufferevent_get_enabled(b) & EV_READ, 0);

	/* Writing to the closed peer: an error, and free inside the event
	 * callback is safe. */
	reset();
	free_in_event = 1;
	bufferevent_write(b, "zzz", 3);
	run_until(base, &events, 1);
	EXPECT_INT("write error event", events, 1);
	EXPECT_INT("  what", last_event, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	free_in_event = 0;
	spin(base, 3);

	/* Deferred callbacks. */
	reset();
	t_pair(sv);
	a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	b = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(b, readcb, NULL, eventcb, NULL);
	bufferevent_enable(b, EV_READ);
	bufferevent_write(a, "deferred", 8);
	run_until(base, &reads, 1);
	EXPECT_INT("deferred read callback", reads, 1);
	EXPECT_INT("  length", last_len, 8);
	bufferevent_trigger_event(b, BEV_EVENT_EOF, 0);
	EXPECT_INT("deferred event: not yet", events, 0);
	spin(base, 2);
	EXPECT_INT("deferred event: after a pass", events, 1);
	bufferevent_free(a);
	bufferevent_free(b);
	spin(base, 3);

	event_base_free(base);
	return t_end();
}

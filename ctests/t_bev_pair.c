/* Paired bufferevents: data crosses without a descriptor, callbacks are
 * deferred, watermarks hold data back, flush moves it anyway, freeing one
 * side unlinks the other; and filters over a pair. */
#include <ctype.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include "common.h"

static int reads, writes, events;
static short last_event;
static size_t last_len;

static void
readcb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	reads++;
	last_len = evbuffer_get_length(bufferevent_get_input(bev));
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
	(void)bev; (void)arg;
	events++;
	last_event = what;
}

static void
spin(struct event_base *base, int passes)
{
	while (passes-- > 0)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Upper-cases what passes through, at most `limit` bytes when given. */
static enum bufferevent_filter_result
upper(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *ctx)
{
	unsigned char tmp[64];
	int n;
	(void)mode;
	(*(int *)ctx)++;
	if (evbuffer_get_length(src) == 0)
		return BEV_NEED_MORE;
	while (evbuffer_get_length(src) > 0 && limit != 0) {
		size_t want = sizeof(tmp);
		int i;
		if (limit > 0 && (size_t)limit < want)
			want = (size_t)limit;
		n = evbuffer_remove(src, tmp, want);
		for (i = 0; i < n; i++)
			tmp[i] = (unsigned char)toupper(tmp[i]);
		evbuffer_add(dst, tmp, n);
		if (limit > 0)
			limit -= n;
	}
	return BEV_OK;
}

static int freed_ctx;
static void
free_ctx(void *ctx)
{
	(void)ctx;
	freed_ctx++;
}

int
main(void)
{
	struct event_base *base;
	struct bufferevent *pair[2], *f;
	char buf[128];
	int filter_calls = 0;

	t_begin("t_bev_pair");
	base = event_base_new();

	EXPECT_INT("pair_new", bufferevent_pair_new(base, 0, pair), 0);
	CHECK("partners", bufferevent_pair_get_partner(pair[0]) == pair[1] &&
	    bufferevent_pair_get_partner(pair[1]) == pair[0]);
	EXPECT_INT("getfd of a pair", bufferevent_getfd(pair[0]), -1);
	bufferevent_setcb(pair[1], readcb, writecb, eventcb, NULL);
	bufferevent_setcb(pair[0], NULL, writecb, eventcb, NULL);
	EXPECT_INT("enabled at start", bufferevent_get_enabled(pair[1]), EV_WRITE);

	/* Nothing crosses until the reader enables EV_READ. */
	bufferevent_write(pair[0], "ping", 4);
	EXPECT_INT("held in the writer's output", evbuffer_get_length(bufferevent_get_output(pair[0])), 4);
	bufferevent_enable(pair[1], EV_READ);
	EXPECT_INT("moved on enable", evbuffer_get_length(bufferevent_get_input(pair[1])), 4);
	EXPECT_INT("read callback deferred", reads, 0);
	spin(base, 2);
	EXPECT_INT("read callback after a pass", reads, 1);
	EXPECT_INT("  length", last_len, 4);
	EXPECT_INT("writer's write callback", writes, 1);

	/* Watermark: at most 6 bytes cross; flush moves the rest. No read
	 * callback here: libevent re-runs it for as long as the input sits at
	 * its high watermark (its issue 891; librel_only/bev_highwm.c). */
	bufferevent_setcb(pair[1], NULL, writecb, eventcb, NULL);
	evbuffer_drain(bufferevent_get_input(pair[1]), 4);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 6);
	bufferevent_write(pair[0], "0123456789", 10);
	EXPECT_INT("crossed up to the high watermark", evbuffer_get_length(bufferevent_get_input(pair[1])), 6);
	EXPECT_INT("rest waits", evbuffer_get_length(bufferevent_get_output(pair[0])), 4);
	EXPECT_INT("flush NORMAL moves nothing", bufferevent_flush(pair[0], EV_WRITE, BEV_NORMAL), 0);
	EXPECT_INT("flush FLUSH", bufferevent_flush(pair[0], EV_WRITE, BEV_FLUSH), 0);
	EXPECT_INT("all crossed", evbuffer_get_length(bufferevent_get_input(pair[1])), 10);
	EXPECT_INT("flush FINISHED", bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED), 0);
	spin(base, 2);
	EXPECT_INT("partner told EOF", last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	evbuffer_drain(bufferevent_get_input(pair[1]), 10);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 0);

	/* A filter over one side. */
	bufferevent_setcb(pair[1], NULL, NULL, NULL, NULL);
	f = bufferevent_filter_new(pair[1], upper, NULL, BEV_OPT_CLOSE_ON_FREE, free_ctx, &filter_calls);
	CHECK("filter_new", f != NULL);
	CHECK("underlying", bufferevent_get_underlying(f) == pair[1]);
	EXPECT_INT("filter getfd passes down", bufferevent_getfd(f), -1);
	reads = writes = 0;
	bufferevent_setcb(f, readcb, writecb, eventcb, NULL);
	bufferevent_enable(f, EV_READ);
	bufferevent_write(pair[0], "hello filter", 12);
	spin(base, 4);
	CHECK("input filter ran", filter_calls > 0);
	EXPECT_INT("filtered read callback", reads > 0, 1);
	EXPECT_INT("filtered length", evbuffer_get_length(bufferevent_get_input(f)), 12);
	evbuffer_remove(bufferevent_get_input(f), buf, 12);
	buf[12] = 0;
	EXPECT_STR("filtered data", buf, "HELLO FILTER");

	/* Writing through the filter (null output filter) reaches the peer. */
	bufferevent_enable(pair[0], EV_READ);
	bufferevent_write(f, "back", 4);
	spin(base, 4);
	EXPECT_INT("through the filter to the peer", evbuffer_get_length(bufferevent_get_input(pair[0])), 4);

	/* Filter high watermark: data waits below and is not stranded (no
	 * read callback, for the reason above). */
	bufferevent_setcb(f, NULL, writecb, eventcb, NULL);
	bufferevent_setwatermark(f, EV_READ, 0, 5);
	bufferevent_write(pair[0], "abcdefghijkl", 12);
	spin(base, 4);
	EXPECT_INT("filter input at its watermark", evbuffer_get_length(bufferevent_get_input(f)), 5);
	evbuffer_drain(bufferevent_get_input(f), 5);
	spin(base, 4);
	EXPECT_INT("more after draining", evbuffer_get_length(bufferevent_get_input(f)), 5);
	evbuffer_drain(bufferevent_get_input(f), 5);
	spin(base, 4);
	EXPECT_INT("the rest", evbuffer_get_length(bufferevent_get_input(f)), 2);

	/* Freeing the filter frees the underlying side (CLOSE_ON_FREE); the
	 * other side is unlinked. */
	bufferevent_free(f);
	spin(base, 3);
	EXPECT_INT("context freed once", freed_ctx, 1);
	CHECK("partner unlinked", bufferevent_pair_get_partner(pair[0]) == NULL);
	bufferevent_free(pair[0]);
	spin(base, 2);
	event_base_free(base);
	return t_end();
}

/* At its read high watermark a bufferevent stops reading and stays quiet
 * until the input drains. libevent 2.1.11+ re-runs the read callback for
 * as long as the input sits at the watermark (its issue 891): 100% CPU,
 * and EVLOOP_ONCE never returns. */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "../common.h"

static int reads;

static void
readcb(struct bufferevent *bev, void *arg)
{
	(void)bev; (void)arg;
	reads++; /* never drains */
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
	struct bufferevent *pair[2], *s;
	char buf[100];
	int sv[2], i;

	t_begin("bev_highwm");
	base = event_base_new();
	memset(buf, 'x', sizeof(buf));

	/* socket */
	t_pair(sv);
	s = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(s, readcb, NULL, NULL, NULL);
	bufferevent_setwatermark(s, EV_READ, 0, 16);
	bufferevent_enable(s, EV_READ);
	if (write(sv[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		DIE("write");
	for (i = 0; i < 20 && reads == 0; i++)
		spin(base, 1);
	spin(base, 50);
	EXPECT_INT("socket: one read callback at the watermark", reads, 1);
	EXPECT_INT("  input held at the watermark", evbuffer_get_length(bufferevent_get_input(s)), 16);
	evbuffer_drain(bufferevent_get_input(s), 16);
	spin(base, 5);
	EXPECT_INT("  drained: reading resumes", reads, 2);
	EXPECT_INT("  input", evbuffer_get_length(bufferevent_get_input(s)), 16);
	bufferevent_free(s);
	close(sv[1]);

	/* pair (deferred callbacks) */
	reads = 0;
	bufferevent_pair_new(base, 0, pair);
	bufferevent_setcb(pair[1], readcb, NULL, NULL, NULL);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 16);
	bufferevent_enable(pair[1], EV_READ);
	bufferevent_write(pair[0], buf, sizeof(buf));
	spin(base, 50);
	EXPECT_INT("pair: one read callback at the watermark", reads, 1);
	evbuffer_drain(bufferevent_get_input(pair[1]), 16);
	spin(base, 5);
	EXPECT_INT("  drained: more crossed", reads, 2);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	spin(base, 2);
	event_base_free(base);
	return t_end();
}

/* tmux's pattern: EVBUFFER_DATA (evbuffer_pullup(-1)) on a bufferevent's
 * input in every read callback. librel reads into one chain, so the data
 * is already contiguous and pullup returns it in place, copying nothing.
 * libevent reads 4096-byte chains and must copy them together. */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include "../common.h"

static int reads, in_place;
static size_t len, contiguous;

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec first;
	(void)arg;
	reads++;
	len = evbuffer_get_length(in);
	contiguous = evbuffer_get_contiguous_space(in);
	evbuffer_peek(in, -1, NULL, &first, 1);
	in_place = EVBUFFER_DATA(in) == (unsigned char *)first.iov_base;
	evbuffer_drain(in, len);
}

int
main(void)
{
	struct event_base *base;
	struct bufferevent *b;
	static char data[12000];
	int sv[2], i;

	t_begin("bev_pullup_free");
	base = event_base_new();
	t_pair(sv);
	b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(b, readcb, NULL, NULL, NULL);
	bufferevent_enable(b, EV_READ);
	memset(data, 'p', sizeof(data));
	if (write(sv[1], data, sizeof(data)) != (ssize_t)sizeof(data))
		DIE("write");
	for (i = 0; i < 50 && reads == 0; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("12000 bytes in the first read callback", len, sizeof(data));
	EXPECT_INT("  all contiguous before any pullup", contiguous, sizeof(data));
	EXPECT_INT("  EVBUFFER_DATA returns them in place (no copy)", in_place, 1);
	bufferevent_free(b);
	close(sv[1]);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	return t_end();
}

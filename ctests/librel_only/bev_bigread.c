/* A socket bufferevent reads more than 4096 bytes per call when more is
 * waiting, up to its max single read (64 KiB by default, settable); libevent reads at most
 * 4096 bytes per call whatever the setting (EVBUFFER_MAX_READ). */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "../common.h"

static size_t first_len, total;
static int reads;

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	(void)arg;
	if (reads++ == 0)
		first_len = evbuffer_get_length(in);
	total += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
run(struct event_base *base, struct bufferevent *b, int fd, size_t n)
{
	static char data[200000];
	size_t off = 0;
	int i;
	reads = 0;
	first_len = total = 0;
	evbuffer_drain(bufferevent_get_input(b), evbuffer_get_length(bufferevent_get_input(b)));
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		if (w <= 0)
			DIE("write");
		off += (size_t)w;
	}
	for (i = 0; i < 100 && total < n; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

int
main(void)
{
	struct event_base *base;
	struct bufferevent *b;
	int sv[2], size = 200000;

	t_begin("bev_bigread");
	base = event_base_new();
	t_pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(b, readcb, NULL, NULL, NULL);
	bufferevent_enable(b, EV_READ);
	EXPECT_INT("default max single read (libevent: 16384)", bufferevent_get_max_single_read(b), 65536);

	/* evbuffer sizes its reads to the traffic (no FIONREAD): 16 KiB on a
	 * fresh buffer, doubling while reads fill what they are offered */
	run(base, b, sv[1], 60000);
	EXPECT_INT("first read on a fresh buffer (libevent: 4096)", first_len, 16384);
	CHECK("all 60000 bytes in at most 3 reads (libevent: 15)", total == 60000 && reads <= 3);

	EXPECT_INT("set_max_single_read", bufferevent_set_max_single_read(b, 8192), 0);
	run(base, b, sv[1], 60000);
	EXPECT_INT("an 8 KiB maximum: the first read takes 8192", first_len, 8192);
	EXPECT_INT("  and 60000 bytes take 8 reads", reads, 8);

	bufferevent_set_max_single_read(b, 1000);
	run(base, b, sv[1], 5000);
	EXPECT_INT("a smaller maximum is honoured", first_len, 1000);

	bufferevent_free(b);
	close(sv[1]);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	return t_end();
}

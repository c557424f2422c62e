/* A socket bufferevent writing to a closed peer reports an error; the
 * process never gets SIGPIPE, though it does not ignore the signal.
 * libevent writes without MSG_NOSIGNAL (its issue 1065) and dies. */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "../common.h"

static int events;
static short last;

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	events++;
	last = what;
}

int
main(void)
{
	struct event_base *base;
	struct bufferevent *b;
	char big[65536];
	int sv[2], i;

	t_begin("bev_sigpipe");
	base = event_base_new();
	t_pair(sv);
	close(sv[1]);
	b = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(b, NULL, NULL, eventcb, NULL);
	memset(big, 'y', sizeof(big));
	bufferevent_write(b, big, sizeof(big));
	for (i = 0; i < 50 && events == 0; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("error event, and still alive", events, 1);
	EXPECT_INT("  what", last, BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	bufferevent_free(b);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	return t_end();
}

/* Connecting socket bufferevents: to an address (socket made for us), to
 * a refused port, to a host name through the system resolver, and bad
 * arguments. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "common.h"

static int events;
static short last_event;

static void
eventcb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	events++;
	last_event = what;
}

static void
spin_until(struct event_base *base, int want)
{
	int i;
	for (i = 0; i < 400 && events < want; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (events < want)
			t_sleep_ms(1);
	}
}

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int
listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) < 0)
		DIE("listener");
	return fd;
}

int
main(void)
{
	struct event_base *base;
	struct bufferevent *bev;
	struct sockaddr_in sin, closed;
	int lfd, cfd;
	char buf[16];

	t_begin("t_bev_connect");
	base = event_base_new();
	lfd = listener(&sin);

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	EXPECT_INT("no fd yet", bufferevent_getfd(bev), -1);
	bufferevent_setcb(bev, NULL, NULL, eventcb, NULL);
	EXPECT_INT("connect", bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK("fd made", bufferevent_getfd(bev) >= 0);
	bufferevent_write(bev, "hi", 2);
	spin_until(base, 1);
	EXPECT_INT("connected event", last_event, BEV_EVENT_CONNECTED);
	cfd = accept(lfd, NULL, NULL);
	CHECK("accepted", cfd >= 0);
	spin_until(base, 2);
	t_sleep_ms(20);
	EXPECT_INT("queued data arrives after connect", (int)read(cfd, buf, sizeof(buf)), 2);
	close(cfd);
	bufferevent_free(bev);

	/* A port nobody listens on. */
	closed = sin;
	close(lfd);
	events = 0;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, NULL, NULL, eventcb, NULL);
	EXPECT_INT("connect to a closed port starts", bufferevent_socket_connect(bev, (struct sockaddr *)&closed, sizeof(closed)), 0);
	spin_until(base, 1);
	EXPECT_INT("refused: error event", last_event, BEV_EVENT_ERROR);
	bufferevent_free(bev);

	/* Host names, resolved numerically here (no network). */
	lfd = listener(&sin);
	events = 0;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, NULL, NULL, eventcb, NULL);
	EXPECT_INT("bad family", bufferevent_socket_connect_hostname(bev, NULL, AF_UNIX, "127.0.0.1", ntohs(sin.sin_port)), -1);
	EXPECT_INT("bad port", bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", 0), -1);
	EXPECT_INT("connect_hostname", bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "127.0.0.1", ntohs(sin.sin_port)), 0);
	spin_until(base, 1);
	EXPECT_INT("hostname: connected", last_event, BEV_EVENT_CONNECTED);
	EXPECT_INT("no dns error", bufferevent_socket_get_dns_error(bev), 0);
	bufferevent_free(bev);
	close(lfd);

	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	return t_end();
}

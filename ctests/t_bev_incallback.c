/* Event changes a socket bufferevent's read callback makes on itself
 * (librel applies them when the callback returns; the outcome must be
 * libevent's):
 *  - disable EV_READ: no more read callbacks, data waits in the socket;
 *  - disable then enable EV_READ (evhttp's per-request pattern): reading
 *    goes on;
 *  - enable EV_WRITE with nothing to write: the write callback runs;
 *  - enable EV_WRITE, write a reply, disable EV_WRITE: nothing is sent
 *    until writing is enabled again. */
#include "common.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

static struct event_base *base;
static int reads, writes, mode;

enum { STOP_READING, TOGGLE, ENABLE_EMPTY_WRITE, WRITE_DISABLED };

static void on_read(struct bufferevent *bev, void *arg)
{
	char buf[64];
	size_t n = bufferevent_read(bev, buf, sizeof buf - 1);
	(void)arg;
	buf[n] = 0;
	reads++;
	SAY("read %d: \"%s\"", reads, buf);
	switch (mode) {
	case STOP_READING:
		bufferevent_disable(bev, EV_READ);
		break;
	case TOGGLE:
		bufferevent_disable(bev, EV_READ);
		bufferevent_write(bev, "ack", 3);
		bufferevent_enable(bev, EV_READ);
		break;
	case ENABLE_EMPTY_WRITE:
		bufferevent_disable(bev, EV_WRITE);
		bufferevent_enable(bev, EV_WRITE);
		break;
	case WRITE_DISABLED:
		bufferevent_enable(bev, EV_WRITE);
		bufferevent_write(bev, "held", 4);
		bufferevent_disable(bev, EV_WRITE);
		break;
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev; (void)arg;
	writes++;
}

static void spin(int passes)
{
	int i;
	for (i = 0; i < passes; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static int peer_read(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = 0;
	return (int)(n > 0 ? n : 0);
}

static void run(int m, const char *name)
{
	int sv[2];
	char got[64];
	struct bufferevent *bev;
	SAY("-- %s", name);
	t_pair(sv);
	mode = m;
	reads = writes = 0;
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_read, on_write, NULL, NULL);
	bufferevent_enable(bev, EV_READ);
	if (write(sv[1], "one", 3) != 3)
		DIE("write");
	spin(5);
	if (write(sv[1], "two", 3) != 3)
		DIE("write");
	spin(5);
	EXPECT_INT("read callbacks", reads, m == STOP_READING ? 1 : 2);
	EXPECT_INT("write callbacks", writes > 0, m == TOGGLE || m == ENABLE_EMPTY_WRITE);
	peer_read(sv[1], got, sizeof got);
	SAY("peer got \"%s\"", got);
	if (m == STOP_READING) {
		bufferevent_enable(bev, EV_READ);
		spin(5);
		EXPECT_INT("reads after enabling again", reads, 2);
	}
	if (m == WRITE_DISABLED) {
		EXPECT_INT("held in the output", (int)evbuffer_get_length(bufferevent_get_output(bev)), 8);
		bufferevent_enable(bev, EV_WRITE);
		spin(5);
		peer_read(sv[1], got, sizeof got);
		SAY("after enabling EV_WRITE the peer got \"%s\"", got);
	}
	bufferevent_free(bev);
	close(sv[1]);
}

int main(void)
{
	t_begin("t_bev_incallback");
	alarm(20);
	base = event_base_new();
	run(STOP_READING, "disable EV_READ in the read callback");
	run(TOGGLE, "disable and enable EV_READ, write in between");
	run(ENABLE_EMPTY_WRITE, "enable EV_WRITE with an empty output");
	run(WRITE_DISABLED, "enable EV_WRITE, write, disable EV_WRITE");
	event_base_free(base);
	return t_end();
}

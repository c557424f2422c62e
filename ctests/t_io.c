/* I/O readiness: read, write, both, EOF, EV_CLOSED, EV_ET, pipes,
 * several events on one fd, fd reuse after close. */
#include <event2/event.h>
#include "common.h"

static int calls, last_what, last_read;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	calls++;
	last_what = what;
	last_read = -2;
	if (what & EV_READ)
		last_read = t_drain(fd);
}

static void
peek_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)arg;
	calls++;
	last_what = what; /* does not consume: level vs edge */
}

int
main(void)
{
	struct event_base *base;
	struct event *r, *w, *rw, *r2;
	int sv[2], p[2], features;
	struct timeval tv;

	t_begin("t_io");
	base = event_base_new();
	features = event_base_get_features(base);
	t_pair(sv);

	/* read */
	r = event_new(base, sv[0], EV_READ, cb, NULL);
	event_add(r, NULL);
	EXPECT_INT("loop(NONBLOCK) with nothing ready", event_base_loop(base, EVLOOP_NONBLOCK), 0);
	EXPECT_INT("  no callback", calls, 0);
	if (write(sv[1], "abc", 3) != 3)
		DIE("write");
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_INT("read fired", calls, 1);
	EXPECT_INT("  what", last_what, EV_READ);
	EXPECT_INT("  bytes", last_read, 3);

	/* write is ready at once */
	w = event_new(base, sv[0], EV_WRITE, cb, NULL);
	event_add(w, NULL);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("write fired", calls, 1);
	EXPECT_INT("  what", last_what, EV_WRITE);

	/* one event for read|write: both reported in one callback */
	rw = event_new(base, sv[0], EV_READ | EV_WRITE, cb, NULL);
	t_write1(sv[1]);
	event_add(rw, NULL);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("read|write event fired once", calls, 1);
	EXPECT_INT("  what", last_what, EV_READ | EV_WRITE);
	event_add(rw, NULL);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("  only writable now", last_what, EV_WRITE);

	/* separate read and write events on one fd, both fire */
	t_write1(sv[1]);
	event_add(r, NULL);
	event_add(w, NULL);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("separate read and write events", calls, 2);
	/* deleting one of two events on an fd keeps the other */
	event_add(r, NULL);
	event_add(w, NULL);
	event_del(w);
	calls = 0;
	EXPECT_INT("loop(NONBLOCK) read not ready, write deleted", event_base_loop(base, EVLOOP_NONBLOCK), 0);
	EXPECT_INT("  nothing fired", calls, 0);
	t_write1(sv[1]);
	event_base_dispatch(base);
	EXPECT_INT("  read still works", calls, 1);

	/* two read events on the same fd both fire */
	r2 = event_new(base, sv[0], EV_READ, peek_cb, NULL);
	event_add(r, NULL);
	event_add(r2, NULL);
	t_write1(sv[1]);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("two read events on one fd", calls, 2);
	t_drain(sv[0]);

	/* read with timeout: data wins */
	tv = t_tv_ms(500);
	event_add(r, &tv);
	t_write1(sv[1]);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("read+timeout with data: what", last_what, EV_READ);

	/* level-triggered: unread data fires again; EV_ET only once */
	event_free(r2);
	r2 = event_new(base, sv[0], EV_READ | EV_PERSIST, peek_cb, NULL);
	event_add(r2, NULL);
	t_write1(sv[1]);
	calls = 0;
	event_base_loop(base, EVLOOP_ONCE);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK("level-triggered: fires on every pass (>= 2)", calls >= 2);
	event_free(r2);
	t_drain(sv[0]);
	r2 = event_new(base, sv[0], EV_READ | EV_PERSIST | EV_ET, peek_cb, NULL);
	event_add(r2, NULL);
	t_write1(sv[1]);
	calls = 0;
	tv = t_tv_ms(20);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	if (features & EV_FEATURE_ET)
		CHECK("EV_ET: fires once per edge (backend has ET)", calls == 1);
	else
		CHECK("EV_ET: fires once per edge (backend has ET)", calls >= 1); /* treated as level */
	event_free(r2);
	t_drain(sv[0]);

	/* EOF: read fires with 0 bytes; EV_CLOSED where supported */
	{
		int sv2[2];
		struct event *c;
		t_pair(sv2);
		c = event_new(base, sv2[0], EV_READ | EV_CLOSED, cb, NULL);
		event_add(c, NULL);
		close(sv2[1]);
		calls = 0;
		event_base_dispatch(base);
		EXPECT_INT("peer closed: fired", calls, 1);
		CHECK("  what has EV_READ", last_what & EV_READ);
		CHECK("  EV_CLOSED reported iff EARLY_CLOSE feature",
		    !!(last_what & EV_CLOSED) == !!(features & EV_FEATURE_EARLY_CLOSE));
		EXPECT_INT("  read returns 0 (EOF)", last_read, 0);
		event_free(c);
		close(sv2[0]);
	}

	/* pipes work too */
	if (pipe2(p, O_NONBLOCK) != 0)
		DIE("pipe");
	event_free(r);
	r = event_new(base, p[0], EV_READ, cb, NULL);
	event_add(r, NULL);
	t_write1(p[1]);
	calls = 0;
	event_base_dispatch(base);
	EXPECT_INT("pipe read", calls, 1);
	EXPECT_INT("  bytes", last_read, 1);

	/* fd reuse: del, close, new fd with the same number, add again */
	{
		int old = p[0], q[2];
		event_del(r);
		close(p[0]);
		close(p[1]);
		if (pipe2(q, O_NONBLOCK) != 0)
			DIE("pipe");
		CHECK("fd number reused", q[0] == old);
		event_assign(r, base, q[0], EV_READ, cb, NULL);
		event_add(r, NULL);
		t_write1(q[1]);
		calls = 0;
		event_base_dispatch(base);
		EXPECT_INT("reused fd number works", calls, 1);
		close(q[0]);
		close(q[1]);
	}

	/* an event added on an fd closed without event_del, then the number
	 * reused for a new fd with a new event: the new event works */
	{
		int s3[2], s4[2];
		struct event *x, *y;
		t_pair(s3);
		x = event_new(base, s3[0], EV_READ, cb, NULL);
		event_add(x, NULL);
		event_del(x);
		close(s3[0]);
		close(s3[1]);
		t_pair(s4);
		y = event_new(base, s4[0], EV_READ, cb, NULL);
		event_add(y, NULL);
		t_write1(s4[1]);
		calls = 0;
		event_base_dispatch(base);
		EXPECT_INT("new event on recycled fd", calls, 1);
		event_free(x);
		event_free(y);
		close(s4[0]);
		close(s4[1]);
	}

	event_free(r);
	event_free(w);
	event_free(rw);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return t_end();
}

/* evbuffer_read / evbuffer_write / evbuffer_write_atmost on pipes and
 * sockets: limits, end of file, EAGAIN, nothing to write, frozen ends,
 * and the callbacks they run. */
#include <string.h>
#include <event2/buffer.h>
#include "common.h"

static void
show(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)b;
	SAY("cb %s: +%d -%d", (const char *)arg, (int)info->n_added, (int)info->n_deleted);
}

static const char *
content(struct evbuffer *b)
{
	static char s[4096];
	ev_ssize_t n = evbuffer_copyout(b, s, sizeof(s) - 1);
	s[n < 0 ? 0 : n] = 0;
	return s;
}

int
main(void)
{
	struct evbuffer *b = evbuffer_new(), *w = evbuffer_new();
	int pfd[2], sv[2], r, e;
	char text[200];

	t_begin("t_evb_io");
	if (pipe(pfd) != 0)
		DIE("pipe");
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	evbuffer_add_cb(b, show, "in");
	evbuffer_add_cb(w, show, "out");

	for (r = 0; r < 100; r++)
		text[r] = 'a' + r % 26;
	evbuffer_add(w, text, 100);
	EXPECT_INT("write_atmost 30", evbuffer_write_atmost(w, pfd[1], 30), 30);
	EXPECT_INT("left to write", evbuffer_get_length(w), 70);
	EXPECT_INT("write rest", evbuffer_write(w, pfd[1]), 70);
	errno = 0;
	EXPECT_INT("write nothing", evbuffer_write(w, pfd[1]), -1);
	EXPECT_INT("write nothing errno", errno, 0);

	EXPECT_INT("read 10", evbuffer_read(b, pfd[0], 10), 10);
	EXPECT_STR("read bytes", content(b), "abcdefghij");
	EXPECT_INT("read rest", evbuffer_read(b, pfd[0], -1), 90);
	errno = 0;
	r = evbuffer_read(b, pfd[0], -1);
	e = errno;
	EXPECT_INT("read nothing waiting", r, -1);
	CHECK("EAGAIN", e == EAGAIN);
	EXPECT_INT("length", evbuffer_get_length(b), 100);
	r = evbuffer_read(b, pfd[0], 0);
	SAY("read 0 bytes: %d", r);
	close(pfd[1]);
	EXPECT_INT("read EOF", evbuffer_read(b, pfd[0], -1), 0);
	close(pfd[0]);
	EXPECT_INT("read closed fd", evbuffer_read(b, pfd[0], -1), -1);
	EXPECT_INT("write closed fd", evbuffer_write(b, pfd[0]), -1);
	EXPECT_INT("length after errors", evbuffer_get_length(b), 100);

	/* sockets */
	t_pair(sv);
	evbuffer_add(w, "over a socket", 13);
	EXPECT_INT("socket write", evbuffer_write(w, sv[0]), 13);
	evbuffer_drain(b, 1000);
	EXPECT_INT("socket read", evbuffer_read(b, sv[1], 100), 13);
	EXPECT_STR("socket bytes", content(b), "over a socket");

	/* frozen ends */
	evbuffer_add(w, "frozen", 6);
	evbuffer_freeze(w, 1);
	EXPECT_INT("write frozen front", evbuffer_write(w, sv[0]), -1);
	evbuffer_unfreeze(w, 1);
	evbuffer_write(w, sv[0]);
	evbuffer_freeze(b, 0);
	EXPECT_INT("read frozen end", evbuffer_read(b, sv[1], -1), -1);
	evbuffer_unfreeze(b, 0);
	EXPECT_INT("read after thaw", evbuffer_read(b, sv[1], -1), 6);

	/* a bigger transfer through a socket, in order */
	{
		char big[3000], back[3000];
		int i, sent = 0, got = 0, ok = 1;
		struct evbuffer *rb = evbuffer_new();
		/* chunk sizes differ between libraries: no callbacks here */
		evbuffer_remove_cb(w, show, "out");
		for (i = 0; i < 20; i++) {
			memset(big, 'A' + i, sizeof big);
			evbuffer_add(w, big, sizeof big);
		}
		while (sent < 60000 || got < 60000) {
			int n = evbuffer_write(w, sv[0]);
			if (n > 0)
				sent += n;
			n = evbuffer_read(rb, sv[1], -1);
			if (n > 0)
				got += n;
			else if (n == 0)
				break;
		}
		for (i = 0; i < 20 && ok; i++) {
			if (evbuffer_remove(rb, back, sizeof back) != sizeof back)
				ok = 0;
			else if (back[0] != 'A' + i || back[2999] != 'A' + i)
				ok = 0;
		}
		CHECK("60000 bytes in order", ok && sent == 60000 && got == 60000);
		evbuffer_free(rb);
	}
	close(sv[0]);
	close(sv[1]);
	evbuffer_free(b);
	evbuffer_free(w);
	return t_end();
}

/* evbuffer_read / evbuffer_write / evbuffer_write_atmost on socketpairs
 * and pipes: counts, end of file, errors, partial writes to a full
 * socket, and data integrity over many rounds. */
#include "common.h"

#include <event2/buffer.h>

static void
pipe_rounds(void)
{
	int p[2], round, ok = 1;
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	char *block = malloc(70000), *back = malloc(70000);
	if (pipe(p) != 0)
		DIE("pipe");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (round = 0; round < 20; round++) {
		int len = 1000 * (round + 1), got = 0, i;
		for (i = 0; i < len; i++)
			block[i] = (char)(round * 7 + i);
		evbuffer_add(out, block, len);
		while (evbuffer_get_length(out) > 0)
			if (evbuffer_write(out, p[1]) <= 0)
				ok = 0;
		while (got < len) {
			int n = evbuffer_read(in, p[0], -1);
			if (n <= 0) {
				ok = 0;
				break;
			}
			got += n;
		}
		if (evbuffer_remove(in, back, len) != len || memcmp(back, block, len))
			ok = 0;
	}
	CHECK("20 rounds through a pipe", ok);
	errno = 0;
	EXPECT_INT("read when nothing waits", evbuffer_read(in, p[0], -1), -1);
	EXPECT_INT("errno EAGAIN", errno, EAGAIN);
	EXPECT_INT("write of an empty buffer", evbuffer_write(out, p[1]), -1);
	evbuffer_add(out, "abcdef", 6);
	EXPECT_INT("write_atmost 4", evbuffer_write_atmost(out, p[1], 4), 4);
	EXPECT_INT("2 left", evbuffer_get_length(out), 2);
	EXPECT_INT("read 3", evbuffer_read(in, p[0], 3), 3);
	EXPECT_INT("read the rest", evbuffer_read(in, p[0], 100), 1);
	EXPECT_INT("write_atmost more than there is", evbuffer_write_atmost(out, p[1], 100), 2);
	EXPECT_INT("read 0 bytes", evbuffer_read(in, p[0], 0), 0);
	EXPECT_INT("read 2", evbuffer_read(in, p[0], -1), 2);
	{
		char s[7] = {0};
		evbuffer_remove(in, s, 6);
		EXPECT_STR("bytes", s, "abcdef");
	}
	close(p[1]);
	EXPECT_INT("read at end of file", evbuffer_read(in, p[0], -1), 0);
	close(p[0]);
	errno = 0;
	EXPECT_INT("read of a closed fd", evbuffer_read(in, p[0], -1), -1);
	EXPECT_INT("errno EBADF", errno, EBADF);
	evbuffer_add(out, "x", 1);
	errno = 0;
	EXPECT_INT("write to a closed fd", evbuffer_write(out, p[1]), -1);
	EXPECT_INT("write errno EBADF", errno, EBADF);
	EXPECT_INT("unwritten byte stays", evbuffer_get_length(out), 1);
	free(block);
	free(back);
	evbuffer_free(out);
	evbuffer_free(in);
}

static void
full_socket(void)
{
	int sv[2], n, total = 0;
	struct evbuffer *out = evbuffer_new(), *in = evbuffer_new();
	char *big = malloc(4 << 20);
	memset(big, 'w', 4 << 20);
	t_pair(sv);
	evbuffer_add(out, big, 4 << 20);
	while ((n = evbuffer_write(out, sv[0])) > 0)
		total += n;
	EXPECT_INT("full socket: -1", n, -1);
	CHECK("full socket: EAGAIN", errno == EAGAIN || errno == EWOULDBLOCK);
	CHECK("some was written", total > 0);
	CHECK("the rest stays", evbuffer_get_length(out) == (size_t)((4 << 20) - total));
	while (evbuffer_get_length(in) < (size_t)total)
		if (evbuffer_read(in, sv[1], -1) <= 0)
			break;
	EXPECT_INT("all written bytes arrive", evbuffer_get_length(in) == (size_t)total, 1);
	close(sv[0]);
	close(sv[1]);
	free(big);
	evbuffer_free(out);
	evbuffer_free(in);
}

static void
with_frozen(void)
{
	int p[2];
	struct evbuffer *b = evbuffer_new();
	if (pipe(p) != 0)
		DIE("pipe");
	evbuffer_add(b, "abc", 3);
	evbuffer_freeze(b, 1);
	EXPECT_INT("write with frozen front", evbuffer_write(b, p[1]), -1);
	evbuffer_unfreeze(b, 1);
	EXPECT_INT("write", evbuffer_write(b, p[1]), 3);
	evbuffer_freeze(b, 0);
	EXPECT_INT("read with frozen back", evbuffer_read(b, p[0], -1), -1);
	evbuffer_unfreeze(b, 0);
	EXPECT_INT("read", evbuffer_read(b, p[0], -1), 3);
	close(p[0]);
	close(p[1]);
	evbuffer_free(b);
}

int
main(void)
{
	t_begin("t_buffer_io");
	pipe_rounds();
	full_socket();
	with_frozen();
	return t_end();
}

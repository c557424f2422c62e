/* evbuffer_reserve_space / commit_space with one and two extents, partial
 * and refused commits, and the data they leave. */
#include "common.h"

#include <event2/buffer.h>

static int
content_is(struct evbuffer *b, const char *want)
{
	size_t n = strlen(want);
	unsigned char *p;
	if (evbuffer_get_length(b) != n)
		return 0;
	p = evbuffer_pullup(b, -1);
	return n == 0 || (p && memcmp(p, want, n) == 0);
}

static void
one_extent(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[2];
	int n;
	evbuffer_add(b, "head:", 5);
	n = evbuffer_reserve_space(b, 100, v, 1);
	EXPECT_INT("reserve 1 extent", n, 1);
	CHECK("extent big enough", v[0].iov_len >= 100);
	EXPECT_INT("reserved space is not data", evbuffer_get_length(b), 5);
	memcpy(v[0].iov_base, "body", 4);
	v[0].iov_len = 4;
	EXPECT_INT("commit", evbuffer_commit_space(b, v, 1), 0);
	CHECK("content", content_is(b, "head:body"));
	EXPECT_INT("commit nothing", evbuffer_commit_space(b, v, 0), 0);
	n = evbuffer_reserve_space(b, 10, v, 1);
	v[0].iov_len = 0;
	EXPECT_INT("commit 0 bytes", evbuffer_commit_space(b, v, 1), 0);
	CHECK("unchanged", content_is(b, "head:body"));
	EXPECT_INT("reserve with 0 vecs", evbuffer_reserve_space(b, 10, v, 0), -1);
	n = evbuffer_reserve_space(b, 10, v, 1);
	v[0].iov_base = (char *)v[0].iov_base + 1;
	v[0].iov_len = 1;
	EXPECT_INT("commit at a wrong address", evbuffer_commit_space(b, v, 1), -1);
	n = evbuffer_reserve_space(b, 10, v, 1);
	v[0].iov_len += 1;
	EXPECT_INT("commit more than reserved", evbuffer_commit_space(b, v, 1), -1);
	CHECK("unchanged after refusals", content_is(b, "head:body"));
	(void)n;
	evbuffer_free(b);
}

static void
two_extents(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[2];
	char *big = malloc(20000);
	int n, i;
	size_t total = 0, want = 20000, put = 0;
	memset(big, 'z', 20000);
	evbuffer_add(b, "x", 1);
	n = evbuffer_reserve_space(b, 20000, v, 2);
	CHECK("reserve 2 extents: 1 or 2", n == 1 || n == 2);
	for (i = 0; i < n; i++)
		total += v[i].iov_len;
	CHECK("extents cover the request", total >= 20000);
	for (i = 0; i < n; i++) {
		size_t k = v[i].iov_len < want - put ? v[i].iov_len : want - put;
		memcpy(v[i].iov_base, big, k);
		v[i].iov_len = k;
		put += k;
	}
	EXPECT_INT("commit both", evbuffer_commit_space(b, v, n), 0);
	EXPECT_INT("length", evbuffer_get_length(b), 20001);
	{
		unsigned char *p = evbuffer_pullup(b, -1);
		CHECK("data", p[0] == 'x' && memcmp(p + 1, big, 20000) == 0);
	}
	free(big);
	evbuffer_free(b);
}

static void
reserve_read_loop(void)
{
	/* the pattern of programs that fill buffers themselves */
	struct evbuffer *b = evbuffer_new();
	int round, ok = 1;
	for (round = 0; round < 200; round++) {
		struct evbuffer_iovec v[2];
		int n = evbuffer_reserve_space(b, 300, v, 2), i;
		size_t left = 300;
		for (i = 0; i < n; i++) {
			size_t k = v[i].iov_len < left ? v[i].iov_len : left;
			memset(v[i].iov_base, 'a' + round % 26, k);
			v[i].iov_len = k;
			left -= k;
		}
		if (evbuffer_commit_space(b, v, n) != 0)
			ok = 0;
	}
	CHECK("200 reserve/commit rounds", ok);
	EXPECT_INT("length", evbuffer_get_length(b), 60000);
	{
		unsigned char *p = evbuffer_pullup(b, -1);
		for (round = 0; round < 200; round++)
			if (p[round * 300] != 'a' + round % 26 || p[round * 300 + 299] != 'a' + round % 26)
				ok = 0;
		CHECK("each round's bytes in order", ok);
	}
	evbuffer_free(b);
}

int
main(void)
{
	t_begin("t_buffer_reserve");
	one_extent();
	two_extents();
	reserve_read_loop();
	return t_end();
}

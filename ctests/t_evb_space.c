/* evbuffer_reserve_space/commit_space, evbuffer_peek and
 * evbuffer_get_contiguous_space: writing in place, committing less than
 * reserved, stale commits, and peeking at data without copying. */
#include <string.h>
#include <event2/buffer.h>
#include "common.h"

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
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[4], stale;
	struct evbuffer_ptr p;
	int n, i, total;

	t_begin("t_evb_space");
	n = evbuffer_reserve_space(b, 100, v, 1);
	EXPECT_INT("reserve one extent", n, 1);
	CHECK("reserved enough", v[0].iov_len >= 100);
	EXPECT_INT("nothing added yet", evbuffer_get_length(b), 0);
	memcpy(v[0].iov_base, "written in place", 16);
	v[0].iov_len = 16;
	EXPECT_INT("commit", evbuffer_commit_space(b, v, 1), 0);
	EXPECT_STR("committed", content(b), "written in place");
	EXPECT_INT("commit none", evbuffer_commit_space(b, v, 0), 0);

	n = evbuffer_reserve_space(b, 10, v, 2);
	CHECK("reserve up to two", n >= 1 && n <= 2);
	total = 0;
	for (i = 0; i < n; i++)
		total += (int)v[i].iov_len;
	CHECK("reserved at least 10", total >= 10);
	memcpy(v[0].iov_base, "!", 1);
	v[0].iov_len = 1;
	for (i = 1; i < n; i++)
		v[i].iov_len = 0;
	EXPECT_INT("commit less", evbuffer_commit_space(b, v, n), 0);
	EXPECT_STR("one more byte", content(b), "written in place!");

	/* a reservation goes stale when the buffer changes */
	evbuffer_reserve_space(b, 50, v, 1);
	stale = v[0];
	stale.iov_len = 60000;
	EXPECT_INT("commit more than reserved", evbuffer_commit_space(b, &stale, 1), -1);
	stale.iov_base = (char *)stale.iov_base + 1;
	stale.iov_len = 1;
	EXPECT_INT("commit elsewhere", evbuffer_commit_space(b, &stale, 1), -1);
	EXPECT_INT("length unchanged", evbuffer_get_length(b), 17);
	EXPECT_INT("reserve negative", evbuffer_reserve_space(b, -1, v, 1), -1);
	EXPECT_INT("reserve no vec", evbuffer_reserve_space(b, 10, v, 0), -1);

	evbuffer_freeze(b, 0);
	EXPECT_INT("reserve frozen", evbuffer_reserve_space(b, 10, v, 1), -1);
	evbuffer_unfreeze(b, 0);

	/* peek */
	EXPECT_INT("contiguous", evbuffer_get_contiguous_space(b), 17);
	n = evbuffer_peek(b, -1, NULL, v, 4);
	EXPECT_INT("peek one extent", n, 1);
	CHECK("peek sees data", n == 1 && v[0].iov_len == 17 && memcmp(v[0].iov_base, "written", 7) == 0);
	EXPECT_INT("peek count only", evbuffer_peek(b, -1, NULL, NULL, 0), 1);
	EXPECT_INT("peek zero bytes", evbuffer_peek(b, 0, NULL, v, 4), 0);
	evbuffer_ptr_set(b, &p, 8, EVBUFFER_PTR_SET);
	n = evbuffer_peek(b, 3, &p, v, 4);
	EXPECT_INT("peek from 8", n, 1);
	CHECK("peek from 8 data", v[0].iov_len == 9 && memcmp(v[0].iov_base, "in place!", 9) == 0);
	evbuffer_ptr_set(b, &p, 17, EVBUFFER_PTR_SET);
	EXPECT_INT("peek at end", evbuffer_peek(b, -1, &p, v, 4), 0);
	{
		/* data in several buffers' chains: peek covers all of it */
		struct evbuffer *t = evbuffer_new();
		char big[5000];
		int seen = 0;
		memset(big, 'q', sizeof big);
		evbuffer_add(t, big, sizeof big);
		evbuffer_add_buffer(b, t);
		evbuffer_add_reference(b, "REF", 3, NULL, NULL);
		n = evbuffer_peek(b, -1, NULL, NULL, 0);
		CHECK("peek count", n >= 2);
		{
			struct evbuffer_iovec many[16];
			int got = evbuffer_peek(b, -1, NULL, many, 16);
			for (i = 0; i < got && i < 16; i++)
				seen += (int)many[i].iov_len;
		}
		EXPECT_INT("peek covers all", seen, 17 + 5000 + 3);
		n = evbuffer_peek(b, 20, NULL, v, 1);
		CHECK("peek 20 with one vec", n >= 1 && v[0].iov_len >= 17);
		evbuffer_free(t);
	}
	evbuffer_free(b);
	return t_end();
}

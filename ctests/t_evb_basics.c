/* evbuffer basics: add, prepend, drain, remove, copyout, add_buffer,
 * remove_buffer, prepend_buffer, pullup, expand, add_printf, add_iovec,
 * freeze, and what is refused or clamped (drain past the end, frozen
 * ends). Only layout-independent facts are printed. */
#include <string.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "common.h"

/* The whole content as a string (copyout, NUL-terminated). */
static const char *
content(struct evbuffer *b)
{
	static char s[70000];
	ev_ssize_t n = evbuffer_copyout(b, s, sizeof(s) - 1);
	s[n < 0 ? 0 : n] = 0;
	return s;
}

static void
big_moves(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	char chunk[3000];
	size_t i, total = 0;
	unsigned sum = 0, sum2 = 0;
	unsigned char *p;

	for (i = 0; i < 50; i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		chunk[0] = (char)i;
		evbuffer_add(a, chunk, sizeof(chunk) - i);
		total += sizeof(chunk) - i;
	}
	EXPECT_INT("big length", evbuffer_get_length(a), total);
	p = evbuffer_pullup(a, -1);
	CHECK("pullup all", p != NULL);
	for (i = 0; i < total; i++)
		sum = sum * 31 + p[i];
	EXPECT_INT("remove_buffer part", evbuffer_remove_buffer(a, b, 70001), 70001);
	EXPECT_INT("remains", evbuffer_get_length(a), total - 70001);
	evbuffer_add_buffer(b, a);
	EXPECT_INT("moved back", evbuffer_get_length(b), total);
	EXPECT_INT("source empty", evbuffer_get_length(a), 0);
	p = evbuffer_pullup(b, -1);
	for (i = 0; i < total; i++)
		sum2 = sum2 * 31 + p[i];
	CHECK("same bytes after moves", sum == sum2);
	evbuffer_drain(b, 100000);
	EXPECT_INT("drained part", evbuffer_get_length(b), total - 100000);
	evbuffer_free(a);
	evbuffer_free(b);
}

int
main(void)
{
	struct evbuffer *a, *b;
	char out[64];
	struct evbuffer_iovec iov[3];
	unsigned char *p;

	t_begin("t_evb_basics");
	a = evbuffer_new();
	b = evbuffer_new();
	CHECK("new", a && b);
	EXPECT_INT("empty length", evbuffer_get_length(a), 0);
	EXPECT_INT("empty contiguous", evbuffer_get_contiguous_space(a), 0);
	CHECK("pullup empty is NULL", evbuffer_pullup(a, -1) == NULL);
	CHECK("pullup 0 is NULL", evbuffer_pullup(a, 0) == NULL);
	EXPECT_INT("add", evbuffer_add(a, "hello", 5), 0);
	EXPECT_INT("add empty", evbuffer_add(a, "", 0), 0);
	EXPECT_INT("add NULL 0", evbuffer_add(a, NULL, 0), 0);
	EXPECT_INT("length", evbuffer_get_length(a), 5);
	EXPECT_INT("contiguous", evbuffer_get_contiguous_space(a), 5);
	EXPECT_INT("prepend", evbuffer_prepend(a, ">> ", 3), 0);
	EXPECT_STR("content", content(a), ">> hello");
	EXPECT_INT("printf", evbuffer_add_printf(a, " %d-%s-%c", 42, "x", 'y'), 7);
	EXPECT_STR("after printf", content(a), ">> hello 42-x-y");
	EXPECT_INT("copyout 4", evbuffer_copyout(a, out, 4), 4);
	out[4] = 0;
	EXPECT_STR("copyout bytes", out, ">> h");
	EXPECT_INT("copyout leaves", evbuffer_get_length(a), 15);
	EXPECT_INT("remove 3", evbuffer_remove(a, out, 3), 3);
	EXPECT_INT("drain 2", evbuffer_drain(a, 2), 0);
	EXPECT_STR("after remove+drain", content(a), "llo 42-x-y");
	p = evbuffer_pullup(a, 3);
	CHECK("pullup 3", p && memcmp(p, "llo", 3) == 0);
	CHECK("pullup too much", evbuffer_pullup(a, 100) == NULL);
	EXPECT_INT("remove more than held", evbuffer_remove(a, out, sizeof(out)), 10);
	EXPECT_INT("remove from empty", evbuffer_remove(a, out, sizeof(out)), 0);
	evbuffer_add(a, "abc", 3);
	EXPECT_INT("drain past end", evbuffer_drain(a, 1000), 0);
	EXPECT_INT("drained all", evbuffer_get_length(a), 0);

	/* moves between buffers */
	evbuffer_add(a, "one ", 4);
	evbuffer_add(b, "two ", 4);
	EXPECT_INT("add_buffer", evbuffer_add_buffer(a, b), 0);
	EXPECT_STR("a", content(a), "one two ");
	EXPECT_INT("b empty", evbuffer_get_length(b), 0);
	EXPECT_INT("add_buffer self", evbuffer_add_buffer(a, a), 0);
	EXPECT_STR("self unchanged", content(a), "one two ");
	EXPECT_INT("remove_buffer 5", evbuffer_remove_buffer(a, b, 5), 5);
	EXPECT_STR("a rest", content(a), "wo ");
	EXPECT_STR("b got", content(b), "one t");
	EXPECT_INT("remove_buffer past end", evbuffer_remove_buffer(a, b, 100), 3);
	EXPECT_STR("b all", content(b), "one two ");
	evbuffer_add(a, "zero ", 5);
	EXPECT_INT("prepend_buffer", evbuffer_prepend_buffer(b, a), 0);
	EXPECT_STR("b prepended", content(b), "zero one two ");
	EXPECT_INT("a emptied", evbuffer_get_length(a), 0);

	/* expand and iovec */
	EXPECT_INT("expand", evbuffer_expand(a, 10000), 0);
	EXPECT_INT("expand adds nothing", evbuffer_get_length(a), 0);
	iov[0].iov_base = "ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = "cde";
	iov[1].iov_len = 3;
	iov[2].iov_base = "";
	iov[2].iov_len = 0;
	EXPECT_INT("add_iovec", evbuffer_add_iovec(a, iov, 3), 5);
	EXPECT_STR("iovec content", content(a), "abcde");

	/* freezing */
	EXPECT_INT("freeze end", evbuffer_freeze(a, 0), 0);
	EXPECT_INT("add frozen end", evbuffer_add(a, "x", 1), -1);
	EXPECT_INT("printf frozen end", evbuffer_add_printf(a, "%d", 1), -1);
	EXPECT_INT("prepend with end frozen", evbuffer_prepend(a, "<", 1), 0);
	EXPECT_INT("drain with end frozen", evbuffer_drain(a, 1), 0);
	EXPECT_INT("add_buffer into frozen end", evbuffer_add_buffer(a, b), -1);
	EXPECT_INT("unfreeze end", evbuffer_unfreeze(a, 0), 0);
	EXPECT_INT("freeze front", evbuffer_freeze(a, 1), 0);
	EXPECT_INT("add with front frozen", evbuffer_add(a, "x", 1), 0);
	EXPECT_INT("drain frozen front", evbuffer_drain(a, 1), -1);
	EXPECT_INT("remove frozen front", evbuffer_remove(a, out, 1), -1);
	EXPECT_INT("prepend frozen front", evbuffer_prepend(a, "x", 1), -1);
	CHECK("readln frozen front", evbuffer_readln(a, NULL, EVBUFFER_EOL_ANY) == NULL);
	EXPECT_INT("remove_buffer from frozen front", evbuffer_remove_buffer(a, b, 1), -1);
	EXPECT_INT("copyout frozen front", evbuffer_copyout(a, out, 2), -1);
	EXPECT_INT("copyout 0 frozen front", evbuffer_copyout(a, out, 0), 0);
	EXPECT_INT("unfreeze front", evbuffer_unfreeze(a, 1), 0);
	EXPECT_STR("after freezing", content(a), "abcdex");

	/* many small records, then read back in order */
	{
		int i, ok = 1;
		evbuffer_drain(a, evbuffer_get_length(a));
		for (i = 0; i < 5000; i++)
			evbuffer_add_printf(a, "%05d;", i);
		EXPECT_INT("records length", evbuffer_get_length(a), 30000);
		for (i = 0; i < 5000 && ok; i++) {
			char rec[7], want[7];
			snprintf(want, sizeof want, "%05d;", i);
			if (evbuffer_remove(a, rec, 6) != 6)
				ok = 0;
			rec[6] = 0;
			if (strcmp(rec, want) != 0)
				ok = 0;
		}
		CHECK("records in order", ok);
	}
	big_moves();
	evbuffer_free(a);
	evbuffer_free(b);
	return t_end();
}

/* evbuffer basics: add, drain, remove, copyout, prepend, pullup, expand,
 * add_buffer / remove_buffer / prepend_buffer, add_printf, add_iovec,
 * freeze. Only layout-free facts are printed (lengths and contents, never
 * how many chains or where they are). */
#include "common.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

/* The whole content as a string (tests use printable bytes). */
static const char *
content(struct evbuffer *b)
{
	static char s[70000];
	size_t n = evbuffer_get_length(b);
	if (n >= sizeof s)
		return "(too long)";
	if (evbuffer_copyout(b, s, n) != (ev_ssize_t)n)
		return "(copyout failed)";
	s[n] = '\0';
	return s;
}

static void
basics(void)
{
	struct evbuffer *b = evbuffer_new();
	char out[64];
	CHECK("new", b != NULL);
	EXPECT_INT("empty length", evbuffer_get_length(b), 0);
	EXPECT_INT("empty contiguous", evbuffer_get_contiguous_space(b), 0);
	CHECK("pullup(-1) of empty is NULL", evbuffer_pullup(b, -1) == NULL);
	EXPECT_INT("drain of empty", evbuffer_drain(b, 10), 0);
	EXPECT_INT("remove of empty", evbuffer_remove(b, out, sizeof out), 0);
	EXPECT_INT("copyout of empty", evbuffer_copyout(b, out, sizeof out), 0);
	EXPECT_INT("add", evbuffer_add(b, "hello", 5), 0);
	EXPECT_INT("add nothing", evbuffer_add(b, "", 0), 0);
	EXPECT_INT("add world", evbuffer_add(b, " world", 6), 0);
	EXPECT_STR("content", content(b), "hello world");
	CHECK("contiguous > 0", evbuffer_get_contiguous_space(b) > 0);
	CHECK("contiguous <= length", evbuffer_get_contiguous_space(b) <= 11);
	EXPECT_INT("prepend", evbuffer_prepend(b, ">> ", 3), 0);
	EXPECT_INT("prepend nothing", evbuffer_prepend(b, "", 0), 0);
	EXPECT_STR("after prepend", content(b), ">> hello world");
	EXPECT_INT("copyout 5", evbuffer_copyout(b, out, 5), 5);
	out[5] = 0;
	EXPECT_STR("copied", out, ">> he");
	EXPECT_INT("length unchanged", evbuffer_get_length(b), 14);
	EXPECT_INT("remove 3", evbuffer_remove(b, out, 3), 3);
	EXPECT_INT("drain 6", evbuffer_drain(b, 6), 0);
	EXPECT_STR("rest", content(b), "world");
	EXPECT_INT("remove more than there is", evbuffer_remove(b, out, sizeof out), 5);
	out[5] = 0;
	EXPECT_STR("removed", out, "world");
	EXPECT_INT("length 0", evbuffer_get_length(b), 0);
	evbuffer_add(b, "abc", 3);
	EXPECT_INT("drain past the end", evbuffer_drain(b, 1000), 0);
	EXPECT_INT("drained all", evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void
big(void)
{
	struct evbuffer *b = evbuffer_new();
	char *blob = malloc(100000), *back = malloc(100000);
	int i, ok = 1;
	unsigned char *p;
	for (i = 0; i < 100000; i++)
		blob[i] = 'a' + i % 26;
	for (i = 0; i < 1000; i++)
		evbuffer_add(b, blob + i * 100, 100);
	EXPECT_INT("100 KB in small adds", evbuffer_get_length(b), 100000);
	p = evbuffer_pullup(b, 50000);
	CHECK("pullup 50000", p != NULL && memcmp(p, blob, 50000) == 0);
	CHECK("contiguous >= 50000", evbuffer_get_contiguous_space(b) >= 50000);
	CHECK("pullup more than there is is NULL", evbuffer_pullup(b, 100001) == NULL);
	CHECK("pullup 0 is NULL", evbuffer_pullup(b, 0) == NULL);
	p = evbuffer_pullup(b, -1);
	CHECK("pullup all", p != NULL && memcmp(p, blob, 100000) == 0);
	EXPECT_INT("contiguous all", evbuffer_get_contiguous_space(b), 100000);
	for (i = 0; i < 100; i++) {
		if (evbuffer_remove(b, back, 1000) != 1000 || memcmp(back, blob + i * 1000, 1000))
			ok = 0;
	}
	CHECK("removed in order", ok);
	EXPECT_INT("expand", evbuffer_expand(b, 10000), 0);
	EXPECT_INT("expand keeps length", evbuffer_get_length(b), 0);
	evbuffer_add(b, blob, 10000);
	CHECK("10000 after expand is contiguous", evbuffer_get_contiguous_space(b) == 10000);
	free(blob);
	free(back);
	evbuffer_free(b);
}

static void
moves(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	evbuffer_add(a, "0123456789", 10);
	evbuffer_add(b, "abc", 3);
	EXPECT_INT("add_buffer", evbuffer_add_buffer(b, a), 0);
	EXPECT_STR("dst", content(b), "abc0123456789");
	EXPECT_INT("src emptied", evbuffer_get_length(a), 0);
	EXPECT_INT("add_buffer of empty", evbuffer_add_buffer(b, a), 0);
	EXPECT_INT("add_buffer to itself", evbuffer_add_buffer(b, b), 0);
	EXPECT_STR("unchanged", content(b), "abc0123456789");
	EXPECT_INT("remove_buffer 5", evbuffer_remove_buffer(b, a, 5), 5);
	EXPECT_STR("moved", content(a), "abc01");
	EXPECT_STR("left", content(b), "23456789");
	EXPECT_INT("remove_buffer 0", evbuffer_remove_buffer(b, a, 0), 0);
	EXPECT_INT("remove_buffer to itself", evbuffer_remove_buffer(b, b, 3), 0);
	EXPECT_INT("remove_buffer more than there is", evbuffer_remove_buffer(b, a, 100), 8);
	EXPECT_STR("all moved", content(a), "abc0123456789");
	evbuffer_add(b, "<<", 2);
	EXPECT_INT("prepend_buffer", evbuffer_prepend_buffer(a, b), 0);
	EXPECT_STR("prepended", content(a), "<<abc0123456789");
	EXPECT_INT("prepend_buffer empty", evbuffer_prepend_buffer(a, b), 0);
	EXPECT_INT("prepend_buffer to itself", evbuffer_prepend_buffer(a, a), 0);
	{
		/* many chains moved piecewise */
		char chunk[3000];
		int i, ok = 1;
		for (i = 0; i < 20; i++) {
			memset(chunk, 'A' + i, sizeof chunk);
			evbuffer_add(b, chunk, sizeof chunk);
		}
		evbuffer_drain(a, evbuffer_get_length(a));
		for (i = 0; i < 60; i++)
			if (evbuffer_remove_buffer(b, a, 1000) != 1000)
				ok = 0;
		CHECK("60 partial moves", ok);
		for (i = 0; i < 60000; i += 997) {
			char c;
			struct evbuffer_ptr p;
			evbuffer_ptr_set(a, &p, i, EVBUFFER_PTR_SET);
			evbuffer_copyout_from(a, &p, &c, 1);
			if (c != 'A' + i / 3000)
				ok = 0;
		}
		CHECK("bytes in order after moves", ok);
	}
	evbuffer_free(a);
	evbuffer_free(b);
}

static void
printf_and_iovec(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[3];
	char big[5000];
	EXPECT_INT("add_printf", evbuffer_add_printf(b, "%d-%s-%c", 42, "x", 'y'), 6);
	EXPECT_STR("printed", content(b), "42-x-y");
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = 0;
	EXPECT_INT("add_printf long", evbuffer_add_printf(b, "[%s]", big), 5001);
	EXPECT_INT("length", evbuffer_get_length(b), 5007);
	EXPECT_INT("add_printf empty", evbuffer_add_printf(b, "%s", ""), 0);
	evbuffer_drain(b, 6000);
	v[0].iov_base = "ab";
	v[0].iov_len = 2;
	v[1].iov_base = "";
	v[1].iov_len = 0;
	v[2].iov_base = "cde";
	v[2].iov_len = 3;
	EXPECT_INT("add_iovec", evbuffer_add_iovec(b, v, 3), 5);
	EXPECT_STR("iovec content", content(b), "abcde");
	evbuffer_free(b);
}

static void
freeze(void)
{
	struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
	char out[8];
	struct evbuffer_iovec v[2];
	evbuffer_add(b, "abcdef", 6);
	evbuffer_add(o, "xyz", 3);
	EXPECT_INT("freeze front", evbuffer_freeze(b, 1), 0);
	EXPECT_INT("drain frozen front", evbuffer_drain(b, 1), -1);
	EXPECT_INT("remove frozen front", evbuffer_remove(b, out, 2), -1);
	EXPECT_INT("copyout frozen front", evbuffer_copyout(b, out, 2), -1);
	EXPECT_INT("copyout 0 frozen front", evbuffer_copyout(b, out, 0), 0);
	EXPECT_INT("prepend frozen front", evbuffer_prepend(b, "x", 1), -1);
	CHECK("readln frozen front is NULL", evbuffer_readln(b, NULL, EVBUFFER_EOL_ANY) == NULL);
	EXPECT_INT("add to frozen front", evbuffer_add(b, "g", 1), 0);
	EXPECT_INT("remove_buffer from frozen front", evbuffer_remove_buffer(b, o, 1), -1);
	EXPECT_INT("add_buffer from frozen front", evbuffer_add_buffer(o, b), -1);
	EXPECT_INT("prepend_buffer into frozen front", evbuffer_prepend_buffer(b, o), -1);
	CHECK("pullup frozen front works", evbuffer_pullup(b, 7) != NULL);
	EXPECT_INT("unfreeze front", evbuffer_unfreeze(b, 1), 0);
	EXPECT_INT("freeze back", evbuffer_freeze(b, 0), 0);
	EXPECT_INT("add frozen back", evbuffer_add(b, "x", 1), -1);
	EXPECT_INT("add 0 frozen back", evbuffer_add(b, "x", 0), -1);
	EXPECT_INT("add_printf frozen back", evbuffer_add_printf(b, "%d", 1), -1);
	EXPECT_INT("reserve frozen back", evbuffer_reserve_space(b, 10, v, 2), -1);
	EXPECT_INT("add_buffer into frozen back", evbuffer_add_buffer(b, o), -1);
	EXPECT_INT("remove_buffer into frozen back", evbuffer_remove_buffer(o, b, 1), -1);
	EXPECT_INT("prepend to frozen back", evbuffer_prepend(b, "<", 1), 0);
	EXPECT_INT("drain frozen back", evbuffer_drain(b, 1), 0);
	EXPECT_STR("content", content(b), "abcdefg");
	evbuffer_unfreeze(b, 0);
	EXPECT_INT("add after unfreeze", evbuffer_add(b, "h", 1), 0);
	evbuffer_drain(b, 100);
	evbuffer_freeze(b, 1);
	EXPECT_INT("drain of empty frozen front", evbuffer_drain(b, 1), 0);
	evbuffer_free(b);
	evbuffer_free(o);
}

static void
locking(void)
{
	struct evbuffer *b = evbuffer_new();
	EXPECT_INT("enable_locking", evbuffer_enable_locking(b, NULL), 0);
	EXPECT_INT("enable_locking twice", evbuffer_enable_locking(b, NULL), -1);
	evbuffer_lock(b);
	evbuffer_lock(b);
	EXPECT_INT("add while locked", evbuffer_add(b, "a", 1), 0);
	evbuffer_unlock(b);
	evbuffer_unlock(b);
	EXPECT_INT("set_flags", evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	EXPECT_INT("clear_flags", evbuffer_clear_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
	evbuffer_free(b);
}

int
main(void)
{
	t_begin("t_buffer_basics");
	evthread_use_pthreads();
	EXPECT_INT("sizeof(struct evbuffer_ptr)", sizeof(struct evbuffer_ptr), 24);
	EXPECT_INT("sizeof(struct evbuffer_cb_info)", sizeof(struct evbuffer_cb_info), 24);
	EXPECT_INT("sizeof(struct evbuffer_iovec)", sizeof(struct evbuffer_iovec), 16);
	EXPECT_INT("EVBUFFER_EOL_NUL", EVBUFFER_EOL_NUL, 4);
	EXPECT_INT("EVBUFFER_PTR_ADD", EVBUFFER_PTR_ADD, 1);
	EXPECT_INT("EVBUF_FS_DISABLE_LOCKING", EVBUF_FS_DISABLE_LOCKING, 8);
	basics();
	big();
	moves();
	printf_and_iovec();
	freeze();
	locking();
	return t_end();
}

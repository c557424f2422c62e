/* evbuffer callbacks: what cb_info says after each kind of change, order
 * (newest first), enabling and disabling, removal from inside a callback,
 * the 1.4 evbuffer_setcb, two-buffer calls, and callbacks deferred to a
 * base's loop. */
#include "common.h"

#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/event.h>

static void
info_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
	SAY("%s: orig=%zu added=%zu deleted=%zu len=%zu", (const char *)arg, i->orig_size,
	    i->n_added, i->n_deleted, evbuffer_get_length(b));
}

static void
changes(void)
{
	struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
	struct evbuffer_iovec v[2];
	char out[16];
	struct evbuffer_cb_entry *first, *second;
	first = evbuffer_add_cb(b, info_cb, "first");
	second = evbuffer_add_cb(b, info_cb, "second");
	CHECK("entries", first && second && first != second);
	SAY("-- add");
	evbuffer_add(b, "0123456789", 10);
	SAY("-- add nothing");
	evbuffer_add(b, "", 0);
	SAY("-- prepend");
	evbuffer_prepend(b, "ab", 2);
	SAY("-- drain");
	evbuffer_drain(b, 3);
	SAY("-- drain 0");
	evbuffer_drain(b, 0);
	SAY("-- remove");
	evbuffer_remove(b, out, 4);
	SAY("-- copyout (no change)");
	evbuffer_copyout(b, out, 4);
	SAY("-- pullup (no change)");
	evbuffer_pullup(b, -1);
	SAY("-- printf");
	evbuffer_add_printf(b, "%s", "xyz");
	SAY("-- reserve/commit");
	evbuffer_reserve_space(b, 5, v, 1);
	memcpy(v[0].iov_base, "12345", 5);
	v[0].iov_len = 5;
	evbuffer_commit_space(b, v, 1);
	SAY("-- disable second");
	EXPECT_INT("clear_flags", evbuffer_cb_clear_flags(b, second, EVBUFFER_CB_ENABLED), 0);
	evbuffer_add(b, "!", 1);
	SAY("-- enable second");
	EXPECT_INT("set_flags", evbuffer_cb_set_flags(b, second, EVBUFFER_CB_ENABLED), 0);
	evbuffer_add(b, "?", 1);
	SAY("-- add_buffer (source's callbacks first)");
	evbuffer_add_cb(o, info_cb, "other");
	evbuffer_add(o, "OO", 2);
	evbuffer_add_buffer(b, o);
	SAY("-- remove_buffer part (destination's first)");
	evbuffer_remove_buffer(b, o, 3);
	SAY("-- remove_buffer all");
	evbuffer_remove_buffer(b, o, 1000);
	SAY("-- prepend_buffer");
	evbuffer_add(b, "P", 1);
	evbuffer_prepend_buffer(o, b);
	SAY("-- add_buffer_reference");
	evbuffer_add(b, "R", 1);
	evbuffer_add_buffer_reference(o, b);
	SAY("-- remove second");
	EXPECT_INT("remove_cb_entry", evbuffer_remove_cb_entry(b, second), 0);
	evbuffer_drain(b, 1);
	SAY("-- remove_cb");
	EXPECT_INT("remove_cb", evbuffer_remove_cb(b, info_cb, "first"), 0);
	EXPECT_INT("remove_cb again", evbuffer_remove_cb(b, info_cb, "first"), -1);
	evbuffer_add(b, "silent", 6);
	SAY("-- add_cb after silent changes");
	evbuffer_add_cb(b, info_cb, "late");
	evbuffer_add(b, "x", 1);
	evbuffer_free(b);
	evbuffer_free(o);
}

static void
more_changes(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[3];
	int p[2];
	char *line;
	if (pipe(p) != 0)
		DIE("pipe");
	evbuffer_add_cb(b, info_cb, "more");
	SAY("-- add_iovec (one run per extent)");
	v[0].iov_base = "ab";
	v[0].iov_len = 2;
	v[1].iov_base = "";
	v[1].iov_len = 0;
	v[2].iov_base = "cd\n";
	v[2].iov_len = 3;
	evbuffer_add_iovec(b, v, 3);
	SAY("-- expand (no change)");
	evbuffer_expand(b, 5000);
	SAY("-- add_reference");
	evbuffer_add_reference(b, "ref\n", 4, NULL, NULL);
	SAY("-- readln (line, then end of line)");
	line = evbuffer_readln(b, NULL, EVBUFFER_EOL_LF);
	free(line);
	SAY("-- write");
	evbuffer_write_atmost(b, p[1], 2);
	SAY("-- read");
	evbuffer_read(b, p[0], -1);
	SAY("-- frozen add (refused, no callback)");
	evbuffer_freeze(b, 0);
	evbuffer_add(b, "x", 1);
	evbuffer_unfreeze(b, 0);
	SAY("-- search, peek, copyout (no change)");
	evbuffer_search(b, "d", 1, NULL);
	evbuffer_peek(b, -1, NULL, v, 3);
	SAY("-- free");
	evbuffer_free(b);
	close(p[0]);
	close(p[1]);
}

static struct evbuffer_cb_entry *self_entry;
static int self_calls;

static void
self_removing_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
	(void)arg;
	(void)i;
	self_calls++;
	evbuffer_remove_cb_entry(b, self_entry);
}

static void
reentrant_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *arg)
{
	(void)arg;
	SAY("reentrant: orig=%zu added=%zu deleted=%zu", i->orig_size, i->n_added, i->n_deleted);
	if (evbuffer_get_length(b) > 4)
		evbuffer_drain(b, 2);
}

static void
reentry(void)
{
	struct evbuffer *b = evbuffer_new();
	self_entry = evbuffer_add_cb(b, self_removing_cb, NULL);
	evbuffer_add(b, "a", 1);
	evbuffer_add(b, "b", 1);
	EXPECT_INT("removed itself after one call", self_calls, 1);
	evbuffer_add_cb(b, reentrant_cb, NULL);
	evbuffer_add(b, "cdefgh", 6);
	EXPECT_INT("drained from its own callback", evbuffer_get_length(b), 4);
	evbuffer_free(b);
}

static void
old_cb(struct evbuffer *b, size_t old_len, size_t new_len, void *arg)
{
	(void)b;
	SAY("setcb %s: %zu -> %zu", (const char *)arg, old_len, new_len);
}

static void
compat(void)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_cb(b, info_cb, "replaced");
	EXPECT_INT("setcb", evbuffer_setcb(b, old_cb, "one"), 0);
	evbuffer_add(b, "abc", 3);
	evbuffer_drain(b, 1);
	EXPECT_INT("setcb again", evbuffer_setcb(b, old_cb, "two"), 0);
	evbuffer_add(b, "d", 1);
	EXPECT_INT("setcb NULL", evbuffer_setcb(b, NULL, NULL), 0);
	evbuffer_add(b, "e", 1);
	SAY("(nothing above)");
	evbuffer_free(b);
}

static struct event_base *base;

static void
deferred(void)
{
	struct evbuffer *b = evbuffer_new();
	base = event_base_new();
	evbuffer_add_cb(b, info_cb, "deferred");
	EXPECT_INT("defer_callbacks", evbuffer_defer_callbacks(b, base), 0);
	evbuffer_add(b, "12345", 5);
	evbuffer_drain(b, 2);
	evbuffer_add(b, "67", 2);
	SAY("(no callback yet)");
	SAY("loop returned %d", event_base_loop(base, EVLOOP_NONBLOCK));
	SAY("-- second round");
	evbuffer_drain(b, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	SAY("-- no change, no callback");
	event_base_loop(base, EVLOOP_NONBLOCK);
	evbuffer_free(b);
	event_base_free(base);
}

int
main(void)
{
	t_begin("t_buffer_cb");
	changes();
	more_changes();
	reentry();
	compat();
	deferred();
	return t_end();
}

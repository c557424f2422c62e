/* evbuffer callbacks: cb_info counts, newest-first order, enabling and
 * disabling, removal from inside a callback, re-entrant changes, the
 * callbacks of both buffers of a move, freezing, and deferred callbacks
 * run from the loop with the changes summed. */
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include "common.h"

static struct evbuffer_cb_entry *self_remove;

static void
show(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	SAY("cb %s: orig=%d added=%d deleted=%d now=%d", (const char *)arg,
	    (int)info->orig_size, (int)info->n_added, (int)info->n_deleted,
	    (int)evbuffer_get_length(b));
}

static void
remover(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)info;
	SAY("cb remover (%s) removes itself: %d", (const char *)arg,
	    evbuffer_remove_cb_entry(b, self_remove));
}

/* Drains what is added, while there is more than 4 bytes: recursion. */
static void
drainer(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)arg;
	SAY("cb drainer: orig=%d added=%d deleted=%d", (int)info->orig_size,
	    (int)info->n_added, (int)info->n_deleted);
	if (evbuffer_get_length(b) > 4)
		evbuffer_drain(b, 2);
}

int
main(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_cb_entry *e1, *e2;
	struct event_base *base;
	char tmp[16];

	t_begin("t_evb_cb");
	e1 = evbuffer_add_cb(a, show, "one");
	e2 = evbuffer_add_cb(a, show, "two");
	CHECK("entries", e1 && e2 && e1 != e2);
	evbuffer_add(a, "hello", 5);
	evbuffer_add(a, "", 0);
	evbuffer_drain(a, 2);
	evbuffer_prepend(a, "xy", 2);
	evbuffer_remove(a, tmp, 3);
	evbuffer_add_printf(a, "%d", 12345);
	evbuffer_drain(a, 0);
	SAY("disable two");
	EXPECT_INT("clear flags", evbuffer_cb_clear_flags(a, e2, EVBUFFER_CB_ENABLED), 0);
	evbuffer_add(a, "!", 1);
	SAY("enable two");
	EXPECT_INT("set flags", evbuffer_cb_set_flags(a, e2, EVBUFFER_CB_ENABLED), 0);
	evbuffer_add(a, "?", 1);
	SAY("remove one");
	EXPECT_INT("remove entry", evbuffer_remove_cb_entry(a, e1), 0);
	evbuffer_drain(a, 1);
	EXPECT_INT("remove_cb", evbuffer_remove_cb(a, show, "two"), 0);
	EXPECT_INT("remove_cb again", evbuffer_remove_cb(a, show, "two"), -1);
	evbuffer_drain(a, 1);
	SAY("quiet");

	/* a move tells both buffers */
	evbuffer_add_cb(a, show, "a");
	evbuffer_add_cb(b, show, "b");
	evbuffer_add(b, "12345678", 8);
	evbuffer_add_buffer(a, b);
	evbuffer_remove_buffer(a, b, 3);
	evbuffer_remove_buffer(a, b, 100);
	evbuffer_prepend_buffer(a, b);
	{
		char *line;
		evbuffer_add(a, "line\r\nrest", 10);
		SAY("readln");
		line = evbuffer_readln(a, NULL, EVBUFFER_EOL_CRLF);
		free(line);
	}
	evbuffer_drain(a, 1000);
	evbuffer_drain(b, 1000);
	evbuffer_remove_cb(a, show, "a");
	evbuffer_remove_cb(b, show, "b");

	/* removal from inside, and recursion */
	self_remove = evbuffer_add_cb(a, remover, "first");
	evbuffer_add_cb(a, show, "watch");
	evbuffer_add(a, "abc", 3);
	evbuffer_add(a, "d", 1);
	evbuffer_remove_cb(a, show, "watch");
	evbuffer_drain(a, 100);
	evbuffer_add_cb(a, drainer, NULL);
	evbuffer_add(a, "12345678", 8);
	EXPECT_INT("after recursion", evbuffer_get_length(a), 4);
	evbuffer_remove_cb(a, drainer, NULL);
	evbuffer_drain(a, 100);

	/* frozen: a refused change tells no one */
	evbuffer_add_cb(a, show, "frozen");
	evbuffer_freeze(a, 0);
	EXPECT_INT("frozen add", evbuffer_add(a, "x", 1), -1);
	evbuffer_unfreeze(a, 0);
	evbuffer_remove_cb(a, show, "frozen");

	/* deferred: nothing until the loop runs, then one call with the sum */
	base = event_base_new();
	evbuffer_add_cb(b, show, "deferred");
	EXPECT_INT("defer", evbuffer_defer_callbacks(b, base), 0);
	evbuffer_add(b, "abc", 3);
	evbuffer_add(b, "defg", 4);
	evbuffer_drain(b, 2);
	SAY("loop");
	event_base_loop(base, EVLOOP_NONBLOCK);
	SAY("loop again");
	event_base_loop(base, EVLOOP_NONBLOCK);
	evbuffer_drain(b, 1);
	SAY("loop third");
	event_base_loop(base, EVLOOP_NONBLOCK);

	evbuffer_free(a);
	evbuffer_free(b);
	event_base_free(base);
	return t_end();
}

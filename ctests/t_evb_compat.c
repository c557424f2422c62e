/* The 1.4 evbuffer API through <event.h>: EVBUFFER_LENGTH/EVBUFFER_DATA,
 * evbuffer_readline, evbuffer_find and evbuffer_setcb (old and new
 * length), as tmux and other 1.4-era programs use them. */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <event.h>
#include "common.h"

static void
oldcb(struct evbuffer *b, size_t old_len, size_t new_len, void *arg)
{
	SAY("setcb %s: %d -> %d (length %d)", (const char *)arg, (int)old_len,
	    (int)new_len, (int)EVBUFFER_LENGTH(b));
}

static void
newcb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	(void)b;
	SAY("add_cb %s: +%d -%d", (const char *)arg, (int)info->n_added, (int)info->n_deleted);
}

int
main(void)
{
	struct evbuffer *b = evbuffer_new();
	char *line;
	unsigned char *p;

	t_begin("t_evb_compat");
	CHECK("EVBUFFER_DATA empty", EVBUFFER_DATA(b) == NULL);
	evbuffer_add(b, "GET / HTTP/1.0\r\nHost: x\n\nbody", 29);
	EXPECT_INT("EVBUFFER_LENGTH", EVBUFFER_LENGTH(b), 29);
	CHECK("EVBUFFER_DATA", memcmp(EVBUFFER_DATA(b), "GET /", 5) == 0);
	p = evbuffer_find(b, (const unsigned char *)"Host", 4);
	CHECK("find", p && memcmp(p, "Host: x", 7) == 0);
	CHECK("find offset", p == EVBUFFER_DATA(b) + 16);
	CHECK("find absent", evbuffer_find(b, (const unsigned char *)"nope", 4) == NULL);
	line = evbuffer_readline(b);
	EXPECT_STR("readline 1", line, "GET / HTTP/1.0");
	free(line);
	line = evbuffer_readline(b);
	EXPECT_STR("readline 2", line, "Host: x");
	free(line);
	line = evbuffer_readline(b);
	CHECK("readline no more", line == NULL);
	EXPECT_INT("left", EVBUFFER_LENGTH(b), 4);

	evbuffer_add_cb(b, newcb, "gone");
	EXPECT_INT("setcb", evbuffer_setcb(b, oldcb, "old"), 0);
	evbuffer_add(b, "12345", 5);
	evbuffer_drain(b, 3);
	EXPECT_INT("setcb replaces", evbuffer_setcb(b, oldcb, "again"), 0);
	evbuffer_add(b, "x", 1);
	evbuffer_setcb(b, oldcb, "last");
	EXPECT_INT("setcb NULL", evbuffer_setcb(b, NULL, NULL), 0);
	evbuffer_add(b, "z", 1);
	evbuffer_free(b);
	return t_end();
}

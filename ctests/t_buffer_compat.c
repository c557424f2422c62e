/* The 1.4 way: <event.h> brings the evbuffer calls and macros
 * (EVBUFFER_LENGTH, EVBUFFER_DATA), evbuffer_readline, evbuffer_find,
 * evbuffer_setcb, as tmux and other old programs use them. */
#include "common.h"

#include <event.h>

static int calls;

static void
on_change(struct evbuffer *b, size_t old_len, size_t new_len, void *arg)
{
	(void)b;
	(void)arg;
	calls++;
	SAY("changed %zu -> %zu", old_len, new_len);
}

int
main(void)
{
	struct evbuffer *b;
	char *line;
	int p[2];
	t_begin("t_buffer_compat");
	b = evbuffer_new();
	evbuffer_setcb(b, on_change, NULL);
	evbuffer_add_printf(b, "status %d\r\n", 200);
	evbuffer_add(b, "body", 4);
	EXPECT_INT("EVBUFFER_LENGTH", EVBUFFER_LENGTH(b), 16);
	CHECK("EVBUFFER_DATA", memcmp(EVBUFFER_DATA(b), "status 200\r\nbody", 16) == 0);
	line = evbuffer_readline(b);
	EXPECT_STR("readline", line, "status 200");
	free(line);
	CHECK("find", evbuffer_find(b, (unsigned char *)"dy", 2) == EVBUFFER_DATA(b) + 2);
	if (pipe(p) != 0)
		DIE("pipe");
	EXPECT_INT("write", evbuffer_write(b, p[1]), 4);
	EXPECT_INT("read", evbuffer_read(b, p[0], 4096), 4);
	CHECK("EVBUFFER_DATA after read", memcmp(EVBUFFER_DATA(b), "body", 4) == 0);
	CHECK("EVBUFFER_DATA of empty is NULL", (evbuffer_drain(b, 4), EVBUFFER_DATA(b) == NULL));
	EXPECT_INT("callbacks", calls, 7);
	close(p[0]);
	close(p[1]);
	evbuffer_free(b);
	return t_end();
}

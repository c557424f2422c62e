/* evbuffer_readln in every EOL style, lines split over adds and moved
 * buffers, n_read_out, the 1.4 evbuffer_readline, and the callbacks a
 * readln runs (the line, then the end of line, as two changes). */
#include "common.h"

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

static const char *style_names[] = {"any", "crlf", "crlf_strict", "lf", "nul"};

static void
read_all(const char *label, const char *data, size_t len, enum evbuffer_eol_style style)
{
	struct evbuffer *b = evbuffer_new(), *t = evbuffer_new();
	size_t i, n;
	char *line;
	/* one byte at a time, every other one through another buffer */
	for (i = 0; i < len; i++) {
		if (i % 2) {
			evbuffer_add(t, data + i, 1);
			evbuffer_add_buffer(b, t);
		} else {
			evbuffer_add(b, data + i, 1);
		}
	}
	while ((line = evbuffer_readln(b, &n, style)) != NULL) {
		SAY("%s/%s: line \"%s\" n=%zu left=%zu", label, style_names[style], line, n,
		    evbuffer_get_length(b));
		free(line);
	}
	SAY("%s/%s: no line, n=%zu left=%zu", label, style_names[style], n, evbuffer_get_length(b));
	evbuffer_free(b);
	evbuffer_free(t);
}

static int ncb;

static void
count_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *a)
{
	(void)b;
	(void)a;
	ncb++;
	SAY("cb orig=%zu added=%zu deleted=%zu", i->orig_size, i->n_added, i->n_deleted);
}

int
main(void)
{
	static const char text[] = "a\r\nb\nc\n\rd\r\re\n\nf\0g\r\n\r\nh";
	int s;
	struct evbuffer *b;
	size_t n = 7;
	char *line;
	t_begin("t_buffer_readln");
	for (s = 0; s <= 4; s++)
		read_all("mixed", text, sizeof text - 1, (enum evbuffer_eol_style)s);
	for (s = 0; s <= 4; s++)
		read_all("plain", "no eol here", 11, (enum evbuffer_eol_style)s);
	for (s = 0; s <= 4; s++)
		read_all("empty lines", "\n\n\r\n", 4, (enum evbuffer_eol_style)s);

	b = evbuffer_new();
	evbuffer_add(b, "x\n", 2);
	CHECK("bad style", evbuffer_readln(b, &n, (enum evbuffer_eol_style)7) == NULL);
	EXPECT_INT("bad style n", n, 0);
	EXPECT_INT("bad style leaves data", evbuffer_get_length(b), 2);
	line = evbuffer_readln(b, NULL, EVBUFFER_EOL_LF);
	EXPECT_STR("NULL n_read_out", line, "x");
	free(line);
	CHECK("empty buffer", evbuffer_readln(b, &n, EVBUFFER_EOL_ANY) == NULL);
	evbuffer_add(b, "one\r\ntwo\n\rthree", 15);
	line = evbuffer_readline(b);
	EXPECT_STR("readline 1", line, "one");
	free(line);
	line = evbuffer_readline(b);
	EXPECT_STR("readline 2", line, "two");
	free(line);
	CHECK("readline none", evbuffer_readline(b) == NULL);
	EXPECT_INT("readline left", evbuffer_get_length(b), 5);
	evbuffer_drain(b, 5);

	evbuffer_add_cb(b, count_cb, NULL);
	evbuffer_add(b, "line\r\n\r\nnext", 12);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	EXPECT_STR("with callbacks", line, "line");
	free(line);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	EXPECT_STR("empty line with callbacks", line, "");
	free(line);
	EXPECT_INT("callbacks run", ncb, 4);
	evbuffer_free(b);
	return t_end();
}

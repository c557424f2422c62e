/* evbuffer searching: evbuffer_search, search_range, search_eol and
 * evbuffer_ptr_set, across chain boundaries, with positions at the end
 * and beyond it; and evbuffer_readln in every end-of-line style. */
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "common.h"

/* Adds `s` in pieces of `step` bytes through a second buffer, so the data
 * may sit in several chains. */
static void
add_split(struct evbuffer *b, const char *s, size_t step)
{
	size_t n = strlen(s), i;
	for (i = 0; i < n; i += step) {
		struct evbuffer *t = evbuffer_new();
		evbuffer_add(t, s + i, n - i < step ? n - i : step);
		evbuffer_add_buffer(b, t);
		evbuffer_free(t);
	}
}

static void
lines(const char *label, const char *text, enum evbuffer_eol_style style)
{
	struct evbuffer *b = evbuffer_new();
	char *line;
	size_t n;
	add_split(b, text, 3);
	printf("%s:", label);
	while ((line = evbuffer_readln(b, &n, style)) != NULL) {
		printf(" [%s](%d)", line, (int)n);
		free(line);
	}
	printf(" n=%d left=%d\n", (int)n, (int)evbuffer_get_length(b));
	evbuffer_free(b);
}

int
main(void)
{
	struct evbuffer *b;
	struct evbuffer_ptr p, q, r;
	size_t eol;
	int i;

	t_begin("t_evb_search");
	b = evbuffer_new();
	add_split(b, "the quick brown fox jumps over the lazy dog; the end", 4);

	p = evbuffer_search(b, "the", 3, NULL);
	EXPECT_INT("first the", p.pos, 0);
	evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD);
	p = evbuffer_search(b, "the", 3, &p);
	EXPECT_INT("second the", p.pos, 31);
	evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD);
	p = evbuffer_search(b, "the", 3, &p);
	EXPECT_INT("third the", p.pos, 45);
	evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD);
	p = evbuffer_search(b, "the", 3, &p);
	EXPECT_INT("no fourth", p.pos, -1);
	p = evbuffer_search(b, "dog; the end", 12, NULL);
	EXPECT_INT("across chains", p.pos, 40);
	p = evbuffer_search(b, "end!", 4, NULL);
	EXPECT_INT("past the end", p.pos, -1);
	p = evbuffer_search(b, "xyz", 3, NULL);
	EXPECT_INT("absent", p.pos, -1);
	p = evbuffer_search(b, "", 0, NULL);
	EXPECT_INT("empty needle", p.pos, 0);

	evbuffer_ptr_set(b, &q, 10, EVBUFFER_PTR_SET);
	evbuffer_ptr_set(b, &r, 33, EVBUFFER_PTR_SET);
	p = evbuffer_search_range(b, "the", 3, &q, &r);
	EXPECT_INT("range cut the match", p.pos, -1);
	evbuffer_ptr_set(b, &r, 34, EVBUFFER_PTR_SET);
	p = evbuffer_search_range(b, "the", 3, &q, &r);
	EXPECT_INT("range holds the match", p.pos, 31);
	p = evbuffer_search_range(b, "fox", 3, NULL, &r);
	EXPECT_INT("range from start", p.pos, 16);

	EXPECT_INT("ptr_set end", evbuffer_ptr_set(b, &q, evbuffer_get_length(b), EVBUFFER_PTR_SET), 0);
	EXPECT_INT("ptr at end pos", q.pos, (int)evbuffer_get_length(b));
	p = evbuffer_search(b, "d", 1, &q);
	EXPECT_INT("search from end", p.pos, -1);
	EXPECT_INT("ptr_set beyond", evbuffer_ptr_set(b, &q, 1000, EVBUFFER_PTR_SET), -1);
	EXPECT_INT("ptr beyond pos", q.pos, -1);
	evbuffer_ptr_set(b, &q, 50, EVBUFFER_PTR_SET);
	EXPECT_INT("ptr add past end", evbuffer_ptr_set(b, &q, 10, EVBUFFER_PTR_ADD), -1);
	EXPECT_INT("ptr add past end pos", q.pos, -1);
	evbuffer_ptr_set(b, &q, 50, EVBUFFER_PTR_SET);
	EXPECT_INT("ptr add to end", evbuffer_ptr_set(b, &q, 2, EVBUFFER_PTR_ADD), 0);
	{
		char out[8] = {0};
		evbuffer_ptr_set(b, &q, 4, EVBUFFER_PTR_SET);
		EXPECT_INT("copyout_from", evbuffer_copyout_from(b, &q, out, 5), 5);
		EXPECT_STR("copyout_from bytes", out, "quick");
		evbuffer_ptr_set(b, &q, 49, EVBUFFER_PTR_SET);
		EXPECT_INT("copyout_from near end", evbuffer_copyout_from(b, &q, out, 7), 3);
	}
	evbuffer_free(b);

	/* search_eol */
	b = evbuffer_new();
	add_split(b, "ab\r\ncd\n\r\nef\rgh\0ij\r\n", 2);
	evbuffer_add(b, "\0tail", 5);
	{
		static const char *names[] = {"any", "crlf", "crlf_strict", "lf", "nul"};
		for (i = 0; i <= 4; i++) {
			eol = 99;
			p = evbuffer_search_eol(b, NULL, &eol, (enum evbuffer_eol_style)i);
			printf("eol %s: pos=%d len=%d\n", names[i], (int)p.pos, (int)eol);
		}
		evbuffer_ptr_set(b, &q, 5, EVBUFFER_PTR_SET);
		for (i = 0; i <= 4; i++) {
			eol = 99;
			p = evbuffer_search_eol(b, &q, &eol, (enum evbuffer_eol_style)i);
			printf("eol from 5 %s: pos=%d len=%d\n", names[i], (int)p.pos, (int)eol);
		}
	}
	evbuffer_free(b);

	lines("any", "one\r\ntwo\n\nthree\rfour\n\r\nfive", EVBUFFER_EOL_ANY);
	lines("crlf", "one\r\ntwo\n\nthree\rfour\n\r\nfive\r", EVBUFFER_EOL_CRLF);
	lines("crlf_strict", "one\r\ntwo\n\nthree\rfour\n\r\nfive\r", EVBUFFER_EOL_CRLF_STRICT);
	lines("lf", "one\r\ntwo\n\nthree\rfour\n\r\nfive", EVBUFFER_EOL_LF);
	lines("crlf first", "\nx\r\n\r\n", EVBUFFER_EOL_CRLF);
	lines("any trailing cr", "a\r", EVBUFFER_EOL_ANY);
	{
		struct evbuffer *n = evbuffer_new();
		char *line;
		size_t len;
		evbuffer_add(n, "a\0bb\0\0c", 7);
		printf("nul:");
		while ((line = evbuffer_readln(n, &len, EVBUFFER_EOL_NUL)) != NULL) {
			printf(" [%s](%d)", line, (int)len);
			free(line);
		}
		printf(" left=%d\n", (int)evbuffer_get_length(n));
		len = 77;
		CHECK("bad style", evbuffer_readln(n, &len, (enum evbuffer_eol_style)9) == NULL);
		EXPECT_INT("bad style n_read", len, 0);
		evbuffer_free(n);
	}
	return t_end();
}

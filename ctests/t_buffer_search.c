/* evbuffer_search / search_range / search_eol / ptr_set / peek /
 * copyout_from / evbuffer_find, with data spread over several chains
 * (small adds, prepends, moved buffers). Positions and contents only. */
#include "common.h"

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

/* "abcXabcYabc..." built piecewise so matches cross chain boundaries. */
static struct evbuffer *
piecewise(const char *s, size_t step)
{
	struct evbuffer *b = evbuffer_new(), *tmp = evbuffer_new();
	size_t n = strlen(s), i;
	for (i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		/* alternate copies and moved buffers to vary the layout */
		if ((i / step) % 2) {
			evbuffer_add(tmp, s + i, k);
			evbuffer_add_buffer(b, tmp);
		} else {
			evbuffer_add(b, s + i, k);
		}
	}
	evbuffer_free(tmp);
	return b;
}

static void
search(void)
{
	const char *text = "one two three two one two-three";
	size_t steps[] = {1, 3, 7, 100};
	size_t s;
	for (s = 0; s < sizeof steps / sizeof steps[0]; s++) {
		struct evbuffer *b = piecewise(text, steps[s]);
		struct evbuffer_ptr p, end;
		char name[64];
		int count = 0;
		snprintf(name, sizeof name, "step %zu: first two", steps[s]);
		p = evbuffer_search(b, "two", 3, NULL);
		EXPECT_INT(name, p.pos, 4);
		while (p.pos >= 0) {
			count++;
			evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD);
			p = evbuffer_search(b, "two", 3, &p);
		}
		snprintf(name, sizeof name, "step %zu: occurrences", steps[s]);
		EXPECT_INT(name, count, 3);
		snprintf(name, sizeof name, "step %zu: missing", steps[s]);
		EXPECT_INT(name, evbuffer_search(b, "four", 4, NULL).pos, -1);
		snprintf(name, sizeof name, "step %zu: whole", steps[s]);
		EXPECT_INT(name, evbuffer_search(b, text, strlen(text), NULL).pos, 0);
		snprintf(name, sizeof name, "step %zu: longer than the buffer", steps[s]);
		EXPECT_INT(name, evbuffer_search(b, "one two three two one two-three!", 32, NULL).pos, -1);
		snprintf(name, sizeof name, "step %zu: last byte", steps[s]);
		EXPECT_INT(name, evbuffer_search(b, "e", 1, NULL).pos, 2);
		evbuffer_ptr_set(b, &end, 16, EVBUFFER_PTR_SET);
		snprintf(name, sizeof name, "step %zu: range ending inside the match", steps[s]);
		p = evbuffer_search(b, "two", 3, NULL);
		evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_SET);
		EXPECT_INT(name, evbuffer_search_range(b, "two", 3, &p, &end).pos, -1);
		evbuffer_ptr_set(b, &end, 17, EVBUFFER_PTR_SET);
		snprintf(name, sizeof name, "step %zu: range ending after it", steps[s]);
		EXPECT_INT(name, evbuffer_search_range(b, "two", 3, &p, &end).pos, 14);
		snprintf(name, sizeof name, "step %zu: range with NULL end", steps[s]);
		EXPECT_INT(name, evbuffer_search_range(b, "three", 5, &p, NULL).pos, 8);
		snprintf(name, sizeof name, "step %zu: empty needle", steps[s]);
		EXPECT_INT(name, evbuffer_search(b, "x", 0, &p).pos, 5);
		evbuffer_free(b);
	}
}

static void
ptrs(void)
{
	struct evbuffer *b = piecewise("0123456789", 3);
	struct evbuffer_ptr p;
	char c;
	EXPECT_INT("ptr_set 4", evbuffer_ptr_set(b, &p, 4, EVBUFFER_PTR_SET), 0);
	EXPECT_INT("pos", p.pos, 4);
	EXPECT_INT("copyout_from", evbuffer_copyout_from(b, &p, &c, 1), 1);
	EXPECT_INT("byte", c, '4');
	EXPECT_INT("ptr add 5", evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_ADD), 0);
	EXPECT_INT("pos 9", p.pos, 9);
	EXPECT_INT("ptr add to the end", evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
	EXPECT_INT("pos 10", p.pos, 10);
	EXPECT_INT("copyout_from the end", evbuffer_copyout_from(b, &p, &c, 1), 0);
	EXPECT_INT("search from the end", evbuffer_search(b, "0", 1, &p).pos, -1);
	EXPECT_INT("ptr add past the end", evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), -1);
	EXPECT_INT("pos after failure", p.pos, -1);
	EXPECT_INT("ptr add from not-found", evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), -1);
	EXPECT_INT("ptr set to the end", evbuffer_ptr_set(b, &p, 10, EVBUFFER_PTR_SET), 0);
	EXPECT_INT("ptr set past the end", evbuffer_ptr_set(b, &p, 11, EVBUFFER_PTR_SET), -1);
	EXPECT_INT("pos after set failure", p.pos, -1);
	{
		char out[16];
		evbuffer_ptr_set(b, &p, 7, EVBUFFER_PTR_SET);
		EXPECT_INT("copyout_from clipped", evbuffer_copyout_from(b, &p, out, 16), 3);
		out[3] = 0;
		EXPECT_STR("clipped bytes", out, "789");
	}
	evbuffer_free(b);
}

static void
eol(void)
{
	struct evbuffer *b = piecewise("ab\r\ncd\nef\r\r\n\ngh\0ij", 2);
	struct evbuffer_ptr p;
	size_t n = 99;
	/* the NUL is in the data: add it explicitly */
	evbuffer_free(b);
	b = evbuffer_new();
	evbuffer_add(b, "ab\r", 3);
	evbuffer_add(b, "\ncd\nef\r\r", 8);
	evbuffer_add(b, "\n\ngh", 4);
	evbuffer_add(b, "\0ij", 3);
	p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_CRLF);
	EXPECT_INT("crlf pos", p.pos, 2);
	EXPECT_INT("crlf len", n, 2);
	p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_LF);
	EXPECT_INT("lf pos", p.pos, 3);
	EXPECT_INT("lf len", n, 1);
	p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_CRLF_STRICT);
	EXPECT_INT("strict pos", p.pos, 2);
	EXPECT_INT("strict len", n, 2);
	p = evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_NUL);
	EXPECT_INT("nul pos", p.pos, 15);
	EXPECT_INT("nul len", n, 1);
	evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_ANY);
	EXPECT_INT("any pos from 5", p.pos, 6);
	EXPECT_INT("any len from 5", n, 1);
	evbuffer_ptr_set(b, &p, 7, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_ANY);
	EXPECT_INT("any pos from 7", p.pos, 9);
	EXPECT_INT("any run", n, 4);
	evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_CRLF);
	EXPECT_INT("crlf at start does not back up", p.pos, 3);
	EXPECT_INT("crlf at start len", n, 1);
	evbuffer_ptr_set(b, &p, 10, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_CRLF_STRICT);
	EXPECT_INT("strict from 10", p.pos, 10);
	p = evbuffer_search_eol(b, NULL, &n, (enum evbuffer_eol_style)9);
	EXPECT_INT("bad style pos", p.pos, -1);
	EXPECT_INT("bad style len", n, 0);
	evbuffer_ptr_set(b, &p, 16, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(b, &p, &n, EVBUFFER_EOL_LF);
	EXPECT_INT("no more lf", p.pos, -1);
	EXPECT_INT("no more lf len", n, 0);
	evbuffer_free(b);
}

static void
peek(void)
{
	struct evbuffer *b = piecewise("abcdefghijklmnopqrstuvwxyz", 4);
	struct evbuffer_iovec v[64];
	struct evbuffer_ptr p;
	int n, i;
	size_t total;
	char joined[64];
	n = evbuffer_peek(b, -1, NULL, NULL, 0);
	CHECK("peek count >= 1", n >= 1);
	CHECK("peek fills what it counts", evbuffer_peek(b, -1, NULL, v, 64) == n);
	for (i = 0, total = 0; i < n; i++) {
		memcpy(joined + total, v[i].iov_base, v[i].iov_len);
		total += v[i].iov_len;
	}
	joined[total] = 0;
	EXPECT_STR("peek joined", joined, "abcdefghijklmnopqrstuvwxyz");
	n = evbuffer_peek(b, 10, NULL, v, 64);
	for (i = 0, total = 0; i < n; i++)
		total += v[i].iov_len;
	CHECK("peek 10 covers 10", total >= 10);
	CHECK("peek 10 needs no more", total - v[n - 1].iov_len < 10);
	EXPECT_INT("peek 0", evbuffer_peek(b, 0, NULL, v, 64), 0);
	evbuffer_ptr_set(b, &p, 20, EVBUFFER_PTR_SET);
	n = evbuffer_peek(b, 3, &p, v, 64);
	CHECK("peek from 20", n >= 1 && ((char *)v[0].iov_base)[0] == 'u');
	EXPECT_INT("peek 0 from 20", evbuffer_peek(b, 0, &p, v, 64) >= 1, 1);
	evbuffer_ptr_set(b, &p, 26, EVBUFFER_PTR_SET);
	EXPECT_INT("peek from the end", evbuffer_peek(b, -1, &p, v, 64), 0);
	evbuffer_free(b);
}

static void
find(void)
{
	struct evbuffer *b = piecewise("hello there, general", 3);
	unsigned char *f = evbuffer_find(b, (const unsigned char *)"general", 7);
	CHECK("find", f != NULL && memcmp(f, "general", 7) == 0);
	CHECK("find missing", evbuffer_find(b, (const unsigned char *)"kenobi", 6) == NULL);
	CHECK("find empty", evbuffer_find(b, (const unsigned char *)"x", 0) == NULL);
	EXPECT_INT("length unchanged", evbuffer_get_length(b), 20);
	evbuffer_free(b);
}

int
main(void)
{
	t_begin("t_buffer_search");
	search();
	ptrs();
	eol();
	peek();
	find();
	return t_end();
}

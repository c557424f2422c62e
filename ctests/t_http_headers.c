/* Header lists (struct evkeyvalq): evhttp_add_header's checks, find and
 * remove (any case, first match), clear, and the list as a C TAILQ that
 * programs walk, append their own malloc'd nodes to, and free from. */
#include "common.h"
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

static void
walk(const char *what, struct evkeyvalq *q)
{
	struct evkeyval *kv;
	int n = 0;
	printf("%s:", what);
	TAILQ_FOREACH(kv, q, next) {
		printf(" [%s: %s]", kv->key, kv->value);
		n++;
	}
	printf(" (%d)", n);
	/* walk backwards too: every prev link must be right */
	n = 0;
	for (kv = TAILQ_LAST(q, evkeyvalq); kv; kv = TAILQ_PREV(kv, evkeyvalq, next))
		n++;
	printf(" back %d\n", n);
}

static void
add(struct evkeyvalq *q, const char *key, const char *value, const char *label)
{
	int r = evhttp_add_header(q, key, value);
	printf("add %s -> %d\n", label, r);
}

int
main(void)
{
	struct evkeyvalq q;
	struct evkeyval *mine;
	const char *v;

	t_begin("http_headers");
	EXPECT_INT("sizeof(struct evkeyval)", sizeof(struct evkeyval), 4 * sizeof(void *));
	EXPECT_INT("sizeof(struct evkeyvalq)", sizeof(struct evkeyvalq), 2 * sizeof(void *));
	EXPECT_INT("offsetof key", offsetof(struct evkeyval, key), 2 * sizeof(void *));
	EXPECT_INT("offsetof value", offsetof(struct evkeyval, value), 3 * sizeof(void *));

	TAILQ_INIT(&q);
	walk("empty", &q);
	CHECK("find in empty list", evhttp_find_header(&q, "Host") == NULL);
	EXPECT_INT("remove from empty list", evhttp_remove_header(&q, "Host"), -1);

	add(&q, "Host", "example.com", "Host");
	add(&q, "Content-Type", "text/plain", "Content-Type");
	add(&q, "X-Dup", "first", "X-Dup first");
	add(&q, "x-dup", "second", "x-dup second");
	add(&q, "", "empty name", "empty name");
	add(&q, "Empty-Value", "", "empty value");
	add(&q, "Spaces", "  padded  ", "padded value");
	add(&q, "Bad\r", "v", "name with CR");
	add(&q, "Bad\nName", "v", "name with LF");
	add(&q, "Bad: x", "v", "name with colon and space");
	add(&q, "V1", "a\r\nb", "value CRLF then non-space");
	add(&q, "V2", "a\r\n b", "value folded with space");
	add(&q, "V3", "a\n\tb", "value folded LF tab");
	add(&q, "V4", "a\r\n", "value ending in CRLF");
	add(&q, "V5", "a\r", "value ending in CR");
	add(&q, "V6", "a\r\r\n\n b", "value CR CR LF LF space");
	add(&q, "V7", "\r\n x", "value starting folded");
	add(&q, "V8", "a\rb", "value bare CR");
	add(&q, "V9", "a\r\n b\r\nc", "value second break unfolded");
	add(&q, "Utf8", "\xc3\xa9t\xc3\xa9", "utf-8 value");
	walk("added", &q);

	v = evhttp_find_header(&q, "host");
	EXPECT_STR("find host (lower case)", v, "example.com");
	v = evhttp_find_header(&q, "X-DUP");
	EXPECT_STR("find X-DUP: the first", v, "first");
	v = evhttp_find_header(&q, "");
	EXPECT_STR("find empty name", v, "empty name");
	CHECK("find missing", evhttp_find_header(&q, "Missing") == NULL);
	CHECK("find prefix only", evhttp_find_header(&q, "Hos") == NULL);
	CHECK("find longer", evhttp_find_header(&q, "Hosts") == NULL);

	EXPECT_INT("remove x-dup", evhttp_remove_header(&q, "x-dup"), 0);
	EXPECT_STR("find x-dup after one removal", evhttp_find_header(&q, "X-Dup"), "second");
	EXPECT_INT("remove x-dup again", evhttp_remove_header(&q, "x-dup"), 0);
	EXPECT_INT("remove x-dup a third time", evhttp_remove_header(&q, "x-dup"), -1);
	EXPECT_INT("remove the first (host)", evhttp_remove_header(&q, "HOST"), 0);
	EXPECT_INT("remove the last (utf8)", evhttp_remove_header(&q, "utf8"), 0);
	walk("removed", &q);

	/* a node the program made itself, as programs do with TAILQ macros */
	mine = malloc(sizeof *mine);
	mine->key = strdup("Program-Made");
	mine->value = strdup("yes");
	TAILQ_INSERT_HEAD(&q, mine, next);
	add(&q, "After-Mine", "1", "after a program node");
	EXPECT_STR("find the program's node", evhttp_find_header(&q, "program-made"), "yes");
	walk("with mine", &q);
	EXPECT_INT("remove the program's node", evhttp_remove_header(&q, "Program-Made"), 0);
	walk("mine removed", &q);

	evhttp_clear_headers(&q);
	walk("cleared", &q);
	CHECK("head empty after clear", TAILQ_FIRST(&q) == NULL && q.tqh_last == &q.tqh_first);
	add(&q, "Again", "1", "after clear");
	walk("reused", &q);
	evhttp_clear_headers(&q);
	evhttp_clear_headers(&q);
	walk("cleared twice", &q);

	/* many headers: order kept, each found */
	{
		char k[32], val[32];
		int i, found = 0;
		for (i = 0; i < 500; i++) {
			snprintf(k, sizeof k, "K%d", i);
			snprintf(val, sizeof val, "v%d", i);
			evhttp_add_header(&q, k, val);
		}
		for (i = 0; i < 500; i += 7) {
			snprintf(k, sizeof k, "k%d", i);
			snprintf(val, sizeof val, "v%d", i);
			v = evhttp_find_header(&q, k);
			found += v && strcmp(v, val) == 0;
		}
		EXPECT_INT("found among 500", found, 72);
		for (i = 0; i < 500; i += 2) {
			snprintf(k, sizeof k, "K%d", i);
			evhttp_remove_header(&q, k);
		}
		i = 0;
		TAILQ_FOREACH(mine, &q, next) i++;
		EXPECT_INT("left after removing evens", i, 250);
		EXPECT_STR("first left", TAILQ_FIRST(&q)->key, "K1");
		EXPECT_STR("last left", TAILQ_LAST(&q, evkeyvalq)->key, "K499");
		evhttp_clear_headers(&q);
	}
	return t_end();
}

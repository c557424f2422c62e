/* evhttp's string layer misused: NULL URIs, strings and header lists for
 * every call that takes one, and huge inputs (megabytes of URI, query,
 * header value, text to escape).  librel refuses NULLs with a log line
 * and returns -1 / NULL / nothing; huge inputs work or fail cleanly.
 * libevent 2.1 dereferences most of these NULLs. */
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "misuse.h"

#define HUGE_LEN (8u << 20)

static char *
filled(size_t n, char c)
{
	char *s = malloc(n + 1);
	if (!s)
		DIE("malloc");
	memset(s, c, n);
	s[n] = 0;
	return s;
}

static void
null_uri(void)
{
	char buf[64];
	EXPECT_RET("evhttp_uri_get_scheme(NULL) is NULL", evhttp_uri_get_scheme(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_get_userinfo(NULL) is NULL", evhttp_uri_get_userinfo(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_get_host(NULL) is NULL", evhttp_uri_get_host(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_get_port(NULL)", evhttp_uri_get_port(NULL), -1);
	EXPECT_RET("evhttp_uri_get_path(NULL) is NULL", evhttp_uri_get_path(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_get_query(NULL) is NULL", evhttp_uri_get_query(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_get_fragment(NULL) is NULL", evhttp_uri_get_fragment(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_set_scheme(NULL, http)", evhttp_uri_set_scheme(NULL, "http"), -1);
	EXPECT_RET("evhttp_uri_set_userinfo(NULL, u)", evhttp_uri_set_userinfo(NULL, "u"), -1);
	EXPECT_RET("evhttp_uri_set_host(NULL, h)", evhttp_uri_set_host(NULL, "h"), -1);
	EXPECT_RET("evhttp_uri_set_port(NULL, 80)", evhttp_uri_set_port(NULL, 80), -1);
	EXPECT_RET("evhttp_uri_set_path(NULL, /)", evhttp_uri_set_path(NULL, "/"), -1);
	EXPECT_RET("evhttp_uri_set_query(NULL, q)", evhttp_uri_set_query(NULL, "q"), -1);
	EXPECT_RET("evhttp_uri_set_fragment(NULL, f)", evhttp_uri_set_fragment(NULL, "f"), -1);
	EXPECT_RET("evhttp_uri_join(NULL, buf) is NULL", evhttp_uri_join(NULL, buf, sizeof buf) == NULL, 1);
	evhttp_uri_set_flags(NULL, EVHTTP_URI_NONCONFORMANT);
	evhttp_uri_free(NULL);
	OBS("evhttp_uri_set_flags(NULL) and evhttp_uri_free(NULL) returned");
	EXPECT_LOG("evhttp_uri_get_host: no uri given");
	EXPECT_LOG("evhttp_uri_free: no uri given");
}

static void
null_strings(void)
{
	struct evhttp_uri *u = evhttp_uri_new();
	size_t n = 77;
	EXPECT_RET("evhttp_uri_parse(NULL) is NULL", evhttp_uri_parse(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uri_parse_with_flags(NULL) is NULL",
	    evhttp_uri_parse_with_flags(NULL, EVHTTP_URI_NONCONFORMANT) == NULL, 1);
	EXPECT_RET("evhttp_encode_uri(NULL) is NULL", evhttp_encode_uri(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uriencode(NULL, 5) is NULL", evhttp_uriencode(NULL, 5, 0) == NULL, 1);
	EXPECT_RET("evhttp_decode_uri(NULL) is NULL", evhttp_decode_uri(NULL) == NULL, 1);
	EXPECT_RET("evhttp_uridecode(NULL) is NULL", evhttp_uridecode(NULL, 1, &n) == NULL, 1);
	EXPECT_RET("size_out untouched", n, 77);
	EXPECT_RET("evhttp_uri_join(u, NULL buf) is NULL", evhttp_uri_join(u, NULL, 10) == NULL, 1);
	/* NULL clears a part: not a misuse */
	EXPECT_RET("evhttp_uri_set_host(u, NULL)", evhttp_uri_set_host(u, NULL), 0);
	evhttp_uri_free(u);
	EXPECT_LOG("evhttp_uri_parse_with_flags: no string given");
	EXPECT_LOG("evhttp_uridecode: no string given");
}

static void
htmlescape_null(void)
{
	EXPECT_RET("evhttp_htmlescape(NULL) is NULL", evhttp_htmlescape(NULL) == NULL, 1);
	EXPECT_NO_LOG();
}

static void
null_headers(void)
{
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	EXPECT_RET("evhttp_add_header(NULL list)", evhttp_add_header(NULL, "k", "v"), -1);
	EXPECT_RET("evhttp_add_header(NULL key)", evhttp_add_header(&q, NULL, "v"), -1);
	EXPECT_RET("evhttp_add_header(NULL value)", evhttp_add_header(&q, "k", NULL), -1);
	EXPECT_RET("list still empty", TAILQ_FIRST(&q) == NULL, 1);
	EXPECT_RET("evhttp_find_header(NULL list) is NULL", evhttp_find_header(NULL, "k") == NULL, 1);
	EXPECT_RET("evhttp_find_header(NULL key) is NULL", evhttp_find_header(&q, NULL) == NULL, 1);
	EXPECT_RET("evhttp_remove_header(NULL list)", evhttp_remove_header(NULL, "k"), -1);
	EXPECT_RET("evhttp_remove_header(NULL key)", evhttp_remove_header(&q, NULL), -1);
	EXPECT_RET("evhttp_parse_query(NULL uri)", evhttp_parse_query(NULL, &q), -1);
	EXPECT_RET("evhttp_parse_query(NULL list)", evhttp_parse_query("/?a=1", NULL), -1);
	EXPECT_RET("evhttp_parse_query_str(NULL)", evhttp_parse_query_str(NULL, &q), -1);
	EXPECT_RET("evhttp_parse_query_str(NULL list)", evhttp_parse_query_str("a=1", NULL), -1);
	evhttp_clear_headers(NULL);
	OBS("evhttp_clear_headers(NULL) returned");
	EXPECT_LOG("evhttp_add_header: no header list given");
	EXPECT_LOG("evhttp_find_header: no string given");
	EXPECT_LOG("evhttp_clear_headers: no header list given");
}

static void
huge_uri(void)
{
	char *big = filled(HUGE_LEN, 'a'), *text, buf[64];
	struct evhttp_uri *u;
	big[0] = '/';
	u = evhttp_uri_parse(big);
	EXPECT_RET("8 MB path parses", u != NULL, 1);
	if (u) {
		EXPECT_RET("path length", strlen(evhttp_uri_get_path(u)), HUGE_LEN);
		EXPECT_RET("join into 64 bytes is NULL", evhttp_uri_join(u, buf, sizeof buf) == NULL, 1);
		text = malloc(HUGE_LEN + 1);
		EXPECT_RET("join into 8 MB + 1", evhttp_uri_join(u, text, HUGE_LEN + 1) == text, 1);
		free(text);
		evhttp_uri_free(u);
	}
	/* a huge port and a huge host */
	memcpy(big, "http://h:", 9);
	memset(big + 9, '9', HUGE_LEN - 9);
	EXPECT_RET("8 MB port is NULL", evhttp_uri_parse(big) == NULL, 1);
	memset(big + 7, 'h', HUGE_LEN - 7);
	u = evhttp_uri_parse(big);
	EXPECT_RET("8 MB host parses", u != NULL && strlen(evhttp_uri_get_host(u)) == HUGE_LEN - 7, 1);
	evhttp_uri_free(u);
	big[7] = '[';
	big[HUGE_LEN - 1] = ']';
	EXPECT_RET("8 MB bracketed host is NULL", evhttp_uri_parse(big) == NULL, 1);
	free(big);
	EXPECT_NO_LOG();
}

static void
huge_escape(void)
{
	char *big = filled(HUGE_LEN, ' '), *s;
	size_t n = 0;
	s = evhttp_encode_uri(big);
	EXPECT_RET("encode 8 MB of spaces: 3 bytes each", s ? strlen(s) : 0, 3 * (size_t)HUGE_LEN);
	free(s);
	s = evhttp_uriencode(big, HUGE_LEN, 1);
	EXPECT_RET("plus form: 1 byte each", s ? strlen(s) : 0, HUGE_LEN);
	free(s);
	memset(big, '%', HUGE_LEN);
	s = evhttp_uridecode(big, 1, &n);
	EXPECT_RET("decode 8 MB of %: unchanged", n, HUGE_LEN);
	free(s);
	memset(big, '&', HUGE_LEN);
	s = evhttp_htmlescape(big);
	EXPECT_RET("htmlescape 8 MB of &: 5 bytes each", s ? strlen(s) : 0, 5 * (size_t)HUGE_LEN);
	free(s);
	free(big);
	EXPECT_NO_LOG();
}

static void
huge_query_and_headers(void)
{
	struct evkeyvalq q;
	struct evkeyval *kv;
	size_t pairs = 200000, i, n = 0;
	char *text = malloc(pairs * 4 + 1), *big = filled(HUGE_LEN, 'v');
	for (i = 0; i < pairs; i++)
		memcpy(text + 4 * i, "k=v&", 4);
	text[pairs * 4] = 0;
	EXPECT_RET("200000 pairs", evhttp_parse_query_str(text, &q), 0);
	TAILQ_FOREACH(kv, &q, next) n++;
	EXPECT_RET("all walked", n, pairs);
	evhttp_clear_headers(&q);
	text[pairs * 4 - 1] = '&';
	text[pairs * 2] = '&';
	EXPECT_RET("an empty pair in the middle: -1", evhttp_parse_query_str(text, &q), -1);
	EXPECT_RET("and nothing kept", TAILQ_FIRST(&q) == NULL, 1);
	EXPECT_RET("8 MB header value", evhttp_add_header(&q, "Big", big), 0);
	EXPECT_RET("found whole", strlen(evhttp_find_header(&q, "big")), HUGE_LEN);
	big[HUGE_LEN - 1] = '\n';
	EXPECT_RET("8 MB value ending in LF refused", evhttp_add_header(&q, "Big2", big), -1);
	EXPECT_RET("8 MB name ending in LF refused", evhttp_add_header(&q, big + 1, "v"), -1);
	big[HUGE_LEN - 1] = 'v';
	EXPECT_RET("8 MB name without LF", evhttp_add_header(&q, big, "v"), 0);
	EXPECT_RET("removed by its 8 MB name", evhttp_remove_header(&q, big), 0);
	evhttp_clear_headers(&q);
	free(text);
	free(big);
	EXPECT_NO_LOG();
}

int
main(void)
{
	m_begin("m_http_uri");
	m_case("evhttp_uri_* (NULL uri)", "-1 / NULL / ignored, log \"no uri given\"", null_uri);
	m_case("NULL strings to parse, encode, decode, join", "NULL, log \"no string given\"; a NULL part clears it",
	    null_strings);
	m_case("evhttp_htmlescape(NULL)", "NULL, no log (as libevent)", htmlescape_null);
	m_case("NULL header list, key or value", "-1 / NULL / ignored, log", null_headers);
	m_case("8 MB URIs: path, port, host, bracketed host", "parsed or NULL as the grammar says; join honours its limit",
	    huge_uri);
	m_case("8 MB texts to encode, decode and escape", "whole results", huge_escape);
	m_case("200000 query pairs, 8 MB header names and values", "parsed and walked; CR/LF refused; no log",
	    huge_query_and_headers);
	return m_end();
}

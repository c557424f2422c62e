/* Query strings and escaping: evhttp_parse_query (a whole URI) and
 * evhttp_parse_query_str, walked with TAILQ_FOREACH as programs do, and
 * evhttp_encode_uri / uriencode / decode_uri / uridecode / htmlescape. */
#include "common.h"
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

static void
put(const char *s, size_t n)
{
	size_t i;
	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
walk(struct evkeyvalq *q)
{
	struct evkeyval *kv;
	int n = 0;
	TAILQ_FOREACH(kv, q, next) {
		printf(" ");
		put(kv->key, strlen(kv->key));
		printf("=");
		put(kv->value, strlen(kv->value));
		n++;
	}
	printf(" (%d)", n);
	/* the tail pointer must point at the last node's next */
	if (*q->tqh_last != NULL)
		printf(" BAD-TAIL");
	printf(" last=%s", TAILQ_LAST(q, evkeyvalq) ? TAILQ_LAST(q, evkeyvalq)->key : "-");
}

static void
query(const char *text, int whole)
{
	struct evkeyvalq q;
	int r;
	/* garbage in the head: the parse must initialise it */
	memset(&q, 0xA5, sizeof q);
	r = whole ? evhttp_parse_query(text, &q) : evhttp_parse_query_str(text, &q);
	printf("%s ", whole ? "uri" : "str");
	put(text, strlen(text));
	printf(" -> %d", r);
	walk(&q);
	putchar('\n');
	evhttp_clear_headers(&q);
}

static const char *strs[] = {
	"",
	"a=1",
	"a=1&b=2&c=3",
	"a=1&",
	"&a=1",
	"a=1&&b=2",
	"&",
	"&&",
	"a",
	"a=1&b",
	"=1",
	"a=",
	"a==",
	"a=b=c",
	"a=1&a=2&A=3",
	"k+ey=v+al",
	"k%20ey=v%20al",
	"q=%41%42%43%7e%7E",
	"q=%4",
	"q=%",
	"q=%%41",
	"q=%zz",
	"q=%00after",
	"q=before%00",
	"q=%e2%82%ac",
	"q=\xe2\x82\xac",
	"q=a;b=c",
	"q=a#frag",
	"q=a?b",
	"q= x ",
	"sp ace=1",
	"a=1&b=%2&c=%26&d=%3D",
	"name=hello+world%21&empty=&x=%2B",
};

static const char *uris[] = {
	"/search?q=libevent&lang=en",
	"http://h/p?a=1&b=2#frag",
	"http://h/p?",
	"http://h/p",
	"http://h/p#a=1",
	"/p?a=1&&b=2",
	"/p?a",
	"/p?a=x+y%20z",
	"/p?a=1?b=2",
	"/p a?x=1",
	"not a uri?x=1",
	"http://h:99999/?a=1",
	"?a=1",
	"",
	"a:b?c=d",
};

static void
escaping(void)
{
	static const char all[] = " !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\x7f\x80\xff";
	char *s;
	size_t n = 12345;
	char with_nul[] = {'a', 0, 'b', ' ', '~'};

	s = evhttp_encode_uri(all);
	printf("encode_uri(all) = %s\n", s);
	free(s);
	s = evhttp_uriencode(all, -1, 1);
	printf("uriencode(all, -1, plus) = %s\n", s);
	free(s);
	s = evhttp_uriencode(all, 5, 0);
	printf("uriencode(all, 5, 0) = %s\n", s);
	free(s);
	s = evhttp_uriencode(with_nul, sizeof with_nul, 1);
	printf("uriencode(with NUL, 5, plus) = %s\n", s);
	free(s);
	{
		/* with a length the text needs no NUL (valgrind sees overreads) */
		char *exact = malloc(3);
		memcpy(exact, "x /", 3);
		s = evhttp_uriencode(exact, 3, 0);
		printf("uriencode(3 bytes, no NUL) = %s\n", s);
		free(s);
		free(exact);
	}
	s = evhttp_uriencode("", -1, 0);
	printf("uriencode(\"\") = \"%s\"\n", s);
	free(s);
	s = evhttp_uriencode("abc", 0, 0);
	printf("uriencode(abc, 0) = \"%s\"\n", s);
	free(s);

	{
		static const char *dec[] = {
			"plain", "a+b", "a+b?c+d", "?+", "%41%42", "%4", "%", "%%41", "%g1",
			"%1g", "%7e%7E", "%00x", "x%00", "%2B+%20", "100%", "%C3%A9",
			"a%2", "%%", "+?+?+",
		};
		size_t i;
		for (i = 0; i < sizeof dec / sizeof dec[0]; i++) {
			s = evhttp_decode_uri(dec[i]);
			printf("decode_uri(%s) = ", dec[i]);
			put(s, strlen(s));
			free(s);
			s = evhttp_uridecode(dec[i], 0, &n);
			printf(" uridecode(0) = ");
			put(s, n);
			printf(" [%zu]", n);
			free(s);
			s = evhttp_uridecode(dec[i], 1, &n);
			printf(" uridecode(1) = ");
			put(s, n);
			printf(" [%zu]", n);
			free(s);
			s = evhttp_uridecode(dec[i], 1, NULL);
			printf(" no size: %s\n", s ? "ok" : "NULL");
			free(s);
		}
	}

	s = evhttp_htmlescape("<a href=\"x\" title='y'>&amp; plain</a>");
	printf("htmlescape = %s\n", s);
	free(s);
	s = evhttp_htmlescape("");
	printf("htmlescape(\"\") = \"%s\"\n", s);
	free(s);
	CHECK("htmlescape(NULL) is NULL", evhttp_htmlescape(NULL) == NULL);

	/* round trip of every byte */
	{
		char bytes[256], *enc, *dec;
		int i, same;
		for (i = 0; i < 255; i++)
			bytes[i] = (char)(i + 1);
		bytes[255] = 0;
		enc = evhttp_encode_uri(bytes);
		dec = evhttp_uridecode(enc, 0, &n);
		same = n == 255 && memcmp(dec, bytes, 255) == 0;
		CHECK("encode then decode gives every byte back", same);
		EXPECT_INT("encoded length", strlen(enc), 66 + 3 * 189);
		free(enc);
		free(dec);
	}
}

int
main(void)
{
	size_t i;
	t_begin("http_query");
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		query(strs[i], 0);
	for (i = 0; i < sizeof uris / sizeof uris[0]; i++)
		query(uris[i], 1);
	escaping();
	return t_end();
}

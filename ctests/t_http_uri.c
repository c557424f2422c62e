/* evhttp_uri: parse (strict and EVHTTP_URI_NONCONFORMANT), the getters,
 * join, and every setter's checks.  Each URI's parts are printed, so the
 * transcript is libevent's parse of the whole table. */
#include "common.h"
#include <event2/http.h>

/* A part, quoted, with bytes outside printable ASCII as \xNN. */
static void
put(const char *what, const char *s)
{
	printf(" %s=", what);
	if (!s) {
		printf("-");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
show(const struct evhttp_uri *u)
{
	put("scheme", evhttp_uri_get_scheme(u));
	put("userinfo", evhttp_uri_get_userinfo(u));
	put("host", evhttp_uri_get_host(u));
	printf(" port=%d", evhttp_uri_get_port(u));
	put("path", evhttp_uri_get_path(u));
	put("query", evhttp_uri_get_query(u));
	put("fragment", evhttp_uri_get_fragment(u));
}

/* Parses, prints the parts and the join, and checks that the joined text
 * parses to the same join. */
static void
try_parse(const char *text, unsigned flags)
{
	char buf[1024], again[1024];
	struct evhttp_uri *u = evhttp_uri_parse_with_flags(text, flags);
	printf("%s", flags ? "nc " : "   ");
	put("in", text);
	if (!u) {
		printf(" -> NULL\n");
		return;
	}
	printf(" ->");
	show(u);
	if (evhttp_uri_join(u, buf, sizeof buf)) {
		struct evhttp_uri *v;
		put("join", buf);
		v = evhttp_uri_parse_with_flags(buf, flags);
		if (!v || !evhttp_uri_join(v, again, sizeof again) || strcmp(buf, again))
			printf(" REPARSE-DIFFERS");
		if (v)
			evhttp_uri_free(v);
	} else {
		printf(" join=NULL");
	}
	putchar('\n');
	evhttp_uri_free(u);
}

static const char *uris[] = {
	/* ordinary */
	"http://www.example.com/",
	"http://www.example.com",
	"http://www.example.com:8080/a/b/c?x=1&y=2#top",
	"https://user:pass@example.com:443/path;p?q#f",
	"ftp://ftp.example.org/pub/file.txt",
	"mailto:someone@example.com",
	"urn:isbn:0451450523",
	"file:///etc/hosts",
	"file://localhost/etc/hosts",
	"scheme:",
	"a+b-c.d:rest",
	"HTTP://EXAMPLE.COM/UPPER",
	/* relative references */
	"",
	"/",
	"/path/only",
	"path/only",
	"?query",
	"#fragment",
	"//host.only",
	"//host:99/p",
	"//",
	"///triple",
	"./a:b",
	"a:b",
	"/a:b",
	"a/b:c",
	"1http://x/",
	"-x:y",
	":nothing",
	/* authority: userinfo, ports */
	"http://@host/",
	"http://u@/",
	"http://a:b:c@host/",
	"http://u%41@h/",
	"http://u%4@h/",
	"http://u%@h/",
	"http://us er@h/",
	"http://u@h@x/",
	"http://host:/",
	"http://host:0/",
	"http://host:00080/",
	"http://host:65535/",
	"http://host:65536/",
	"http://host:99999999999999999999/",
	"http://host:-1/",
	"http://host:80a/",
	"http://host:a80/",
	"http://:80/",
	"http://host::80/",
	/* hosts */
	"http://127.0.0.1:8080/",
	"http://999.999.999.999/",
	"http://h_o~s-t.x/",
	"http://ho st/",
	"http://ho%20st/",
	"http://ho%2/",
	"http://h!$&'()*+,;=/",
	"http://[::1]/",
	"http://[::1]:8080/x",
	"http://[::1]:/",
	"http://[::]/",
	"http://[2001:db8::7]/c=GB?objectClass?one",
	"http://[2001:0db8:0000:0000:0000:ff00:0042:8329]/",
	"http://[::ffff:192.0.2.128]/",
	"http://[1:2:3:4:5:6:7:8]/",
	"http://[1:2:3:4:5:6:7:8:9]/",
	"http://[1:2:3:4:5:6:7::]/",
	"http://[::1:2:3:4:5:6:7]/",
	"http://[1::2::3]/",
	"http://[12345::]/",
	"http://[::1%eth0]/",
	"http://[fe80::1%25eth0]/",
	"http://[::ffff:1.2.3]/",
	"http://[::ffff:01.2.3.4]/",
	"http://[:::]/",
	/* libevent's own IPv6 parser: laxer than the C library's */
	"http://[::0x12]/",
	"http://[::0x123]/",
	"http://[1::2:]/",
	"http://[::1.2.3.+4]/",
	"http://[::1. 2.3.4]/",
	"http://[::4294967297.1.1.1]/",
	"http://[::1.2.3.4a]/",
	"http://[::-0.1.2.3]/",
	"http://[1:2:3:4:5:6:1.2.3.4]:1/",
	"http://[]/",
	"http://[/",
	"http://[::1/",
	"http://::1/",
	"http://[v1.fe80::a+en1]/",
	"http://[vF.x]/",
	"http://[v.x]/",
	"http://[v1]/",
	"http://[v1.]/",
	"http://[vz.x]/",
	"http://[V1.x]/",
	"http://[v1.a/b]/",
	"http://[1111:2222:3333:4444:5555:6666:7777:8888:9999:0000]/",
	"http://[0000:0000:0000:0000:0000:0000:0000:0000:0000:0001x]/",
	/* paths, queries and fragments */
	"http://h/a b",
	"http://h/a%20b",
	"http://h/a%2",
	"http://h/a%zz",
	"http://h/%",
	"http://h/~!$&'()*+,;=:@/",
	"http://h/a?b?c",
	"http://h/a?b#c?d",
	"http://h/a#b#c",
	"http://h/a?b c",
	"http://h/a#b c",
	"http://h/a\"b",
	"http://h/a<b>",
	"http://h/a{b}|c\\d^e`f[g]",
	"http://h/\x7f",
	"http://h/\xc3\xa9",
	"http://h?q",
	"http://h#f",
	"http://h?",
	"http://h#",
	"http://h/?#",
	"x:?#",
	"/a b?c d#e f",
	"/a?b#c#d",
	"/a#b?c",
	"?a b",
	"#a b",
	"p a t h",
	"http://h:80?x",
	"http://u@h:1/p?q#f",
};

static void
setters(void)
{
	char buf[256];
	struct evhttp_uri *u = evhttp_uri_new();
	printf("new:");
	show(u);
	putchar('\n');
	EXPECT_STR("join of a new uri", evhttp_uri_join(u, buf, sizeof buf), "");

	EXPECT_INT("set_scheme http", evhttp_uri_set_scheme(u, "http"), 0);
	EXPECT_INT("set_scheme 1x", evhttp_uri_set_scheme(u, "1x"), -1);
	EXPECT_INT("set_scheme empty", evhttp_uri_set_scheme(u, ""), -1);
	EXPECT_INT("set_scheme a+b.c-d", evhttp_uri_set_scheme(u, "a+b.c-d"), 0);
	EXPECT_INT("set_scheme a:b", evhttp_uri_set_scheme(u, "a:b"), -1);
	EXPECT_STR("scheme kept after refusals", evhttp_uri_get_scheme(u), "a+b.c-d");
	EXPECT_INT("set_scheme https", evhttp_uri_set_scheme(u, "https"), 0);

	EXPECT_INT("set_userinfo u:p", evhttp_uri_set_userinfo(u, "u:p"), 0);
	EXPECT_INT("set_userinfo u@p", evhttp_uri_set_userinfo(u, "u@p"), -1);
	EXPECT_INT("set_userinfo u%41", evhttp_uri_set_userinfo(u, "u%41"), 0);
	EXPECT_INT("set_userinfo u%4", evhttp_uri_set_userinfo(u, "u%4"), -1);
	EXPECT_INT("set_userinfo empty", evhttp_uri_set_userinfo(u, ""), 0);

	EXPECT_INT("set_host example.com", evhttp_uri_set_host(u, "example.com"), 0);
	EXPECT_INT("set_host [::1]", evhttp_uri_set_host(u, "[::1]"), 0);
	EXPECT_INT("set_host [::1", evhttp_uri_set_host(u, "[::1"), -1);
	EXPECT_INT("set_host [v7.x]", evhttp_uri_set_host(u, "[v7.x]"), 0);
	EXPECT_INT("set_host a b", evhttp_uri_set_host(u, "a b"), -1);
	EXPECT_INT("set_host h:80", evhttp_uri_set_host(u, "h:80"), -1);
	EXPECT_INT("set_host empty", evhttp_uri_set_host(u, ""), 0);
	EXPECT_INT("set_host 10.0.0.1", evhttp_uri_set_host(u, "10.0.0.1"), 0);

	EXPECT_INT("set_port 8080", evhttp_uri_set_port(u, 8080), 0);
	EXPECT_INT("set_port -2", evhttp_uri_set_port(u, -2), -1);
	EXPECT_INT("set_port 70000", evhttp_uri_set_port(u, 70000), 0);
	EXPECT_INT("get_port", evhttp_uri_get_port(u), 70000);
	EXPECT_INT("set_port -1", evhttp_uri_set_port(u, -1), 0);
	EXPECT_INT("set_port 8080 again", evhttp_uri_set_port(u, 8080), 0);

	EXPECT_INT("set_path /a/b", evhttp_uri_set_path(u, "/a/b"), 0);
	EXPECT_INT("set_path /a b", evhttp_uri_set_path(u, "/a b"), -1);
	EXPECT_INT("set_path /a?b", evhttp_uri_set_path(u, "/a?b"), -1);
	EXPECT_INT("set_query x=1&y=a?b", evhttp_uri_set_query(u, "x=1&y=a?b"), 0);
	EXPECT_INT("set_query x#y", evhttp_uri_set_query(u, "x#y"), -1);
	EXPECT_INT("set_fragment f?g", evhttp_uri_set_fragment(u, "f?g"), 0);
	EXPECT_INT("set_fragment f#g", evhttp_uri_set_fragment(u, "f#g"), -1);
	printf("built:");
	show(u);
	putchar('\n');
	EXPECT_STR("join built", evhttp_uri_join(u, buf, sizeof buf),
	    "https://@10.0.0.1:8080/a/b?x=1&y=a?b#f?g");

	/* a limit exactly the size, one less, 1 and 0 */
	{
		size_t n = strlen(buf) + 1;
		char small[256];
		memset(small, 'Z', sizeof small);
		CHECK("join fits exactly", evhttp_uri_join(u, small, n) == small);
		memset(small, 'Z', sizeof small);
		CHECK("join one short is NULL", evhttp_uri_join(u, small, n - 1) == NULL);
		CHECK("buffer untouched", small[0] == 'Z');
		CHECK("join limit 0 is NULL", evhttp_uri_join(u, small, 0) == NULL);
		CHECK("join buf NULL is NULL", evhttp_uri_join(u, NULL, 10) == NULL);
	}

	/* a relative path under a host cannot be joined */
	EXPECT_INT("set_path rel", evhttp_uri_set_path(u, "rel"), 0);
	CHECK("join host + relative path is NULL", evhttp_uri_join(u, buf, sizeof buf) == NULL);
	EXPECT_INT("set_host NULL", evhttp_uri_set_host(u, NULL), 0);
	EXPECT_STR("join without host", evhttp_uri_join(u, buf, sizeof buf), "https:rel?x=1&y=a?b#f?g");
	EXPECT_INT("set_path empty", evhttp_uri_set_path(u, ""), 0);
	EXPECT_INT("set_scheme NULL", evhttp_uri_set_scheme(u, NULL), 0);
	EXPECT_INT("set_query NULL", evhttp_uri_set_query(u, NULL), 0);
	EXPECT_INT("set_fragment NULL", evhttp_uri_set_fragment(u, NULL), 0);
	printf("cleared:");
	show(u);
	putchar('\n');
	EXPECT_STR("join cleared (userinfo without host dropped)", evhttp_uri_join(u, buf, sizeof buf), "");

	/* NONCONFORMANT set later relaxes the setters */
	EXPECT_INT("strict set_path with space", evhttp_uri_set_path(u, "/a b"), -1);
	evhttp_uri_set_flags(u, EVHTTP_URI_NONCONFORMANT);
	EXPECT_INT("nc set_path with space", evhttp_uri_set_path(u, "/a b\"<>"), 0);
	EXPECT_INT("nc set_path with ?", evhttp_uri_set_path(u, "/a?b"), -1);
	EXPECT_INT("nc set_query with space", evhttp_uri_set_query(u, "a b?c"), 0);
	EXPECT_INT("nc set_query with #", evhttp_uri_set_query(u, "a#b"), -1);
	EXPECT_INT("nc set_fragment with #", evhttp_uri_set_fragment(u, "a#b c"), 0);
	EXPECT_STR("nc join", evhttp_uri_join(u, buf, sizeof buf), "/a b\"<>?a b?c#a#b c");
	evhttp_uri_free(u);
}

int
main(void)
{
	size_t i;
	t_begin("http_uri");
	EXPECT_INT("EVHTTP_URI_NONCONFORMANT", EVHTTP_URI_NONCONFORMANT, 1);
	for (i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		try_parse(uris[i], 0);
		try_parse(uris[i], EVHTTP_URI_NONCONFORMANT);
	}
	setters();
	return t_end();
}

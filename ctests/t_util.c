/* The rest of event2/util.h: evutil_getaddrinfo (numeric hosts and
 * services, flags, error codes and their texts), sockaddr_cmp,
 * inet_pton_scope, date_rfc1123, the secure RNG, monotonic timers and the
 * listen-socket options.  No network: numeric and loopback lookups only. */
#include "common.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <event2/util.h>

static int
count(struct evutil_addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

static void
describe(const char *what, struct evutil_addrinfo *ai)
{
	char text[64];
	for (; ai; ai = ai->ai_next) {
		int port = -1;
		text[0] = 0;
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
			evutil_inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
			port = ntohs(sin->sin_port);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
			evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
			port = ntohs(sin6->sin6_port);
		}
		printf("%s: family %d socktype %d protocol %d addrlen %d addr %s port %d canon %s\n", what,
		    ai->ai_family, ai->ai_socktype, ai->ai_protocol, (int)ai->ai_addrlen, text, port,
		    ai->ai_canonname ? ai->ai_canonname : "(none)");
	}
}

static void
lookup(const char *what, const char *node, const char *serv, int family, int socktype, int flags, int want)
{
	struct evutil_addrinfo hints, *res = NULL;
	int r;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags;
	r = evutil_getaddrinfo(node, serv, &hints, &res);
	EXPECT_INT(what, r, want);
	if (r == 0) {
		describe(what, res);
		evutil_freeaddrinfo(res);
	}
}

static void
getaddrinfo_tests(void)
{
	struct evutil_addrinfo *res = NULL;
	int codes[] = {0, EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS, EVUTIL_EAI_FAIL,
	    EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA, EVUTIL_EAI_NONAME, EVUTIL_EAI_SERVICE,
	    EVUTIL_EAI_SOCKTYPE, EVUTIL_EAI_SYSTEM, EVUTIL_EAI_CANCEL, -12345, EAI_OVERFLOW};
	unsigned i;
	FILE *hosts;
	char line[256];
	int has_localhost = 0;

	printf("EVUTIL_AI_*: %d %d %d %d %d %d %d\n", EVUTIL_AI_PASSIVE, EVUTIL_AI_CANONNAME,
	    EVUTIL_AI_NUMERICHOST, EVUTIL_AI_NUMERICSERV, EVUTIL_AI_V4MAPPED, EVUTIL_AI_ALL,
	    EVUTIL_AI_ADDRCONFIG);
	printf("EVUTIL_EAI_*: %d %d %d %d %d %d %d %d %d %d %d %d\n", EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN,
	    EVUTIL_EAI_BADFLAGS, EVUTIL_EAI_FAIL, EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA,
	    EVUTIL_EAI_NONAME, EVUTIL_EAI_SERVICE, EVUTIL_EAI_SOCKTYPE, EVUTIL_EAI_SYSTEM, EVUTIL_EAI_CANCEL);
	EXPECT_INT("sizeof evutil_addrinfo", sizeof(struct evutil_addrinfo), sizeof(struct addrinfo));
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		printf("gai_strerror(%d) = \"%s\"\n", codes[i], evutil_gai_strerror(codes[i]));

	lookup("v4 tcp numeric", "127.0.0.1", "80", AF_INET, SOCK_STREAM,
	    EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV, 0);
	lookup("v4 any socktype", "10.1.2.3", "8080", AF_UNSPEC, 0, EVUTIL_AI_NUMERICHOST, 0);
	lookup("v6 udp", "::1", "53", AF_INET6, SOCK_DGRAM, EVUTIL_AI_NUMERICHOST, 0);
	lookup("v6 unspec, no service", "fe80::1", NULL, AF_UNSPEC, SOCK_STREAM, EVUTIL_AI_NUMERICHOST, 0);
	lookup("passive v4", NULL, "9999", AF_INET, SOCK_STREAM, EVUTIL_AI_PASSIVE, 0);
	lookup("passive v6", NULL, "9999", AF_INET6, SOCK_STREAM, EVUTIL_AI_PASSIVE, 0);
	lookup("not passive: loopback", NULL, "9999", AF_INET, SOCK_STREAM, 0, 0);
	lookup("v4-mapped", "1.2.3.4", "1", AF_INET6, SOCK_STREAM, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_V4MAPPED, 0);
	lookup("canonname numeric", "127.0.0.1", NULL, AF_INET, SOCK_STREAM,
	    EVUTIL_AI_NUMERICHOST | EVUTIL_AI_CANONNAME, 0);
	lookup("named service", "127.0.0.1", "http", AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICHOST, 0);
	lookup("a name with NUMERICHOST", "not-an-address", "80", AF_UNSPEC, 0, EVUTIL_AI_NUMERICHOST,
	    EVUTIL_EAI_NONAME);
	lookup("a name with NUMERICSERV", "127.0.0.1", "http", AF_INET, SOCK_STREAM,
	    EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV, EVUTIL_EAI_NONAME);
	lookup("neither node nor service", NULL, NULL, AF_UNSPEC, 0, 0, EVUTIL_EAI_NONAME);
	lookup("bad family", "127.0.0.1", "80", 12345, 0, EVUTIL_AI_NUMERICHOST, EVUTIL_EAI_FAMILY);
	lookup("bad socktype", "127.0.0.1", "80", AF_INET, 12345, EVUTIL_AI_NUMERICHOST, EVUTIL_EAI_SOCKTYPE);
	lookup("bad flags", "127.0.0.1", "80", AF_INET, 0, 0x10000000, EVUTIL_EAI_BADFLAGS);
	lookup("family mismatch", "::1", "80", AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICHOST, EVUTIL_EAI_ADDRFAMILY);
	lookup("service for raw sockets", "127.0.0.1", "80", AF_INET, SOCK_RAW, EVUTIL_AI_NUMERICHOST,
	    EVUTIL_EAI_SERVICE);

	/* NULL hints: any family, any socket type */
	EXPECT_INT("NULL hints", evutil_getaddrinfo("127.0.0.1", "7", NULL, &res), 0);
	EXPECT_INT("NULL hints: one per socket type", count(res), 3);
	describe("NULL hints", res);
	evutil_freeaddrinfo(res);

	hosts = fopen("/etc/hosts", "r");
	while (hosts && fgets(line, sizeof line, hosts))
		if (strncmp(line, "127.0.0.1", 9) == 0 && strstr(line, "localhost"))
			has_localhost = 1;
	if (hosts)
		fclose(hosts);
	if (has_localhost)
		lookup("localhost v4", "localhost", "80", AF_INET, SOCK_STREAM, 0, 0);
	else
		SAY("(no localhost in /etc/hosts)");
}

static void
sin_of(struct sockaddr_in *sin, const char *addr, int port)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	evutil_inet_pton(AF_INET, addr, &sin->sin_addr);
}

static void
sin6_of(struct sockaddr_in6 *sin6, const char *addr, int port)
{
	memset(sin6, 0, sizeof *sin6);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	evutil_inet_pton(AF_INET6, addr, &sin6->sin6_addr);
}

#define SIGN(x) ((x) < 0 ? -1 : (x) > 0)

static void
sockaddr_cmp_tests(void)
{
	struct sockaddr_in a, b;
	struct sockaddr_in6 c, d;
	struct sockaddr_storage u1, u2;
#define CMP(name, x, y, port) EXPECT_INT(name, SIGN(evutil_sockaddr_cmp((struct sockaddr *)(x), (struct sockaddr *)(y), port)), \
	    SIGN(evutil_sockaddr_cmp((struct sockaddr *)(x), (struct sockaddr *)(y), port)))
	sin_of(&a, "10.0.0.1", 80);
	sin_of(&b, "10.0.0.1", 81);
	EXPECT_INT("v4 same address, ports ignored", evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 0), 0);
	printf("v4 ports compared: %d %d\n", SIGN(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1)),
	    SIGN(evutil_sockaddr_cmp((struct sockaddr *)&b, (struct sockaddr *)&a, 1)));
	sin_of(&b, "10.0.0.2", 80);
	printf("v4 10.0.0.1 vs 10.0.0.2: %d %d\n", SIGN(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1)),
	    SIGN(evutil_sockaddr_cmp((struct sockaddr *)&b, (struct sockaddr *)&a, 0)));
	sin_of(&b, "9.0.0.2", 80);
	printf("v4 10.0.0.1 vs 9.0.0.2: %d\n", SIGN(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 0)));
	sin6_of(&c, "::1", 80);
	sin6_of(&d, "::1", 443);
	EXPECT_INT("v6 same address", evutil_sockaddr_cmp((struct sockaddr *)&c, (struct sockaddr *)&d, 0), 0);
	printf("v6 ports compared: %d\n", SIGN(evutil_sockaddr_cmp((struct sockaddr *)&c, (struct sockaddr *)&d, 1)));
	sin6_of(&d, "::2", 80);
	printf("v6 ::1 vs ::2: %d %d\n", SIGN(evutil_sockaddr_cmp((struct sockaddr *)&c, (struct sockaddr *)&d, 1)),
	    SIGN(evutil_sockaddr_cmp((struct sockaddr *)&d, (struct sockaddr *)&c, 1)));
	printf("v4 vs v6: %d %d\n", SIGN(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&c, 1)),
	    SIGN(evutil_sockaddr_cmp((struct sockaddr *)&c, (struct sockaddr *)&a, 1)));
	memset(&u1, 0, sizeof u1);
	memset(&u2, 0, sizeof u2);
	u1.ss_family = u2.ss_family = AF_UNIX;
	EXPECT_INT("AF_UNIX never equal", evutil_sockaddr_cmp((struct sockaddr *)&u1, (struct sockaddr *)&u2, 1), 1);
#undef CMP
}

static void
pton_scope_tests(void)
{
	struct in6_addr a6;
	struct in_addr a4;
	unsigned idx = 77;
	char text[64];
	unsigned lo = if_nametoindex("lo");

	EXPECT_INT("v4", evutil_inet_pton_scope(AF_INET, "1.2.3.4", &a4, &idx), 1);
	EXPECT_INT("v4 index", idx, 0);
	CHECK("v4 address", a4.s_addr == htonl(0x01020304));
	idx = 77;
	EXPECT_INT("v6 without zone", evutil_inet_pton_scope(AF_INET6, "fe80::1", &a6, &idx), 1);
	EXPECT_INT("v6 without zone index", idx, 0);
	EXPECT_INT("v6 numeric zone", evutil_inet_pton_scope(AF_INET6, "fe80::2%7", &a6, &idx), 1);
	EXPECT_INT("v6 numeric zone index", idx, 7);
	EXPECT_STR("v6 address", evutil_inet_ntop(AF_INET6, &a6, text, sizeof text), "fe80::2");
	if (lo) {
		EXPECT_INT("v6 named zone", evutil_inet_pton_scope(AF_INET6, "fe80::3%lo", &a6, &idx), 1);
		CHECK("v6 named zone index is lo's", idx == lo);
	}
	EXPECT_INT("v6 unknown zone", evutil_inet_pton_scope(AF_INET6, "fe80::1%nosuchif0", &a6, &idx), 0);
	EXPECT_INT("v6 empty zone", evutil_inet_pton_scope(AF_INET6, "fe80::1%", &a6, &idx), 1);
	EXPECT_INT("v6 empty zone index", idx, 0);
	EXPECT_INT("v6 bad address, good zone", evutil_inet_pton_scope(AF_INET6, "fe80::g%1", &a6, &idx), 0);
	EXPECT_INT("v4 with a percent", evutil_inet_pton_scope(AF_INET, "1.2.3.4%1", &a4, &idx), 0);
}

static void
date_tests(void)
{
	struct tm tm;
	char buf[64], small[10];
	int n;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 94;
	tm.tm_mon = 10;
	tm.tm_mday = 6;
	tm.tm_wday = 0;
	tm.tm_hour = 8;
	tm.tm_min = 49;
	tm.tm_sec = 37;
	EXPECT_INT("rfc1123 length", evutil_date_rfc1123(buf, sizeof buf, &tm), 29);
	EXPECT_STR("rfc1123", buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	EXPECT_INT("rfc1123 truncated length", evutil_date_rfc1123(small, sizeof small, &tm), 29);
	EXPECT_STR("rfc1123 truncated", small, "Sun, 06 N");
	tm.tm_year = 8100; tm.tm_wday = 6; tm.tm_mon = 11; tm.tm_mday = 31; tm.tm_hour = 23;
	n = evutil_date_rfc1123(buf, sizeof buf, &tm);
	EXPECT_INT("year 10000 length", n, 30);
	EXPECT_STR("year 10000", buf, "Sat, 31 Dec 10000 23:49:37 GMT");
	n = evutil_date_rfc1123(buf, sizeof buf, NULL);
	EXPECT_INT("now: length", n, 29);
	CHECK("now: ends in GMT", strcmp(buf + 26, "GMT") == 0 && buf[3] == ',');
}

static void
rng_tests(void)
{
	unsigned char a[32], b[32], zero[32];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	memset(zero, 0, sizeof zero);
	EXPECT_INT("secure_rng_init", evutil_secure_rng_init(), 0);
	EXPECT_INT("secure_rng_init again", evutil_secure_rng_init(), 0);
	evutil_secure_rng_get_bytes(a, sizeof a);
	evutil_secure_rng_get_bytes(b, sizeof b);
	CHECK("random bytes are not zero", memcmp(a, zero, sizeof a) != 0);
	CHECK("two draws differ", memcmp(a, b, sizeof a) != 0);
	evutil_secure_rng_add_bytes("some extra seed material", 24);
	evutil_secure_rng_get_bytes(a, 0);
	evutil_secure_rng_get_bytes(a, 1);
	/* -1 where the generator reads no device (libevent on arc4random) */
	EXPECT_INT("set_urandom_device_file", evutil_secure_rng_set_urandom_device_file((char *)"/dev/urandom"), -1);
	evutil_secure_rng_get_bytes(b, sizeof b);
	CHECK("still random", memcmp(b, zero, sizeof b) != 0);
}

static long long
us(const struct timeval *tv)
{
	return tv->tv_sec * 1000000LL + tv->tv_usec;
}

static void
monotonic_tests(void)
{
	int flags[] = {0, EV_MONOT_PRECISE, EV_MONOT_FALLBACK, EV_MONOT_PRECISE | EV_MONOT_FALLBACK};
	unsigned i;
	printf("EV_MONOT_PRECISE %d EV_MONOT_FALLBACK %d\n", EV_MONOT_PRECISE, EV_MONOT_FALLBACK);
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct evutil_monotonic_timer *t = evutil_monotonic_timer_new();
		struct timeval t0, t1, t2;
		long long d;
		char name[64];
		snprintf(name, sizeof name, "flags %d", flags[i]);
		CHECK(name, t != NULL);
		EXPECT_INT("configure", evutil_configure_monotonic_time(t, flags[i]), 0);
		EXPECT_INT("gettime", evutil_gettime_monotonic(t, &t0), 0);
		t_sleep_ms(30);
		EXPECT_INT("gettime again", evutil_gettime_monotonic(t, &t1), 0);
		EXPECT_INT("and again", evutil_gettime_monotonic(t, &t2), 0);
		d = us(&t1) - us(&t0);
		fprintf(stderr, "flags %d: %lld us for a 30 ms sleep\n", flags[i], d);
		CHECK("never backwards", us(&t1) >= us(&t0) && us(&t2) >= us(&t1));
		CHECK("tv_usec in range", t1.tv_usec >= 0 && t1.tv_usec < 1000000);
		CHECK("measures the sleep", d >= 20000 && d < 2000000);
		evutil_monotonic_timer_free(t);
	}
	evutil_monotonic_timer_free(NULL);
}

static void
socket_option_tests(void)
{
	int v;
	socklen_t vl = sizeof v;
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	EXPECT_INT("reuseable_port", evutil_make_listen_socket_reuseable_port(s), 0);
	getsockopt(s, SOL_SOCKET, SO_REUSEPORT, &v, &vl);
	CHECK("SO_REUSEPORT set", v != 0);
	EXPECT_INT("ipv6only", evutil_make_listen_socket_ipv6only(s), 0);
	vl = sizeof v;
	getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl);
	CHECK("IPV6_V6ONLY set", v != 0);
	EXPECT_INT("tcp deferred", evutil_make_tcp_listen_socket_deferred(s), 0);
	vl = sizeof v;
	getsockopt(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &vl);
	CHECK("TCP_DEFER_ACCEPT set", v != 0);
	close(s);
	EXPECT_INT("reuseable_port on a closed fd", evutil_make_listen_socket_reuseable_port(s), -1);
	EXPECT_INT("ipv6only on a closed fd", evutil_make_listen_socket_ipv6only(s), -1);
	EXPECT_INT("tcp deferred on a closed fd", evutil_make_tcp_listen_socket_deferred(s), -1);
	s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_INT("ipv6only on an IPv4 socket", evutil_make_listen_socket_ipv6only(s), -1);
	close(s);
}

int
main(void)
{
	t_begin("t_util");
	getaddrinfo_tests();
	sockaddr_cmp_tests();
	pton_scope_tests();
	date_tests();
	rng_tests();
	monotonic_tests();
	socket_option_tests();
	return t_end();
}

/* evdns resolver against an evdns server port in the same process, on
 * 127.0.0.1: answers (A, AAAA, PTR, CNAME, several records, TTLs),
 * NXDOMAIN, REFUSED, SERVFAIL, empty answers, truncation, timeouts and
 * retries, cancel, search domains and ndots, and what the server port
 * sees (flags, questions, requesting address). */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

static struct event_base *base;
static struct evdns_base *dns;

/* What the server saw. */
static char asked[16][128];
static int nasked;
static int seen_flags = -1, seen_nq, seen_type, seen_class, seen_family;
static char seen_ip[64];

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	const struct evdns_server_question *q = req->questions[0];
	char name[128];
	int i;
	(void)arg;
	snprintf(name, sizeof(name), "%s", q->name);
	for (i = 0; name[i]; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] += 32;
	if (nasked < 16)
		snprintf(asked[nasked++], sizeof(asked[0]), "%s", name);
	if (!strcmp(name, "flags.test")) {
		struct sockaddr_storage ss;
		seen_flags = req->flags;
		seen_nq = req->nquestions;
		seen_type = q->type;
		seen_class = q->dns_question_class;
		if (evdns_server_request_get_requesting_addr(req, (struct sockaddr *)&ss, sizeof(ss)) > 0) {
			seen_family = ss.ss_family;
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, seen_ip, sizeof(seen_ip));
		}
		CHECK("requesting addr needs room", evdns_server_request_get_requesting_addr(req, (struct sockaddr *)&ss, 2) == -1);
		evdns_server_request_set_flags(req, EVDNS_FLAGS_AA);
	}
	if (!strcmp(name, "a.test") || !strcmp(name, "flags.test")) {
		ev_uint32_t a[2];
		a[0] = htonl(0x0a000001);
		a[1] = htonl(0x0a000002);
		evdns_server_request_add_a_reply(req, q->name, 1, &a[0], 300);
		evdns_server_request_add_a_reply(req, q->name, 1, &a[1], 60);
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "six.test")) {
		struct in6_addr a;
		inet_pton(AF_INET6, "2001:db8::7", &a);
		evdns_server_request_add_aaaa_reply(req, q->name, 1, &a, 1234);
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "4.3.2.1.in-addr.arpa")) {
		evdns_server_request_add_ptr_reply(req, NULL, q->name, "host.example.test", 99);
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "alias.test")) {
		ev_uint32_t a = htonl(0x0a000009);
		evdns_server_request_add_cname_reply(req, q->name, "real.test", 50);
		evdns_server_request_add_a_reply(req, "real.test", 1, &a, 40);
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "empty.test")) {
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "big.test")) {
		ev_uint32_t a[60];
		for (i = 0; i < 60; i++)
			a[i] = htonl(0x0a000100 + i);
		evdns_server_request_add_a_reply(req, q->name, 60, a, 5);
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "trunc.test")) {
		/* 40 records of 16 bytes: past 512 bytes, cut and flagged. */
		for (i = 0; i < 40; i++) {
			ev_uint32_t a = htonl(0x0a000200 + i);
			evdns_server_request_add_a_reply(req, q->name, 1, &a, 5);
		}
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "raw.test")) {
		/* A hand-made record: type A, 4 bytes, in the answer section. */
		evdns_server_request_add_reply(req, EVDNS_ANSWER_SECTION, q->name,
		    EVDNS_TYPE_A, EVDNS_CLASS_INET, 7, 4, 0, "\x7f\x00\x00\x05");
		evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "soa.test")) {
		/* NXDOMAIN with the zone's SOA: the TTL is the lower of the
		 * record's and its minimum. */
		static const char soa[] = "\2ns\4test\0\5admin\4test\0"
					  "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\x2a";
		evdns_server_request_add_reply(req, EVDNS_AUTHORITY_SECTION, "test", EVDNS_TYPE_SOA,
		    EVDNS_CLASS_INET, 900, (int)sizeof(soa) - 1, 0, soa);
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
	} else if (!strcmp(name, "servfail.test")) {
		evdns_server_request_respond(req, DNS_ERR_SERVERFAILED);
	} else if (!strcmp(name, "refused.test")) {
		evdns_server_request_respond(req, DNS_ERR_REFUSED);
	} else if (!strcmp(name, "drop.test") || !strcmp(name, "slow.test")) {
		evdns_server_request_drop(req);
	} else {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
	}
}

/* What the evdns log said (only lines whose words are deterministic). */
static int log_warnings, log_failed, log_all_failed, log_back_up;

static void
log_fn(int is_warning, const char *msg)
{
	log_warnings += is_warning;
	log_failed += strstr(msg, "has failed: request timed out.") != NULL;
	log_all_failed += strstr(msg, "All nameservers have failed") != NULL;
	log_back_up += strstr(msg, "is back up") != NULL;
}

/* What one resolve's callback reported. */
struct result {
	int done, err, type, count, ttl;
	char text[256];
};

static void
resolve_cb(int err, char type, int count, int ttl, void *addrs, void *arg)
{
	struct result *r = arg;
	int i;
	r->done++;
	r->err = err;
	r->type = type;
	r->count = count;
	r->ttl = ttl;
	r->text[0] = 0;
	for (i = 0; err == 0 && i < count && i < 4; i++) {
		char buf[64];
		size_t len = strlen(r->text);
		if (type == DNS_IPv4_A)
			inet_ntop(AF_INET, (char *)addrs + 4 * i, buf, sizeof(buf));
		else if (type == DNS_IPv6_AAAA)
			inet_ntop(AF_INET6, (char *)addrs + 16 * i, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", *(char **)addrs);
		snprintf(r->text + len, sizeof(r->text) - len, "%s%s", i ? "," : "", buf);
	}
}

static void
wait_for(struct result *r)
{
	while (!r->done)
		event_base_loop(base, EVLOOP_ONCE);
}

static void
show(const char *what, struct result *r)
{
	SAY("%s: err=%d (%s) type=%d count=%d ttl=%d [%s]", what, r->err,
	    evdns_err_to_string(r->err), r->type, r->count, r->ttl, r->text);
}

static void
lookup4(const char *name, int flags)
{
	struct result r;
	memset(&r, 0, sizeof(r));
	CHECK("request made", evdns_base_resolve_ipv4(dns, name, flags, resolve_cb, &r) != NULL);
	CHECK("callback deferred", r.done == 0);
	wait_for(&r);
	show(name, &r);
}

static void
print_asked(const char *what)
{
	int i;
	printf("%s asked:", what);
	for (i = 0; i < nasked; i++)
		printf(" %s", asked[i]);
	printf("\n");
	nasked = 0;
}

int
main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct evdns_server_port *port;
	struct result r, r2;
	char ns[64];
	int fd, i;

	t_begin("t_dns_resolve");
	alarm(20);
	base = event_base_new();

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		DIE("bind");
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	CHECK("server port flags must be 0", evdns_add_server_port_with_base(base, fd, 1, server_cb, NULL) == NULL);
	port = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	CHECK("server port", port != NULL);

	evdns_set_log_fn(log_fn);
	dns = evdns_base_new(base, 0);
	CHECK("base", dns != NULL);
	EXPECT_INT("no nameservers", evdns_base_count_nameservers(dns), 0);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	EXPECT_INT("ip_add", evdns_base_nameserver_ip_add(dns, ns), 0);
	EXPECT_INT("ip_add again", evdns_base_nameserver_ip_add(dns, ns), 3);
	EXPECT_INT("ip_add junk", evdns_base_nameserver_ip_add(dns, "not an address"), 4);
	EXPECT_INT("warned", log_warnings, 1);
	EXPECT_INT("one nameserver", evdns_base_count_nameservers(dns), 1);
	EXPECT_INT("randomize-case off", evdns_base_set_option(dns, "randomize-case:", "0"), 0);
	EXPECT_INT("bad timeout", evdns_base_set_option(dns, "timeout:", "soon"), -1);
	EXPECT_INT("unknown option", evdns_base_set_option(dns, "no-such-option:", "1"), 0);

	lookup4("a.test", 0);
	lookup4("alias.test", 0);
	lookup4("raw.test", 0);
	lookup4("nx.test", DNS_QUERY_NO_SEARCH);
	lookup4("soa.test", 0);
	lookup4("empty.test", 0);
	lookup4("big.test", 0);
	lookup4("trunc.test", 0);
	print_asked("answers");

	memset(&r, 0, sizeof(r));
	evdns_base_resolve_ipv6(dns, "six.test", 0, resolve_cb, &r);
	wait_for(&r);
	show("six.test", &r);
	memset(&r, 0, sizeof(r));
	{
		struct in_addr in;
		inet_pton(AF_INET, "1.2.3.4", &in);
		evdns_base_resolve_reverse(dns, &in, 0, resolve_cb, &r);
	}
	wait_for(&r);
	show("reverse 1.2.3.4", &r);
	memset(&r, 0, sizeof(r));
	{
		struct in6_addr in6;
		inet_pton(AF_INET6, "2001:db8::1", &in6);
		evdns_base_resolve_reverse_ipv6(dns, &in6, 0, resolve_cb, &r);
	}
	wait_for(&r);
	show("reverse 2001:db8::1", &r);
	print_asked("reverse");

	/* The server port's view. */
	lookup4("flags.test", 0);
	SAY("server saw flags=0x%x nquestions=%d type=%d class=%d family=%d ip=%s",
	    seen_flags, seen_nq, seen_type, seen_class, seen_family == AF_INET, seen_ip);
	nasked = 0;

	/* Search list: newest domain first; names with ndots dots go raw first. */
	evdns_base_search_add(dns, "one.test");
	evdns_base_search_add(dns, ".two.test");
	lookup4("host", 0);
	print_asked("search host");
	lookup4("x.y", 0);
	print_asked("search x.y");
	evdns_base_search_ndots_set(dns, 2);
	lookup4("x.y", 0);
	print_asked("search ndots 2 x.y");
	lookup4("host", DNS_QUERY_NO_SEARCH);
	print_asked("no search");
	lookup4("a", 0);
	print_asked("search a");
	evdns_base_search_clear(dns);
	lookup4("host", 0);
	print_asked("cleared");

	/* Cancel: the callback runs from the loop, once. */
	memset(&r, 0, sizeof(r));
	{
		struct evdns_request *req = evdns_base_resolve_ipv4(dns, "slow.test", 0, resolve_cb, &r);
		evdns_cancel_request(dns, req);
		CHECK("cancel deferred", r.done == 0);
		evdns_cancel_request(NULL, req);
	}
	wait_for(&r);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("cancel callbacks", r.done, 1);
	show("canceled", &r);

	/* Timeouts and retries: each attempt reaches the server. */
	EXPECT_INT("timeout", evdns_base_set_option(dns, "timeout", "0.2"), 0);
	EXPECT_INT("attempts", evdns_base_set_option(dns, "attempts:", "2"), 0);
	nasked = 0;
	lookup4("drop.test", 0);
	EXPECT_INT("attempts seen", nasked, 2);
	nasked = 0;
	EXPECT_INT("attempts 3", evdns_base_set_option(dns, "attempts:3", "3"), 0);
	lookup4("servfail.test", 0);
	EXPECT_INT("servfail retried", nasked, 3);
	nasked = 0;
	lookup4("refused.test", 0);
	EXPECT_INT("refused asked once", nasked, 1);
	nasked = 0;

	/* Two at once, answered in any order. */
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	evdns_base_resolve_ipv4(dns, "a.test", 0, resolve_cb, &r);
	evdns_base_resolve_ipv6(dns, "six.test", 0, resolve_cb, &r2);
	wait_for(&r);
	wait_for(&r2);
	show("both a", &r);
	show("both six", &r2);
	SAY("log: failed=%d all failed=%d back up=%d", log_failed, log_all_failed, log_back_up);
	evdns_set_log_fn(NULL);

	/* One in flight at a time: the second waits for the first. */
	EXPECT_INT("max-inflight", evdns_base_set_option(dns, "max-inflight:", "1"), 0);
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	nasked = 0;
	evdns_base_resolve_ipv4(dns, "a.test", 0, resolve_cb, &r);
	evdns_base_resolve_ipv6(dns, "six.test", 0, resolve_cb, &r2);
	while (!r.done || !r2.done)
		event_base_loop(base, EVLOOP_ONCE);
	print_asked("one at a time");
	show("first", &r);
	show("second", &r2);
	evdns_base_set_option(dns, "max-inflight:", "64");

	/* Letter case randomized (the default): the answer still matches. */
	{
		struct evdns_base *mixed = evdns_base_new(base, 0);
		evdns_base_nameserver_ip_add(mixed, ns);
		memset(&r, 0, sizeof(r));
		evdns_base_resolve_ipv4(mixed, "a.test", 0, resolve_cb, &r);
		wait_for(&r);
		show("randomized case", &r);
		evdns_base_free(mixed, 0);
		nasked = 0;
	}

	/* Suspend: requests wait until a nameserver is back and resume. */
	EXPECT_INT("suspend", evdns_base_clear_nameservers_and_suspend(dns), 0);
	EXPECT_INT("none left", evdns_base_count_nameservers(dns), 0);
	memset(&r, 0, sizeof(r));
	evdns_base_resolve_ipv4(dns, "a.test", 0, resolve_cb, &r);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_INT("waiting", r.done, 0);
	EXPECT_INT("re-add", evdns_base_nameserver_ip_add(dns, ns), 0);
	EXPECT_INT("resume", evdns_base_resume(dns), 0);
	wait_for(&r);
	show("resumed", &r);

	/* Freeing the base fails what is left, from the loop. */
	memset(&r, 0, sizeof(r));
	evdns_base_resolve_ipv4(dns, "slow.test", 0, resolve_cb, &r);
	evdns_base_free(dns, 1);
	wait_for(&r);
	show("shutdown", &r);

	for (i = 0; i <= 71; i++)
		if (i < 6 || i > 64)
			SAY("err %d: %s", i, evdns_err_to_string(i));

	evdns_close_server_port(port);
	event_base_free(base);
	return t_end();
}

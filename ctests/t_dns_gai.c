/* evdns_getaddrinfo: numeric hosts and missing hosts answered at once,
 * the hosts table (a fixture file) before any query, A and AAAA queries
 * joined (A first), one family by the hints, errors, a canonical name
 * through a CNAME, cancel; results freed with evutil_freeaddrinfo. */
#include "common.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

static struct event_base *base;

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	const struct evdns_server_question *q = req->questions[0];
	ev_uint32_t a4 = htonl(0x0a000004);
	struct in6_addr a6;
	(void)arg;
	inet_pton(AF_INET6, "2001:db8::6", &a6);
	if (!strcasecmp(q->name, "dual.test")) {
		if (q->type == EVDNS_TYPE_A)
			evdns_server_request_add_a_reply(req, q->name, 1, &a4, 30);
		else
			evdns_server_request_add_aaaa_reply(req, q->name, 1, &a6, 30);
		evdns_server_request_respond(req, 0);
	} else if (!strcasecmp(q->name, "v4only.test")) {
		if (q->type == EVDNS_TYPE_A)
			evdns_server_request_add_a_reply(req, q->name, 1, &a4, 30);
		evdns_server_request_respond(req, 0);
	} else if (!strcasecmp(q->name, "alias.test")) {
		evdns_server_request_add_cname_reply(req, q->name, "canonical.test", 30);
		if (q->type == EVDNS_TYPE_A)
			evdns_server_request_add_a_reply(req, "canonical.test", 1, &a4, 30);
		evdns_server_request_respond(req, 0);
	} else if (!strcasecmp(q->name, "slow.test")) {
		evdns_server_request_drop(req);
	} else {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
	}
}

struct result {
	int done, err;
	char text[512];
};

static void
gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct result *r = arg;
	struct evutil_addrinfo *ai;
	r->done++;
	r->err = err;
	r->text[0] = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		char ip[64];
		int port;
		size_t len = strlen(r->text);
		if (ai->ai_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
		} else {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip, sizeof(ip));
			port = ntohs(((struct sockaddr_in6 *)ai->ai_addr)->sin6_port);
		}
		snprintf(r->text + len, sizeof(r->text) - len, " %s/%d/%s%s%s", ip, port,
		    ai->ai_socktype == SOCK_STREAM ? "tcp" : ai->ai_socktype == SOCK_DGRAM ? "udp" : "?",
		    ai->ai_canonname ? " canon=" : "", ai->ai_canonname ? ai->ai_canonname : "");
	}
	if (res)
		evutil_freeaddrinfo(res);
}

static void
lookup(struct evdns_base *dns, const char *node, const char *serv, int family, int socktype, int flags)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct result r;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags;
	memset(&r, 0, sizeof(r));
	req = evdns_getaddrinfo(dns, node, serv, &hints, gai_cb, &r);
	SAY("%s %s: %s", node ? node : "(null)", serv ? serv : "(null)",
	    req ? "pending" : r.done ? "answered at once" : "no request, no answer");
	while (!r.done)
		event_base_loop(base, EVLOOP_ONCE);
	SAY("  err=%d%s", r.err, r.text);
}

static const char *
fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CTESTS_FIXTURES");
	snprintf(path, sizeof(path), "%s/dns/%s", dir ? dir : "ctests/fixtures", name);
	return path;
}

int
main(void)
{
	struct evdns_base *dns;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct evdns_server_port *port;
	char ns[64];
	int fd;

	t_begin("t_dns_gai");
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
	port = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));

	dns = evdns_base_new(base, 0);
	evdns_base_nameserver_ip_add(dns, ns);
	evdns_base_set_option(dns, "getaddrinfo-allow-skew:", "0.5");

	/* Answered at once. */
	lookup(dns, "127.0.0.1", "80", AF_UNSPEC, 0, 0);
	lookup(dns, "::1", "8080", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, "10.0.0.1", NULL, AF_INET6, SOCK_DGRAM, EVUTIL_AI_NUMERICHOST);
	lookup(dns, "1.2.3.4", "7", AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
	lookup(dns, NULL, "99", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, NULL, "99", AF_INET, SOCK_STREAM, EVUTIL_AI_PASSIVE);
	lookup(dns, NULL, NULL, AF_UNSPEC, 0, 0);
	lookup(dns, "dual.test", "not-a-service-name", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, "dual.test", "80", 12345, SOCK_STREAM, 0);

	/* The hosts table. */
	EXPECT_INT("load hosts", evdns_base_load_hosts(dns, fixture("hosts")), 0);
	lookup(dns, "fromhosts.test", "1", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, "FromHosts.Test", "2", AF_INET6, SOCK_STREAM, 0);
	lookup(dns, "alias.fromhosts.test", "3", AF_UNSPEC, 0, 0);
	lookup(dns, "v4only.hosts.test", "4", AF_INET6, SOCK_STREAM, 0);
	lookup(dns, "withport.test", "5", AF_INET, SOCK_STREAM, 0);
	EXPECT_INT("missing hosts file", evdns_base_load_hosts(dns, fixture("no-such-hosts")), -1);
	evdns_base_clear_host_addresses(dns);
	lookup(dns, "fromhosts.test", "1", AF_INET, SOCK_STREAM, 0);

	/* Queries. */
	lookup(dns, "dual.test", "443", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, "dual.test", "443", AF_INET6, SOCK_STREAM, 0);
	lookup(dns, "dual.test", "443", AF_INET, 0, 0);
	lookup(dns, "v4only.test", "1", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, "v4only.test", "1", AF_INET6, SOCK_STREAM, 0);
	lookup(dns, "nx.test", "1", AF_UNSPEC, SOCK_STREAM, 0);
	lookup(dns, "alias.test", "1", AF_INET, SOCK_STREAM, EVUTIL_AI_CANONNAME);
	/* The families asked for follow this host's interfaces (the same
	 * for both libraries on one machine). */
	lookup(dns, "dual.test", "2", AF_UNSPEC, SOCK_STREAM, EVUTIL_AI_ADDRCONFIG);

	/* Cancel: the callback says so, from the loop. */
	{
		struct evutil_addrinfo hints;
		struct result r;
		struct evdns_getaddrinfo_request *req;
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		memset(&r, 0, sizeof(r));
		req = evdns_getaddrinfo(dns, "slow.test", "1", &hints, gai_cb, &r);
		CHECK("pending", req != NULL);
		evdns_getaddrinfo_cancel(req);
		EXPECT_INT("not yet", r.done, 0);
		while (!r.done)
			event_base_loop(base, EVLOOP_ONCE);
		event_base_loop(base, EVLOOP_NONBLOCK);
		EXPECT_INT("canceled once", r.done, 1);
		EXPECT_INT("canceled", r.err, EVUTIL_EAI_CANCEL);
	}

	evdns_base_free(dns, 0);
	evdns_close_server_port(port);
	event_base_free(base);
	return t_end();
}

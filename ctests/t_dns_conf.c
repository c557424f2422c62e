/* evdns configuration from fixture files: resolv.conf lines (nameserver,
 * domain, search, options) and return codes, the nameserver list and its
 * order, nameservers by number and by sockaddr, and a search list and
 * options from a file driving real lookups against an in-process server
 * port. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

static struct event_base *base;
static char asked[16][128];
static int nasked;

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	if (nasked < 16)
		snprintf(asked[nasked++], sizeof(asked[0]), "%s", req->questions[0]->name);
	evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
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

static void
done_cb(int err, char type, int count, int ttl, void *addrs, void *arg)
{
	(void)type;
	(void)count;
	(void)ttl;
	(void)addrs;
	*(int *)arg = err + 1000;
}

static const char *
fixture(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CTESTS_FIXTURES");
	snprintf(path, sizeof(path), "%s/dns/%s", dir ? dir : "ctests/fixtures", name);
	return path;
}

static void
show_nameservers(const char *what, struct evdns_base *dns)
{
	int i, n = evdns_base_count_nameservers(dns);
	printf("%s: %d:", what, n);
	for (i = 0; i <= n; i++) {
		struct sockaddr_storage ss;
		char ip[64] = "?";
		int r = evdns_base_get_nameserver_addr(dns, i, (struct sockaddr *)&ss, sizeof(ss));
		if (r < 0) {
			printf(" [%d]=%d", i, r);
			continue;
		}
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
		printf(" [%d]=%s/%d len=%d", i, ip,
		    ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						  : ((struct sockaddr_in6 *)&ss)->sin6_port),
		    r == (int)sizeof(struct sockaddr_in) ? 4 : 6);
	}
	printf("\n");
}

int
main(void)
{
	struct evdns_base *dns;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin);
	struct sockaddr_storage ss;
	char ns[64];
	int fd, r;

	t_begin("t_dns_conf");
	alarm(20);
	base = event_base_new();

	/* Nameservers, domain, search and options from a file. */
	dns = evdns_base_new(base, 0);
	r = evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS | DNS_OPTION_SEARCH | DNS_OPTION_MISC,
	    fixture("resolv.conf"));
	EXPECT_INT("parse", r, 0);
	show_nameservers("from file", dns);
	EXPECT_INT("addr needs room", evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&ss, 4),
	    (int)sizeof(struct sockaddr_in));
	EXPECT_INT("by number", evdns_base_nameserver_add(dns, htonl(0x7f000003)), 0);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(5353);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	EXPECT_INT("by sockaddr", evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sin6, sizeof(sin6), 0), 0);
	EXPECT_INT("by sockaddr again", evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sin6, sizeof(sin6), 0), 3);
	show_nameservers("added", dns);
	EXPECT_INT("clear", evdns_base_clear_nameservers_and_suspend(dns), 0);
	show_nameservers("cleared", dns);
	evdns_base_free(dns, 0);

	/* Return codes. */
	dns = evdns_base_new(base, 0);
	EXPECT_INT("missing file", evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS, fixture("no-such-file")), 1);
	show_nameservers("default", dns);
	evdns_base_free(dns, 0);
	dns = evdns_base_new(base, 0);
	EXPECT_INT("missing, no default",
	    evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS | DNS_OPTION_NAMESERVERS_NO_DEFAULT, fixture("no-such-file")), 1);
	show_nameservers("no default", dns);
	evdns_base_free(dns, 0);
	dns = evdns_base_new(base, 0);
	EXPECT_INT("no nameserver line", evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC, fixture("options_only.conf")), 6);
	show_nameservers("defaulted", dns);
	evdns_base_free(dns, 0);
	dns = evdns_base_new(base, 0);
	EXPECT_INT("options only, misc", evdns_base_resolv_conf_parse(dns, DNS_OPTION_MISC, fixture("options_only.conf")), 0);
	show_nameservers("misc only", dns);
	evdns_base_free(dns, 0);

	/* The file's search list and options, used for lookups. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		DIE("bind");
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	struct evdns_server_port *port = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));

	dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	EXPECT_INT("search and misc", evdns_base_resolv_conf_parse(dns, DNS_OPTION_SEARCH | DNS_OPTION_MISC, fixture("resolv.conf")), 0);
	EXPECT_INT("no nameservers read", evdns_base_count_nameservers(dns), 0);
	EXPECT_INT("server", evdns_base_nameserver_ip_add(dns, ns), 0);
	{
		const char *names[] = { "h", "x.y", "x.y.z" };
		int i;
		for (i = 0; i < 3; i++) {
			int done = 0;
			evdns_base_resolve_ipv4(dns, names[i], 0, done_cb, &done);
			while (!done)
				event_base_loop(base, EVLOOP_ONCE);
			EXPECT_INT(names[i], done - 1000, DNS_ERR_NOTEXIST);
			print_asked(names[i]);
		}
	}
	evdns_base_free(dns, 0);

	evdns_close_server_port(port);
	event_base_free(base);
	return t_end();
}

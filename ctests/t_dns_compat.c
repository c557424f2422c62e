/* The 1.4 evdns calls (<evdns.h>, dns_compat.h): the global base made on
 * first configuration, tied to the current event base, its nameservers,
 * search list and resolves, a server port on the current base, and
 * evdns_shutdown failing what is left. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <evdns.h>

static char asked[8][128];
static int nasked;

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	const struct evdns_server_question *q = req->questions[0];
	(void)arg;
	if (nasked < 8)
		snprintf(asked[nasked++], sizeof(asked[0]), "%s", q->name);
	if (!strcasecmp(q->name, "a.test") && q->type == EVDNS_TYPE_A) {
		ev_uint32_t a = htonl(0x0a000001);
		evdns_server_request_add_a_reply(req, q->name, 1, &a, 10);
	} else if (!strcasecmp(q->name, "a.test") && q->type == EVDNS_TYPE_AAAA) {
		struct in6_addr a6;
		inet_pton(AF_INET6, "2001:db8::a", &a6);
		evdns_server_request_add_aaaa_reply(req, q->name, 1, &a6, 11);
	} else if (q->type == EVDNS_TYPE_PTR) {
		evdns_server_request_add_ptr_reply(req, NULL, q->name, "ptr.test", 12);
	} else if (!strcasecmp(q->name, "slow.test")) {
		evdns_server_request_drop(req);
		return;
	} else {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
		return;
	}
	evdns_server_request_respond(req, DNS_ERR_NONE);
}

struct result {
	int done, err, type, count, ttl;
};

static void
cb(int err, char type, int count, int ttl, void *addrs, void *arg)
{
	struct result *r = arg;
	(void)addrs;
	r->done++;
	r->err = err;
	r->type = type;
	r->count = count;
	r->ttl = ttl;
}

static void
wait_for(const char *what, struct result *r)
{
	while (!r->done)
		event_loop(EVLOOP_ONCE);
	SAY("%s: err=%d type=%d count=%d ttl=%d", what, r->err, r->type, r->count, r->ttl);
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
	struct result r;
	struct in_addr in;
	struct in6_addr in6;
	char ns[64];
	int fd;

	t_begin("t_dns_compat");
	alarm(20);
	event_init();

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		DIE("bind");
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	port = evdns_add_server_port(fd, 0, server_cb, NULL);
	CHECK("server port on the current base", port != NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));

	CHECK("no global base yet", evdns_get_global_base() == NULL);
	EXPECT_INT("set_option makes it", evdns_set_option("randomize-case:", "0", DNS_OPTION_MISC), 0);
	CHECK("global base", evdns_get_global_base() != NULL);
	EXPECT_INT("ip_add", evdns_nameserver_ip_add(ns), 0);
	EXPECT_INT("count", evdns_count_nameservers(), 1);

	memset(&r, 0, sizeof(r));
	EXPECT_INT("resolve_ipv4", evdns_resolve_ipv4("a.test", 0, cb, &r), 0);
	wait_for("a.test A", &r);
	memset(&r, 0, sizeof(r));
	EXPECT_INT("resolve_ipv6", evdns_resolve_ipv6("a.test", 0, cb, &r), 0);
	wait_for("a.test AAAA", &r);
	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, "192.0.2.1", &in);
	EXPECT_INT("resolve_reverse", evdns_resolve_reverse(&in, 0, cb, &r), 0);
	wait_for("reverse", &r);
	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET6, "::2", &in6);
	EXPECT_INT("resolve_reverse_ipv6", evdns_resolve_reverse_ipv6(&in6, 0, cb, &r), 0);
	wait_for("reverse6", &r);
	print_asked("plain");

	evdns_search_add("s.test");
	evdns_search_ndots_set(1);
	memset(&r, 0, sizeof(r));
	evdns_resolve_ipv4("h", 0, cb, &r);
	wait_for("h", &r);
	print_asked("search");
	evdns_search_clear();
	memset(&r, 0, sizeof(r));
	evdns_resolve_ipv4("h", 0, cb, &r);
	wait_for("h again", &r);
	print_asked("cleared");

	EXPECT_INT("nameserver_add", evdns_nameserver_add(htonl(0x7f000001)), 0);
	EXPECT_INT("count 2", evdns_count_nameservers(), 2);
	EXPECT_INT("suspend", evdns_clear_nameservers_and_suspend(), 0);
	EXPECT_INT("count 0", evdns_count_nameservers(), 0);
	memset(&r, 0, sizeof(r));
	evdns_resolve_ipv4("a.test", 0, cb, &r);
	EXPECT_INT("ip_add again", evdns_nameserver_ip_add(ns), 0);
	EXPECT_INT("resume", evdns_resume(), 0);
	wait_for("resumed", &r);

	{
		char path[4096];
		const char *dir = getenv("CTESTS_FIXTURES");
		snprintf(path, sizeof(path), "%s/dns/options_only.conf", dir ? dir : "ctests/fixtures");
		EXPECT_INT("resolv_conf_parse", evdns_resolv_conf_parse(DNS_OPTION_MISC, path), 0);
	}

	memset(&r, 0, sizeof(r));
	evdns_resolve_ipv4("slow.test", 0, cb, &r);
	evdns_shutdown(1);
	CHECK("global base gone", evdns_get_global_base() == NULL);
	wait_for("shut down", &r);

	/* evdns_init reads the system's resolv.conf: whatever it says, the
	 * global base is then there or not, and shuts down cleanly. */
	if (evdns_init() == 0)
		CHECK("init made the base", evdns_get_global_base() != NULL);
	else
		CHECK("init made no base", evdns_get_global_base() == NULL);
	evdns_shutdown(0);
	CHECK("gone again", evdns_get_global_base() == NULL);

	evdns_close_server_port(port);
	return t_end();
}

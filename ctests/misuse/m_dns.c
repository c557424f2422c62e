/* evdns misuse: NULL bases, requests and arguments, bad addresses,
 * unaskable names, cancel twice, server requests answered wrongly.
 * librel refuses each with -1 / NULL / nothing and a log line and never
 * crashes; libevent 2.1 dereferences most NULLs. */
#include "misuse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/util.h>

static int calls, last_err;

static void
resolve_cb(int err, char type, int count, int ttl, void *addrs, void *arg)
{
	(void)type;
	(void)count;
	(void)ttl;
	(void)addrs;
	(void)arg;
	calls++;
	last_err = err;
}

static void
gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	(void)arg;
	calls++;
	last_err = err;
	if (res)
		evutil_freeaddrinfo(res);
}

static void
null_base(void)
{
	struct in_addr in;
	struct sockaddr_storage ss;
	in.s_addr = htonl(0x7f000001);
	EXPECT_RET("evdns_base_count_nameservers(NULL)", evdns_base_count_nameservers(NULL), -1);
	EXPECT_LOG("evdns_base_count_nameservers: no evdns_base given");
	EXPECT_RET("evdns_base_nameserver_ip_add(NULL)", evdns_base_nameserver_ip_add(NULL, "127.0.0.1"), -1);
	EXPECT_RET("evdns_base_set_option(NULL)", evdns_base_set_option(NULL, "timeout:", "1"), -1);
	EXPECT_RET("evdns_base_resolv_conf_parse(NULL)", evdns_base_resolv_conf_parse(NULL, 0, "/nonexistent"), -1);
	EXPECT_RET("evdns_base_resolve_ipv4(NULL)",
	    evdns_base_resolve_ipv4(NULL, "a.test", 0, resolve_cb, NULL) == NULL, 1);
	EXPECT_RET("evdns_base_resolve_reverse(NULL)",
	    evdns_base_resolve_reverse(NULL, &in, 0, resolve_cb, NULL) == NULL, 1);
	EXPECT_RET("evdns_base_get_nameserver_addr(NULL)",
	    evdns_base_get_nameserver_addr(NULL, 0, (struct sockaddr *)&ss, sizeof(ss)), -1);
	evdns_base_search_add(NULL, "x.test");
	evdns_base_search_clear(NULL);
	evdns_base_free(NULL, 0);
	OBS("void calls on NULL returned");
	EXPECT_LOG("evdns_base_free: no evdns_base given");
	EXPECT_RET("no callback ran", calls, 0);
}

static void
null_arguments(void)
{
	struct event_base *base = event_base_new();
	struct evdns_base *dns = evdns_base_new(base, 0);
	EXPECT_RET("evdns_base_nameserver_ip_add(dns, NULL)", evdns_base_nameserver_ip_add(dns, NULL), -1);
	EXPECT_LOG("evdns_base_nameserver_ip_add: no string given");
	EXPECT_RET("evdns_base_set_option(dns, NULL, v)", evdns_base_set_option(dns, NULL, "1"), -1);
	EXPECT_RET("resolve_ipv4(dns, NULL name)", evdns_base_resolve_ipv4(dns, NULL, 0, resolve_cb, NULL) == NULL, 1);
	EXPECT_RET("resolve_ipv4(dns, name, NULL callback)", evdns_base_resolve_ipv4(dns, "a.test", 0, NULL, NULL) == NULL, 1);
	EXPECT_LOG("evdns_base_resolve_ipv4: no callback given");
	EXPECT_RET("resolve_reverse(dns, NULL addr)", evdns_base_resolve_reverse(dns, NULL, 0, resolve_cb, NULL) == NULL, 1);
	EXPECT_RET("nameserver_sockaddr_add(dns, NULL)", evdns_base_nameserver_sockaddr_add(dns, NULL, 16, 0), -1);
	EXPECT_RET("getaddrinfo with no callback", evdns_getaddrinfo(dns, "a.test", NULL, NULL, NULL, NULL) == NULL, 1);
	evdns_getaddrinfo_cancel(NULL);
	evdns_cancel_request(dns, NULL);
	OBS("cancel(NULL) returned");
	EXPECT_LOG("evdns_cancel_request: no evdns_request given");
	EXPECT_RET("nothing configured", evdns_base_count_nameservers(dns), 0);
	EXPECT_RET("no callback ran", calls, 0);
	evdns_base_free(dns, 0);
	event_base_free(base);
}

static void
bad_addresses(void)
{
	struct event_base *base = event_base_new();
	struct evdns_base *dns = evdns_base_new(base, 0);
	struct sockaddr_un sun;
	EXPECT_RET("ip_add(\"999.1.1.1\")", evdns_base_nameserver_ip_add(dns, "999.1.1.1"), 4);
	EXPECT_RET("ip_add(\"[::1\")", evdns_base_nameserver_ip_add(dns, "[::1"), 4);
	EXPECT_RET("ip_add(\"1.2.3.4:99999\")", evdns_base_nameserver_ip_add(dns, "1.2.3.4:99999"), 4);
	EXPECT_RET("ip_add(\"\")", evdns_base_nameserver_ip_add(dns, ""), 4);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	EXPECT_RET("sockaddr_add(AF_UNIX) refused", evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sun, sizeof(sun), 0) != 0, 1);
	EXPECT_RET("none added", evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);
	event_base_free(base);
}

static void
unaskable_names(void)
{
	struct event_base *base = event_base_new();
	struct evdns_base *dns = evdns_base_new(base, 0);
	char longname[300], label[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	memset(label, 'b', sizeof(label) - 1);
	label[sizeof(label) - 1] = 0;
	evdns_base_nameserver_ip_add(dns, "127.0.0.1:1");
	EXPECT_RET("300-byte name", evdns_base_resolve_ipv4(dns, longname, 0, resolve_cb, NULL) == NULL, 1);
	EXPECT_RET("79-byte label", evdns_base_resolve_ipv6(dns, label, DNS_QUERY_NO_SEARCH, resolve_cb, NULL) == NULL, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_RET("no callback ran", calls, 0);
	evdns_base_free(dns, 0);
	event_base_free(base);
}

static void
cancel_twice(void)
{
	struct event_base *base = event_base_new();
	struct evdns_base *dns = evdns_base_new(base, 0);
	struct evdns_request *req;
	calls = 0;
	/* A nameserver that never answers (nothing listens on port 1). */
	evdns_base_nameserver_ip_add(dns, "127.0.0.1:1");
	req = evdns_base_resolve_ipv4(dns, "a.test", 0, resolve_cb, NULL);
	evdns_cancel_request(dns, req);
	evdns_cancel_request(dns, req);
	EXPECT_RET("callback deferred", calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	EXPECT_RET("one callback", calls, 1);
	EXPECT_RET("DNS_ERR_CANCEL", last_err, DNS_ERR_CANCEL);
	calls = 0;
	evdns_base_free(dns, 0);
	event_base_free(base);
}

static void
getaddrinfo_without_base(void)
{
	calls = 0;
	EXPECT_RET("evdns_getaddrinfo(NULL base, no global)",
	    evdns_getaddrinfo(NULL, "a.test", "80", NULL, gai_cb, NULL) == NULL, 1);
	EXPECT_RET("answered", calls, 1);
	EXPECT_RET("EVUTIL_EAI_FAIL", last_err, EVUTIL_EAI_FAIL);
	calls = 0;
}

static struct evdns_server_request *held;

static void
hold_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	held = req;
}

static void
server_requests(void)
{
	struct event_base *base = event_base_new();
	struct evdns_base *dns = evdns_base_new(base, 0);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct evdns_server_port *port;
	struct in_addr in;
	char ns[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	port = evdns_add_server_port_with_base(base, fd, 0, hold_cb, NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	evdns_base_nameserver_ip_add(dns, ns);
	evdns_base_resolve_ipv4(dns, "a.test", 0, resolve_cb, NULL);
	while (!held)
		event_base_loop(base, EVLOOP_ONCE);
	in.s_addr = htonl(0x01020304);
	EXPECT_RET("add_reply to section 7", evdns_server_request_add_reply(held, 7, "a.test", 1, 1, 5, 4, 0, "abcd"), -1);
	EXPECT_RET("ptr reply with address and name", evdns_server_request_add_ptr_reply(held, &in, "x.in-addr.arpa", "h", 5), -1);
	EXPECT_RET("ptr reply with neither", evdns_server_request_add_ptr_reply(held, NULL, NULL, "h", 5), -1);
	EXPECT_RET("respond with rcode 16", evdns_server_request_respond(held, 16), -1);
	EXPECT_RET("then drop", evdns_server_request_drop(held), 0);
	held = NULL;
	EXPECT_RET("respond(NULL)", evdns_server_request_respond(NULL, 0), -1);
	EXPECT_LOG("evdns_server_request_respond: no evdns_server_request given");
	EXPECT_RET("drop(NULL)", evdns_server_request_drop(NULL), -1);
	EXPECT_RET("add_a_reply(NULL)", evdns_server_request_add_a_reply(NULL, "a", 1, &in, 1), -1);
	evdns_close_server_port(NULL);
	OBS("evdns_close_server_port(NULL) returned");
	EXPECT_RET("server port with a callback of NULL",
	    evdns_add_server_port_with_base(base, fd, 0, NULL, NULL) == NULL, 1);
	evdns_close_server_port(port);
	evdns_base_free(dns, 0);
	event_base_free(base);
	calls = 0;
}

int
main(void)
{
	m_begin("m_dns");
	m_case("NULL evdns_base", "-1 / NULL / nothing, log \"no evdns_base given\"; no callback", null_base);
	m_case("NULL names, strings, callbacks, addresses, requests", "-1 / NULL / nothing, log; nothing configured",
	    null_arguments);
	m_case("nameserver addresses that do not parse", "4 (evdns's code); a non-IP sockaddr refused; none added",
	    bad_addresses);
	m_case("names that cannot be asked", "NULL handle, no callback", unaskable_names);
	m_case("evdns_cancel_request twice", "one DNS_ERR_CANCEL callback, from the loop", cancel_twice);
	m_case("evdns_getaddrinfo without any base", "answered at once with EVUTIL_EAI_FAIL, NULL returned",
	    getaddrinfo_without_base);
	m_case("server requests answered wrongly; NULL requests and ports",
	    "-1 for bad sections, PTR arguments and rcodes (request kept); NULL: -1 / nothing + log", server_requests);
	return m_end();
}

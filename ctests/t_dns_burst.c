/* evdns answers that arrive together: the server port holds its replies
 * until every question came, then sends them at once, so the resolver
 * reads them in one wakeup. Each answer's callback still runs on its own:
 * in order, and a loopbreak from one leaves the others for the next
 * dispatch. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>

#define N 6

static struct event_base *base;
static struct evdns_server_request *held[N];
static int nheld, answered, break_at[N];

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	held[nheld++] = req;
	if (nheld < N)
		return;
	for (int i = 0; i < N; i++) {
		ev_uint32_t a = htonl(0x0a000000 + (ev_uint32_t)i);
		const char *name = held[i]->questions[0]->name;
		evdns_server_request_add_a_reply(held[i], name, 1, &a, 60);
		evdns_server_request_respond(held[i], 0);
	}
	SAY("server answered %d at once", N);
}

static void
answer_cb(int result, char type, int count, int ttl, void *addrs, void *arg)
{
	int want = (int)(intptr_t)arg;
	(void)ttl;
	CHECK("answer ok", result == DNS_ERR_NONE && type == DNS_IPv4_A && count == 1);
	SAY("answer %d: 10.0.0.%u", want, (unsigned)(ntohl(((ev_uint32_t *)addrs)[0]) & 0xff));
	if (break_at[answered++]) {
		SAY("break after %d answers", answered);
		event_base_loopbreak(base);
	}
}

int
main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct evdns_server_port *port;
	struct evdns_base *dns;
	char ns[64], name[32];
	int fd, rounds = 0;

	t_begin("t_dns_burst");
	alarm(20);
	base = event_base_new();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		DIE("bind");
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	port = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	CHECK("server port", port != NULL);
	dns = evdns_base_new(base, 0);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	EXPECT_INT("ip_add", evdns_base_nameserver_ip_add(dns, ns), 0);

	/* Breaks after the 1st, the 2nd and the last answer. */
	break_at[0] = break_at[1] = break_at[N - 1] = 1;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "h%d.burst.test", i);
		CHECK("resolve started",
		    evdns_base_resolve_ipv4(dns, name, DNS_QUERY_NO_SEARCH, answer_cb, (void *)(intptr_t)i) != NULL);
	}
	while (answered < N && rounds++ < 10) {
		event_base_dispatch(base);
		SAY("dispatch %d returned: %d answered", rounds, answered);
	}
	EXPECT_INT("all answered", answered, N);

	evdns_base_free(dns, 0);
	evdns_close_server_port(port);
	evutil_closesocket(fd);
	event_base_free(base);
	return t_end();
}

/* evdns with two nameservers (two in-process server ports): requests
 * go round the list, a timeout moves a request to the other server, a
 * server that keeps timing out is marked down and gets no more requests
 * but probes (after initial-probe-timeout), and comes back up when a
 * probe is answered. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

static struct event_base *base;

struct server {
	const char *name;
	int answering;	/* else drops everything */
	int queries, probes;
};

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	struct server *s = arg;
	const struct evdns_server_question *q = req->questions[0];
	if (!strcasecmp(q->name, "google.com"))
		s->probes++;
	else
		s->queries++;
	if (!s->answering) {
		evdns_server_request_drop(req);
		return;
	}
	if (!strcasecmp(q->name, "google.com")) {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
		return;
	}
	{
		ev_uint32_t a = htonl(0x0a000001);
		evdns_server_request_add_a_reply(req, q->name, 1, &a, 10);
		evdns_server_request_respond(req, 0);
	}
}

static struct evdns_server_port *
start(struct server *s, char *ns, size_t len)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		DIE("bind");
	getsockname(fd, (struct sockaddr *)&sin, &slen);
	evutil_make_socket_nonblocking(fd);
	snprintf(ns, len, "127.0.0.1:%d", ntohs(sin.sin_port));
	return evdns_add_server_port_with_base(base, fd, 0, server_cb, s);
}

static int log_failed, log_back_up;

static void
log_fn(int is_warning, const char *msg)
{
	(void)is_warning;
	log_failed += strstr(msg, "has failed") != NULL;
	log_back_up += strstr(msg, "is back up") != NULL;
}

struct result {
	int done, err;
};

static void
cb(int err, char type, int count, int ttl, void *addrs, void *arg)
{
	struct result *r = arg;
	(void)type;
	(void)count;
	(void)ttl;
	(void)addrs;
	r->done++;
	r->err = err;
}

static void
lookup(struct evdns_base *dns, const char *name)
{
	struct result r;
	memset(&r, 0, sizeof(r));
	evdns_base_resolve_ipv4(dns, name, 0, cb, &r);
	while (!r.done)
		event_base_loop(base, EVLOOP_ONCE);
	SAY("%s: err=%d", name, r.err);
}

static void
wait_ms(int ms)
{
	struct timeval tv = t_tv_ms(ms);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

int
main(void)
{
	struct server a = { "a", 0, 0, 0 }, b = { "b", 1, 0, 0 };
	struct evdns_server_port *pa, *pb;
	struct evdns_base *dns;
	char nsa[64], nsb[64];
	int i;

	t_begin("t_dns_failover");
	alarm(30);
	base = event_base_new();
	pa = start(&a, nsa, sizeof(nsa));
	pb = start(&b, nsb, sizeof(nsb));

	evdns_set_log_fn(log_fn);
	dns = evdns_base_new(base, 0);
	evdns_base_set_option(dns, "randomize-case:", "0");
	evdns_base_set_option(dns, "timeout:", "0.1");
	evdns_base_set_option(dns, "max-timeouts:", "2");
	evdns_base_set_option(dns, "initial-probe-timeout:", "0.4");
	evdns_base_nameserver_ip_add(dns, nsa);
	evdns_base_nameserver_ip_add(dns, nsb);

	/* a drops, b answers: a request that went to a is retried on b (which
	 * is then blamed for the timeout, and cleared by its answer). */
	for (i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof(name), "q%d.test", i);
		lookup(dns, name);
		SAY("  a: %d queries, b: %d queries; failed=%d", a.queries, b.queries, log_failed);
	}

	/* One attempt only: a request sent to a times out and a is down. */
	evdns_base_set_option(dns, "attempts:", "1");
	for (i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "once%d.test", i);
		lookup(dns, name);
		SAY("  a: %d queries, b: %d queries; failed=%d", a.queries, b.queries, log_failed);
	}

	/* a is down: it gets probes, not queries. */
	wait_ms(600);
	SAY("after 0.6 s: a probed %d times, %d queries", a.probes, a.queries);
	lookup(dns, "down.test");
	SAY("  a: %d queries, b: %d queries", a.queries, b.queries);

	/* a answers again: the next probe (1.2 s after the first) brings it back. */
	a.answering = 1;
	wait_ms(1400);
	SAY("after 1.4 s more: a probed %d times; back up=%d", a.probes, log_back_up);
	a.queries = b.queries = 0;
	for (i = 0; i < 4; i++)
		lookup(dns, "up.test");
	SAY("  a: %d queries, b: %d queries", a.queries, b.queries);

	evdns_set_log_fn(NULL);
	evdns_base_free(dns, 0);
	evdns_close_server_port(pa);
	evdns_close_server_port(pb);
	event_base_free(base);
	return t_end();
}

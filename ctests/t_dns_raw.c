/* evdns against hand-made packets on 127.0.0.1. A plain UDP socket plays
 * the nameserver and answers each query with crafted bytes (wrong id,
 * wrong question, bad record lengths, odd rcodes, a reply from another
 * port); plain packets are sent to a server port (answers, another
 * opcode, two questions, a compressed name, a pointer loop). (A packet
 * shorter than a header crashes libevent's server port: see
 * librel_only/dns_short_packet.c.) What each side
 * makes of them is printed. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

static struct event_base *base;
static int fake_fd, other_fd;
static const char *mode;

static void
put16(unsigned char *p, int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* The fake nameserver: reads a query, answers as `mode` says. */
static void
fake_read(evutil_socket_t fd, short what, void *arg)
{
	unsigned char q[512], r[1024];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	int n, qlen, len;
	(void)what;
	(void)arg;
	n = (int)recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
	if (n < 12)
		return;
	qlen = n; /* header + the one question */
	memcpy(r, q, qlen);
	r[2] = 0x81;
	r[3] = 0x80;
	put16(r + 6, 0);
	len = qlen;
	if (!strcmp(mode, "wrong-id")) {
		r[0] ^= 0x55;
	} else if (!strcmp(mode, "wrong-question")) {
		/* The first letter of the name changed. */
		r[13] = r[13] == 'z' ? 'y' : 'z';
	} else if (!strcmp(mode, "rcode6")) {
		r[3] = 0x86;
	} else if (!strcmp(mode, "a-len5") || !strcmp(mode, "good") || !strcmp(mode, "cut")) {
		static const unsigned char rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 9, 8, 7 };
		memcpy(r + len, rr, sizeof(rr));
		if (!strcmp(mode, "a-len5"))
			r[len + 11] = 5;
		len += (int)sizeof(rr);
		put16(r + 6, 1);
		if (!strcmp(mode, "cut"))
			len -= 3;
	} else if (!strcmp(mode, "unknown-then-a")) {
		static const unsigned char rr[] = {
			0xc0, 12, 0, 99, 0, 1, 0, 0, 0, 5, 0, 3, 1, 2, 3,
			0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 1, 1, 1 };
		memcpy(r + len, rr, sizeof(rr));
		len += (int)sizeof(rr);
		put16(r + 6, 2);
	} else if (!strcmp(mode, "not-an-answer")) {
		r[2] = 0x01;
	}
	if (!strcmp(mode, "other-port"))
		sendto(other_fd, r, len, 0, (struct sockaddr *)&from, flen);
	else
		sendto(fd, r, len, 0, (struct sockaddr *)&from, flen);
}

struct result {
	int done, err, count;
};

static void
cb(int err, char type, int count, int ttl, void *addrs, void *arg)
{
	struct result *r = arg;
	(void)type;
	(void)ttl;
	(void)addrs;
	r->done++;
	r->err = err;
	r->count = count;
}

static int server_calls;
static char server_saw[256];

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	int i;
	(void)arg;
	server_calls++;
	snprintf(server_saw, sizeof(server_saw), "flags=0x%x n=%d", req->flags, req->nquestions);
	for (i = 0; i < req->nquestions; i++) {
		size_t len = strlen(server_saw);
		snprintf(server_saw + len, sizeof(server_saw) - len, " %s/%d/%d", req->questions[i]->name,
		    req->questions[i]->type, req->questions[i]->dns_question_class);
	}
	evdns_server_request_respond(req, 0);
}

static int
udp_socket(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) < 0)
		DIE("bind");
	getsockname(fd, (struct sockaddr *)sin, &len);
	evutil_make_socket_nonblocking(fd);
	return fd;
}

/* Sends `pkt` to the server port; prints what came back, if anything. */
static void
poke(int client, struct sockaddr_in *to, const char *what, const unsigned char *pkt, int len)
{
	unsigned char r[600];
	int i, n = -1;
	server_calls = 0;
	server_saw[0] = 0;
	sendto(client, pkt, len, 0, (struct sockaddr *)to, sizeof(*to));
	for (i = 0; i < 20 && n < 0; i++) {
		struct timeval tv = t_tv_ms(10);
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		n = (int)recv(client, r, sizeof(r), MSG_DONTWAIT);
	}
	if (n >= 4)
		SAY("%s: callback=%d [%s] reply %d bytes flags=0x%02x%02x", what, server_calls, server_saw, n, r[2], r[3]);
	else
		SAY("%s: callback=%d [%s] no reply", what, server_calls, server_saw);
}

int
main(void)
{
	static const char *modes[] = { "good", "wrong-id", "other-port", "not-an-answer", "wrong-question",
		"rcode6", "a-len5", "cut", "unknown-then-a" };
	struct sockaddr_in fake, other, port_addr, client_addr;
	struct evdns_base *dns;
	struct evdns_server_port *port;
	struct event *ev;
	char ns[64];
	unsigned i;
	int port_fd, client;

	t_begin("t_dns_raw");
	alarm(30);
	base = event_base_new();

	fake_fd = udp_socket(&fake);
	other_fd = udp_socket(&other);
	ev = event_new(base, fake_fd, EV_READ | EV_PERSIST, fake_read, NULL);
	event_add(ev, NULL);
	dns = evdns_base_new(base, 0);
	evdns_base_set_option(dns, "randomize-case:", "0");
	evdns_base_set_option(dns, "timeout:", "0.3");
	evdns_base_set_option(dns, "attempts:", "1");
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(fake.sin_port));
	evdns_base_nameserver_ip_add(dns, ns);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct result r;
		memset(&r, 0, sizeof(r));
		mode = modes[i];
		evdns_base_resolve_ipv4(dns, "raw.test", 0, cb, &r);
		while (!r.done)
			event_base_loop(base, EVLOOP_ONCE);
		SAY("%s: err=%d (%s) count=%d", mode, r.err, evdns_err_to_string(r.err), r.count);
	}
	evdns_base_free(dns, 0);
	event_free(ev);

	port_fd = udp_socket(&port_addr);
	client = udp_socket(&client_addr);
	port = evdns_add_server_port_with_base(base, port_fd, 0, server_cb, NULL);
	{
		static const unsigned char answer[] = { 0, 1, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		static const unsigned char status[] = { 0, 2, 0x11, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 'x', 0, 0, 1, 0, 1 };
		static const unsigned char two[] = { 0, 3, 0x01, 0x10, 0, 2, 0, 0, 0, 0, 0, 0,
			3, 'o', 'n', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
			3, 't', 'w', 'o', 0xc0, 16, 0, 28, 0, 1 };
		static const unsigned char loop[] = { 0, 4, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			0xc0, 12, 0, 1, 0, 1 };
		static const unsigned char noq[] = { 0, 5, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		poke(client, &port_addr, "an answer", answer, sizeof(answer));
		poke(client, &port_addr, "opcode 2", status, sizeof(status));
		poke(client, &port_addr, "two questions", two, sizeof(two));
		poke(client, &port_addr, "pointer loop", loop, sizeof(loop));
		poke(client, &port_addr, "no question", noq, sizeof(noq));
	}
	evdns_close_server_port(port);
	close(client);
	close(fake_fd);
	close(other_fd);
	event_base_free(base);
	return t_end();
}

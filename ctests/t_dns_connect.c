/* bufferevent_socket_connect_hostname through an evdns base: the name
 * is asked of an in-process evdns server port, the bufferevent connects
 * to a loopback listener; a name that does not exist reports
 * BEV_EVENT_ERROR with the getaddrinfo error kept. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

static struct event_base *base;
static int accepted, asked;

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	const struct evdns_server_question *q = req->questions[0];
	(void)arg;
	asked++;
	if (!strcasecmp(q->name, "conn.test") && q->type == EVDNS_TYPE_A) {
		ev_uint32_t a = htonl(INADDR_LOOPBACK);
		evdns_server_request_add_a_reply(req, q->name, 1, &a, 10);
		evdns_server_request_respond(req, 0);
	} else {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
	}
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	(void)l;
	(void)sa;
	(void)len;
	(void)arg;
	accepted++;
	evutil_closesocket(fd);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	int *got = arg;
	(void)bev;
	*got = what;
}

static void
connect_to(struct evdns_base *dns, const char *name, int port)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	int got = 0, r;
	bufferevent_setcb(bev, NULL, NULL, event_cb, &got);
	asked = 0;
	r = bufferevent_socket_connect_hostname(bev, dns, AF_INET, name, port);
	SAY("%s: call=%d", name, r);
	while (!got)
		event_base_loop(base, EVLOOP_ONCE);
	SAY("  connected=%d error=%d dns_error=%d asked=%d", !!(got & BEV_EVENT_CONNECTED),
	    !!(got & BEV_EVENT_ERROR), bufferevent_socket_get_dns_error(bev), asked);
	bufferevent_free(bev);
}

int
main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct evconnlistener *lev;
	struct evdns_server_port *port;
	struct evdns_base *dns;
	char ns[64];
	int fd, lport;

	t_begin("t_dns_connect");
	alarm(20);
	base = event_base_new();

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (!lev)
		DIE("listener");
	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);
	lport = ntohs(sin.sin_port);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		DIE("bind");
	len = sizeof(sin);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	port = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	dns = evdns_base_new(base, 0);
	evdns_base_nameserver_ip_add(dns, ns);

	connect_to(dns, "conn.test", lport);
	connect_to(dns, "nx.test", lport);
	connect_to(dns, "127.0.0.1", lport);
	while (accepted < 2)
		event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("accepted", accepted, 2);

	evdns_base_free(dns, 0);
	evdns_close_server_port(port);
	evconnlistener_free(lev);
	event_base_free(base);
	return t_end();
}

/* librel only: a packet shorter than a DNS header sent to an evdns server
 * port is dropped; libevent 2.1.12 frees a NULL request on that path and
 * crashes. The port then serves a good request as usual. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>
#include "../common.h"

static int calls;

static void
server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	calls++;
	evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
}

int
main(void)
{
	static const unsigned char shorty[] = { 1, 2, 3, 4, 5 };
	static const unsigned char query[] = { 0, 9, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'x', 0, 0, 1, 0, 1 };
	struct event_base *base;
	struct evdns_server_port *port;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned char reply[64];
	int fd, client, n = -1, i;

	t_begin("dns_short_packet");
	alarm(10);
	base = event_base_new();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	client = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	evutil_make_socket_nonblocking(fd);
	port = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	sendto(client, shorty, sizeof(shorty), 0, (struct sockaddr *)&sin, sizeof(sin));
	sendto(client, query, sizeof(query), 0, (struct sockaddr *)&sin, sizeof(sin));
	for (i = 0; i < 50 && n < 0; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		t_sleep_ms(5);
		n = (int)recv(client, reply, sizeof(reply), MSG_DONTWAIT);
	}
	EXPECT_INT("callbacks", calls, 1);
	EXPECT_INT("reply length", n, (int)sizeof(query));
	EXPECT_INT("rcode", reply[3] & 0x0f, 3);
	evdns_close_server_port(port);
	close(client);
	event_base_free(base);
	return t_end();
}

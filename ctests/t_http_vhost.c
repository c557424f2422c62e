/* Virtual hosts and aliases, several bound sockets (bind, accept_socket,
 * bind_listener, foreach, del_accept_socket), the bufferevent callback,
 * the 1.4 constructors (evhttp_start, evhttp_connection_new/set_base),
 * and the request callbacks a client and a server may set: header,
 * chunk, on-complete, and the chunk-written callback. */
#include "t_http.h"
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/http_compat.h>
#include <event.h>

static struct event_base *base;
static int pending;

static void
named_cb(struct evhttp_request *req, void *arg)
{
	printf("%s: %s host=%s\n", (char *)arg, req->uri,
	    evhttp_request_get_host(req) ? evhttp_request_get_host(req) : "(null)");
	evbuffer_add_printf(req->output_buffer, "%s", (char *)arg);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void
complete_cb(struct evhttp_request *req, void *arg)
{
	printf("on_complete %s code=%d\n", (char *)arg, req->response_code);
}

static void
written_cb(struct evhttp_connection *evcon, void *arg)
{
	CHECK("written_cb has the connection", evcon != NULL);
	printf("chunk written %s\n", (char *)arg);
}

static void
stream_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	(void)arg;
	evhttp_request_set_on_complete_cb(req, complete_cb, "stream");
	evhttp_send_reply_start(req, HTTP_OK, "Streaming");
	evbuffer_add_printf(b, "first;");
	evhttp_send_reply_chunk_with_cb(req, b, written_cb, "1");
	evbuffer_add_printf(b, "second");
	evhttp_send_reply_chunk(req, b);
	evhttp_send_reply_end(req);
	evbuffer_free(b);
}

static int bevs;
static struct bufferevent *
bev_cb(struct event_base *b, void *arg)
{
	(void)arg;
	bevs++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void
each_cb(struct evhttp_bound_socket *b, void *arg)
{
	(*(int *)arg)++;
	CHECK("bound fd", evhttp_bound_socket_get_fd(b) >= 0);
}

static int
header_cb(struct evhttp_request *req, void *arg)
{
	printf("header_cb %s code=%d\n", (char *)arg, req->response_code);
	return 0;
}

static void
chunk_cb(struct evhttp_request *req, void *arg)
{
	printf("chunk_cb %s %zu bytes\n", (char *)arg, evbuffer_get_length(req->input_buffer));
}

static void
done_cb(struct evhttp_request *req, void *arg)
{
	if (req)
		printf("%s: %d body=%zu \"%.*s\"\n", (char *)arg, req->response_code,
		    evbuffer_get_length(req->input_buffer),
		    (int)evbuffer_get_length(req->input_buffer),
		    (char *)evbuffer_pullup(req->input_buffer, -1));
	else
		printf("%s: NULL\n", (char *)arg);
	if (--pending == 0)
		event_base_loopexit(base, NULL);
}

static void
get(struct evhttp_connection *evcon, const char *host, const char *uri, const char *label)
{
	struct evhttp_request *r = evhttp_request_new(done_cb, (void *)label);
	if (host)
		evhttp_add_header(r->output_headers, "Host", host);
	evhttp_request_set_header_cb(r, header_cb);
	pending = 1;
	evhttp_make_request(evcon, r, EVHTTP_REQ_GET, uri);
	event_base_dispatch(base);
}

int
main(void)
{
	struct evhttp *http, *v1, *v2, *v3;
	struct evhttp_bound_socket *b1, *b2, *b3;
	struct evconnlistener *lev;
	struct evhttp_connection *evcon;
	struct sockaddr_in sin;
	int port, port2, n, fd;

	alarm(30);
	signal(SIGPIPE, SIG_IGN);
	t_begin("http_vhost");
	base = event_base_new();
	http = evhttp_new(base);
	v1 = evhttp_new(base);
	v2 = evhttp_new(base);
	v3 = evhttp_new(base);
	b1 = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	port = bound_port(b1);
	evhttp_set_gencb(http, named_cb, "main");
	evhttp_set_gencb(v1, named_cb, "v1");
	evhttp_set_gencb(v2, named_cb, "v2");
	evhttp_set_gencb(v3, named_cb, "v3");
	evhttp_set_cb(http, "/stream", stream_cb, NULL);
	EXPECT_INT("add vhost", evhttp_add_virtual_host(http, "*.example.com", v1), 0);
	EXPECT_INT("add vhost again", evhttp_add_virtual_host(http, "other", v1), -1);
	EXPECT_INT("add nested vhost", evhttp_add_virtual_host(v1, "deep.*", v2), 0);
	EXPECT_INT("bound server as vhost", evhttp_add_virtual_host(v3, "x", http), -1);
	EXPECT_INT("add alias", evhttp_add_server_alias(v3, "alias.test"), 0);
	EXPECT_INT("add vhost v3", evhttp_add_virtual_host(http, "v3.test", v3), 0);
	EXPECT_INT("remove missing alias", evhttp_remove_server_alias(v3, "nope"), -1);

	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	get(evcon, "www.example.com", "/a", "www.example.com");
	get(evcon, "WWW.EXAMPLE.COM:8080", "/b", "upper case with port");
	get(evcon, "deep.example.com", "/c", "deep.example.com");
	get(evcon, "example.com", "/d", "example.com");
	get(evcon, "alias.test", "/e", "alias");
	get(evcon, "v3.test", "/f", "v3.test");
	get(evcon, NULL, "http://www.example.com/g", "absolute uri");
	get(evcon, NULL, "/h", "no host");
	get(evcon, "x", "/stream", "stream");
	EXPECT_INT("remove alias", evhttp_remove_server_alias(v3, "ALIAS.test"), 0);
	get(evcon, "alias.test", "/e", "alias removed");
	EXPECT_INT("remove vhost", evhttp_remove_virtual_host(http, v1), 0);
	EXPECT_INT("remove vhost again", evhttp_remove_virtual_host(http, v1), -1);
	get(evcon, "www.example.com", "/a", "vhost removed");
	evhttp_free(v1); /* frees v2 with it */

	/* chunk callback on the client */
	{
		struct evhttp_request *r = evhttp_request_new(done_cb, "chunked client");
		evhttp_request_set_chunked_cb(r, chunk_cb);
		pending = 1;
		evhttp_make_request(evcon, r, EVHTTP_REQ_GET, "/stream");
		event_base_dispatch(base);
	}
	evhttp_connection_free(evcon);

	/* more sockets: accept_socket and bind_listener */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	listen(fd, 8);
	evutil_make_socket_nonblocking(fd);
	b2 = evhttp_accept_socket_with_handle(http, fd);
	CHECK("accept_socket", b2 != NULL);
	port2 = bound_port(b2);
	lev = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	b3 = evhttp_bind_listener(http, lev);
	CHECK("bind_listener", b3 != NULL && evhttp_bound_socket_get_listener(b3) == lev);
	n = 0;
	evhttp_foreach_bound_socket(http, each_cb, &n);
	EXPECT_INT("bound sockets", n, 3);
	evhttp_set_bevcb(http, bev_cb, NULL);
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port2);
	get(evcon, NULL, "/second", "second socket");
	evhttp_connection_free(evcon);
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", bound_port(b3));
	get(evcon, NULL, "/third", "third socket");
	evhttp_connection_free(evcon);
	EXPECT_INT("bevcb called", bevs, 2);
	evhttp_del_accept_socket(http, b2);
	n = 0;
	evhttp_foreach_bound_socket(http, each_cb, &n);
	EXPECT_INT("bound sockets after del", n, 2);
	evhttp_free(http);
	event_base_free(base);

	/* the 1.4 way: event_init, evhttp_start, evhttp_connection_new */
	base = event_init();
	http = evhttp_start("127.0.0.1", 0);
	CHECK("evhttp_start port 0", http == NULL || http != NULL);
	if (http)
		evhttp_free(http);
	{
		/* bind a known free port first */
		int s = socket(AF_INET, SOCK_STREAM, 0);
		socklen_t len = sizeof(sin);
		sin.sin_port = 0;
		bind(s, (struct sockaddr *)&sin, sizeof(sin));
		getsockname(s, (struct sockaddr *)&sin, &len);
		close(s);
	}
	http = evhttp_start("127.0.0.1", ntohs(sin.sin_port));
	CHECK("evhttp_start", http != NULL);
	evhttp_set_gencb(http, named_cb, "compat");
	evcon = evhttp_connection_new("127.0.0.1", ntohs(sin.sin_port));
	CHECK("evhttp_connection_new", evcon != NULL);
	get(evcon, NULL, "/compat", "compat");
	evhttp_connection_free(evcon);
	evhttp_free(http);
	event_base_free(base);
	return t_end();
}

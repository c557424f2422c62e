/* evhttp's server, connections and requests misused: NULL servers,
 * requests and connections for every call that takes one, bad addresses
 * and flags, a port already bound, and objects freed from their own
 * callbacks (the server's connection from the request handler, a client
 * connection from its response callback).  librel refuses the NULLs with
 * a log line; libevent 2.1 dereferences most of them. */
#include <signal.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include "misuse.h"

static void
null_server(void)
{
	struct timeval tv = { 1, 0 };
	EXPECT_RET("evhttp_bind_socket(NULL)", evhttp_bind_socket(NULL, "127.0.0.1", 0), -1);
	EXPECT_RET("evhttp_bind_socket_with_handle(NULL) is NULL",
	    evhttp_bind_socket_with_handle(NULL, "127.0.0.1", 0) == NULL, 1);
	EXPECT_RET("evhttp_accept_socket(NULL, -1)", evhttp_accept_socket(NULL, -1), -1);
	EXPECT_RET("evhttp_set_cb(NULL)", evhttp_set_cb(NULL, "/", NULL, NULL), -1);
	EXPECT_RET("evhttp_del_cb(NULL)", evhttp_del_cb(NULL, "/"), -1);
	EXPECT_RET("evhttp_add_server_alias(NULL)", evhttp_add_server_alias(NULL, "a"), -1);
	EXPECT_RET("evhttp_add_virtual_host(NULL)", evhttp_add_virtual_host(NULL, "a", NULL), -1);
	EXPECT_RET("evhttp_set_flags(NULL)", evhttp_set_flags(NULL, 0), -1);
	evhttp_set_gencb(NULL, NULL, NULL);
	evhttp_set_timeout(NULL, 1);
	evhttp_set_timeout_tv(NULL, &tv);
	evhttp_set_max_headers_size(NULL, 1);
	evhttp_set_max_body_size(NULL, 1);
	evhttp_set_allowed_methods(NULL, 1);
	evhttp_set_default_content_type(NULL, "x");
	evhttp_free(NULL);
	OBS("the void calls returned");
	EXPECT_LOG("evhttp_free: no evhttp given");
	EXPECT_LOG("evhttp_set_gencb: no evhttp given");
}

static void
null_request(void)
{
	EXPECT_RET("evhttp_request_get_uri(NULL) is NULL", evhttp_request_get_uri(NULL) == NULL, 1);
	EXPECT_RET("evhttp_request_get_host(NULL) is NULL", evhttp_request_get_host(NULL) == NULL, 1);
	EXPECT_RET("evhttp_request_get_command(NULL)", evhttp_request_get_command(NULL), 0);
	EXPECT_RET("evhttp_request_get_response_code(NULL)", evhttp_request_get_response_code(NULL), -1);
	EXPECT_RET("evhttp_request_get_input_headers(NULL) is NULL",
	    evhttp_request_get_input_headers(NULL) == NULL, 1);
	EXPECT_RET("evhttp_request_get_input_buffer(NULL) is NULL",
	    evhttp_request_get_input_buffer(NULL) == NULL, 1);
	EXPECT_RET("evhttp_request_get_connection(NULL) is NULL",
	    evhttp_request_get_connection(NULL) == NULL, 1);
	EXPECT_RET("evhttp_request_is_owned(NULL)", evhttp_request_is_owned(NULL), -1);
	evhttp_send_reply(NULL, 200, "OK", NULL);
	evhttp_send_error(NULL, 404, NULL);
	evhttp_send_reply_start(NULL, 200, NULL);
	evhttp_send_reply_chunk(NULL, NULL);
	evhttp_send_reply_end(NULL);
	evhttp_request_own(NULL);
	evhttp_request_free(NULL);
	evhttp_cancel_request(NULL);
	OBS("the void calls returned");
	EXPECT_LOG("evhttp_send_reply: no request given");
	EXPECT_LOG("evhttp_request_free: no request given");
}

static void
null_connection(void)
{
	struct evhttp_request *req = evhttp_request_new(NULL, NULL);
	char *addr = NULL;
	ev_uint16_t port = 7;
	EXPECT_RET("evhttp_connection_base_new(NULL address) is NULL",
	    evhttp_connection_base_new(NULL, NULL, NULL, 80) == NULL, 1);
	EXPECT_RET("evhttp_make_request(NULL)", evhttp_make_request(NULL, req, EVHTTP_REQ_GET, "/"), -1);
	EXPECT_RET("evhttp_connection_set_flags(NULL)", evhttp_connection_set_flags(NULL, 0), -1);
	EXPECT_RET("evhttp_connection_get_base(NULL) is NULL", evhttp_connection_get_base(NULL) == NULL, 1);
	EXPECT_RET("evhttp_connection_get_bufferevent(NULL) is NULL",
	    evhttp_connection_get_bufferevent(NULL) == NULL, 1);
	evhttp_connection_get_peer(NULL, &addr, &port);
	EXPECT_RET("get_peer(NULL) leaves the outputs", addr == NULL && port == 7, 1);
	evhttp_connection_set_timeout(NULL, 1);
	evhttp_connection_set_retries(NULL, 1);
	evhttp_connection_set_closecb(NULL, NULL, NULL);
	evhttp_connection_free(NULL);
	OBS("the void calls returned");
	evhttp_request_free(req);
	EXPECT_LOG("evhttp_connection_free: no connection given");
	EXPECT_LOG("evhttp_connection_base_new: no address given");
}

static void
bad_arguments(void)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base), *other = evhttp_new(base);
	struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", 1);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&sin, &len);
	EXPECT_RET("bind to a port in use", evhttp_bind_socket(other, "127.0.0.1", ntohs(sin.sin_port)), -1);
	EXPECT_RET("bind to a bad address", evhttp_bind_socket(other, "300.1.2.3", 0), -1);
	EXPECT_RET("evhttp_set_flags(0x100)", evhttp_set_flags(http, 0x100), 1);
	EXPECT_RET("evhttp_connection_set_flags(EVHTTP_CON_LINGERING_CLOSE)",
	    evhttp_connection_set_flags(evcon, EVHTTP_CON_LINGERING_CLOSE), 1);
	EXPECT_RET("evhttp_connection_set_flags(1 << 21)", evhttp_connection_set_flags(evcon, 1 << 21), 1);
	EXPECT_RET("evhttp_set_cb twice", evhttp_set_cb(http, "/x", NULL, NULL) * 10 + evhttp_set_cb(http, "/x", NULL, NULL), -1);
	EXPECT_RET("a vhost with sockets", evhttp_add_virtual_host(other, "*", http), -1);
	EXPECT_RET("a server as its own vhost", evhttp_add_virtual_host(other, "*", other), -1);
	evhttp_connection_free(evcon);
	evhttp_free(other);
	evhttp_free(http);
	event_base_free(base);
}

/* A bound socket handed to a server it does not belong to. */
static void
foreign_bound_socket(void)
{
	struct event_base *base = event_base_new();
	struct evhttp *a = evhttp_new(base), *b = evhttp_new(base);
	struct evhttp_bound_socket *s = evhttp_bind_socket_with_handle(a, "127.0.0.1", 0);
	evhttp_del_accept_socket(b, s);
	OBS("evhttp_del_accept_socket(other server) returned");
	EXPECT_RET("still listening for its own server", evhttp_bound_socket_get_fd(s) >= 0, 1);
	evhttp_free(b);
	evhttp_free(a);
	event_base_free(base);
	EXPECT_LOG("not a bound socket of this evhttp");
}

/* The server's connection freed from the request handler, then the
 * server freed; a client connection freed from its response callback. */
static struct event_base *fbase;
static int handled, answered;

static void
free_conn_handler(struct evhttp_request *req, void *arg)
{
	(void)arg;
	handled++;
	evhttp_connection_free(evhttp_request_get_connection(req));
}

static void
reply_handler(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
free_client_cb(struct evhttp_request *req, void *arg)
{
	answered = req ? req->response_code : -1;
	evhttp_connection_free(arg);
	event_base_loopexit(fbase, NULL);
}

/* A client's error callback frees the connection; a response callback
 * queues the next request on the same connection. */
static int errors, chained;

static void
free_in_error_cb(enum evhttp_request_error err, void *arg)
{
	(void)err;
	errors++;
	evhttp_connection_free(arg);
}

static void
ignore_cb(struct evhttp_request *req, void *arg)
{
	(void)req;
	(void)arg;
	event_base_loopexit(fbase, NULL);
}

static void
chain_cb(struct evhttp_request *req, void *arg)
{
	struct evhttp_connection *evcon = arg;
	if (req && ++chained < 3) {
		evhttp_make_request(evcon, evhttp_request_new(chain_cb, evcon), EVHTTP_REQ_GET, "/reply");
		return;
	}
	event_base_loopexit(fbase, NULL);
}

static void
free_from_callbacks(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *b;
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int port;

	signal(SIGPIPE, SIG_IGN);
	fbase = event_base_new();
	http = evhttp_new(fbase);
	b = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	evhttp_set_gencb(http, free_conn_handler, NULL);
	evhttp_set_cb(http, "/reply", reply_handler, NULL);

	evcon = evhttp_connection_base_new(fbase, NULL, "127.0.0.1", port);
	req = evhttp_request_new(free_client_cb, evcon);
	evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/drop");
	event_base_dispatch(fbase);
	EXPECT_RET("handler ran", handled, 1);
	EXPECT_RET("client told of the drop", answered, -1);

	evcon = evhttp_connection_base_new(fbase, NULL, "127.0.0.1", port);
	req = evhttp_request_new(free_client_cb, evcon);
	evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/reply");
	event_base_dispatch(fbase);
	EXPECT_RET("client got the reply, freed its connection", answered, 200);

	evcon = evhttp_connection_base_new(fbase, NULL, "127.0.0.1", port);
	req = evhttp_request_new(ignore_cb, evcon);
	evhttp_request_set_error_cb(req, free_in_error_cb);
	evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/drop");
	event_base_dispatch(fbase);
	EXPECT_RET("error callback ran (and freed the connection)", errors, 1);

	evcon = evhttp_connection_base_new(fbase, NULL, "127.0.0.1", port);
	evhttp_make_request(evcon, evhttp_request_new(chain_cb, evcon), EVHTTP_REQ_GET, "/reply");
	event_base_dispatch(fbase);
	EXPECT_RET("requests chained from the response callback", chained, 3);
	evhttp_connection_free(evcon);
	evhttp_free(http);
	event_base_free(fbase);
}

int
main(void)
{
	m_begin("m_http");
	m_case("evhttp_* (NULL server)", "-1 / NULL / ignored, log \"no evhttp given\"", null_server);
	m_case("evhttp_request_* and replies (NULL request)", "-1 / NULL / ignored, log \"no request given\"",
	    null_request);
	m_case("evhttp_connection_* (NULL connection or address)", "-1 / NULL / ignored, log", null_connection);
	m_case("ports in use, bad addresses and flags, duplicate paths, a bound or self vhost",
	    "-1 (flags: 1), nothing changed", bad_arguments);
	m_case("evhttp_del_accept_socket with another server's socket", "refused + log; the socket stays with its server",
	    foreign_bound_socket);
	m_case("connections freed from their own callbacks", "no crash; the client sees the drop (NULL) or the reply; chained requests run",
	    free_from_callbacks);
	return m_end();
}

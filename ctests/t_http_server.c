/* evhttp server replies on the wire: GET/POST/HEAD, HTTP/1.0 and 1.1,
 * keep-alive and Connection: close, chunked replies (1.1) and
 * close-delimited ones (1.0), chunked request bodies, pipelining,
 * callbacks by path vs the general callback, 404 with no handler, 501
 * for a method not allowed, Expect: 100-continue, and the request
 * struct fields a handler reads directly (as Transmission does). */
#include "t_http.h"

static struct event_base *base;

static void
show_request(struct evhttp_request *req)
{
	struct evkeyval *kv;
	printf("handler: type=%d uri=%s major=%d minor=%d kind=%d host=%s\n",
	    req->type, req->uri, req->major, req->minor, req->kind,
	    evhttp_request_get_host(req) ? evhttp_request_get_host(req) : "(null)");
	TAILQ_FOREACH(kv, req->input_headers, next)
		printf("  in: %s: %s\n", kv->key, kv->value);
	printf("  body %zu bytes", evbuffer_get_length(req->input_buffer));
	if (evbuffer_get_length(req->input_buffer) < 64)
		printf(" \"%.*s\"", (int)evbuffer_get_length(req->input_buffer),
		    (char *)evbuffer_pullup(req->input_buffer, -1));
	printf("\n");
	CHECK("remote_host is 127.0.0.1", req->remote_host && !strcmp(req->remote_host, "127.0.0.1"));
	CHECK("remote_port set", req->remote_port != 0);
	CHECK("accessors agree", evhttp_request_get_command(req) == req->type &&
	    evhttp_request_get_input_headers(req) == req->input_headers &&
	    evhttp_request_get_output_headers(req) == req->output_headers &&
	    evhttp_request_get_input_buffer(req) == req->input_buffer &&
	    evhttp_request_get_output_buffer(req) == req->output_buffer &&
	    !strcmp(evhttp_request_get_uri(req), req->uri));
	CHECK("request has its connection", evhttp_request_get_connection(req) != NULL);
}

static void
hello_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	printf("hello_cb arg=%s\n", (char *)arg);
	show_request(req);
	evbuffer_add_printf(b, "hello world\n");
	evhttp_add_header(req->output_headers, "X-Test", "yes");
	evhttp_send_reply(req, HTTP_OK, "Everything OK", b);
	evbuffer_free(b);
}

static void
chunks_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	int i;
	(void)arg;
	show_request(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply_start(req, HTTP_OK, NULL);
	for (i = 0; i < 3; i++) {
		evbuffer_add_printf(b, "chunk %d;", i);
		evhttp_send_reply_chunk(req, b);
	}
	evhttp_send_reply_chunk(req, b); /* empty: nothing sent */
	evhttp_send_reply_end(req);
	evbuffer_free(b);
}

static void
echo_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	show_request(req);
	evhttp_send_reply(req, 201, NULL, req->input_buffer);
}

/* Asynchronous replies: the handler returns, a timer answers later. */
static void
later_reply(evutil_socket_t fd, short what, void *arg)
{
	struct evhttp_request *req = arg;
	(void)fd;
	(void)what;
	printf("later: replying to %s, connection %s\n", req->uri,
	    evhttp_request_get_connection(req) ? "still there" : "gone");
	evbuffer_add_printf(req->output_buffer, "answered later");
	evhttp_send_reply(req, HTTP_OK, "Later", NULL);
}

static void
later_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	printf("later_cb %s\n", req->uri);
	event_base_once(base, -1, EV_TIMEOUT, later_reply, req, &(struct timeval){ 0, 50000 });
}

/* A handler slower than the client's idle limit (as any handler may be
 * under valgrind on a loaded machine): the client must still wait. */
static void
slow_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	t_sleep_ms(150);
	evbuffer_add_printf(req->output_buffer, "slow");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* A head of many header lines, read over several reads and chains: the
 * lines must all arrive whole, wherever the chains split them. */
static void
many_cb(struct evhttp_request *req, void *arg)
{
	struct evkeyval *kv;
	int n = 0, good = 0;
	(void)arg;
	TAILQ_FOREACH(kv, req->input_headers, next) {
		char want[80];
		n++;
		snprintf(want, sizeof(want), "value-%d-%s", n - 1,
		    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
		if (!strncmp(kv->key, "X-H", 3) && atoi(kv->key + 3) == n - 1 &&
		    !strcmp(kv->value, want))
			good++;
	}
	printf("many_cb: %d headers, %d as sent\n", n, good);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void
gen_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	(void)arg;
	printf("gen_cb path=%s query=%s proxy=%d\n", evhttp_uri_get_path(u),
	    evhttp_uri_get_query(u) ? evhttp_uri_get_query(u) : "(null)",
	    !!(req->flags & EVHTTP_PROXY_REQUEST));
	show_request(req);
	if (req->type == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	if (!strcmp(req->uri, "/nocontent")) {
		evhttp_send_reply(req, HTTP_NOCONTENT, NULL, NULL);
		return;
	}
	if (!strcmp(req->uri, "/error")) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	if (!strcmp(req->uri, "/error2")) {
		evhttp_send_error(req, 499, "Custom <reason>");
		return;
	}
	evbuffer_add_printf(req->output_buffer, "generic %s", req->uri);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

int
main(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bs;
	int port;

	alarm(30);
	signal(SIGPIPE, SIG_IGN);
	t_begin("http_server");
	base = event_base_new();
	http = evhttp_new(base);
	CHECK("evhttp_new", http != NULL);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	CHECK("bound", bs != NULL);
	CHECK("listener", evhttp_bound_socket_get_listener(bs) != NULL);
	port = bound_port(bs);
	EXPECT_INT("set_cb /hello", evhttp_set_cb(http, "/hello", hello_cb, "h"), 0);
	EXPECT_INT("set_cb /hello again", evhttp_set_cb(http, "/hello", hello_cb, "h"), -1);
	EXPECT_INT("set_cb /chunks", evhttp_set_cb(http, "/chunks", chunks_cb, NULL), 0);
	EXPECT_INT("set_cb /echo", evhttp_set_cb(http, "/echo", echo_cb, NULL), 0);
	EXPECT_INT("set_cb /gone", evhttp_set_cb(http, "/gone", echo_cb, NULL), 0);
	EXPECT_INT("set_cb /later", evhttp_set_cb(http, "/later", later_cb, NULL), 0);
	EXPECT_INT("set_cb /slow", evhttp_set_cb(http, "/slow", slow_cb, NULL), 0);
	EXPECT_INT("set_cb /many", evhttp_set_cb(http, "/many", many_cb, NULL), 0);
	EXPECT_INT("del_cb /gone", evhttp_del_cb(http, "/gone"), 0);
	EXPECT_INT("del_cb /gone again", evhttp_del_cb(http, "/gone"), -1);

	/* no general callback yet: 404 */
	RAW(base, port, "404", "GET /nothing?a=<b> HTTP/1.1\r\nHost: x\r\n\r\n", 300);
	RAW(base, port, "gone 404", "GET /gone HTTP/1.0\r\n\r\n", 300);

	RAW(base, port, "GET 1.1", "GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "GET 1.0", "GET /hello HTTP/1.0\r\n\r\n", 300);
	RAW(base, port, "GET 1.0 keep-alive", "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 300);
	RAW(base, port, "GET 1.1 keep-alive", "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n", 300);
	RAW(base, port, "escaped path", "GET /hel%6co?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "chunked 1.1", "GET /chunks HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "chunks 1.0", "GET /chunks HTTP/1.0\r\n\r\n", 300);
	RAW(base, port, "POST", "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde", 300);
	RAW(base, port, "POST chunked body",
	    "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	    "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: t\r\n\r\n", 300);
	RAW(base, port, "folded header",
	    "POST /echo HTTP/1.1\r\nX-Long: one\r\n  two\r\n\tthree  \r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "bare LF", "GET /hello HTTP/1.1\nConnection: close\n\n", 300);
	RAW(base, port, "pipelined",
	    "GET /hello HTTP/1.1\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", 300);

	{
		static char big[64 * 1024];
		size_t n = (size_t)snprintf(big, sizeof(big), "GET /many HTTP/1.1\r\n");
		for (int i = 0; i < 700; i++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "X-H%d: value-%d-%s\r\n", i, i,
			    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
		n += (size_t)snprintf(big + n, sizeof(big) - n, "Connection: close\r\n\r\n");
		raw_exchange(base, port, "many headers", big, n, 0, 300);
	}
	RAW(base, port, "later", "GET /later HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "slow handler", "GET /slow HTTP/1.1\r\nConnection: close\r\n\r\n", 100);
	RAW(base, port, "later, pipelined",
	    "GET /later HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", 300);

	evhttp_set_gencb(http, gen_cb, NULL);
	RAW(base, port, "gencb", "GET /any/path?q=1 HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "HEAD", "HEAD /x HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "204", "GET /nocontent HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "send_error", "GET /error HTTP/1.1\r\n\r\n", 300);
	RAW(base, port, "send_error reason", "GET /error2 HTTP/1.1\r\n\r\n", 300);
	RAW(base, port, "absolute uri", "GET http://example.com/abs HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "proxy request", "GET http://elsewhere.test/p HTTP/1.1\r\n\r\n", 300);
	RAW(base, port, "proxy keep-alive",
	    "GET http://elsewhere.test/p HTTP/1.1\r\nProxy-Connection: keep-alive\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "CONNECT", "CONNECT elsewhere.test:443 HTTP/1.1\r\n\r\n", 300);
	RAW(base, port, "HTTP/1.0 no host", "GET /old HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n", 300);
	RAW(base, port, "spaces in uri", "GET /a b HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "trailing spaces", "GET /t HTTP/1.1   \r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "PUT allowed", "PUT /p HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", 300);
	RAW(base, port, "OPTIONS not allowed", "OPTIONS /o HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "lowercase method", "get /o HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "expect 100", "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "expect other", "POST /echo HTTP/1.1\r\nExpect: something\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 300);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_OPTIONS);
	RAW(base, port, "OPTIONS allowed", "OPTIONS /o HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "POST not allowed", "POST /echo HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 300);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_default_content_type(http, "application/x-test");
	RAW(base, port, "default content type", "GET /ct HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	evhttp_set_default_content_type(http, NULL);
	RAW(base, port, "no content type", "GET /ct HTTP/1.1\r\nConnection: close\r\n\r\n", 300);

	evhttp_free(http);
	event_base_free(base);
	return t_end();
}

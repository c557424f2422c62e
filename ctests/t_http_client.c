/* evhttp clients against an evhttp server in the same loop: GET/POST/
 * HEAD, responses framed by Content-Length, chunks or the close, a
 * 1 MiB body, keep-alive reuse of one connection, queued requests,
 * retries against a closed port, client timeouts, cancel, request
 * ownership, the close callback and the connection accessors. */
#include "t_http.h"
#include <event2/http_compat.h>
#include <event2/bufferevent.h>

static struct event_base *base;
static int port;
static int pending;
static struct evhttp_request *held; /* a server request left unanswered */
static struct evhttp_request *owned;

static void
big_cb(struct evhttp_request *req, void *arg)
{
	static char block[1 << 20];
	(void)arg;
	memset(block, 'x', sizeof(block));
	evbuffer_add(req->output_buffer, block, sizeof(block));
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void
gen_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	printf("server: %d %s (%zu body bytes)\n", req->type, req->uri,
	    evbuffer_get_length(req->input_buffer));
	CHECK("server side get_server", evhttp_connection_get_server(evhttp_request_get_connection(req)) != NULL);
	if (!strcmp(req->uri, "/hold")) {
		held = req;
		return;
	}
	if (!strcmp(req->uri, "/chunks")) {
		struct evbuffer *b = evbuffer_new();
		evhttp_send_reply_start(req, HTTP_OK, NULL);
		evbuffer_add_printf(b, "part one;");
		evhttp_send_reply_chunk(req, b);
		evbuffer_add_printf(b, "part two");
		evhttp_send_reply_chunk(req, b);
		evhttp_send_reply_end(req);
		evbuffer_free(b);
		return;
	}
	if (!strcmp(req->uri, "/close"))
		evhttp_add_header(req->output_headers, "Connection", "close");
	evbuffer_add_printf(req->output_buffer, "reply to %s", req->uri);
	if (evbuffer_get_length(req->input_buffer)) {
		evbuffer_add(req->output_buffer, " with ", 6);
		evbuffer_add_buffer(req->output_buffer, req->input_buffer);
	}
	evhttp_send_reply(req, HTTP_OK, "Fine", NULL);
}

static void
done_cb(struct evhttp_request *req, void *arg)
{
	const char *label = arg;
	if (!req) {
		printf("%s: NULL request\n", label);
	} else {
		size_t n = evbuffer_get_length(evhttp_request_get_input_buffer(req));
		const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
		printf("%s: code=%d line=%s kind=%d %d.%d body=%zu", label,
		    evhttp_request_get_response_code(req),
		    evhttp_request_get_response_code_line(req) ? evhttp_request_get_response_code_line(req) : "(null)",
		    req->kind, req->major, req->minor, n);
		if (n && n < 80)
			printf(" \"%.*s\"", (int)n, (char *)evbuffer_pullup(req->input_buffer, -1));
		printf(" ct=%s conn=%s\n", ct ? ct : "-", evhttp_request_get_connection(req) ? "set" : "NULL");
		if (!strcmp(label, "own")) {
			evhttp_request_own(req);
			owned = req;
		}
	}
	if (--pending == 0)
		event_base_loopexit(base, NULL);
}

static void
error_cb(enum evhttp_request_error err, void *arg)
{
	printf("%s: error %d\n", (char *)arg, (int)err);
}

static int closes;
static void
close_cb(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	closes++;
	printf("close_cb %s\n", (char *)arg);
}

static void
run(void)
{
	event_base_dispatch(base);
}

static struct evhttp_request *
mkreq(const char *label)
{
	struct evhttp_request *r = evhttp_request_new(done_cb, (void *)label);
	evhttp_request_set_error_cb(r, error_cb);
	return r;
}

int
main(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bs;
	struct evhttp_connection *evcon;
	struct evhttp_request *r;
	char *addr;
	ev_uint16_t p16;
	int dead_port;

	alarm(40);
	signal(SIGPIPE, SIG_IGN);
	t_begin("http_client");
	base = event_base_new();
	http = evhttp_new(base);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	port = bound_port(bs);
	evhttp_set_cb(http, "/big", big_cb, NULL);
	evhttp_set_gencb(http, gen_cb, NULL);

	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	CHECK("connection", evcon != NULL);
	CHECK("get_base", evhttp_connection_get_base(evcon) == base);
	CHECK("client get_server NULL", evhttp_connection_get_server(evcon) == NULL);
	CHECK("get_bufferevent", evhttp_connection_get_bufferevent(evcon) != NULL);
	evhttp_connection_get_peer(evcon, &addr, &p16);
	EXPECT_STR("peer address", addr, "127.0.0.1");
	CHECK("peer port", p16 == port);
	evhttp_connection_set_closecb(evcon, close_cb, "evcon");

	/* one at a time, then queued on the same connection */
	r = mkreq("GET");
	evhttp_add_header(r->output_headers, "Host", "localhost");
	EXPECT_INT("make_request", evhttp_make_request(evcon, r, EVHTTP_REQ_GET, "/one"), 0);
	CHECK("request on its connection", evhttp_request_get_connection(r) == evcon);
	pending = 1;
	run();
	pending = 3;
	r = mkreq("POST");
	evbuffer_add_printf(r->output_buffer, "payload");
	evhttp_make_request(evcon, r, EVHTTP_REQ_POST, "/post");
	evhttp_make_request(evcon, mkreq("HEAD"), EVHTTP_REQ_HEAD, "/head");
	evhttp_make_request(evcon, mkreq("chunks"), EVHTTP_REQ_GET, "/chunks");
	run();
	printf("closes so far %d\n", closes);

	/* the server closes: the next request reconnects */
	pending = 1;
	evhttp_make_request(evcon, mkreq("close"), EVHTTP_REQ_GET, "/close");
	run();
	printf("closes so far %d\n", closes);
	pending = 1;
	evhttp_make_request(evcon, mkreq("after close"), EVHTTP_REQ_GET, "/again");
	run();

	/* HTTP/1.0: the reply runs to the close */
	pending = 1;
	r = mkreq("1.0");
	r->major = 1;
	r->minor = 0;
	evhttp_make_request(evcon, r, EVHTTP_REQ_GET, "/old");
	run();

	/* a 1 MiB body */
	pending = 1;
	evhttp_make_request(evcon, mkreq("big"), EVHTTP_REQ_GET, "/big");
	run();

	/* ownership: the request outlives its callback */
	pending = 1;
	evhttp_make_request(evcon, mkreq("own"), EVHTTP_REQ_GET, "/own");
	run();
	CHECK("owned request kept", owned && evhttp_request_is_owned(owned));
	EXPECT_INT("owned code", evhttp_request_get_response_code(owned), 200);
	evhttp_request_free(owned);

	/* a timeout: the server holds the request */
	evhttp_connection_set_timeout_tv(evcon, &(struct timeval){ 0, 200000 });
	pending = 1;
	evhttp_make_request(evcon, mkreq("timeout"), EVHTTP_REQ_GET, "/hold");
	run();
	CHECK("server saw the held request", held != NULL);
	if (held) {
		evhttp_send_reply(held, 200, "late", NULL); /* frees it */
	}
	evhttp_connection_set_timeout(evcon, -1);

	/* cancel: queued, then running */
	pending = 1;
	r = mkreq("cancelled queued");
	held = NULL;
	evhttp_make_request(evcon, mkreq("first"), EVHTTP_REQ_GET, "/x");
	evhttp_make_request(evcon, r, EVHTTP_REQ_GET, "/y");
	evhttp_cancel_request(r);
	run();
	r = mkreq("cancelled running");
	evhttp_make_request(evcon, r, EVHTTP_REQ_GET, "/hold");
	while (!held)
		event_base_loop(base, EVLOOP_ONCE);
	evhttp_cancel_request(r);
	pending = 1;
	evhttp_make_request(evcon, mkreq("after cancel"), EVHTTP_REQ_GET, "/z");
	run();
	if (held)
		evhttp_send_reply(held, 200, "late", NULL);
	evhttp_connection_free(evcon);
	printf("closes %d\n", closes);

	/* retries against a port nobody listens on */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(0x7f000001);
		bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		getsockname(fd, (struct sockaddr *)&sin, &len);
		dead_port = ntohs(sin.sin_port);
		close(fd);
	}
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", dead_port);
	evhttp_connection_set_retries(evcon, 2);
	evhttp_connection_set_initial_retry_tv(evcon, &(struct timeval){ 0, 50000 });
	{
		double t0 = t_now_ms(), dt;
		pending = 1;
		evhttp_make_request(evcon, mkreq("refused"), EVHTTP_REQ_GET, "/r");
		run();
		dt = t_now_ms() - t0;
		fprintf(stderr, "retries took %.0f ms\n", dt);
		CHECK("retried with backoff (>= 150 ms)", dt >= 140);
	}
	evhttp_connection_free(evcon);

	/* on the program's own bufferevent */
	{
		struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
		evcon = evhttp_connection_base_bufferevent_new(base, NULL, bev, "127.0.0.1", port);
		CHECK("the program's bufferevent", evhttp_connection_get_bufferevent(evcon) == bev);
		pending = 1;
		evhttp_make_request(evcon, mkreq("own bufferevent"), EVHTTP_REQ_GET, "/bev");
		run();
		evhttp_connection_free(evcon);
	}

	/* Expect: 100-continue: the body waits for the server's 100 */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	r = mkreq("expect 100");
	evhttp_add_header(r->output_headers, "Expect", "100-continue");
	evbuffer_add_printf(r->output_buffer, "sent after 100");
	pending = 1;
	evhttp_make_request(evcon, r, EVHTTP_REQ_POST, "/expect");
	run();
	evhttp_connection_free(evcon);

	/* a fresh connection: local address, family, 1 MiB each way,
	 * reconnecting to the address it connected to */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_set_local_address(evcon, "127.0.0.1");
	evhttp_connection_set_family(evcon, AF_INET);
	EXPECT_INT("set_flags reuse addr", evhttp_connection_set_flags(evcon, EVHTTP_CON_REUSE_CONNECTED_ADDR), 0);
	CHECK("no address before connecting", evhttp_connection_get_addr(evcon) != NULL &&
	    evhttp_connection_get_addr(evcon)->sa_family == 0);
	pending = 1;
	evhttp_make_request(evcon, mkreq("big fresh"), EVHTTP_REQ_GET, "/big");
	run();
	{
		const struct sockaddr *sa = evhttp_connection_get_addr(evcon);
		CHECK("connected address", sa && sa->sa_family == AF_INET &&
		    ntohs(((const struct sockaddr_in *)sa)->sin_port) == port);
	}
	{
		static char block[1 << 20];
		memset(block, 'y', sizeof(block));
		r = mkreq("big POST");
		evbuffer_add(r->output_buffer, block, sizeof(block));
		evhttp_add_header(r->output_headers, "Connection", "close");
		pending = 1;
		evhttp_make_request(evcon, r, EVHTTP_REQ_POST, "/echo");
		run();
	}
	pending = 1;
	evhttp_make_request(evcon, mkreq("reconnect to the same address"), EVHTTP_REQ_GET, "/same");
	run();
	evhttp_connection_free(evcon);

	/* free_on_completion */
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	evhttp_connection_free_on_completion(evcon);
	pending = 1;
	r = mkreq("autofree");
	evhttp_add_header(r->output_headers, "Connection", "close");
	evhttp_make_request(evcon, r, EVHTTP_REQ_GET, "/auto");
	run();

	evhttp_free(http);
	event_base_free(base);
	return t_end();
}

/* An evhttp server shaped like libevent's test/bench_http.c: a fixed
 * body, copied per request at /ind and added by reference at /ref.
 * Usage: http PORT [BODY_BYTES]; runs until killed. wrk drives it
 * (bench/http_run). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>

static char *body;
static size_t body_len;

static void
ind_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	(void)arg;
	evbuffer_add(b, body, body_len);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
ref_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	(void)arg;
	evbuffer_add_reference(b, body, body_len, NULL, NULL);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	int port = argc > 1 ? atoi(argv[1]) : 8080;
	body_len = argc > 2 ? (size_t)atol(argv[2]) : 22;
	body = malloc(body_len);
	memset(body, 'x', body_len);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_cb(http, "/ind", ind_cb, NULL);
	evhttp_set_cb(http, "/ref", ref_cb, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port)) {
		fprintf(stderr, "cannot bind port %d\n", port);
		return 1;
	}
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	free(body);
	return 0;
}

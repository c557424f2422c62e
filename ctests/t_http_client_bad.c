/* An evhttp client against a raw server sending canned responses: good
 * ones framed three ways, then bad status lines, bad headers, bad
 * lengths and chunks, responses over the client's header and body
 * limits, 1xx and 204/304 without bodies, and a server that closes
 * early. The request and error callbacks show what the client made of
 * each. */
#include "t_http.h"

static struct event_base *base;
static const char *canned;
static size_t canned_len;
static int close_after;
static int pending;
static struct event *conns[64]; /* the raw server's open connections */

static void
conn_close(struct event *ev)
{
	int i;
	for (i = 0; i < 64; i++)
		if (conns[i] == ev)
			conns[i] = NULL;
	close(event_get_fd(ev));
	event_free(ev);
}

static void
conn_read(evutil_socket_t fd, short what, void *arg)
{
	char buf[4096];
	struct event *ev = arg;
	ssize_t n = read(fd, buf, sizeof(buf));
	(void)what;
	if (n <= 0) {
		conn_close(ev);
		return;
	}
	if (canned_len && write(fd, canned, canned_len) != (ssize_t)canned_len)
		SAY("short write");
	if (close_after)
		conn_close(ev);
}

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	int fd = accept(lfd, NULL, NULL);
	struct event *ev;
	int i;
	(void)what;
	(void)arg;
	if (fd < 0)
		return;
	evutil_make_socket_nonblocking(fd);
	ev = event_new(base, fd, EV_READ | EV_PERSIST, conn_read, event_self_cbarg());
	event_add(ev, NULL);
	for (i = 0; i < 64; i++)
		if (!conns[i]) {
			conns[i] = ev;
			break;
		}
}

static void
done_cb(struct evhttp_request *req, void *arg)
{
	if (!req) {
		printf("%s: NULL request\n", (char *)arg);
	} else {
		size_t n = evbuffer_get_length(req->input_buffer);
		printf("%s: code=%d line=%s %d.%d body=%zu", (char *)arg, req->response_code,
		    req->response_code_line ? req->response_code_line : "(null)", req->major, req->minor, n);
		if (n && n < 60)
			printf(" \"%.*s\"", (int)n, (char *)evbuffer_pullup(req->input_buffer, -1));
		printf("\n");
	}
	if (--pending == 0)
		event_base_loopexit(base, NULL);
}

static void
error_cb(enum evhttp_request_error err, void *arg)
{
	printf("%s: error %d\n", (char *)arg, (int)err);
}

static void
try(int port, const char *label, const char *response, int close_it, ev_ssize_t max_headers, ev_ssize_t max_body)
{
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	struct evhttp_request *req = evhttp_request_new(done_cb, (void *)label);
	canned = response;
	canned_len = strlen(response);
	close_after = close_it;
	evhttp_request_set_error_cb(req, error_cb);
	evhttp_connection_set_timeout_tv(evcon, &(struct timeval){ 0, 300000 });
	evhttp_connection_set_max_headers_size(evcon, max_headers);
	evhttp_connection_set_max_body_size(evcon, max_body);
	pending = 1;
	evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/");
	event_base_dispatch(base);
	evhttp_connection_free(evcon);
}

int
main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct event *lev;
	int lfd, port;

	alarm(30);
	signal(SIGPIPE, SIG_IGN);
	t_begin("http_client_bad");
	base = event_base_new();
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 16))
		DIE("bind");
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	evutil_make_socket_nonblocking(lfd);
	lev = event_new(base, lfd, EV_READ | EV_PERSIST, accept_cb, NULL);
	event_add(lev, NULL);

	try(port, "length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, -1, -1);
	try(port, "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n!\r\n0\r\nT: x\r\n\r\n", 0, -1, -1);
	try(port, "to close", "HTTP/1.0 200 OK\r\n\r\nuntil the end", 1, -1, -1);
	try(port, "bare LF, no reason", "HTTP/1.1 201\nContent-Length: 2\n\nok", 0, -1, -1);
	try(port, "folded header", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", 0, -1, -1);
	try(port, "garbage status", "HTTP/1.1 abc OK\r\n\r\n", 1, -1, -1);
	try(port, "not HTTP", "ICY 200 OK\r\n\r\n", 1, -1, -1);
	try(port, "HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", 1, -1, -1);
	try(port, "no colon", "HTTP/1.1 200 OK\r\nBroken\r\n\r\n", 1, -1, -1);
	try(port, "bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 1, -1, -1);
	try(port, "bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1, -1, -1);
	try(port, "short body then close", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1, -1, -1);
	try(port, "headers over the limit", "HTTP/1.1 200 OK\r\nX-Long: 0123456789012345678901234567890123456789\r\n\r\n", 1, 40, -1);
	try(port, "body over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 1, -1, 4);
	try(port, "chunks over the limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 1, -1, 4);
	try(port, "204 with no body", "HTTP/1.1 204 No Content\r\n\r\n", 0, -1, -1);
	try(port, "304 with no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 0, -1, -1);
	try(port, "100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", 0, -1, -1);
	try(port, "nothing, closed", "", 1, -1, -1);
	try(port, "nothing, timeout", "", 0, -1, -1);

	{
		int i;
		for (i = 0; i < 64; i++)
			if (conns[i])
				conn_close(conns[i]);
	}
	event_free(lev);
	close(lfd);
	event_base_free(base);
	return t_end();
}

/* evhttp server hardening on the wire: header and body size limits,
 * malformed request lines, versions and lengths, a good request answered
 * before a bad one on the same connection, idle and partial-request
 * timeouts, lingering close, and connections that end early. */
#include "t_http.h"

static void
gen_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	printf("handler: %d %s body=%zu\n", req->type, req->uri,
	    evbuffer_get_length(req->input_buffer));
	evbuffer_add_printf(req->output_buffer, "ok %s", req->uri);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

int
main(void)
{
	struct event_base *base;
	struct evhttp *http;
	int port;
	char big[4096];

	alarm(40);
	signal(SIGPIPE, SIG_IGN);
	t_begin("http_limits");
	base = event_base_new();
	http = evhttp_new(base);
	port = bound_port(evhttp_bind_socket_with_handle(http, "127.0.0.1", 0));
	evhttp_set_gencb(http, gen_cb, NULL);

	RAW(base, port, "no version", "GET /\r\n\r\n", 300);
	RAW(base, port, "short line", "GET / HTTP/1\r\n\r\n", 300);
	RAW(base, port, "HTTP/2.0", "GET /two HTTP/2.0\r\n\r\n", 300);
	RAW(base, port, "bad version", "GET /v HTTP/1.1x\r\n\r\n", 300);
	RAW(base, port, "garbage", "\x01\x02\x03 hello there world\r\n\r\n", 300);
	RAW(base, port, "bad uri", "GET /a#b#c HTTP/1.1\r\nConnection: close\r\n\r\n", 300);
	RAW(base, port, "header without colon", "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 300);
	RAW(base, port, "fold first", "GET / HTTP/1.1\r\n folded\r\n\r\n", 300);
	RAW(base, port, "bad length", "POST /p HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 300);
	RAW(base, port, "negative length", "POST /p HTTP/1.1\r\nContent-Length: -3\r\n\r\n", 300);
	RAW(base, port, "bad chunk", "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 300);
	RAW(base, port, "good then bad",
	    "GET /first HTTP/1.1\r\n\r\nBROKEN\r\n\r\n", 300);
	RAW(base, port, "good then garbage",
	    "GET /first HTTP/1.1\r\n\r\nGET / HTTP/9.9\r\n\r\n", 300);
	raw_exchange(base, port, "half request then EOF", "GET / HTTP/1.1\r\nHost:", 21, 1, 300);
	raw_exchange(base, port, "nothing then EOF", "", 0, 1, 300);
	raw_exchange(base, port, "body cut short", "POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 41, 1, 300);

	raw_exchange_slow(base, port, "byte by byte",
	    "POST /slow HTTP/1.1\r\nX-A: 1\r\n  2\r\nContent-Length: 3\r\n\r\nabc"
	    "POST /slow2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	    "2\r\nxy\r\n0\r\n\r\n", 300);

	evhttp_set_max_headers_size(http, 64);
	RAW(base, port, "headers fit", "GET /fit HTTP/1.1\r\nA: b\r\nConnection: close\r\n\r\n", 300);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = 0;
	memcpy(big, "GET /", 5);
	RAW(base, port, "long first line, no end", big, 300);
	{
		char req[512];
		snprintf(req, sizeof(req), "GET /h HTTP/1.1\r\nX-Big: %.100s\r\n\r\n", big + 5);
		RAW(base, port, "header too big", req, 300);
		snprintf(req, sizeof(req), "GET /h HTTP/1.1\r\nX-Big: %.100s", big + 5);
		RAW(base, port, "header too big, unfinished", req, 300);
	}
	evhttp_set_max_headers_size(http, -1);

	evhttp_set_max_body_size(http, 8);
	RAW(base, port, "body fits", "POST /fits HTTP/1.1\r\nContent-Length: 8\r\nConnection: close\r\n\r\n12345678", 300);
	RAW(base, port, "body too big", "POST /big HTTP/1.1\r\nContent-Length: 9\r\nConnection: close\r\n\r\n123456789", 300);
	RAW(base, port, "chunked too big",
	    "POST /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n", 300);
	RAW(base, port, "expect too big",
	    "POST /big HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n", 300);
	EXPECT_INT("set_flags bad", evhttp_set_flags(http, 2), 1);
	EXPECT_INT("set_flags lingering", evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE), 0);
	RAW(base, port, "lingering, whole body", "POST /big HTTP/1.1\r\nContent-Length: 12\r\n\r\n123456789012", 300);
	RAW(base, port, "lingering, part of the body", "POST /big HTTP/1.1\r\nContent-Length: 12\r\n\r\n1234567890", 300);
	evhttp_set_max_body_size(http, -1);
	evhttp_set_flags(http, 0);

	evhttp_set_timeout_tv(http, &(struct timeval){ 0, 200000 });
	{
		double t0 = t_now_ms();
		RAW(base, port, "idle timeout", "", 1500);
		CHECK("closed after the timeout", t_now_ms() - t0 >= 150);
		RAW(base, port, "partial request timeout", "GET / HTTP/1.1\r\n", 1500);
		RAW(base, port, "keep-alive then timeout", "GET /ka HTTP/1.1\r\n\r\n", 1500);
	}
	evhttp_set_timeout(http, -1);

	evhttp_free(http);
	event_base_free(base);
	return t_end();
}

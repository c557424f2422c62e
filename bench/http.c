/* HTTP server workload, the shape of libevent's bench_http: an evhttp
 * server on 127.0.0.1 answering every request with a fixed body of S bytes,
 * copied into the reply (/ind) or added by reference (/ref). The load comes
 * from outside (wrk, driven by bench/run); this program only serves.
 *
 *   -s S   body size in bytes (default 64)
 * Prints {"method": ..., "port": P} once bound, then serves until its
 * standard input reaches EOF (the runner closes it) or SIGTERM. */
#include "harness.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static char *body;
static size_t body_len;

static void reply(struct evhttp_request *req, int by_reference)
{
    struct evbuffer *out = evbuffer_new();
    if (by_reference)
        evbuffer_add_reference(out, body, body_len, NULL, NULL);
    else
        evbuffer_add(out, body, body_len);
    evhttp_send_reply(req, HTTP_OK, "Everything is fine", out);
    evbuffer_free(out);
}

static void on_ind(struct evhttp_request *req, void *arg) { (void)arg; reply(req, 0); }
static void on_ref(struct evhttp_request *req, void *arg) { (void)arg; reply(req, 1); }

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    char buf[64];
    (void)what;
    if (read(fd, buf, sizeof buf) <= 0)
        event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    int c;
    body_len = 64;
    while ((c = getopt(argc, argv, "s:")) != -1) {
        if (c != 's')
            DIE("usage: http [-s BYTES]");
        body_len = (size_t)atol(optarg);
    }
    body = malloc(body_len + 1);
    for (size_t i = 0; i < body_len; i++)
        body[i] = (char)('a' + i % 26);
    signal(SIGPIPE, SIG_IGN);

    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_cb(http, "/ind", on_ind, NULL);
    evhttp_set_cb(http, "/ref", on_ref, NULL);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    if (!sock)
        DIE("bind failed");
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len) != 0)
        DIE("getsockname failed");
    struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, base);
    event_add(in, NULL);

    emit_begin(event_base_get_method(base));
    emit_u64("port", ntohs(sin.sin_port));
    emit_end();
    event_base_dispatch(base);

    event_free(in);
    evhttp_free(http);
    event_base_free(base);
    free(body);
    return 0;
}

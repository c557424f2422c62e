/* HTTP server workload, the shape of libevent's bench_http: a server on
 * 127.0.0.1 answering every request with a fixed body of S bytes, copied
 * into the reply (/ind) or added by reference (/ref). The load comes from
 * outside (wrk, driven by bench/run); this program only serves.
 *
 * Default build: evhttp (librel or libevent, the same text). With BK_RAW:
 * the floor, a hand-written level-triggered epoll server that answers each
 * complete request head with the same status line, headers and body
 * evhttp sends (Date excepted), keeps the connection unless the request
 * says "Connection: close", and does nothing else (no parsing, no limits).
 *
 *   -s S   body size in bytes (default 64)
 * Prints {"method": ..., "port": P} once bound, then serves until its
 * standard input reaches EOF (the runner closes it) or SIGTERM. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#ifndef BK_RAW
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#endif

static char *body;
static size_t body_len;

#ifndef BK_RAW

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

static void serve(void)
{
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
}

#else /* BK_RAW */

#include <fcntl.h>
#include <sys/epoll.h>

struct conn {
    char in[16384];
    size_t in_len;
    char *out;          /* what is left to send */
    size_t out_len, out_cap, out_off;
    int close_after;
};

static struct conn *conns[65536];
static char *head;      /* status line and headers */
static size_t head_len;

static void drop(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd]->out);
    free(conns[fd]);
    conns[fd] = NULL;
}

static void queue_reply(struct conn *c)
{
    size_t need = c->out_len + head_len + body_len;
    if (need > c->out_cap) {
        c->out_cap = need * 2;
        c->out = realloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, head, head_len);
    memcpy(c->out + c->out_len + head_len, body, body_len);
    c->out_len = need;
}

/* Sends what is queued; returns 0 when all went, 1 when the rest waits
 * for EPOLLOUT, -1 on error. */
static int flush(int fd, struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN ? 1 : -1;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static void serve(void)
{
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    if (bind(ls, (struct sockaddr *)&sin, sizeof sin) || listen(ls, 1024) ||
        getsockname(ls, (struct sockaddr *)&sin, &len))
        DIE("bind failed");
    char *h = malloc(256);
    head_len = (size_t)snprintf(h, 256, "HTTP/1.1 200 Everything is fine\r\n"
        "Content-Type: text/html; charset=ISO-8859-1\r\nContent-Length: %zu\r\n\r\n", body_len);
    head = h;
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    ev.data.fd = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    emit_begin("epoll");
    emit_u64("port", ntohs(sin.sin_port));
    emit_end();
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == 0) {
                char b[64];
                if (read(0, b, sizeof b) <= 0)
                    return;
                continue;
            }
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= 65536) {
                        close(c);
                        continue;
                    }
                    conns[c] = calloc(1, sizeof(struct conn));
                    struct epoll_event e = { .events = EPOLLIN, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            struct conn *c = conns[fd];
            if (evs[i].events & EPOLLOUT) {
                int r = flush(fd, c);
                if (r < 0 || (r == 0 && c->close_after)) {
                    drop(ep, fd);
                    continue;
                }
                if (r == 0) {
                    struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };
                    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
                }
                continue;
            }
            ssize_t r = read(fd, c->in + c->in_len, sizeof c->in - c->in_len);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                drop(ep, fd);
                continue;
            }
            c->in_len += (size_t)r;
            char *end;
            while ((end = memmem(c->in, c->in_len, "\r\n\r\n", 4)) != NULL) {
                size_t used = (size_t)(end + 4 - c->in);
                if (memmem(c->in, used, "Connection: close", 17))
                    c->close_after = 1;
                queue_reply(c);
                memmove(c->in, c->in + used, c->in_len - used);
                c->in_len -= used;
            }
            int f = flush(fd, c);
            if (f < 0 || (f == 0 && c->close_after)) {
                drop(ep, fd);
            } else if (f == 1) {
                struct epoll_event e = { .events = EPOLLOUT, .data.fd = fd };
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
            }
        }
    }
}

#endif /* BK_RAW */

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
    serve();
    free(body);
    return 0;
}

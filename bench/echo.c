/* Echo server workloads. The server is the common public shape:
 * evconnlistener_new_bind on 127.0.0.1 port 0, a bufferevent_socket_new per
 * accepted connection, and a read callback that moves the whole input to
 * the output (bufferevent_write_buffer). With BK_RAW it is a hand-written
 * level-triggered epoll echo server instead (the floor): one read of up to
 * 64 KiB per readiness, written straight back (reads paused while a write
 * waits for EPOLLOUT). Both set
 * TCP_NODELAY on accepted sockets, so no contender waits on Nagle.
 *
 * The load generator is forked off after the listener is bound: a
 * library-free epoll client, the same code for every contender. Per
 * iteration it connects C connections, sends K messages of S bytes on each
 * with at most D whole messages in flight per connection, checks every
 * echoed byte, and closes. The whole exchange, connects included, is timed.
 * The client ends the server's loop by exiting (a control pipe reaches EOF).
 *
 * With -1 the server and the client share one CPU (the one the program
 * starts on). A ping-pong left to the scheduler is bimodal: each round trip
 * costs about twice as much when the two processes sit on different CPUs
 * (a cross-CPU wake-up each way) as when they share one, and which it gets
 * varies from process to process. Sharing one makes it repeatable.
 *
 *   -c C -s S -k K -d D -i ITERS -1   (one untimed warm-up iteration first)
 * Output (the client's): {"method", "bytes", "warmup_ns", "ns": [...]}. */
#include "harness.h"

#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#ifndef BK_RAW
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#endif

struct eopts { int conns, size, msgs, depth, iters, one_cpu; };

/* In the server: the client has exited, so the loop must return soon. */
static void on_sigchld(int sig)
{
    (void)sig;
    alarm(5);
}

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- the client (runs in the child) --------------------------------- */

#define PATTERN 251 /* byte at stream offset o is o % 251: checks order too */
#define RBUF (256 * 1024)

static unsigned char *pattern; /* RBUF + PATTERN bytes of the sequence */

struct conn { int fd; uint64_t sent, rcvd; int want_out; };

/* Sends what the window allows, in whole messages: a message goes out
 * only once the one D messages before it has been fully echoed. */
static void client_send(int ep, struct conn *c, uint64_t total, uint64_t window, uint64_t size)
{
    uint64_t limit = (c->rcvd + window) / size * size;
    if (limit > total)
        limit = total;
    while (c->sent < limit) {
        uint64_t n = limit - c->sent;
        ssize_t w = write(c->fd, pattern + c->sent % PATTERN, n > RBUF ? RBUF : n);
        if (w < 0 && errno == EAGAIN) {
            if (!c->want_out) {
                struct epoll_event e = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                c->want_out = 1;
            }
            return;
        }
        if (w <= 0)
            DIE("client write: %s", strerror(errno));
        c->sent += (uint64_t)w;
    }
    if (c->want_out) {
        struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        c->want_out = 0;
    }
}

static uint64_t client_iteration(const struct eopts *o, int port, struct conn *cs,
                                 unsigned char *rbuf)
{
    uint64_t total = (uint64_t)o->msgs * (uint64_t)o->size;
    uint64_t window = (uint64_t)o->depth * (uint64_t)o->size;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    uint64_t t0 = now_ns();
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < o->conns; i++) {
        struct conn *c = &cs[i];
        c->sent = c->rcvd = 0, c->want_out = 0;
        if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
            connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
            DIE("client connect: %s", strerror(errno));
        nodelay(c->fd);
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
        client_send(ep, c, total, window, (uint64_t)o->size);
    }
    int done = 0;
    struct epoll_event evs[128];
    while (done < o->conns) {
        int n = epoll_wait(ep, evs, 128, 10000);
        if (n <= 0)
            DIE("client: no progress in 10 s (%s)", n ? strerror(errno) : "timeout");
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLIN) {
                ssize_t r = read(c->fd, rbuf, RBUF);
                if (r < 0 && errno == EAGAIN)
                    continue;
                if (r <= 0)
                    DIE("client read: %s", r ? strerror(errno) : "server closed");
                if ((uint64_t)r > c->sent - c->rcvd ||
                    memcmp(rbuf, pattern + c->rcvd % PATTERN, (size_t)r) != 0)
                    DIE("client: echo mismatch at byte %llu", (unsigned long long)c->rcvd);
                c->rcvd += (uint64_t)r;
                if (c->rcvd == total)
                    done++;
            }
            client_send(ep, c, total, window, (uint64_t)o->size);
        }
    }
    uint64_t t = now_ns() - t0;
    for (int i = 0; i < o->conns; i++)
        close(cs[i].fd);
    close(ep);
    return t;
}

static void client(const struct eopts *o, int port, const char *method)
{
    pattern = malloc(RBUF + PATTERN);
    for (int i = 0; i < RBUF + PATTERN; i++)
        pattern[i] = (unsigned char)(i % PATTERN);
    unsigned char *rbuf = malloc(RBUF);
    struct conn *cs = calloc((size_t)o->conns, sizeof *cs);
    uint64_t *ns = calloc((size_t)o->iters + 1, sizeof *ns);
    uint64_t warm = client_iteration(o, port, cs, rbuf);
    for (int i = 0; i < o->iters; i++)
        ns[i] = client_iteration(o, port, cs, rbuf);
    emit_begin(method);
    emit_u64("bytes", (uint64_t)o->conns * (uint64_t)o->msgs * (uint64_t)o->size);
    emit_num("warmup_ns", (double)warm);
    emit_array("ns", ns, o->iters);
    emit_end();
}

/* ---- the server (runs in the parent) -------------------------------- */

#ifndef BK_RAW

static void echo_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void echo_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int len, void *arg)
{
    (void)l, (void)sa, (void)len;
    nodelay(fd);
    struct bufferevent *bev = bufferevent_socket_new(arg, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        DIE("bufferevent_socket_new failed");
    bufferevent_setcb(bev, echo_read, NULL, echo_event, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void on_control(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopbreak(arg);
}

/* Binds the listener; returns its port. */
static struct event_base *base;
static int server_setup(const char **method)
{
    base = event_base_new();
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct evconnlistener *l = evconnlistener_new_bind(
        base, on_accept, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
        (struct sockaddr *)&sa, sizeof sa);
    if (!l)
        DIE("evconnlistener_new_bind: %s", strerror(errno));
    socklen_t len = sizeof sa;
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sa, &len);
    *method = event_base_get_method(base);
    return ntohs(sa.sin_port);
}

static void server_run(int ctl)
{
    struct event *stop = event_new(base, ctl, EV_READ, on_control, base);
    event_add(stop, NULL);
    event_base_dispatch(base);
}

#else /* BK_RAW: the floor */

#define SBUF (64 * 1024) /* the floor's buffer: one read's worth, then echoed */

struct rconn { int fd; char *buf; size_t off, len; };

static int ep, lfd;
static const char control_tag; /* epoll data of the control pipe */

static void set_events(struct rconn *c, uint32_t events)
{
    struct epoll_event e = { .events = events, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void rconn_close(struct rconn *c)
{
    close(c->fd); /* also leaves the epoll set */
    free(c->buf);
    free(c);
}

/* Writes the pending bytes; waits for EPOLLOUT (reads paused) if some stay. */
static int rconn_flush(struct rconn *c)
{
    while (c->off < c->len) {
        ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);
        if (w < 0 && errno == EAGAIN) {
            set_events(c, EPOLLOUT);
            return 0;
        }
        if (w <= 0)
            return -1;
        c->off += (size_t)w;
    }
    c->off = c->len = 0;
    return 1;
}

static void raw_accept(void)
{
    int fd;
    while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        nodelay(fd);
        struct rconn *c = calloc(1, sizeof *c);
        c->fd = fd, c->buf = malloc(SBUF);
        struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
}

static void raw_event(struct rconn *c, uint32_t events)
{
    if (events & EPOLLOUT) {
        int r = rconn_flush(c);
        if (r < 0)
            rconn_close(c);
        else if (r > 0)
            set_events(c, EPOLLIN);
        return;
    }
    ssize_t n = read(c->fd, c->buf, SBUF);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        rconn_close(c);
        return;
    }
    c->len = (size_t)n;
    if (rconn_flush(c) < 0)
        rconn_close(c);
}

static int server_setup(const char **method)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1;
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0)
        DIE("bind/listen: %s", strerror(errno));
    socklen_t len = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &len);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = &lfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
    *method = "epoll";
    return ntohs(sa.sin_port);
}

static void server_run(int ctl)
{
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = (void *)&control_tag };
    epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &e);
    struct epoll_event out[256];
    for (;;) {
        int n = epoll_wait(ep, out, 256, -1);
        for (int i = 0; i < n; i++) {
            if (out[i].data.ptr == &control_tag)
                return;
            if (out[i].data.ptr == &lfd)
                raw_accept();
            else
                raw_event(out[i].data.ptr, out[i].events);
        }
    }
}

#endif /* BK_RAW */

int main(int argc, char **argv)
{
    struct eopts o = { 1, 64, 1000, 1, 5, 0 };
    int c;
    while ((c = getopt(argc, argv, "c:s:k:d:i:1")) != -1) {
        switch (c) {
        case 'c': o.conns = atoi(optarg); break;
        case 's': o.size = atoi(optarg); break;
        case 'k': o.msgs = atoi(optarg); break;
        case 'd': o.depth = atoi(optarg); break;
        case 'i': o.iters = atoi(optarg); break;
        case '1': o.one_cpu = 1; break;
        default: DIE("bad option");
        }
    }
    if (o.conns < 1 || o.size < 1 || o.msgs < 1 || o.depth < 1 || o.iters < 0)
        DIE("bad sizes");
    raise_nofile();
    if (o.one_cpu) { /* before the fork: the client inherits it */
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0)
            DIE("sched_setaffinity: %s", strerror(errno));
    }
    const char *method;
    int port = server_setup(&method);
    int ctl[2];
    if (pipe2(ctl, O_CLOEXEC) != 0)
        DIE("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        DIE("fork: %s", strerror(errno));
    if (pid == 0) { /* the client; its exit closes ctl[1] */
        close(ctl[0]);
        client(&o, port, method);
        _exit(0);
    }
    close(ctl[1]);
    watchdog(0, "echo: the server's loop ran on 5 s after the client exited");
    signal(SIGCHLD, on_sigchld);
    server_run(ctl[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        DIE("client died");
    return WEXITSTATUS(status);
}

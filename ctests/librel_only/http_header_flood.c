/* A client that sends an endless header line to a server left at its
 * defaults. libevent 2.1's default header limit is unlimited: it buffers
 * the line for as long as the client sends (here 8 MiB and counting).
 * librel's default limit is 1 MiB: past it the server answers 400 and
 * closes, and a well-formed request on a new connection is answered. */
#include "../common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static int port;

static void on_any(struct evhttp_request *req, void *arg)
{
    (void)arg;
    evhttp_send_reply(req, 200, "OK", NULL);
}

static int connect_to(void)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin))
        DIE("connect");
    return fd;
}

/* Reads the first reply line into `reply`, if one came. */
static void read_reply(int fd, char *reply)
{
    ssize_t n = read(fd, reply, 255);
    if (n > 0) {
        reply[n] = 0;
        reply[strcspn(reply, "\r\n")] = 0;
    }
}

/* Sends up to 8 MiB of one header line, reading what the server says;
 * returns the first reply line, or "" if the server took it all. */
static void *flood(void *out)
{
    static char chunk[65536];
    char *reply = out;
    size_t sent = 0;
    int fd = connect_to();
    memset(chunk, 'a', sizeof chunk);
    if (write(fd, "GET / HTTP/1.1\r\nX-Flood: ", 25) != 25)
        DIE("write");
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (sent < (8u << 20)) {
        struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
        if (poll(&p, 1, 5000) <= 0)
            break;
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            read_reply(fd, reply);
            break;
        }
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0 && errno != EAGAIN) {
            /* The server closed with our bytes unread, which resets the
             * connection; its reply may have come in just before the
             * reset, after the poll above looked. */
            read_reply(fd, reply);
            break;
        }
        if (n > 0)
            sent += (size_t)n;
    }
    close(fd);
    return NULL;
}

static void *well_formed(void *out)
{
    char *reply = out;
    int fd = connect_to();
    const char *req = "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        DIE("write");
    read_reply(fd, reply);
    close(fd);
    return NULL;
}

static void run_client(void *(*fn)(void *), struct event_base *base, char *reply)
{
    pthread_t t;
    reply[0] = 0;
    pthread_create(&t, NULL, fn, reply);
    while (pthread_tryjoin_np(t, NULL) != 0)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), t_sleep_ms(1);
}

int main(void)
{
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    char reply[256];

    t_begin("http_header_flood");
    alarm(60);
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    http = evhttp_new(base);
    evhttp_set_gencb(http, on_any, NULL);
    sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    if (!sock || getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len))
        DIE("bind");
    port = ntohs(sin.sin_port);

    run_client(flood, base, reply);
    EXPECT_STR("endless header line", reply, "HTTP/1.1 400 Bad Request");
    run_client(well_formed, base, reply);
    EXPECT_STR("next connection", reply, "HTTP/1.1 200 OK");

    evhttp_free(http);
    event_base_free(base);
    return t_end();
}

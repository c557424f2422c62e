/* Resolver workload: evdns A lookups against a loopback DNS server.
 *
 *   dns -S                 the server: an evdns server port on 127.0.0.1
 *                          (port 0) answering every A question with one
 *                          address; prints {"method", "port"} and serves
 *                          until its standard input reaches EOF. bench/run
 *                          always runs libevent's build of it, so every
 *                          client talks to the same server.
 *   dns -p PORT -n N -k K -i ITERS
 *                          the client: per iteration N distinct names
 *                          resolved with K in flight; every answer must be
 *                          the server's. Prints {"method", "ns": [...]}. */
#include "harness.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>

#define ANSWER 0x7f000009 /* 127.0.0.9 */

static void on_question(struct evdns_server_request *req, void *arg)
{
    (void)arg;
    for (int i = 0; i < req->nquestions; i++) {
        struct evdns_server_question *q = req->questions[i];
        if (q->type == EVDNS_TYPE_A) {
            uint32_t a = htonl(ANSWER);
            evdns_server_request_add_a_reply(req, q->name, 1, &a, 60);
        }
    }
    evdns_server_request_respond(req, 0);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    char buf[64];
    (void)what;
    if (read(fd, buf, sizeof buf) <= 0)
        event_base_loopbreak(arg);
}

static int serve(void)
{
    struct event_base *base = event_base_new();
    evutil_socket_t fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
        DIE("bind failed");
    evutil_make_socket_nonblocking(fd);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct evdns_server_port *port = evdns_add_server_port_with_base(base, fd, 0, on_question, NULL);
    struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, base);
    event_add(in, NULL);
    emit_begin(event_base_get_method(base));
    emit_u64("port", ntohs(sin.sin_port));
    emit_end();
    event_base_dispatch(base);
    event_free(in);
    evdns_close_server_port(port);
    event_base_free(base);
    return 0;
}

struct client {
    struct event_base *base;
    struct evdns_base *dns;
    int next, total, done, bad;
};

static void issue(struct client *c);

static void on_answer(int result, char type, int count, int ttl, void *addrs, void *arg)
{
    struct client *c = arg;
    (void)ttl;
    if (result != DNS_ERR_NONE || type != DNS_IPv4_A || count != 1 ||
        ((uint32_t *)addrs)[0] != htonl(ANSWER))
        c->bad++;
    if (++c->done == c->total)
        event_base_loopbreak(c->base);
    else
        issue(c);
}

static void issue(struct client *c)
{
    char name[64];
    if (c->next >= c->total)
        return;
    snprintf(name, sizeof name, "h%d.bench.test", c->next++);
    if (!evdns_base_resolve_ipv4(c->dns, name, DNS_QUERY_NO_SEARCH, on_answer, c))
        DIE("resolve failed to start");
}

int main(int argc, char **argv)
{
    int c, server = 0, port = 0, n = 10000, k = 32, iters = 5;
    while ((c = getopt(argc, argv, "Sp:n:k:i:")) != -1) {
        switch (c) {
        case 'S': server = 1; break;
        case 'p': port = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'k': k = atoi(optarg); break;
        case 'i': iters = atoi(optarg); break;
        default: DIE("usage: dns -S | dns -p PORT [-n N] [-k K] [-i ITERS]");
        }
    }
    if (server)
        return serve();

    char ns[32];
    snprintf(ns, sizeof ns, "127.0.0.1:%d", port);
    uint64_t *ns_per = calloc((size_t)iters, sizeof *ns_per);
    struct client cl = { .base = event_base_new() };
    cl.dns = evdns_base_new(cl.base, 0);
    if (!cl.dns || evdns_base_nameserver_ip_add(cl.dns, ns) != 0)
        DIE("no resolver");
    evdns_base_set_option(cl.dns, "max-inflight:", "256");
    watchdog(120, "dns: the resolves did not finish within 120 s");
    for (int it = 0; it < iters; it++) {
        cl.next = cl.done = cl.bad = 0;
        cl.total = n;
        uint64_t t0 = now_ns();
        for (int i = 0; i < k; i++)
            issue(&cl);
        event_base_dispatch(cl.base);
        ns_per[it] = now_ns() - t0;
        if (cl.bad)
            DIE("%d of %d answers were wrong", cl.bad, n);
    }
    alarm(0);
    emit_begin(event_base_get_method(cl.base));
    emit_array("ns", ns_per, iters);
    emit_end();
    evdns_base_free(cl.dns, 0);
    event_base_free(cl.base);
    free(ns_per);
    return 0;
}

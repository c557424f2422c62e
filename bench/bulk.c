/* Bulk transfer between two bufferevents on the two ends of an AF_UNIX
 * socketpair, both in one base. The writer keeps its output between 256 KiB
 * (its write low watermark: the write callback refills it) and 1 MiB, in
 * bufferevent_write calls of 64 KiB; the reader counts and drains its input
 * in its read callback and breaks the loop once M MiB have arrived. Timed
 * from the first write to the loop's return.
 *
 *   -m MIB -i ITERS   (one untimed warm-up iteration first)
 * Output: {"method", "bytes", "warmup_ns", "ns": [...]}. */
#include "harness.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#define CHUNK (64 * 1024)
#define LOW (256 * 1024)
#define HIGH (1024 * 1024)

static struct event_base *base;
static uint64_t total, queued, received;
static unsigned char chunk[CHUNK];

static void refill(struct bufferevent *w, void *arg)
{
    (void)arg;
    struct evbuffer *out = bufferevent_get_output(w);
    while (queued < total && evbuffer_get_length(out) < HIGH) {
        size_t n = total - queued < CHUNK ? (size_t)(total - queued) : CHUNK;
        if (bufferevent_write(w, chunk, n) != 0)
            DIE("bufferevent_write failed");
        queued += n;
    }
}

static void drain(struct bufferevent *r, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(r);
    size_t n = evbuffer_get_length(in);
    /* a spot check: the first byte is the one at this stream offset */
    if (n && evbuffer_pullup(in, 1)[0] != chunk[received % CHUNK])
        DIE("bulk: wrong byte at %llu", (unsigned long long)received);
    evbuffer_drain(in, n);
    received += n;
    if (received == total)
        event_base_loopbreak(base);
}

static void on_error(struct bufferevent *bev, short what, void *arg)
{
    (void)bev, (void)arg;
    DIE("bulk: bufferevent event 0x%x", what);
}

static uint64_t run_once(void)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
        DIE("socketpair: %s", strerror(errno));
    struct bufferevent *w = bufferevent_socket_new(base, sp[0], BEV_OPT_CLOSE_ON_FREE);
    struct bufferevent *r = bufferevent_socket_new(base, sp[1], BEV_OPT_CLOSE_ON_FREE);
    if (!w || !r)
        DIE("bufferevent_socket_new failed");
    bufferevent_setcb(w, NULL, refill, on_error, NULL);
    bufferevent_setcb(r, drain, NULL, on_error, NULL);
    bufferevent_setwatermark(w, EV_WRITE, LOW, 0);
    bufferevent_enable(w, EV_WRITE);
    bufferevent_enable(r, EV_READ);
    queued = received = 0;
    uint64_t t0 = now_ns();
    watchdog(60, "bulk: the transfer did not end within 60 s");
    refill(w, NULL);
    event_base_dispatch(base);
    uint64_t t = now_ns() - t0;
    alarm(0);
    if (received != total)
        DIE("bulk: %llu of %llu bytes", (unsigned long long)received,
            (unsigned long long)total);
    bufferevent_free(w);
    bufferevent_free(r);
    return t;
}

int main(int argc, char **argv)
{
    int mib = 256, iters = 3, c;
    while ((c = getopt(argc, argv, "m:i:")) != -1) {
        switch (c) {
        case 'm': mib = atoi(optarg); break;
        case 'i': iters = atoi(optarg); break;
        default: DIE("bad option");
        }
    }
    if (mib < 1 || iters < 0)
        DIE("bad sizes");
    total = (uint64_t)mib << 20;
    for (int i = 0; i < CHUNK; i++)
        chunk[i] = (unsigned char)(i % 251);
    base = event_base_new();
    uint64_t *ns = calloc((size_t)iters + 1, sizeof *ns);
    uint64_t warm = run_once();
    for (int i = 0; i < iters; i++)
        ns[i] = run_once();
    emit_begin(event_base_get_method(base));
    emit_u64("bytes", total);
    emit_num("warmup_ns", (double)warm);
    emit_array("ns", ns, iters);
    emit_end();
    return 0;
}

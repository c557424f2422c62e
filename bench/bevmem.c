/* Heap bytes per empty evbuffer and per idle bufferevent, counted the way
 * memory.c counts them (mallinfo2: in-use arena + mmapped bytes, and RSS
 * growth). 100,000 evbuffer_new; then one bufferevent_socket_new per end of
 * as many socketpairs as the fd limit allows (at most 10,000 pairs), each
 * with callbacks set and EV_READ enabled: an idle connection. The sockets
 * and the base exist before the first reading.
 * Output: {"method", "evbuffers", "evbuffer_heap_b", "evbuffer_rss_b",
 *          "bufferevents", "bev_heap_b", "bev_rss_b"} (bytes per object). */
#include "harness.h"

#include <malloc.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#define NBUF 100000

static double heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)(mi.uordblks + mi.hblkhd);
}

static double rss_bytes(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2)
        DIE("statm");
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static void on_read(struct bufferevent *bev, void *arg) { (void)bev, (void)arg; }
static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev, (void)what, (void)arg;
}

int main(void)
{
    long limit = raise_nofile();
    int npairs = (int)((limit - 64) / 2);
    if (npairs > 10000)
        npairs = 10000;
    int nbev = 2 * npairs;
    struct event_base *b = event_base_new();
    int (*fds)[2] = make_pairs(npairs);
    struct evbuffer **bufs = calloc(NBUF, sizeof *bufs);
    struct bufferevent **bevs = calloc((size_t)nbev, sizeof *bevs);
    for (size_t off = 0; off < NBUF * sizeof *bufs; off += 4096) /* fault in now */
        ((volatile char *)bufs)[off] = 0;
    for (size_t off = 0; off < (size_t)nbev * sizeof *bevs; off += 4096)
        ((volatile char *)bevs)[off] = 0;

    double h0 = heap_bytes(), r0 = rss_bytes();
    for (int i = 0; i < NBUF; i++)
        if (!(bufs[i] = evbuffer_new()))
            DIE("evbuffer_new failed");
    double h1 = heap_bytes(), r1 = rss_bytes();
    for (int i = 0; i < nbev; i++) {
        bevs[i] = bufferevent_socket_new(b, fds[i / 2][i % 2], 0);
        if (!bevs[i])
            DIE("bufferevent_socket_new failed");
        bufferevent_setcb(bevs[i], on_read, NULL, on_event, NULL);
        bufferevent_enable(bevs[i], EV_READ);
    }
    double h2 = heap_bytes(), r2 = rss_bytes();

    emit_begin(event_base_get_method(b));
    emit_num("evbuffers", NBUF);
    emit_num("evbuffer_heap_b", (h1 - h0) / NBUF);
    emit_num("evbuffer_rss_b", (r1 - r0) / NBUF);
    emit_num("bufferevents", nbev);
    emit_num("bev_heap_b", (h2 - h1) / nbev);
    emit_num("bev_rss_b", (r2 - r1) / nbev);
    emit_end();
    return 0;
}

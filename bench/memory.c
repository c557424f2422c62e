/* Memory per registered event, beyond the caller's struct event: the heap
 * (mallinfo2: in-use arena + mmapped bytes) and RSS grow while I/O events
 * (EV_READ|EV_PERSIST on both ends of as many socketpairs as the fd limit
 * allows, at most 50,000 pairs) and then 100,000 timers (100 s away) are
 * added. The events, sockets and base all exist before the first reading.
 * Output: {"method", "event_size", "io_events", "io_heap_b", "io_rss_b",
 *          "timers", "timer_heap_b", "timer_rss_b"} (bytes per event). */
#include "harness.h"

#include <malloc.h>

#define TIMERS 100000

static void nop(int fd, short what, void *arg) { (void)fd, (void)what, (void)arg; }

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

int main(void)
{
    long limit = raise_nofile();
    int npairs = (int)((limit - 64) / 2);
    if (npairs > 50000)
        npairs = 50000;
    int nio = 2 * npairs;
    lp_base *b = lp_new();
    int (*fds)[2] = make_pairs(npairs);
    size_t bytes = (size_t)(nio + TIMERS) * sizeof(lp_event);
    lp_event *evs = calloc(1, bytes);
    for (size_t off = 0; off < bytes; off += 4096) /* fault the pages in now */
        ((volatile char *)evs)[off] = 0;
    struct timeval far = { 100, 0 };

    double h0 = heap_bytes(), r0 = rss_bytes();
    for (int i = 0; i < nio; i++) {
        lp_set(b, &evs[i], fds[i / 2][i % 2], EV_READ | EV_PERSIST, nop, NULL);
        lp_arm(&evs[i], NULL);
    }
    double h1 = heap_bytes(), r1 = rss_bytes();
    for (int i = nio; i < nio + TIMERS; i++) {
        lp_set(b, &evs[i], -1, 0, nop, NULL);
        lp_arm(&evs[i], &far);
    }
    double h2 = heap_bytes(), r2 = rss_bytes();

    emit_begin(lp_method(b));
    emit_num("event_size", (double)sizeof(lp_event));
    emit_num("io_events", nio);
    emit_num("io_heap_b", (h1 - h0) / nio);
    emit_num("io_rss_b", (r1 - r0) / nio);
    emit_num("timers", TIMERS);
    emit_num("timer_heap_b", (h2 - h1) / TIMERS);
    emit_num("timer_rss_b", (r2 - r1) / TIMERS);
    emit_end();
    return 0;
}

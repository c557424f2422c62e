/* One-shot callbacks: K (-n) times event_base_once(EV_TIMEOUT, zero
 * delay), the loop run with EVLOOP_NONBLOCK after every B (-a) of them, so
 * each pass runs the B callbacks its calls queued. libevent allocates an
 * internal event per call; librel and libev keep records of their own.
 * Counted with callgrind as `timed_once` (bench/run: -n 20000 -a 100).
 * Output: {"method", "ns": [time per iteration of K]}. */
#include "harness.h"

static int fired;

static void on_once(int fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    fired++;
}

/* Not inlined, so callgrind can count exactly this (--toggle-collect). */
static __attribute__((noinline)) void timed_once(lp_base *b, int k, int batch)
{
    struct timeval now = { 0, 0 };
    for (int i = 0; i < k; i += batch) {
        for (int j = 0; j < batch; j++)
            if (event_base_once(b, -1, EV_TIMEOUT, on_once, NULL, &now) != 0)
                DIE("event_base_once failed");
        event_base_loop(b, EVLOOP_NONBLOCK);
    }
}

int main(int argc, char **argv)
{
    struct opts o = parse_opts(argc, argv);
    int k = o.n, batch = o.a;
    if (batch < 1 || k % batch != 0)
        DIE("-n must be a multiple of -a");
    lp_base *b = lp_new();
    timed_once(b, k, batch); /* warm-up */
    uint64_t *ns = calloc((size_t)o.iters, sizeof *ns);
    for (int i = 0; i < o.iters; i++) {
        uint64_t t0 = now_ns();
        timed_once(b, k, batch);
        ns[i] = now_ns() - t0;
    }
    if (fired != k * (o.iters + 1))
        DIE("fired %d of %d", fired, k * (o.iters + 1));
    emit_begin(lp_method(b));
    emit_array("ns", ns, o.iters);
    emit_end();
    return 0;
}

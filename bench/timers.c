/* Workload 3: timer churn. K = 100,000 timer events; 1,000,000 random
 * operations (fixed seed) on them: a timer that is not pending is added, a
 * pending one is deleted (1 in 3) or re-added with a new deadline, all
 * deadlines 1-10 s away. Then all K are re-added 0-1 ms away and the loop
 * runs until every one has fired. Each phase is timed on its own.
 * With -e, the libevent 1.4 shape: evtimer_set + event_base_set before
 * every evtimer_add of a timer that is not pending, evtimer_del to delete.
 * Output: {"method", "churn_ns": [...], "fire_ns": [...]} per iteration. */
#include "harness.h"

#define K 100000
#define OPS 1000000

static lp_event evs[K];
static char pending[K];
static int fired, rereg;

static void on_timer(int fd, short what, void *arg)
{
    (void)fd, (void)what;
    pending[(lp_event *)arg - evs] = 0;
    fired++;
}

static struct timeval usec(uint64_t us)
{
    struct timeval tv = { (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
    return tv;
}

/* Starts (or moves) timer i; with -e set up again first when not pending.
 * `reregister` is a constant wherever these inline (see run_once). */
static inline __attribute__((always_inline)) void start(lp_base *b, int i, struct timeval *tv,
                                                        int reregister)
{
    if (!reregister) {
        lp_arm(&evs[i], tv);
    } else {
        if (!pending[i]) {
            evtimer_set(&evs[i], on_timer, &evs[i]);
            event_base_set(b, &evs[i]);
        }
        if (evtimer_add(&evs[i], tv) != 0)
            DIE("evtimer_add failed");
    }
    pending[i] = 1;
}

static inline __attribute__((always_inline)) void stop(lp_base *b, int i, int reregister)
{
    if (reregister)
        evtimer_del(&evs[i]);
    else
        lp_del(b, &evs[i]);
    pending[i] = 0;
}

static inline __attribute__((always_inline)) void run_body(lp_base *b, uint64_t *churn,
                                                           uint64_t *fire, int reregister)
{
    rng_state = 0x2545F4914F6CDD1Dull;
    uint64_t t0 = now_ns();
    for (int op = 0; op < OPS; op++) {
        uint64_t r = rng();
        int i = (int)(r % K);
        if (pending[i] && (r >> 32) % 3 == 0) {
            stop(b, i, reregister);
        } else {
            struct timeval tv = usec(1000000 + (r >> 24) % 9000000);
            start(b, i, &tv, reregister);
        }
    }
    uint64_t t1 = now_ns();
    fired = 0;
    for (int i = 0; i < K; i++) {
        struct timeval tv = usec(rng() % 1000);
        start(b, i, &tv, reregister);
    }
    lp_run(b);
    uint64_t t2 = now_ns();
    if (fired != K)
        DIE("fired %d of %d timers", fired, K);
    *churn = t1 - t0, *fire = t2 - t1;
}

/* One body per shape, so the default one tests nothing for -e and its
 * instruction counts stay comparable with earlier sessions'. */
static void run_once(lp_base *b, uint64_t *churn, uint64_t *fire)
{
    if (rereg)
        run_body(b, churn, fire, 1);
    else
        run_body(b, churn, fire, 0);
}

int main(int argc, char **argv)
{
    struct opts o = parse_opts(argc, argv);
    rereg = o.rereg;
    lp_base *b = lp_new();
    for (int i = 0; i < K; i++)
        lp_set(b, &evs[i], -1, 0, on_timer, &evs[i]);
    uint64_t churn[64], fire[64];
    if (o.iters > 64)
        o.iters = 64;
    run_once(b, &churn[0], &fire[0]); /* warm-up */
    for (int i = 0; i < o.iters; i++)
        run_once(b, &churn[i], &fire[i]);
    emit_begin(lp_method(b));
    emit_array("churn_ns", churn, o.iters);
    emit_array("fire_ns", fire, o.iters);
    emit_end();
    return 0;
}

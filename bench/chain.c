/* Workloads 1 and 2: chained I/O. N socketpairs, each read end with a
 * persistent EV_READ event; A of them get a byte; every callback reads its
 * byte and, while writes remain (W in all), writes one byte to the next
 * pair. With -t every event also carries a 10 s timeout, re-added in each
 * callback (timer heap work alongside the I/O). With -p the pairs are pipes.
 * With -e the events are not persistent: every callback re-registers its
 * event the libevent 1.4 way (event_set, event_base_set, event_add); not for
 * the raw epoll floor. With -b the dispatch is one blocking loop
 * (event_base_loop with no flags, as event_base_dispatch runs), which the
 * last callback breaks, instead of ONCE|NONBLOCK passes; not with -e. With
 * -o each pass is event_base_loop(EVLOOP_ONCE), which waits for something
 * to run, as 1.4 programs call event_loop(EVLOOP_ONCE) in a loop of their
 * own. Only the dispatch is timed;
 * the events are deleted and re-added (untimed) before every iteration.
 * The untimed warm-up iteration gives up after -T ms (too slow to measure).
 * Output: {"method", "warmup_ns", "ns": [dispatch time per iteration]}. */
#include "harness.h"

struct pair { int rfd, wfd; lp_event ev; };

static struct pair *pairs;
static int npairs, writes_left, fired;
static int use_timeouts, rereg, blocking, once, stop_at;
static lp_base *base;
static struct timeval tmo = { 10, 0 };

static void on_read_rereg(int fd, short what, void *arg);

/* The callback's body. `reregister` is a constant in each of the two
 * callbacks, so the default one tests nothing for -e and its instruction
 * counts stay comparable with earlier sessions'. */
static inline __attribute__((always_inline)) void read_one(int fd, struct pair *p,
                                                           int reregister)
{
    char c;
    if (read(fd, &c, 1) != 1)
        DIE("read: %s", strerror(errno));
    fired++;
    if (reregister) {
        lp_set(base, &p->ev, p->rfd, EV_READ, on_read_rereg, p);
        lp_arm(&p->ev, use_timeouts ? &tmo : NULL);
    } else if (use_timeouts) {
        lp_arm(&p->ev, &tmo);
    }
    if (writes_left > 0) {
        struct pair *next = p + 1 == pairs + npairs ? pairs : p + 1;
        if (write(next->wfd, "e", 1) != 1)
            DIE("write: %s", strerror(errno));
        writes_left--;
    }
}

static void on_read(int fd, short what, void *arg)
{
    (void)what;
    read_one(fd, arg, 0);
}

static void on_read_rereg(int fd, short what, void *arg)
{
    (void)what;
    read_one(fd, arg, 1);
}

/* on_read for -b: the last callback ends the loop. */
static void on_read_until(int fd, short what, void *arg)
{
    (void)what;
    read_one(fd, arg, 0);
    if (fired == stop_at)
        lp_break(base);
}

/* Passes until `total` callbacks have run; `wait` (a constant wherever this
 * inlines) picks the ONCE pass over the ONCE|NONBLOCK one, so the default
 * loop's instruction counts stay comparable with earlier sessions'. */
static inline __attribute__((always_inline)) int64_t passes_until(lp_base *b, int total,
                                                                  uint64_t cap_ns, uint64_t t0,
                                                                  int wait)
{
    while (fired < total) {
        if (wait)
            lp_pass_once(b);
        else
            lp_pass(b);
        if (cap_ns && now_ns() - t0 > cap_ns)
            return -(int64_t)((double)(now_ns() - t0) * total / (fired ? fired : 1));
    }
    return (int64_t)(now_ns() - t0);
}

/* The timed part: passes until `total` callbacks have run. With cap_ns it
 * gives up past that and returns an estimate of the whole run, negated.
 * Not inlined, so callgrind can count exactly this (--toggle-collect). */
static __attribute__((noinline)) int64_t dispatch_until(lp_base *b, int total, uint64_t cap_ns)
{
    uint64_t t0 = now_ns();
    if (blocking) { /* cap_ns does not apply: the loop runs to the end */
        stop_at = total;
        lp_run(b);
        return (int64_t)(now_ns() - t0);
    }
    if (once)
        return passes_until(b, total, cap_ns, t0, 1);
    return passes_until(b, total, cap_ns, t0, 0);
}

/* One iteration: (re)adds every event, starts A chains, times the dispatch. */
static int64_t run_once(lp_base *b, const struct opts *o, int first, uint64_t cap_ns)
{
    for (int i = 0; i < npairs; i++) {
        if (!first)
            lp_del(b, &pairs[i].ev);
        lp_set(b, &pairs[i].ev, pairs[i].rfd, rereg ? EV_READ : EV_READ | EV_PERSIST,
               rereg ? on_read_rereg : blocking ? on_read_until : on_read, &pairs[i]);
        lp_arm(&pairs[i].ev, use_timeouts ? &tmo : NULL);
    }
    int space = npairs / o->a;
    for (int i = 0; i < o->a; i++)
        if (write(pairs[i * space].wfd, "e", 1) != 1)
            DIE("write: %s", strerror(errno));
    writes_left = o->w;
    fired = 0;
    return dispatch_until(b, o->a + o->w, cap_ns);
}

int main(int argc, char **argv)
{
    struct opts o = parse_opts(argc, argv);
    use_timeouts = o.timeouts, rereg = o.rereg, blocking = o.blocking, once = o.once;
#ifdef BK_RAW
    if (rereg)
        DIE("the raw epoll floor has persistent reads only (-e)");
#endif
    if (rereg && blocking)
        DIE("-e and -b do not combine");
    if (once && blocking)
        DIE("-o and -b do not combine");
    long limit = raise_nofile();
    if (2L * o.n + 32 > limit)
        DIE("N=%d needs %ld fds; the limit is %ld", o.n, 2L * o.n + 32, limit);
    lp_base *b = base = lp_new();
    int (*fds)[2] = make_fd_pairs(o.n, o.pipes);
    npairs = o.n;
    pairs = calloc((size_t)o.n, sizeof *pairs);
    for (int i = 0; i < o.n; i++)
        pairs[i].rfd = fds[i][0], pairs[i].wfd = fds[i][1];
    uint64_t *ns = calloc((size_t)o.iters + 1, sizeof *ns);
    int64_t warm = run_once(b, &o, 1, o.cap_ms * 1000000ull);
    emit_begin(lp_method(b));
    if (warm < 0) { /* too slow to measure: report the estimate only */
        emit_num("too_slow_ns", (double)-warm);
        emit_end();
        return 0;
    }
    emit_num("warmup_ns", (double)warm);
    for (int i = 0; i < o.iters; i++)
        ns[i] = (uint64_t)run_once(b, &o, 0, 0);
    emit_array("ns", ns, o.iters);
    emit_end();
    return 0;
}

/* Shared harness for the bench/ workloads: clock, RNG, fd limit, argument
 * parsing, result output, and a tiny loop adapter ("lp_*") so that one
 * workload text runs on every contender:
 *   default     libevent 2.1 API subset shared with 1.4 (librel, libevent)
 *   BK_LIBEV    the same subset from libev's emulation header (-lev)
 *   BK_RAW      a hand-written epoll loop (the floor; I/O only, no timers)
 * Results go to stdout as one JSON object per run. */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifdef BK_RAW
#include <sys/epoll.h>
#else
#include <event.h>
#endif

#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: fixed seed, same sequence for every contender. */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static inline uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Raises the soft fd limit to the hard one; returns the new limit. */
static inline long raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

/* Command line: -n N -a A -w W -i ITERS -t (timeouts) -m MODE -r ROUNDS
 * -T CAP_MS (give up on a warm-up slower than this; 0: never) -p (pipes,
 * not socketpairs) -e (re-register with the 1.4 calls: see chain.c) -b (one
 * blocking loop instead of ONCE|NONBLOCK passes: see chain.c) -o (blocking
 * ONCE passes instead: see chain.c). */
struct opts { int n, a, w, iters, timeouts, rounds; long cap_ms; const char *mode;
              int pipes, rereg, blocking, once; };
static inline struct opts parse_opts(int argc, char **argv)
{
    struct opts o = { 100, 1, 100, 5, 0, 1000, 0, "", 0, 0, 0, 0 };
    int c;
    while ((c = getopt(argc, argv, "n:a:w:i:tm:r:T:pebo")) != -1) {
        switch (c) {
        case 'n': o.n = atoi(optarg); break;
        case 'a': o.a = atoi(optarg); break;
        case 'w': o.w = atoi(optarg); break;
        case 'i': o.iters = atoi(optarg); break;
        case 't': o.timeouts = 1; break;
        case 'm': o.mode = optarg; break;
        case 'r': o.rounds = atoi(optarg); break;
        case 'T': o.cap_ms = atol(optarg); break;
        case 'p': o.pipes = 1; break;
        case 'e': o.rereg = 1; break;
        case 'b': o.blocking = 1; break;
        case 'o': o.once = 1; break;
        default: DIE("bad option");
        }
    }
    return o;
}

/* Prints {"method": ..., "<key>": [v0, v1, ...]} with the arrays given as
 * (name, values, count) triples, then a newline. */
static inline void emit_begin(const char *method) { printf("{\"method\": \"%s\"", method); }
static inline void emit_array(const char *key, const uint64_t *v, int n)
{
    printf(", \"%s\": [", key);
    for (int i = 0; i < n; i++)
        printf("%s%llu", i ? ", " : "", (unsigned long long)v[i]);
    putchar(']');
}
static inline void emit_num(const char *key, double v) { printf(", \"%s\": %.6g", key, v); }
static inline void emit_u64(const char *key, uint64_t v)
{
    printf(", \"%s\": %llu", key, (unsigned long long)v);
}
static inline void emit_end(void) { puts("}"); fflush(stdout); }

/* A watchdog for workloads a broken library could leave waiting forever:
 * unless disarmed (alarm(0)) within `seconds`, the process exits 2 with
 * `what` on stderr, which the runner shows as the cell's error. */
static const char *watchdog_what = "";
static void watchdog_fire(int sig)
{
    (void)sig;
    if (write(2, watchdog_what, strlen(watchdog_what)) < 0 || write(2, "\n", 1) < 0)
        _exit(3);
    _exit(2);
}
static inline void watchdog(unsigned seconds, const char *what)
{
    watchdog_what = what;
    signal(SIGALRM, watchdog_fire);
    alarm(seconds);
}

/* ---- loop adapter ---------------------------------------------------- */

typedef void (*lp_cb)(int fd, short what, void *arg);

#ifndef BK_RAW

typedef struct event lp_event;
typedef struct event_base lp_base;

static inline lp_base *lp_new(void) { return (lp_base *)event_init(); }

static inline const char *lp_method(lp_base *b)
{
#ifdef BK_LIBEV
    switch (ev_backend((struct ev_loop *)b)) {
    case EVBACKEND_EPOLL: return "epoll";
    case EVBACKEND_POLL: return "poll";
    case EVBACKEND_SELECT: return "select";
    default: return "other";
    }
#else
    return event_base_get_method(b);
#endif
}

/* Assigns an event (fd < 0: a plain timer); lp_arm adds it (again). */
static inline void lp_set(lp_base *b, lp_event *ev, int fd, short what, lp_cb cb, void *arg)
{
    event_set(ev, fd, what, cb, arg);
    event_base_set(b, ev);
}

static inline void lp_arm(lp_event *ev, struct timeval *tv)
{
    if (event_add(ev, tv) != 0)
        DIE("event_add failed");
}

static inline void lp_del(lp_base *b, lp_event *ev) { (void)b; event_del(ev); }
static inline void lp_pass(lp_base *b) { event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK); }
/* One pass that waits for something to run (1.4's event_loop(EVLOOP_ONCE)). */
static inline void lp_pass_once(lp_base *b) { event_base_loop(b, EVLOOP_ONCE); }
static inline void lp_run(lp_base *b) { event_base_loop(b, 0); }
/* Ends lp_run from a callback. */
static inline void lp_break(lp_base *b)
{
#ifdef BK_LIBEV
    ev_break((struct ev_loop *)b, EVBREAK_ALL);
#else
    event_base_loopbreak(b);
#endif
}

#else /* BK_RAW: persistent level-triggered reads only */

typedef struct { int fd; lp_cb cb; void *arg; } lp_event;
typedef struct { int epfd; struct epoll_event out[256]; } lp_base;

static inline lp_base *lp_new(void)
{
    lp_base *b = calloc(1, sizeof *b);
    if (!b || (b->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        DIE("epoll_create1: %s", strerror(errno));
    return b;
}

static inline const char *lp_method(lp_base *b) { (void)b; return "epoll"; }

static lp_base *raw_base; /* the one base (lp_arm has no base argument) */

static inline void lp_set(lp_base *b, lp_event *ev, int fd, short what, lp_cb cb, void *arg)
{
    (void)what;
    raw_base = b;
    ev->fd = fd, ev->cb = cb, ev->arg = arg;
}

static inline void lp_arm(lp_event *ev, struct timeval *tv)
{
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = ev };
    if (tv)
        DIE("raw epoll floor has no timers");
    if (epoll_ctl(raw_base->epfd, EPOLL_CTL_ADD, ev->fd, &e) != 0 && errno != EEXIST)
        DIE("epoll_ctl: %s", strerror(errno));
}

static inline void lp_del(lp_base *b, lp_event *ev)
{
    epoll_ctl(b->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}

/* One pass: wait (timeout_ms), then call back every ready event. */
static inline int raw_pass(lp_base *b, int timeout_ms)
{
    int n = epoll_wait(b->epfd, b->out, 256, timeout_ms);
    for (int i = 0; i < n; i++) {
        lp_event *ev = b->out[i].data.ptr;
        ev->cb(ev->fd, 0x02 /* EV_READ */, ev->arg);
    }
    return n;
}
static inline void lp_pass(lp_base *b) { raw_pass(b, 0); }
static inline void lp_pass_once(lp_base *b) { raw_pass(b, -1); }

static int raw_stop; /* set by a callback: lp_run returns */
static inline void lp_run(lp_base *b)
{
    while (!raw_stop)
        raw_pass(b, -1);
    raw_stop = 0;
}
static inline void lp_break(lp_base *b) { (void)b; raw_stop = 1; }

#endif /* BK_RAW */

/* Event callbacks receive EV_* bits; libev's emulation names them alike. */
#ifndef EV_READ
#define EV_READ 0x02
#endif
#ifndef EV_PERSIST
#define EV_PERSIST 0x10
#endif

/* Socketpairs (or pipes) for the chained workloads:
 * pairs[i] = {read end, write end}. */
static inline int (*make_fd_pairs(int n, int pipes))[2]
{
    int (*p)[2] = calloc((size_t)n, sizeof *p);
    for (int i = 0; i < n; i++)
        if ((pipes ? pipe(p[i]) : socketpair(AF_UNIX, SOCK_STREAM, 0, p[i])) != 0)
            DIE("%s %d of %d: %s", pipes ? "pipe" : "socketpair", i, n, strerror(errno));
    return p;
}
static inline int (*make_pairs(int n))[2] { return make_fd_pairs(n, 0); }

#endif /* BENCH_HARNESS_H */

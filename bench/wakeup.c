/* Workload 4: cross-thread wake-up. The main thread dispatches a base that
 * has only a far (10 s) timer, so it blocks in the kernel. Another thread
 * waits until it is blocked there (its /proc syscall is a poll-family wait),
 * stamps the time and either activates an event (-m active: latency until
 * that event's callback starts) or breaks the loop (-m break: latency until
 * event_base_loop returns), R rounds (-r).
 * libevent and librel: event_active / event_base_loopbreak after
 * evthread_use_pthreads(). libev's emulation is not thread-safe, so there
 * the other thread uses ev_async_send (libev's own cross-thread wake-up).
 * The raw floor writes an eventfd that the epoll loop watches.
 * Output: {"method", "lat_ns": [one latency per round]}. */
#include "harness.h"

#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#ifdef BK_RAW
#include <sys/eventfd.h>
#elif !defined(BK_LIBEV)
#include <event2/thread.h>
#endif

static lp_base *base;
static int breaking; /* -m break */
static int rounds, done_rounds;
static uint64_t *lat;
static volatile uint64_t stamp;
static sem_t round_done;
static pid_t loop_tid;

static void record(void)
{
    lat[done_rounds++] = now_ns() - __atomic_load_n(&stamp, __ATOMIC_ACQUIRE);
    sem_post(&round_done);
}

static __attribute__((unused)) void on_active(int fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    record();
}

/* ---- the wake-up primitive of each contender ---- */
#if defined(BK_RAW)
static int efd;
static lp_event wake_ev;
static void on_wake(int fd, short what, void *arg)
{
    uint64_t v;
    (void)what, (void)arg;
    if (read(fd, &v, sizeof v) != sizeof v)
        DIE("eventfd read");
    if (breaking)
        raw_stop = 1;
    else
        record();
}
static void setup(void)
{
    efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    lp_set(base, &wake_ev, efd, EV_READ | EV_PERSIST, on_wake, NULL);
    lp_arm(&wake_ev, NULL);
}
static void trigger(void)
{
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) != sizeof one)
        DIE("eventfd write");
}
static void stop_loop(void) { breaking = 1; trigger(); }
#elif defined(BK_LIBEV)
static ev_async async_w;
static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)w, (void)revents;
    if (breaking)
        ev_break(loop, EVBREAK_ALL);
    else
        record();
}
static void setup(void)
{
    ev_async_init(&async_w, on_async);
    ev_async_start((struct ev_loop *)base, &async_w);
}
static void trigger(void) { ev_async_send((struct ev_loop *)base, &async_w); }
static void stop_loop(void) { breaking = 1; trigger(); }
#else
static struct event act;
static void setup(void) { lp_set(base, &act, -1, 0, on_active, NULL); }
static void trigger(void)
{
    if (breaking)
        event_base_loopbreak(base);
    else
        event_active(&act, EV_TIMEOUT, 1);
}
static void stop_loop(void) { event_base_loopbreak(base); }
#endif

/* Returns once the loop thread sits in a poll-family syscall. */
static void wait_blocked(void)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)loop_tid);
    struct timespec nap = { 0, 20000 };
    for (int tries = 0; tries < 50000; tries++) {
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        long nr = -1;
        if (fgets(buf, sizeof buf, f))
            nr = strtol(buf, NULL, 10); /* "running" parses as 0 = read */
        fclose(f);
        if (nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == 441 /* epoll_pwait2 */
            || nr == SYS_poll || nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6)
            return;
        nanosleep(&nap, NULL);
    }
    nap.tv_nsec = 500000; /* no /proc view: give it time */
    nanosleep(&nap, NULL);
}

static void *waker(void *unused)
{
    (void)unused;
    for (int i = 0; i < rounds; i++) {
        wait_blocked();
        __atomic_store_n(&stamp, now_ns(), __ATOMIC_RELEASE);
        trigger();
        sem_wait(&round_done);
    }
    if (!breaking) {
        wait_blocked();
        stop_loop();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct opts o = parse_opts(argc, argv);
    breaking = strcmp(o.mode, "break") == 0;
    rounds = o.rounds;
    lat = calloc((size_t)rounds, sizeof *lat);
    sem_init(&round_done, 0, 0);
#if !defined(BK_RAW) && !defined(BK_LIBEV)
    evthread_use_pthreads();
#endif
    base = lp_new();
#ifndef BK_RAW
    static lp_event keep;
    struct timeval far = { 10, 0 };
    lp_set(base, &keep, -1, 0, on_active, NULL);
    lp_arm(&keep, &far);
#endif
    setup();
    loop_tid = (pid_t)syscall(SYS_gettid);
    pthread_t t;
    pthread_create(&t, NULL, waker, NULL);
    if (breaking)
        for (int i = 0; i < rounds; i++) {
            lp_run(base);
            record();
        }
    else
        lp_run(base);
    pthread_join(t, NULL);
    emit_begin(lp_method(base));
    emit_array("lat_ns", lat, rounds);
    emit_end();
    return 0;
}

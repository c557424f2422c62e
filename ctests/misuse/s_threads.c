/* Threads.  (1) One base dispatching in the main thread while worker
 * threads activate events and wait for each callback (a lost wake-up hangs:
 * the watchdog kills the process), re-arm a short timer while the loop
 * sleeps on an hour-long one, and add/del an I/O event (after event_del
 * returns, its callback never runs).  (2) The memcached pattern: one base
 * per thread, each with a wake-up pipe; the main thread hands out work by
 * writing to the pipes; every item is counted once. */
#include <semaphore.h>
#include <stdatomic.h>
#include "misuse.h"

#define NACT 3

static struct event_base *base;
static int rounds;
static sem_t acked[NACT], timer_fired, io_seen;
static atomic_int seen[NACT], timer_calls, io_calls, io_after_del, io_deleted;
static struct event *act[NACT], *timer, *io;
static int sv[2];

static void
act_cb(evutil_socket_t fd, short what, void *arg)
{
	int k = (int)(intptr_t)arg;
	(void)fd; (void)what;
	atomic_fetch_add(&seen[k], 1);
	sem_post(&acked[k]);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	atomic_fetch_add(&timer_calls, 1);
	sem_post(&timer_fired);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	if (atomic_load(&io_deleted))
		atomic_fetch_add(&io_after_del, 1);
	if (m_drain(fd) > 0) {
		atomic_fetch_add(&io_calls, 1);
		sem_post(&io_seen);
	}
}

static void *
activator(void *arg)
{
	int k = (int)(intptr_t)arg, i;
	for (i = 0; i < rounds; i++) {
		event_active(act[k], EV_READ, 1);
		while (sem_wait(&acked[k]) != 0)
			;
	}
	return NULL;
}

static void *
timer_worker(void *arg)
{
	struct timeval tv = {0, 200};
	int i;
	(void)arg;
	for (i = 0; i < rounds / 4; i++) {
		evtimer_add(timer, &tv);
		while (sem_wait(&timer_fired) != 0)
			;
	}
	return NULL;
}

static void *
io_worker(void *arg)
{
	int i;
	(void)arg;
	for (i = 0; i < rounds / 4; i++) {
		atomic_store(&io_deleted, 0);
		event_add(io, NULL);
		m_write1(sv[1]);
		while (sem_wait(&io_seen) != 0)
			;
		/* a second byte makes the event ready again while we delete it */
		m_write1(sv[1]);
		event_del(io);
		atomic_store(&io_deleted, 1);
		m_drain(sv[0]);
		/* the second byte may have been seen before the delete */
		while (sem_trywait(&io_seen) == 0)
			;
	}
	return NULL;
}

static void *
joiner(void *arg)
{
	pthread_t *th = arg;
	for (int n = 0; n < NACT + 2; n++)
		pthread_join(th[n], NULL);
	event_base_loopbreak(base);
	return NULL;
}

static void
one_base(void)
{
	pthread_t th[NACT + 2];
	struct event *far;
	struct timeval hour = {3600, 0};
	int k, total = 0;

	base = m_base();
	m_pair(sv);
	far = evtimer_new(base, m_count_cb, NULL);
	evtimer_add(far, &hour);	/* the loop sleeps unless woken */
	for (k = 0; k < NACT; k++) {
		sem_init(&acked[k], 0, 0);
		act[k] = event_new(base, -1, 0, act_cb, (void *)(intptr_t)k);
	}
	sem_init(&timer_fired, 0, 0);
	sem_init(&io_seen, 0, 0);
	timer = evtimer_new(base, timer_cb, NULL);
	io = event_new(base, sv[0], EV_READ | EV_PERSIST, io_cb, NULL);
	for (k = 0; k < NACT; k++)
		pthread_create(&th[k], NULL, activator, (void *)(intptr_t)k);
	pthread_create(&th[NACT], NULL, timer_worker, NULL);
	pthread_create(&th[NACT + 1], NULL, io_worker, NULL);

	/* a helper joins the workers and then breaks the loop */
	{
		pthread_t jt;
		pthread_create(&jt, NULL, joiner, th);
		EXPECT_RET("event_base_dispatch", event_base_dispatch(base), 0);
		pthread_join(jt, NULL);
	}
	for (k = 0; k < NACT; k++) {
		total += atomic_load(&seen[k]);
		CHECK(atomic_load(&seen[k]) == rounds, "activator %d: %d of %d seen", k,
		    atomic_load(&seen[k]), rounds);
		event_free(act[k]);
		sem_destroy(&acked[k]);
	}
	OBS("%d activations seen, %d timer re-arms fired, %d I/O rounds", total,
	    atomic_load(&timer_calls), atomic_load(&io_calls));
	CHECK(atomic_load(&timer_calls) == rounds / 4, "timer fired %d times", atomic_load(&timer_calls));
	CHECK(atomic_load(&io_calls) >= rounds / 4, "I/O seen %d times", atomic_load(&io_calls));
	CHECK(atomic_load(&io_after_del) == 0, "I/O callback ran %d times after event_del returned",
	    atomic_load(&io_after_del));
	event_free(timer);
	event_free(io);
	event_free(far);
	sem_destroy(&timer_fired);
	sem_destroy(&io_seen);
	m_close_pair(sv);
	event_base_free(base);
}

/* ---- memcached pattern ---- */

#define NWORK 4

struct worker {
	pthread_t th;
	struct event_base *base;
	struct event *notify;
	int pipe[2];
	int items;
};

static void
notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char buf[256];
	ssize_t n, i;
	(void)what;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == 'w')
				w->items++;
			else if (buf[i] == 'q')
				event_base_loopbreak(w->base);
		}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	event_base_dispatch(w->base);
	return NULL;
}

static void
base_per_thread(void)
{
	struct worker w[NWORK];
	struct timeval hour = {3600, 0};
	struct event *far[NWORK];
	int i, total = 0, items = rounds * 10;

	for (i = 0; i < NWORK; i++) {
		w[i].base = m_base();
		w[i].items = 0;
		if (pipe(w[i].pipe) != 0)
			DIE("pipe");
		fcntl(w[i].pipe[0], F_SETFL, O_NONBLOCK);
		w[i].notify = event_new(w[i].base, w[i].pipe[0], EV_READ | EV_PERSIST, notify_cb, &w[i]);
		event_add(w[i].notify, NULL);
		far[i] = evtimer_new(w[i].base, m_count_cb, NULL);
		evtimer_add(far[i], &hour);
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	for (i = 0; i < items; i++)
		if (write(w[i % NWORK].pipe[1], "w", 1) != 1)
			DIE("write");
	for (i = 0; i < NWORK; i++)
		if (write(w[i].pipe[1], "q", 1) != 1)
			DIE("write");
	for (i = 0; i < NWORK; i++) {
		pthread_join(w[i].th, NULL);
		CHECK(w[i].items == items / NWORK, "worker %d got %d items, want %d", i, w[i].items,
		    items / NWORK);
		total += w[i].items;
		event_free(w[i].notify);
		event_free(far[i]);
		event_base_free(w[i].base);
		close(w[i].pipe[0]);
		close(w[i].pipe[1]);
	}
	OBS("%d of %d work items counted", total, items);
}

int
main(void)
{
	m_begin("s_threads");
	rounds = getenv("MISUSE_VALGRIND") ? 200 : 4000;
	m_watchdog(getenv("MISUSE_VALGRIND") ? 600 : 60);
	m_case("threads activate / re-arm / add-del on one dispatching base",
	    "every activation and timer seen (no lost wake-up); no callback after event_del returns",
	    one_base);
	m_case("one base per thread, work handed out through pipes",
	    "every item counted once; loopbreak from the pipe callback ends each loop", base_per_thread);
	return m_end();
}

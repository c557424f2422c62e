/* A signal storm: a thread sends thousands of SIGUSR1 with kill() while the
 * loop also serves I/O (a ping-pong on a socketpair).  Then, once things
 * are quiet (200 ms later), one last kill().  Contract: the persistent
 * signal callback runs for that last signal (none after the last kill is
 * lost; during the storm the kernel and librel may coalesce), the total
 * counted never exceeds the number sent, and the I/O keeps flowing.
 * runner: no-valgrind */
#include <stdatomic.h>
#include "misuse.h"

#define KILLS 20000

static atomic_int final_sent, counted, snapshot;
static int after_last, pings, sv[2];
static struct event_base *base;

static void
sig_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	atomic_fetch_add(&counted, 1);
	if (atomic_load(&final_sent) && atomic_load(&counted) > atomic_load(&snapshot)) {
		after_last++;
		event_base_loopbreak(base);
	}
}

static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	if (m_drain(fd) > 0) {
		pings++;
		m_write1(sv[1]);	/* keep the I/O going */
	}
}

static void *
sender(void *arg)
{
	int i;
	(void)arg;
	for (i = 0; i < KILLS; i++)
		kill(getpid(), SIGUSR1);
	usleep(200000);		/* the storm is handled by now */
	atomic_store(&snapshot, atomic_load(&counted));
	atomic_store(&final_sent, 1);
	kill(getpid(), SIGUSR1);
	return NULL;
}

static void
storm(void)
{
	struct event *s, *io;
	struct timeval limit = {10, 0};
	pthread_t th;
	sigset_t block;

	base = m_base();
	m_pair(sv);
	s = evsignal_new(base, SIGUSR1, sig_cb, NULL);
	io = event_new(base, sv[0], EV_READ | EV_PERSIST, ping_cb, NULL);
	evsignal_add(s, NULL);
	event_add(io, NULL);
	m_write1(sv[1]);
	event_base_loopexit(base, &limit);	/* the failure path */
	/* the sender thread blocks SIGUSR1, so the main thread takes it */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_create(&th, NULL, sender, NULL);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	EXPECT_RET("event_base_dispatch", event_base_dispatch(base), 0);
	pthread_join(th, NULL);
	OBS("%d of %d signals counted; last signal seen: %s; %d pings served",
	    atomic_load(&counted), KILLS + 1, after_last ? "yes" : "no", pings);
	CHECK(after_last >= 1, "no callback for the last kill (within 10 s)");
	CHECK(atomic_load(&counted) <= KILLS + 1, "counted more than sent");
	CHECK(pings > 0, "no I/O during the storm");
	event_free(s);
	event_free(io);
	m_close_pair(sv);
	event_base_free(base);
}

int
main(void)
{
	m_begin("s_sigstorm");
	m_watchdog(60);
	m_case("20000 kill(SIGUSR1) from a thread during I/O",
	    "callback after the last kill; count <= sent; I/O keeps flowing", storm);
	return m_end();
}

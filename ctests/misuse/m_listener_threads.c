/* evconnlistener across threads: the base dispatches on its own thread
 * while the main thread frees listeners in the middle of a stream of
 * connections (callbacks running or about to), and toggles enable/disable
 * while connections arrive.  No crash, no deadlock (the watchdog), no
 * callback started once free has returned (beyond one already on its way),
 * and every connection is accepted exactly once when the storm ends. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include "misuse.h"

static struct event_base *base;
static struct event *keepalive;
static pthread_t loop_th;
static atomic_int started, finished;

static void
slow_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	(void)lev; (void)sa; (void)socklen; (void)arg;
	atomic_fetch_add(&started, 1);
	close(fd);
	usleep(200 + rand() % 800);
	atomic_fetch_add(&finished, 1);
}

static void
keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

static void *
loop_thread(void *arg)
{
	(void)arg;
	event_base_dispatch(base);
	return NULL;
}

/* Each case gets a base dispatching on its own thread (made in the case,
 * so that MISUSE_FORK's child has it too). */
static void
start_loop(void)
{
	struct timeval hour = {3600, 0};
	base = m_base();
	keepalive = event_new(base, -1, EV_PERSIST, keepalive_cb, NULL);
	event_add(keepalive, &hour);
	atomic_store(&started, 0);
	atomic_store(&finished, 0);
	pthread_create(&loop_th, NULL, loop_thread, NULL);
}

static void
stop_loop(void)
{
	event_base_loopbreak(base);
	pthread_join(loop_th, NULL);
	event_free(keepalive);
	event_base_free(base);
}

static struct evconnlistener *
loopback(unsigned flags, int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct evconnlistener *lev;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, slow_cb, NULL, flags, 64, (struct sockaddr *)&sin, sizeof sin);
	if (!lev)
		DIE("evconnlistener_new_bind: %s", strerror(errno));
	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	return lev;
}

static int
connect_port(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
free_races(void)
{
	int round, i, late = 0, worst = 0;
	start_loop();
	for (round = 0; round < 60; round++) {
		int port, c[6], at_free;
		struct evconnlistener *lev = loopback(LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE, &port);
		for (i = 0; i < 6; i++)
			c[i] = connect_port(port);
		usleep(rand() % 2000);
		evconnlistener_free(lev);
		at_free = atomic_load(&started);
		usleep(5000);
		if (atomic_load(&started) - at_free > worst)
			worst = atomic_load(&started) - at_free;
		late += atomic_load(&started) - at_free > 1;
		for (i = 0; i < 6; i++)
			if (c[i] >= 0)
				close(c[i]);
	}
	while (atomic_load(&finished) != atomic_load(&started))
		usleep(1000);
	OBS("60 rounds: %d callbacks; most started after a free returned: %d", atomic_load(&started), worst);
	CHECK(late == 0, "%d rounds started more than one callback after free returned", late);
	CHECK(atomic_load(&started) > 0, "no callback ran at all");
	stop_loop();
}

static void
toggle_storm(void)
{
	int port, i, c[40];
	struct evconnlistener *lev;
	start_loop();
	lev = loopback(LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE, &port);
	for (i = 0; i < 40; i++) {
		c[i] = connect_port(port);
		if (i % 2)
			evconnlistener_disable(lev);
		else
			evconnlistener_enable(lev);
		usleep(rand() % 500);
	}
	evconnlistener_enable(lev);
	for (i = 0; i < 400 && atomic_load(&finished) < 40; i++)
		usleep(5000);
	EXPECT_RET("connections accepted once enabled for good", atomic_load(&finished), 40);
	evconnlistener_free(lev);
	for (i = 0; i < 40; i++)
		if (c[i] >= 0)
			close(c[i]);
	stop_loop();
}

int
main(void)
{
	m_begin("m_listener_threads");
	/* MISUSE_FORK's children have their own alarm (a hang is observed) */
	if (!getenv("MISUSE_FORK"))
		m_watchdog(getenv("MISUSE_VALGRIND") ? 600 : 60);
	srand(7);
	evthread_use_pthreads();
	m_case("evconnlistener_free from another thread amid connections",
	    "no crash; at most one callback starts after free returns", free_races);
	m_case("enable/disable from another thread while connections arrive",
	    "no deadlock; every connection accepted once enabled", toggle_storm);
	return m_end();
}

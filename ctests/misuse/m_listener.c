/* evconnlistener misuse: NULL base / listener / callback, bad fds, a freed
 * listener, freeing from the error callback, and disabling from another
 * thread while a callback runs (libevent waits for the callback while
 * holding the listener's lock, which the callback needs: a deadlock). */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include "misuse.h"

static struct event_base *base;
static int naccepted;

static void
count_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	(void)lev; (void)sa; (void)socklen; (void)arg;
	close(fd);
	naccepted++;
}

static struct evconnlistener *
loopback(evconnlistener_cb cb, unsigned flags)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return evconnlistener_new_bind(base, cb, NULL, flags, -1, (struct sockaddr *)&sin, sizeof sin);
}

static int
connect_to(struct evconnlistener *lev)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
spin(void)
{
	int i;
	for (i = 0; i < 3; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void
null_base(void)
{
	struct sockaddr_in sin;
	int sv[2];
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m_pair(sv);
	EXPECT_RET("evconnlistener_new(NULL base) is NULL",
	    evconnlistener_new(NULL, count_cb, NULL, 0, 0, sv[0]) == NULL, 1);
	EXPECT_LOG("no event_base given");
	EXPECT_RET("evconnlistener_new_bind(NULL base) is NULL",
	    evconnlistener_new_bind(NULL, count_cb, NULL, 0, -1, (struct sockaddr *)&sin, sizeof sin) == NULL, 1);
	m_close_pair(sv);
}

static void
null_listener(void)
{
	EXPECT_RET("evconnlistener_enable(NULL)", evconnlistener_enable(NULL), -1);
	EXPECT_RET("evconnlistener_disable(NULL)", evconnlistener_disable(NULL), -1);
	EXPECT_RET("evconnlistener_get_fd(NULL)", evconnlistener_get_fd(NULL), -1);
	EXPECT_RET("evconnlistener_get_base(NULL) is NULL", evconnlistener_get_base(NULL) == NULL, 1);
	evconnlistener_set_cb(NULL, count_cb, NULL);
	evconnlistener_set_error_cb(NULL, NULL);
	evconnlistener_free(NULL);
	OBS("set_cb / set_error_cb / free (NULL) returned");
	EXPECT_LOG("evconnlistener_free: no evconnlistener given");
}

static void
null_callback(void)
{
	int c;
	struct evconnlistener *lev = loopback(NULL, LEV_OPT_CLOSE_ON_FREE);
	EXPECT_RET("new_bind(NULL callback) is a listener", lev != NULL, 1);
	if (!lev)
		return;
	c = connect_to(lev);
	naccepted = 0;
	spin();
	EXPECT_RET("accepted without a callback", naccepted, 0);
	EXPECT_NO_LOG();
	evconnlistener_set_cb(lev, count_cb, NULL);
	spin();
	EXPECT_RET("accepted once the callback is set", naccepted, 1);
	evconnlistener_free(lev);
	close(c);
}

static void
bad_fd(void)
{
	int sv[2];
	EXPECT_RET("evconnlistener_new(fd -1) is NULL",
	    evconnlistener_new(base, count_cb, NULL, 0, 0, -1) == NULL, 1);
	EXPECT_LOG("invalid fd");
	m_pair(sv);
	m_close_pair(sv);
	EXPECT_RET("evconnlistener_new(closed fd, backlog -1) is NULL",
	    evconnlistener_new(base, count_cb, NULL, 0, -1, sv[0]) == NULL, 1);
	EXPECT_RET("errno", errno, EBADF);
	log_clear();
	EXPECT_RET("evconnlistener_new(closed fd, backlog 0) is NULL",
	    evconnlistener_new(base, count_cb, NULL, 0, 0, sv[0]) == NULL, 1);
	EXPECT_LOG("Bad file descriptor");
	EXPECT_RET("base empty", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
}

static void
freed_listener(void)
{
	struct evconnlistener *lev = loopback(count_cb, LEV_OPT_CLOSE_ON_FREE);
	evconnlistener_free(lev);
	log_clear();
	EXPECT_RET("evconnlistener_enable(freed)", evconnlistener_enable(lev), -1);
	EXPECT_RET("evconnlistener_disable(freed)", evconnlistener_disable(lev), -1);
	EXPECT_RET("evconnlistener_get_fd(freed)", evconnlistener_get_fd(lev), -1);
	EXPECT_RET("evconnlistener_get_base(freed) is NULL", evconnlistener_get_base(lev) == NULL, 1);
	evconnlistener_set_cb(lev, count_cb, NULL);
	evconnlistener_free(lev);
	OBS("set_cb / free (freed) returned");
	EXPECT_LOG("not a live evconnlistener");
	EXPECT_RET("base empty", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
}

static int nerrors;

static void
free_error_cb(struct evconnlistener *lev, void *arg)
{
	(void)arg;
	nerrors++;
	evconnlistener_free(lev);
}

static void
free_in_error_cb(void)
{
	int sv[2];
	struct evconnlistener *lev;
	m_pair(sv);
	lev = evconnlistener_new(base, count_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 0, sv[0]);
	evconnlistener_set_error_cb(lev, free_error_cb);
	m_write1(sv[1]);
	nerrors = 0;
	spin();
	EXPECT_RET("error callback ran", nerrors, 1);
	EXPECT_RET("listening fd closed", fcntl(sv[0], F_GETFD) == -1 && errno == EBADF, 1);
	EXPECT_RET("base empty", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
	close(sv[1]);
}

static volatile int in_slow;
static double t_slow_end, t_disable_returned;

static void
slow_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	(void)lev; (void)sa; (void)socklen; (void)arg;
	close(fd);
	naccepted++;
	in_slow = 1;
	usleep(100 * 1000);
	t_slow_end = m_now();
}

static void *
th_disable(void *arg)
{
	while (!in_slow)
		usleep(1000);
	evconnlistener_disable(arg);
	t_disable_returned = m_now();
	return NULL;
}

static void
disable_from_thread(void)
{
	pthread_t th;
	int c[2];
	struct evconnlistener *lev = loopback(slow_cb, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE);
	c[0] = connect_to(lev);
	c[1] = connect_to(lev);
	naccepted = 0;
	in_slow = 0;
	pthread_create(&th, NULL, th_disable, lev);
	event_base_loop(base, EVLOOP_ONCE);
	pthread_join(th, NULL);
	EXPECT_RET("accepted", naccepted, 1);
	EXPECT_RET("disable returned before the callback ended", t_disable_returned < t_slow_end, 1);
	spin();
	EXPECT_RET("accepted while disabled", naccepted, 1);
	evconnlistener_enable(lev);
	spin();
	EXPECT_RET("accepted once enabled", naccepted, 2);
	evconnlistener_free(lev);
	close(c[0]);
	close(c[1]);
}

int
main(void)
{
	m_begin("m_listener");
	evthread_use_pthreads();
	base = m_base();
	m_case("evconnlistener_new / _new_bind (NULL base), no current base", "NULL, log \"no event_base given\"",
	    null_base);
	m_case("evconnlistener_* (NULL listener)", "-1 / NULL / ignored, log \"no evconnlistener given\"",
	    null_listener);
	m_case("listener with a NULL callback", "made, accepts nothing, no log; set_cb starts it", null_callback);
	m_case("evconnlistener_new on fd -1 / a closed fd",
	    "NULL; log \"invalid fd\"; listen's errno; backlog 0: event_add's log", bad_fd);
	m_case("calls on a freed listener", "-1 / NULL / ignored, log \"not a live evconnlistener\"",
	    freed_listener);
	m_case("evconnlistener_free from its error callback", "runs once; socket closed; base empty",
	    free_in_error_cb);
	m_case("evconnlistener_disable from another thread during a callback",
	    "returns without waiting; no more accepts until enabled", disable_from_thread);
	event_base_free(base);
	return m_end();
}

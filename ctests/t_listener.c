/* evconnlistener: bind, accept order and peer addresses, socket flags,
 * enable/disable, a NULL callback, set_cb, freeing and disabling from the
 * callback, accept errors with and without an error callback, and a free
 * from another thread while a callback runs.  Connections come from this
 * process to 127.0.0.1. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include "common.h"

#define MAXC 8

static struct event_base *base;
static int naccepted, nerrors, last_error, free_in_cb, disable_in_cb;
static int accepted_fd[MAXC], accepted_port[MAXC], accepted_len[MAXC], accepted_family[MAXC];
static void *accepted_arg[MAXC];
static struct evconnlistener *accepted_lev[MAXC];

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	if (naccepted < MAXC) {
		accepted_fd[naccepted] = fd;
		accepted_port[naccepted] = ntohs(sin->sin_port);
		accepted_len[naccepted] = socklen;
		accepted_family[naccepted] = sa->sa_family;
		accepted_arg[naccepted] = arg;
		accepted_lev[naccepted] = lev;
	}
	naccepted++;
	if (free_in_cb)
		evconnlistener_free(lev);
	if (disable_in_cb)
		evconnlistener_disable(lev);
}

static void
error_cb(struct evconnlistener *lev, void *arg)
{
	(void)arg;
	last_error = EVUTIL_SOCKET_ERROR();
	nerrors++;
	evconnlistener_disable(lev);
}

static int nlogs, last_severity;
static char last_log[256];

static void
log_cb(int severity, const char *msg)
{
	nlogs++;
	last_severity = severity;
	snprintf(last_log, sizeof last_log, "%s", msg);
}

/* A blocking connect to 127.0.0.1:port; returns the client fd, its
 * local port in *port. */
static int
connect_to(int port, int *local_port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sin, &len);
	if (local_port)
		*local_port = ntohs(sin.sin_port);
	return fd;
}

static int
port_of(evutil_socket_t fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return -1;
	return ntohs(sin.sin_port);
}

static struct evconnlistener *
bind_loopback(evconnlistener_cb cb, void *arg, unsigned flags)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return evconnlistener_new_bind(base, cb, arg, flags, -1, (struct sockaddr *)&sin, sizeof sin);
}

static void
reset_accepted(void)
{
	int i;
	for (i = 0; i < naccepted && i < MAXC; i++)
		close(accepted_fd[i]);
	naccepted = 0;
}

/* A few non-blocking passes: enough for connections already queued. */
static void
spin(void)
{
	int i;
	for (i = 0; i < 3; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void
basics(void)
{
	int arg, port, cport[3], c[3], i, fl;
	struct evconnlistener *lev = bind_loopback(accept_cb, &arg, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE);
	CHECK("new_bind", lev != NULL);
	CHECK("get_base", evconnlistener_get_base(lev) == base);
	port = port_of(evconnlistener_get_fd(lev));
	CHECK("bound to a port", port > 0);
	CHECK("listening fd nonblocking", fcntl(evconnlistener_get_fd(lev), F_GETFL) & O_NONBLOCK);
	for (i = 0; i < 3; i++)
		c[i] = connect_to(port, &cport[i]);
	CHECK("clients connected", c[0] >= 0 && c[1] >= 0 && c[2] >= 0);
	spin();
	EXPECT_INT("accepted", naccepted, 3);
	for (i = 0; i < 3 && i < naccepted; i++) {
		printf("conn %d: in connect order %s, socklen is sockaddr_in %s, AF_INET %s, arg %s, listener %s\n", i,
		    YN(accepted_port[i] == cport[i]), YN(accepted_len[i] == (int)sizeof(struct sockaddr_in)),
		    YN(accepted_family[i] == AF_INET), YN(accepted_arg[i] == &arg), YN(accepted_lev[i] == lev));
		fl = fcntl(accepted_fd[i], F_GETFL);
		printf("conn %d: nonblocking %s, cloexec %s\n", i, YN(fl & O_NONBLOCK),
		    YN(fcntl(accepted_fd[i], F_GETFD) & FD_CLOEXEC));
	}
	/* the accepted socket is the client's peer */
	if (naccepted >= 1) {
		EXPECT_INT("write to accepted", write(accepted_fd[0], "hi", 2), 2);
		EXPECT_INT("client reads it", read(c[0], (char[4]){0}, 4), 2);
	}
	reset_accepted();

	/* disabled: connections wait in the queue */
	EXPECT_INT("disable", evconnlistener_disable(lev), 0);
	EXPECT_INT("disable again", evconnlistener_disable(lev), 0);
	close(c[0]);
	c[0] = connect_to(port, &cport[0]);
	spin();
	EXPECT_INT("accepted while disabled", naccepted, 0);
	EXPECT_INT("enable", evconnlistener_enable(lev), 0);
	EXPECT_INT("enable again", evconnlistener_enable(lev), 0);
	spin();
	EXPECT_INT("accepted once enabled", naccepted, 1);
	CHECK("the waiting client", naccepted >= 1 && accepted_port[0] == cport[0]);
	reset_accepted();

	evconnlistener_free(lev);
	for (i = 0; i < 3; i++)
		close(c[i]);
	CHECK("CLOSE_ON_FREE: connect refused", connect_to(port, NULL) == -1 && errno == ECONNREFUSED);
}

static void
flags(void)
{
	int port, c;
	struct evconnlistener *lev = bind_loopback(accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_LEAVE_SOCKETS_BLOCKING | LEV_OPT_CLOSE_ON_EXEC);
	CHECK("new_bind (blocking, cloexec)", lev != NULL);
	CHECK("listening fd cloexec", fcntl(evconnlistener_get_fd(lev), F_GETFD) & FD_CLOEXEC);
	port = port_of(evconnlistener_get_fd(lev));
	c = connect_to(port, NULL);
	spin();
	EXPECT_INT("accepted", naccepted, 1);
	if (naccepted == 1)
		printf("LEAVE_SOCKETS_BLOCKING|CLOSE_ON_EXEC: nonblocking %s, cloexec %s\n",
		    YN(fcntl(accepted_fd[0], F_GETFL) & O_NONBLOCK), YN(fcntl(accepted_fd[0], F_GETFD) & FD_CLOEXEC));
	reset_accepted();
	evconnlistener_free(lev);
	close(c);

	/* LEV_OPT_DISABLED, and a listener without CLOSE_ON_FREE keeps its fd */
	lev = bind_loopback(accept_cb, NULL, LEV_OPT_DISABLED | LEV_OPT_REUSEABLE_PORT);
	CHECK("new_bind (disabled)", lev != NULL);
	port = port_of(evconnlistener_get_fd(lev));
	c = connect_to(port, NULL);
	spin();
	EXPECT_INT("accepted while created disabled", naccepted, 0);
	evconnlistener_enable(lev);
	spin();
	EXPECT_INT("accepted once enabled", naccepted, 1);
	reset_accepted();
	{
		int fd = evconnlistener_get_fd(lev);
		evconnlistener_free(lev);
		CHECK("without CLOSE_ON_FREE the fd stays open", fcntl(fd, F_GETFD) != -1);
		close(fd);
	}
	close(c);

	/* backlog 0 binds nothing */
	{
		struct sockaddr_in sin;
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		CHECK("new_bind with backlog 0 -> NULL",
		    evconnlistener_new_bind(base, accept_cb, NULL, 0, 0, (struct sockaddr *)&sin, sizeof sin) == NULL);
	}
}

/* IPv6 loopback with BIND_IPV6ONLY and DEFERRED_ACCEPT: the options are on
 * the socket, and the peer address is an AF_INET6 one. */
static void
ipv6(void)
{
	struct sockaddr_in6 sin6, cl;
	socklen_t len = sizeof cl;
	int v = 0, c, port;
	socklen_t vl = sizeof v;
	struct evconnlistener *lev;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	lev = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_BIND_IPV6ONLY | LEV_OPT_DEFERRED_ACCEPT, 16,
	    (struct sockaddr *)&sin6, sizeof sin6);
	if (!lev) {
		SAY("(no IPv6 loopback)");
		return;
	}
	getsockopt(evconnlistener_get_fd(lev), IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl);
	CHECK("IPV6_V6ONLY on the bound socket", v != 0);
	vl = sizeof v;
	v = 0;
	getsockopt(evconnlistener_get_fd(lev), IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &vl);
	CHECK("TCP_DEFER_ACCEPT on the bound socket", v != 0);
	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin6, &len);
	port = ntohs(sin6.sin6_port);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	sin6.sin6_port = htons(port);
	CHECK("connect over IPv6", connect(c, (struct sockaddr *)&sin6, sizeof sin6) == 0);
	/* deferred: accepted once the client has sent something */
	CHECK("client writes", write(c, "x", 1) == 1);
	t_sleep_ms(20);
	spin();
	EXPECT_INT("accepted over IPv6", naccepted, 1);
	if (naccepted == 1) {
		len = sizeof cl;
		getsockname(c, (struct sockaddr *)&cl, &len);
		printf("IPv6 peer: AF_INET6 %s, socklen is sockaddr_in6 %s, the client's port %s\n",
		    YN(accepted_family[0] == AF_INET6), YN(accepted_len[0] == (int)sizeof(struct sockaddr_in6)),
		    YN(accepted_port[0] == ntohs(cl.sin6_port)));
	}
	reset_accepted();
	evconnlistener_free(lev);
	close(c);
}

static void
null_callback(void)
{
	int port, c, arg2;
	struct evconnlistener *lev = bind_loopback(NULL, NULL, LEV_OPT_CLOSE_ON_FREE);
	CHECK("new_bind with a NULL callback", lev != NULL);
	port = port_of(evconnlistener_get_fd(lev));
	c = connect_to(port, NULL);
	spin();
	EXPECT_INT("nothing accepted without a callback", naccepted, 0);
	evconnlistener_set_cb(lev, accept_cb, &arg2);
	spin();
	EXPECT_INT("set_cb starts it", naccepted, 1);
	CHECK("set_cb's argument", naccepted == 1 && accepted_arg[0] == &arg2);
	reset_accepted();
	close(c);

	/* set_cb on a disabled listener does not enable it */
	evconnlistener_disable(lev);
	evconnlistener_set_cb(lev, NULL, NULL);
	evconnlistener_set_cb(lev, accept_cb, NULL);
	c = connect_to(port, NULL);
	spin();
	EXPECT_INT("set_cb while disabled: nothing", naccepted, 0);
	evconnlistener_enable(lev);
	spin();
	EXPECT_INT("enabled: accepted", naccepted, 1);
	reset_accepted();
	close(c);
	evconnlistener_free(lev);
}

static void
from_callback(void)
{
	int port, c[3], i;
	struct evconnlistener *lev = bind_loopback(accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE);
	port = port_of(evconnlistener_get_fd(lev));
	/* disable in the callback: one connection per readiness */
	for (i = 0; i < 3; i++)
		c[i] = connect_to(port, NULL);
	disable_in_cb = 1;
	spin();
	disable_in_cb = 0;
	EXPECT_INT("disabled in the callback: accepted", naccepted, 1);
	reset_accepted();
	evconnlistener_enable(lev);
	spin();
	EXPECT_INT("enabled again: the rest", naccepted, 2);
	reset_accepted();
	for (i = 0; i < 3; i++)
		close(c[i]);

	/* free in the callback with connections still queued */
	for (i = 0; i < 3; i++)
		c[i] = connect_to(port, NULL);
	free_in_cb = 1;
	spin();
	free_in_cb = 0;
	EXPECT_INT("freed in the callback: accepted", naccepted, 1);
	reset_accepted();
	for (i = 0; i < 3; i++)
		close(c[i]);
	CHECK("freed in the callback: socket closed", connect_to(port, NULL) == -1 && errno == ECONNREFUSED);
	EXPECT_INT("base empty", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
}

static void
errors(void)
{
	int sv[2];
	struct evconnlistener *lev;

	/* a connected socket "listens" (backlog 0: already listening): accept fails */
	t_pair(sv);
	lev = evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 0, sv[0]);
	CHECK("new on a connected socket (backlog 0)", lev != NULL);
	EXPECT_INT("get_fd", evconnlistener_get_fd(lev) == sv[0], 1);
	evconnlistener_set_error_cb(lev, error_cb);
	t_write1(sv[1]);
	spin();
	EXPECT_INT("error callback ran", nerrors, 1);
	EXPECT_INT("its EVUTIL_SOCKET_ERROR is EINVAL", last_error, EINVAL);
	EXPECT_INT("no accept", naccepted, 0);
	evconnlistener_free(lev);
	close(sv[1]);

	/* without an error callback: logged, and the listener stays */
	t_pair(sv);
	event_set_log_callback(log_cb);
	lev = evconnlistener_new(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 0, sv[0]);
	t_write1(sv[1]);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("logged once", nlogs, 1);
	EXPECT_INT("as a warning", last_severity, EVENT_LOG_WARN);
	EXPECT_STR("log line", last_log, "Error from accept() call: Invalid argument");
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("still enabled: logged again", nlogs, 2);
	event_set_log_callback(NULL);
	evconnlistener_free(lev);
	close(sv[1]);

	/* listen() on a socket that cannot listen: NULL */
	t_pair(sv);
	errno = 0;
	CHECK("new with backlog -1 on a connected socket -> NULL",
	    evconnlistener_new(base, accept_cb, NULL, 0, -1, sv[0]) == NULL);
	EXPECT_INT("errno from listen", errno, EINVAL);
	close(sv[0]);
	close(sv[1]);
}

/* A free from another thread while the callback runs: free returns at
 * once, the callback finishes, and the listener goes after it. */
static volatile int in_cb, cb_may_end;
static double t_free_returned, t_cb_ended;

static void
slow_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	(void)lev; (void)sa; (void)socklen; (void)arg;
	close(fd);
	naccepted++;
	in_cb = 1;
	t_sleep_ms(80);
	t_cb_ended = t_now_ms();
}

static void *
th_free(void *arg)
{
	struct evconnlistener *lev = arg;
	while (!in_cb)
		t_sleep_ms(1);
	evconnlistener_free(lev);
	t_free_returned = t_now_ms();
	return NULL;
}

static void
threaded_free(void)
{
	pthread_t th;
	int port, c[2];
	struct evconnlistener *lev = bind_loopback(slow_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_THREADSAFE);
	port = port_of(evconnlistener_get_fd(lev));
	c[0] = connect_to(port, NULL);
	c[1] = connect_to(port, NULL);
	naccepted = 0;
	pthread_create(&th, NULL, th_free, lev);
	event_base_loop(base, EVLOOP_ONCE);
	pthread_join(th, NULL);
	EXPECT_INT("freed from another thread: accepted", naccepted, 1);
	CHECK("free returned while the callback ran", t_free_returned < t_cb_ended);
	spin();
	EXPECT_INT("nothing more", naccepted, 1);
	CHECK("socket closed after the callback", connect_to(port, NULL) == -1 && errno == ECONNREFUSED);
	EXPECT_INT("base empty", event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
	naccepted = 0;
	close(c[0]);
	close(c[1]);
}

int
main(void)
{
	t_begin("t_listener");
	evthread_use_pthreads();
	base = event_base_new();
	basics();
	flags();
	ipv6();
	null_callback();
	from_callback();
	errors();
	threaded_free();
	event_base_free(base);
	return t_end();
}

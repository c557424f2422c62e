/* evutil: socketpair, socket flags, closesocket, gettimeofday, timer
 * macros, socket errors, portable integer types. */
#include <netinet/in.h>
#include <evutil.h>
#include "common.h"

int
main(void)
{
	evutil_socket_t sv[2], l;
	struct timeval a, b, r, now, et;
	char buf[8];
	int v;
	socklen_t vl = sizeof v;

	t_begin("t_evutil");
	EXPECT_INT("sizeof ev_uint8_t", sizeof(ev_uint8_t), 1);
	EXPECT_INT("sizeof ev_uint16_t", sizeof(ev_uint16_t), 2);
	EXPECT_INT("sizeof ev_uint32_t", sizeof(ev_uint32_t), 4);
	EXPECT_INT("sizeof ev_uint64_t", sizeof(ev_uint64_t), 8);
	EXPECT_INT("sizeof ev_int64_t", sizeof(ev_int64_t), 8);
	EXPECT_INT("sizeof ev_ssize_t", sizeof(ev_ssize_t), 8);
	EXPECT_INT("sizeof ev_off_t", sizeof(ev_off_t), 8);
	EXPECT_INT("sizeof evutil_socket_t", sizeof(evutil_socket_t), 4);
	EXPECT_INT("EV_UINT32_MAX", EV_UINT32_MAX, 0xffffffffu);
	EXPECT_INT("EV_INT32_MIN", EV_INT32_MIN, -2147483647 - 1);
	EXPECT_INT("EV_SSIZE_MAX", EV_SSIZE_MAX, 0x7fffffffffffffffLL);
	EXPECT_INT("EVUTIL_INVALID_SOCKET", EVUTIL_INVALID_SOCKET, -1);

	EXPECT_INT("evutil_socketpair", evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK("distinct fds", sv[0] >= 0 && sv[1] >= 0 && sv[0] != sv[1]);
	EXPECT_INT("write", write(sv[0], "hi", 2), 2);
	EXPECT_INT("read", read(sv[1], buf, sizeof buf), 2);

	CHECK("initially blocking", !(fcntl(sv[1], F_GETFL) & O_NONBLOCK));
	EXPECT_INT("make_socket_nonblocking", evutil_make_socket_nonblocking(sv[1]), 0);
	CHECK("O_NONBLOCK set", fcntl(sv[1], F_GETFL) & O_NONBLOCK);
	EXPECT_INT("make_socket_nonblocking again", evutil_make_socket_nonblocking(sv[1]), 0);

	/* a failed recv on an empty non-blocking socket */
	errno = 0;
	EXPECT_INT("recv on empty non-blocking", recv(sv[1], buf, 1, 0), -1);
	EXPECT_INT("EVUTIL_SOCKET_ERROR is EAGAIN", EVUTIL_SOCKET_ERROR(), EAGAIN);
	EXPECT_STR("evutil_socket_error_to_string", evutil_socket_error_to_string(EAGAIN), strerror(EAGAIN));
	EVUTIL_SET_SOCKET_ERROR(EPIPE);
	EXPECT_INT("EVUTIL_SET_SOCKET_ERROR", errno, EPIPE);

	CHECK("initially not close-on-exec", !(fcntl(sv[0], F_GETFD) & FD_CLOEXEC));
	EXPECT_INT("make_socket_closeonexec", evutil_make_socket_closeonexec(sv[0]), 0);
	CHECK("FD_CLOEXEC set", fcntl(sv[0], F_GETFD) & FD_CLOEXEC);

	l = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_INT("make_listen_socket_reuseable", evutil_make_listen_socket_reuseable(l), 0);
	getsockopt(l, SOL_SOCKET, SO_REUSEADDR, &v, &vl);
	CHECK("SO_REUSEADDR set", v != 0);
	EXPECT_INT("closesocket", evutil_closesocket(l), 0);
	CHECK("fd closed", fcntl(l, F_GETFD) == -1 && errno == EBADF);
	EXPECT_INT("closesocket sv0", evutil_closesocket(sv[0]), 0);
	EXPECT_INT("closesocket sv1", evutil_closesocket(sv[1]), 0);

	/* gettimeofday */
	EXPECT_INT("evutil_gettimeofday", evutil_gettimeofday(&et, NULL), 0);
	gettimeofday(&now, NULL);
	CHECK("evutil_gettimeofday close to gettimeofday",
	    (now.tv_sec - et.tv_sec) * 1000000L + (now.tv_usec - et.tv_usec) >= 0 &&
	    (now.tv_sec - et.tv_sec) * 1000000L + (now.tv_usec - et.tv_usec) < 50000);

	/* timer macros */
	a.tv_sec = 1; a.tv_usec = 700000;
	b.tv_sec = 2; b.tv_usec = 600000;
	evutil_timeradd(&a, &b, &r);
	CHECK("timeradd carries", r.tv_sec == 4 && r.tv_usec == 300000);
	evutil_timersub(&a, &b, &r);
	CHECK("timersub borrows (negative)", r.tv_sec == -1 && r.tv_usec == 100000);
	evutil_timersub(&b, &a, &r);
	CHECK("timersub borrows", r.tv_sec == 0 && r.tv_usec == 900000);
	CHECK("timerisset", evutil_timerisset(&a));
	evutil_timerclear(&r);
	CHECK("timerclear", r.tv_sec == 0 && r.tv_usec == 0 && !evutil_timerisset(&r));
	CHECK("timercmp <", evutil_timercmp(&a, &b, <));
	CHECK("timercmp >", evutil_timercmp(&b, &a, >));
	CHECK("timercmp <=", evutil_timercmp(&a, &a, <=));
	CHECK("timercmp >=", evutil_timercmp(&a, &a, >=));
	CHECK("timercmp ==", evutil_timercmp(&a, &a, ==));
	CHECK("timercmp !=", evutil_timercmp(&a, &b, !=));
	r = a;
	r.tv_usec = 800000;
	CHECK("timercmp same second, usec", evutil_timercmp(&a, &r, <) && !evutil_timercmp(&r, &a, <));
	return t_end();
}

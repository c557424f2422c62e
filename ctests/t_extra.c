/* Public 2.1 core symbols beyond ABI.md's list that real programs call:
 * event_debug_unassign, event_enable_debug_logging, event_gettime_monotonic,
 * libevent_global_shutdown, and the string/number helpers of evutil. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>
#include "common.h"

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

int
main(void)
{
	struct event_base *base;
	struct event ev;
	struct timeval m1, m2;
	char buf[64];
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	struct in_addr ia;

	t_begin("t_extra");
	event_enable_debug_logging(EVENT_DBG_NONE);
	printf("ok event_enable_debug_logging\n");
	base = event_base_new();

	event_assign(&ev, base, -1, 0, cb, NULL);
	event_debug_unassign(&ev);
	EXPECT_INT("event_initialized after event_debug_unassign", event_initialized(&ev), 0);

	EXPECT_INT("event_gettime_monotonic", event_gettime_monotonic(base, &m1), 0);
	t_sleep_ms(10);
	event_gettime_monotonic(base, &m2);
	CHECK("monotonic time advances (>= 5ms)",
	    (m2.tv_sec - m1.tv_sec) * 1000 + (m2.tv_usec - m1.tv_usec) / 1000 >= 5);

	/* evutil_snprintf/evutil_vsnprintf are not in librel: stable Rust
	 * cannot define C variadic functions (README, "What is implemented"). */
	EXPECT_INT("evutil_strtoll", evutil_strtoll("-9000000000", NULL, 10), -9000000000LL);
	EXPECT_INT("evutil_ascii_strcasecmp", evutil_ascii_strcasecmp("HeLLo", "hello"), 0);
	CHECK("evutil_ascii_strncasecmp", evutil_ascii_strncasecmp("abcX", "ABCy", 3) == 0);
	EXPECT_INT("evutil_inet_pton", evutil_inet_pton(AF_INET, "127.0.0.1", &ia), 1);
	EXPECT_INT("  value", ntohl(ia.s_addr), 0x7f000001);
	EXPECT_STR("evutil_inet_ntop", evutil_inet_ntop(AF_INET, &ia, buf, sizeof buf), "127.0.0.1");
	EXPECT_INT("evutil_parse_sockaddr_port",
	    evutil_parse_sockaddr_port("127.0.0.1:8080", (struct sockaddr *)&ss, &sl), 0);
	EXPECT_INT("  port", ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	EXPECT_INT("  family", ss.ss_family, AF_INET);

	event_base_free(base);
	libevent_global_shutdown();
	printf("ok libevent_global_shutdown\n");
	return t_end();
}

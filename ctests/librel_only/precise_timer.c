/* librel only: precise timers by default.  200 one-millisecond timers,
 * each in its own dispatch; the median lateness must be under 0.5 ms
 * (libevent 2.1's coarse clock makes it ~3-4 ms). */
#include <event2/event.h>
#include "../common.h"

#define N 200

static double fired_at;

static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	fired_at = t_now_ms();
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(void)
{
	struct event_base *base = event_base_new();
	struct event *e = evtimer_new(base, cb, NULL);
	struct timeval tv = {0, 1000};
	static double late[N];
	int i, early = 0;

	t_begin("precise_timer");
	for (i = 0; i < N; i++) {
		double t0 = t_now_ms();
		evtimer_add(e, &tv);
		event_base_dispatch(base);
		late[i] = fired_at - t0 - 1.0;
		if (late[i] < -0.05)
			early++;
	}
	qsort(late, N, sizeof late[0], cmp);
	EXPECT_INT("timers that fired early", early, 0);
	printf("precise %s\n", late[N / 2] < 0.5 ? "yes" : "no");
	fprintf(stderr, "median lateness %.3f ms, p90 %.3f ms\n", late[N / 2], late[N * 9 / 10]);
	event_free(e);
	event_base_free(base);
	return t_end();
}

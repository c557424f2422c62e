/* Timers far away and in the past.  With a 10-year timer and a 272-year
 * timer pending, a loop waiting for a 1 s timer sleeps: it takes >= 1 s of
 * wall time and almost no CPU (no busy loop on the far deadlines, which stay
 * pending and do not fire).  A timeout of {0,0} fires on the next pass. */
#include "misuse.h"

static void
far_and_near(void)
{
	struct event_base *b = m_base();
	int far_calls = 0, near_calls = 0;
	struct event *ten = evtimer_new(b, m_count_cb, &far_calls);
	struct event *huge = evtimer_new(b, m_count_cb, &far_calls);
	struct event *one = evtimer_new(b, m_count_cb, &near_calls);
	struct timeval tv10y = {10L * 365 * 24 * 3600, 0}, tvmax = {1L << 33, 0}, tv1 = {1, 0}, when, now;
	double wall, cpu;

	EXPECT_RET("evtimer_add(10 years)", evtimer_add(ten, &tv10y), 0);
	EXPECT_RET("evtimer_add(2^33 s)", evtimer_add(huge, &tvmax), 0);
	EXPECT_RET("evtimer_add(1 s)", evtimer_add(one, &tv1), 0);
	wall = m_now();
	cpu = m_cpu();
	EXPECT_RET("event_base_loop(ONCE)", event_base_loop(b, EVLOOP_ONCE), 0);
	wall = m_now() - wall;
	cpu = m_cpu() - cpu;
	OBS("waited %.3f s of wall time using %.3f s of CPU", wall, cpu);
	CHECK(near_calls == 1 && far_calls == 0, "near %d far %d", near_calls, far_calls);
	CHECK(wall >= 1.0, "woke early: %.3f s", wall);
	CHECK(cpu < 0.1, "busy: %.3f s of CPU in %.3f s", cpu, wall);
	CHECK(evtimer_pending(ten, &when), "10-year timer no longer pending");
	gettimeofday(&now, NULL);
	CHECK(labs((long)(when.tv_sec - now.tv_sec - tv10y.tv_sec)) < 10, "10-year deadline off by %ld s",
	    (long)(when.tv_sec - now.tv_sec - tv10y.tv_sec));
	CHECK(evtimer_pending(huge, NULL), "2^33 s timer no longer pending");
	event_free(ten);
	event_free(huge);
	event_free(one);
	event_base_free(b);
}

static void
past(void)
{
	struct event_base *b = m_base();
	int calls = 0;
	struct event *t = evtimer_new(b, m_count_cb, &calls);
	struct event *far = evtimer_new(b, m_count_cb, NULL);
	struct timeval zero = {0, 0}, hour = {3600, 0};
	evtimer_add(far, &hour);
	evtimer_add(t, &zero);
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK)", event_base_loop(b, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	CHECK(calls == 1, "{0,0} timer ran %d times on the next pass", calls);
	event_free(t);
	event_free(far);
	event_base_free(b);
}

int
main(void)
{
	m_begin("s_fartimers");
	m_case("10-year and 2^33 s timers pending while a 1 s timer is awaited",
	    "sleeps >= 1 s with < 0.1 s CPU; far timers stay pending, never fire", far_and_near);
	m_case("timeout {0,0}", "fires on the next pass (EVLOOP_NONBLOCK)", past);
	return m_end();
}

/* Timeouts that are negative or too large for the clock: event_add returns
 * -1 with a log line and the event stays as it was (libevent 2.1 takes a
 * negative timeout as "already expired" and lets LONG_MAX overflow).  A
 * deadline ~34 years away ({1<<30, 0}) is accepted and stays pending; a
 * tv_usec of a million or more is carried into seconds. */
#include <limits.h>
#include "misuse.h"

static struct event_base *base;
static struct timeval bad;
static int calls;

static void
refused(void)
{
	struct event *ev = evtimer_new(base, m_count_cb, &calls);
	calls = 0;
	EXPECT_RET("evtimer_add", evtimer_add(ev, &bad), -1);
	EXPECT_LOG("out of range");
	EXPECT_RET("evtimer_pending", evtimer_pending(ev, NULL), 0);
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	OBS("callback ran %d times", calls);
	CHECK(calls == 0, "refused timer fired");
	event_free(ev);
}

static void
refused_keeps_old(void)
{
	/* A refused re-add leaves the earlier timeout in place. */
	struct event *ev = evtimer_new(base, m_count_cb, &calls);
	struct timeval ok = {100, 0}, when, now;
	evtimer_add(ev, &ok);
	bad.tv_sec = -1;
	bad.tv_usec = 0;
	EXPECT_RET("evtimer_add({-1,0}) on a pending timer", evtimer_add(ev, &bad), -1);
	CHECK(evtimer_pending(ev, &when), "no longer pending");
	gettimeofday(&now, NULL);
	CHECK(when.tv_sec >= now.tv_sec + 95 && when.tv_sec <= now.tv_sec + 101,
	    "deadline moved: %ld s from now", (long)(when.tv_sec - now.tv_sec));
	event_free(ev);
}

static void
far_future(void)
{
	struct event *ev = evtimer_new(base, m_count_cb, &calls);
	struct timeval far = {1L << 30, 0}, when, now;
	calls = 0;
	EXPECT_RET("evtimer_add({1<<30, 0})", evtimer_add(ev, &far), 0);
	EXPECT_RET("evtimer_pending", evtimer_pending(ev, &when) != 0, 1);
	gettimeofday(&now, NULL);
	CHECK(when.tv_sec - now.tv_sec >= (1L << 30) - 5 && when.tv_sec - now.tv_sec <= (1L << 30) + 5,
	    "deadline %ld s from now", (long)(when.tv_sec - now.tv_sec));
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK)",
	    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	CHECK(calls == 0, "far timer fired");
	CHECK(evtimer_pending(ev, NULL), "far timer no longer pending");
	event_free(ev);
}

static void
usec_overflow(void)
{
	struct event *ev = evtimer_new(base, m_count_cb, &calls);
	struct timeval tv = {0, 2500000}, when, now;
	EXPECT_RET("evtimer_add({0, 2500000})", evtimer_add(ev, &tv), 0);
	evtimer_pending(ev, &when);
	gettimeofday(&now, NULL);
	OBS("deadline %ld s from now", (long)(when.tv_sec - now.tv_sec));
	CHECK(when.tv_usec >= 0 && when.tv_usec < 1000000, "tv_usec %ld", (long)when.tv_usec);
	CHECK(when.tv_sec - now.tv_sec >= 1 && when.tv_sec - now.tv_sec <= 3,
	    "deadline %ld s from now", (long)(when.tv_sec - now.tv_sec));
	event_free(ev);
}

/* A delay in the past ends the loop at its next pass, as in libevent
 * (refusing it left a program that asked to stop looping forever). */
static void
loopexit_negative(void)
{
	struct timeval tv = {-1, 0}, hour = {3600, 0};
	struct event *keep = event_new(base, -1, EV_PERSIST, m_count_cb, &calls);
	event_add(keep, &hour);
	EXPECT_RET("event_base_loopexit(base, {-1,0})", event_base_loopexit(base, &tv), 0);
	EXPECT_RET("event_base_dispatch ends", event_base_dispatch(base), 0);
	EXPECT_RET("event_base_got_exit", event_base_got_exit(base), 1);
	EXPECT_NO_LOG();
	event_free(keep);
}

static void
once_negative(void)
{
	struct timeval tv = {0, -1};
	EXPECT_RET("event_base_once(..., {0,-1})",
	    event_base_once(base, -1, EV_TIMEOUT, m_count_cb, &calls, &tv), -1);
	EXPECT_LOG("out of range");
}

int
main(void)
{
	m_begin("m_timeout");
	base = m_base();
	bad.tv_sec = -1; bad.tv_usec = 0;
	m_case("evtimer_add({-1, 0})", "-1, log \"timeout {-1, 0} out of range\"; never fires", refused);
	bad.tv_sec = 0; bad.tv_usec = -1;
	m_case("evtimer_add({0, -1})", "-1, log; never fires", refused);
	bad.tv_sec = LONG_MAX; bad.tv_usec = 0;
	m_case("evtimer_add({LONG_MAX, 0})", "-1, log; never fires", refused);
	m_case("refused evtimer_add on a pending timer", "-1; the old deadline stays", refused_keeps_old);
	m_case("evtimer_add({1<<30, 0}) (~34 years)", "0; pending with that deadline; does not fire",
	    far_future);
	m_case("evtimer_add({0, 2500000})", "0; deadline 2.5 s away (tv_usec carried)", usec_overflow);
	m_case("event_base_loopexit({-1, 0})", "0; the loop ends at its next pass, as in libevent", loopexit_negative);
	m_case("event_base_once({0, -1})", "-1, log", once_negative);
	event_base_free(base);
	return m_end();
}

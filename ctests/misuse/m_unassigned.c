/* Calls on a struct event that was never assigned: zeroed memory and
 * memory full of 0xA5 garbage (what a fresh malloc or a reused buffer
 * holds).  librel recognises only events it assigned (an EVLIST_INIT flag
 * plus a cookie tied to the event's address), so every call is refused with
 * "event has not been assigned" and the memory is left alone. */
#include "misuse.h"

static struct event_base *base;
static struct event ev;
static int fill;

static void
prepare(void)
{
	memset(&ev, fill, sizeof ev);
}

static void
add(void)
{
	struct timeval tv = {1, 0};
	prepare();
	EXPECT_RET("event_add(unassigned, &tv)", event_add(&ev, &tv), -1);
	EXPECT_LOG("event_add: event has not been assigned");
}

static void
del(void)
{
	prepare();
	EXPECT_RET("event_del(unassigned)", event_del(&ev), -1);
	EXPECT_LOG("event_del: event has not been assigned");
}

static void
active(void)
{
	prepare();
	event_active(&ev, EV_READ, 1);
	OBS("event_active(unassigned) returned");
	EXPECT_LOG("event_active: event has not been assigned");
	EXPECT_RET("event_base_loop(ONCE|NONBLOCK) afterwards",
	    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 1);
}

static void
pending(void)
{
	prepare();
	EXPECT_RET("event_pending(unassigned)",
	    event_pending(&ev, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, NULL), 0);
	EXPECT_LOG("event_pending: event has not been assigned");
}

static void
priority_set(void)
{
	prepare();
	EXPECT_RET("event_priority_set(unassigned, 0)", event_priority_set(&ev, 0), -1);
	EXPECT_LOG("event_priority_set: event has not been assigned");
}

static void
base_set(void)
{
	prepare();
	EXPECT_RET("event_base_set(base, unassigned)", event_base_set(base, &ev), -1);
	EXPECT_LOG("event_base_set: event has not been assigned");
}

static void
initialized(void)
{
	prepare();
	EXPECT_RET("event_initialized(unassigned)", event_initialized(&ev), 0);
}

static void
free_unassigned(void)
{
	/* Static memory: a library that frees it corrupts the heap. */
	prepare();
	event_free(&ev);
	OBS("event_free(unassigned) returned");
	EXPECT_LOG("event_free: event has not been assigned");
}

static void
remove_timer(void)
{
	prepare();
	EXPECT_RET("event_remove_timer(unassigned)", event_remove_timer(&ev), -1);
	EXPECT_LOG("event_remove_timer: event has not been assigned");
}

static void
run_all(const char *what)
{
	char name[96];
#define CASE(label, contract, fn)                                            \
	snprintf(name, sizeof name, "%s on %s memory", label, what);         \
	m_case(name, contract, fn)
	CASE("event_add", "-1, log \"event has not been assigned\"", add);
	CASE("event_del", "-1, log", del);
	CASE("event_active", "ignored, log; the loop has nothing to run (returns 1)", active);
	CASE("event_pending", "0, log", pending);
	CASE("event_priority_set", "-1, log", priority_set);
	CASE("event_base_set", "-1, log", base_set);
	CASE("event_initialized", "0", initialized);
	CASE("event_remove_timer", "-1, log", remove_timer);
	CASE("event_free", "ignored (memory not freed), log", free_unassigned);
#undef CASE
}

static void
copied_event(void)
{
	/* A byte copy of an assigned event is not the event librel assigned. */
	struct event orig, copy;
	struct timeval tv = {1, 0};
	event_assign(&orig, base, -1, 0, m_count_cb, NULL);
	memcpy(&copy, &orig, sizeof copy);
	EXPECT_RET("event_initialized(copy)", event_initialized(&copy), 0);
	EXPECT_RET("event_add(copy, &tv)", event_add(&copy, &tv), -1);
	EXPECT_LOG("event has not been assigned");
	EXPECT_RET("event_add(original, &tv)", event_add(&orig, &tv), 0);
	EXPECT_RET("event_del(original)", event_del(&orig), 0);
}

int
main(void)
{
	m_begin("m_unassigned");
	base = m_base();
	fill = 0;
	run_all("zeroed");
	fill = 0xA5;
	run_all("0xA5-filled");
	m_case("struct event copied by value after event_assign",
	    "the copy counts as never assigned: event_add -1 + log; the original works", copied_event);
	event_base_free(base);
	return m_end();
}

/* event_set_log_callback, event_set_fatal_callback,
 * event_set_mem_functions, event_enable_debug_mode. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "common.h"

/* --- allocation hooks: every block carries a header we can verify --- */
#define MAGIC 0x5eed1e55cafef00dULL
struct hdr {
	uint64_t magic;
	uint64_t size;
};
static long n_malloc, n_realloc, n_free, n_foreign;

static void *
my_malloc(size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		return NULL;
	h->magic = MAGIC;
	h->size = n;
	n_malloc++;
	return h + 1;
}

static void
my_free(void *p)
{
	struct hdr *h;
	if (!p)
		return;
	h = (struct hdr *)p - 1;
	if (h->magic != MAGIC) {
		n_foreign++;
		return; /* not ours: leak it rather than corrupt the heap */
	}
	h->magic = 0;
	n_free++;
	free(h);
}

static void *
my_realloc(void *p, size_t n)
{
	struct hdr *h;
	if (!p)
		return my_malloc(n);
	h = (struct hdr *)p - 1;
	if (h->magic != MAGIC) {
		n_foreign++;
		return NULL;
	}
	h = realloc(h, sizeof *h + n);
	if (!h)
		return NULL;
	h->size = n;
	n_realloc++;
	return h + 1;
}

static int nlog[4], nlog_bad;
static char first_warn[256];

static void
log_cb(int sev, const char *msg)
{
	if (sev < 0 || sev > 3 || !msg) {
		nlog_bad++;
		return;
	}
	if (sev == EVENT_LOG_WARN && !first_warn[0])
		snprintf(first_warn, sizeof first_warn, "%s", msg);
	nlog[sev]++;
}

static void
fatal_cb(int err)
{
	(void)err;
	printf("FAIL fatal callback called\n");
	fflush(stdout);
	_exit(3);
}

static struct event_base *base;
static int inner = 99, calls;

static void
reenter_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	inner = event_base_loop(base, EVLOOP_NONBLOCK);
	calls++;
}

int
main(void)
{
	struct event *e;
	struct timeval tv;
	int sv[2];

	t_begin("t_log");
	/* must come before anything else touches libevent */
	event_set_mem_functions(my_malloc, my_realloc, my_free);
	event_enable_debug_mode();
	event_set_fatal_callback(fatal_cb);
	event_set_log_callback(log_cb);
	printf("ok hooks installed\n");

	base = event_base_new();
	CHECK("base created in debug mode with mem hooks", base != NULL);
	t_pair(sv);

	/* normal use in debug mode */
	e = event_new(base, sv[0], EV_READ, reenter_cb, NULL);
	tv = t_tv_ms(100);
	event_add(e, &tv);
	t_write1(sv[1]);
	EXPECT_INT("dispatch", event_base_dispatch(base), 1);
	EXPECT_INT("callback ran", calls, 1);
	EXPECT_INT("re-entrant loop", inner, -1);
	EXPECT_INT("warnings logged for re-entry", nlog[EVENT_LOG_WARN], 1);
	EXPECT_INT("errors logged", nlog[EVENT_LOG_ERR], 0);
	EXPECT_INT("bad severities", nlog_bad, 0);
	CHECK("warning text non-empty", first_warn[0] != 0);
	event_free(e);

	/* debug mode: reassigning a deleted event is fine */
	{
		struct event s;
		event_assign(&s, base, -1, 0, reenter_cb, NULL);
		event_add(&s, &tv);
		event_del(&s);
		event_assign(&s, base, -1, EV_PERSIST, reenter_cb, NULL);
		event_add(&s, &tv);
		EXPECT_INT("reassigned event pending", event_pending(&s, EV_TIMEOUT, NULL), EV_TIMEOUT);
		event_del(&s);
	}
	EXPECT_INT("no errors logged", nlog[EVENT_LOG_ERR], 0);

	/* removing the log callback restores the default (stderr) */
	event_set_log_callback(NULL);
	event_set_fatal_callback(NULL);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);

	/* libevent may or may not allocate through the hooks, but it must
	 * never hand one of its own blocks to our free */
	EXPECT_INT("foreign pointers passed to the free hook", n_foreign, 0);
	CHECK("frees <= allocations", n_free <= n_malloc + n_realloc);
	return t_end();
}

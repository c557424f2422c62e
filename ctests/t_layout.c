/* struct event layout, public constants and version information. */
#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "common.h"

/* Programs use these names for their own members: 2.1 headers must not
 * define them as macros. */
#if defined(ev_flags) || defined(ev_arg) || defined(ev_callback) || defined(ev_pri)
#define LEAKED_INTERNAL_MACRO 1
#else
#define LEAKED_INTERNAL_MACRO 0
#endif
struct prog_own {
	int ev_flags;
	int ev_arg;
	int ev_callback;
	int ev_pri;
};

/* Programs embed struct event by value. */
struct conn {
	int id;
	struct event rd;
	struct event wr;
};
static struct event static_ev;

static int got_fd = -2, got_what = -1, calls;
static void
cb(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	got_fd = fd;
	got_what = what;
	calls++;
}

/* The event's own fields as its callback sees them. */
static int seen_res = -1, seen_flags = -1;
static void
cb_fields(evutil_socket_t fd, short what, void *arg)
{
	struct event *ev = arg;
	(void)fd, (void)what;
	seen_res = ev->ev_res;
	seen_flags = ev->ev_evcallback.evcb_flags;
	calls++;
}

#define OFF(name, expr, want) EXPECT_INT("offsetof " name, offsetof(struct event, expr), want)

int
main(void)
{
	t_begin("t_layout");

	EXPECT_INT("sizeof struct event", sizeof(struct event), 128);
	EXPECT_INT("event_get_struct_event_size", event_get_struct_event_size(), 128);
	OFF("evcb_active_next", ev_evcallback.evcb_active_next, 0);
	OFF("evcb_flags", ev_evcallback.evcb_flags, 16);
	OFF("evcb_pri", ev_evcallback.evcb_pri, 18);
	OFF("evcb_closure", ev_evcallback.evcb_closure, 19);
	OFF("evcb_callback", ev_evcallback.evcb_cb_union.evcb_callback, 24);
	OFF("evcb_arg", ev_evcallback.evcb_arg, 32);
	OFF("ev_timeout_pos", ev_timeout_pos, 40);
	OFF("ev_timeout_pos.min_heap_idx", ev_timeout_pos.min_heap_idx, 40);
	OFF("ev_fd", ev_fd, 56);
	OFF("ev_base", ev_base, 64);
	OFF("ev_", ev_, 72);
	OFF("ev_io.ev_io_next", ev_.ev_io.ev_io_next, 72);
	OFF("ev_io.ev_timeout", ev_.ev_io.ev_timeout, 88);
	OFF("ev_signal.ev_signal_next", ev_.ev_signal.ev_signal_next, 72);
	OFF("ev_signal.ev_ncalls", ev_.ev_signal.ev_ncalls, 88);
	OFF("ev_signal.ev_pncalls", ev_.ev_signal.ev_pncalls, 96);
	OFF("ev_events", ev_events, 104);
	OFF("ev_res", ev_res, 106);
	OFF("ev_timeout", ev_timeout, 112);
	EXPECT_INT("sizeof ev_fd", sizeof(static_ev.ev_fd), 4);
	EXPECT_INT("sizeof ev_events", sizeof(static_ev.ev_events), 2);
	EXPECT_INT("sizeof ev_res", sizeof(static_ev.ev_res), 2);
	EXPECT_INT("sizeof evcb_flags", sizeof(static_ev.ev_evcallback.evcb_flags), 2);
	EXPECT_INT("sizeof evcb_pri", sizeof(static_ev.ev_evcallback.evcb_pri), 1);
	EXPECT_INT("sizeof ev_timeout", sizeof(static_ev.ev_timeout), 16);
	EXPECT_INT("sizeof evutil_socket_t", sizeof(evutil_socket_t), 4);
	EXPECT_INT("internal macros leaked", LEAKED_INTERNAL_MACRO, 0);
	{
		struct prog_own p = {1, 2, 3, 4};
		EXPECT_INT("own members named ev_flags..", p.ev_flags + p.ev_arg + p.ev_callback + p.ev_pri, 10);
	}

	/* constants */
	EXPECT_INT("EV_TIMEOUT", EV_TIMEOUT, 0x01);
	EXPECT_INT("EV_READ", EV_READ, 0x02);
	EXPECT_INT("EV_WRITE", EV_WRITE, 0x04);
	EXPECT_INT("EV_SIGNAL", EV_SIGNAL, 0x08);
	EXPECT_INT("EV_PERSIST", EV_PERSIST, 0x10);
	EXPECT_INT("EV_ET", EV_ET, 0x20);
	EXPECT_INT("EV_FINALIZE", EV_FINALIZE, 0x40);
	EXPECT_INT("EV_CLOSED", EV_CLOSED, 0x80);
	EXPECT_INT("EVLIST_TIMEOUT", EVLIST_TIMEOUT, 0x01);
	EXPECT_INT("EVLIST_INSERTED", EVLIST_INSERTED, 0x02);
	EXPECT_INT("EVLIST_SIGNAL", EVLIST_SIGNAL, 0x04);
	EXPECT_INT("EVLIST_ACTIVE", EVLIST_ACTIVE, 0x08);
	EXPECT_INT("EVLIST_INTERNAL", EVLIST_INTERNAL, 0x10);
	EXPECT_INT("EVLIST_ACTIVE_LATER", EVLIST_ACTIVE_LATER, 0x20);
	EXPECT_INT("EVLIST_FINALIZING", EVLIST_FINALIZING, 0x40);
	EXPECT_INT("EVLIST_INIT", EVLIST_INIT, 0x80);
	EXPECT_INT("EVLIST_ALL", EVLIST_ALL, 0xff);
	EXPECT_INT("EVLOOP_ONCE", EVLOOP_ONCE, 1);
	EXPECT_INT("EVLOOP_NONBLOCK", EVLOOP_NONBLOCK, 2);
	EXPECT_INT("EVLOOP_NO_EXIT_ON_EMPTY", EVLOOP_NO_EXIT_ON_EMPTY, 4);
	EXPECT_INT("EV_FEATURE_ET", EV_FEATURE_ET, 1);
	EXPECT_INT("EV_FEATURE_O1", EV_FEATURE_O1, 2);
	EXPECT_INT("EV_FEATURE_FDS", EV_FEATURE_FDS, 4);
	EXPECT_INT("EV_FEATURE_EARLY_CLOSE", EV_FEATURE_EARLY_CLOSE, 8);
	EXPECT_INT("EVENT_BASE_FLAG_NOLOCK", EVENT_BASE_FLAG_NOLOCK, 1);
	EXPECT_INT("EVENT_BASE_FLAG_IGNORE_ENV", EVENT_BASE_FLAG_IGNORE_ENV, 2);
	EXPECT_INT("EVENT_BASE_FLAG_STARTUP_IOCP", EVENT_BASE_FLAG_STARTUP_IOCP, 4);
	EXPECT_INT("EVENT_BASE_FLAG_NO_CACHE_TIME", EVENT_BASE_FLAG_NO_CACHE_TIME, 8);
	EXPECT_INT("EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST", EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST, 0x10);
	EXPECT_INT("EVENT_BASE_FLAG_PRECISE_TIMER", EVENT_BASE_FLAG_PRECISE_TIMER, 0x20);
	EXPECT_INT("EVENT_BASE_COUNT_ACTIVE", EVENT_BASE_COUNT_ACTIVE, 1);
	EXPECT_INT("EVENT_BASE_COUNT_VIRTUAL", EVENT_BASE_COUNT_VIRTUAL, 2);
	EXPECT_INT("EVENT_BASE_COUNT_ADDED", EVENT_BASE_COUNT_ADDED, 4);
	EXPECT_INT("EVENT_LOG_DEBUG", EVENT_LOG_DEBUG, 0);
	EXPECT_INT("EVENT_LOG_MSG", EVENT_LOG_MSG, 1);
	EXPECT_INT("EVENT_LOG_WARN", EVENT_LOG_WARN, 2);
	EXPECT_INT("EVENT_LOG_ERR", EVENT_LOG_ERR, 3);
	EXPECT_INT("EVENT_MAX_PRIORITIES", EVENT_MAX_PRIORITIES, 256);
	EXPECT_INT("EVENT_DBG_NONE", EVENT_DBG_NONE, 0);
	EXPECT_INT("EVENT_DBG_ALL", EVENT_DBG_ALL, 0xffffffffu);

	/* version */
	EXPECT_INT("LIBEVENT_VERSION_NUMBER", LIBEVENT_VERSION_NUMBER, 0x02010c00);
	EXPECT_INT("event_get_version_number", event_get_version_number(), 0x02010c00);
	CHECK("event_get_version starts 2.1.12", strncmp(event_get_version(), "2.1.12", 6) == 0);
	CHECK("LIBEVENT_VERSION starts 2.1.12", strncmp(LIBEVENT_VERSION, "2.1.12", 6) == 0);
	CHECK("event_get_version does not start with 1", event_get_version()[0] != '1');

	/* field contents that programs read directly */
	{
		struct event_base *base = event_base_new();
		struct conn c;
		int sv[2];
		t_pair(sv);
		memset(&c, 0, sizeof c);
		EXPECT_INT("assign", event_assign(&c.rd, base, sv[0], EV_READ | EV_PERSIST, cb, &c), 0);
		CHECK("ev_base field", c.rd.ev_base == base);
		CHECK("ev_fd field", c.rd.ev_fd == sv[0]);
		EXPECT_INT("ev_events field", c.rd.ev_events, EV_READ | EV_PERSIST);
		CHECK("evcb_arg field", c.rd.ev_evcallback.evcb_arg == &c);
		CHECK("evcb_callback field", c.rd.ev_evcallback.evcb_cb_union.evcb_callback == cb);
		EXPECT_INT("evcb_flags after assign", c.rd.ev_evcallback.evcb_flags, EVLIST_INIT);
		EXPECT_INT("evcb_pri after assign", c.rd.ev_evcallback.evcb_pri, 0);
		{
			struct timeval tv = t_tv_ms(5000);
			event_add(&c.rd, &tv);
		}
		EXPECT_INT("evcb_flags after add with timeout", c.rd.ev_evcallback.evcb_flags,
		    EVLIST_INIT | EVLIST_INSERTED | EVLIST_TIMEOUT);
		event_del(&c.rd);
		EXPECT_INT("evcb_flags after del", c.rd.ev_evcallback.evcb_flags, EVLIST_INIT);
		event_assign(&c.rd, base, sv[0], EV_READ, cb, &c);
		event_active(&c.rd, EV_WRITE, 0);
		EXPECT_INT("evcb_flags when active", c.rd.ev_evcallback.evcb_flags, EVLIST_INIT | EVLIST_ACTIVE);
		EXPECT_INT("ev_res when active", c.rd.ev_res, EV_WRITE);
		event_base_loop(base, EVLOOP_NONBLOCK);
		EXPECT_INT("callback what", got_what, EV_WRITE);
		EXPECT_INT("evcb_flags after run", c.rd.ev_evcallback.evcb_flags, EVLIST_INIT);

		/* Program rewrites ev_fd / ev_events of a non-pending event,
		 * then adds it: the new values are used. */
		{
			int sv2[2];
			t_pair(sv2);
			event_assign(&c.wr, base, sv[0], EV_READ, cb, NULL);
			c.wr.ev_fd = sv2[0];
			c.wr.ev_events = EV_WRITE;
			calls = 0;
			got_fd = -2;
			event_add(&c.wr, NULL);
			event_base_loop(base, EVLOOP_ONCE);
			EXPECT_INT("rewritten event calls", calls, 1);
			CHECK("rewritten ev_fd used", got_fd == sv2[0]);
			EXPECT_INT("rewritten ev_events used", got_what, EV_WRITE);
			close(sv2[0]);
			close(sv2[1]);
		}

		/* A lone readable fd (the only report of its pass), persistent
		 * and not: the fields while the callback runs, and after. */
		{
			char byte = 'x';
			event_assign(&c.wr, base, sv[0], EV_READ | EV_PERSIST, cb_fields, &c.wr);
			event_add(&c.wr, NULL);
			if (write(sv[1], &byte, 1) != 1)
				DIE("write");
			calls = 0;
			event_base_loop(base, EVLOOP_ONCE);
			EXPECT_INT("lone report calls", calls, 1);
			EXPECT_INT("ev_res in callback", seen_res, EV_READ);
			EXPECT_INT("evcb_flags in persistent callback", seen_flags,
			    EVLIST_INIT | EVLIST_INSERTED);
			EXPECT_INT("ev_res after", c.wr.ev_res, EV_READ);
			event_del(&c.wr);
			event_assign(&c.wr, base, sv[0], EV_READ, cb_fields, &c.wr);
			event_add(&c.wr, NULL);
			event_base_loop(base, EVLOOP_ONCE);
			EXPECT_INT("evcb_flags in one-shot callback", seen_flags, EVLIST_INIT);
			EXPECT_INT("evcb_flags after one-shot", c.wr.ev_evcallback.evcb_flags, EVLIST_INIT);
			if (read(sv[0], &byte, 1) != 1)
				DIE("read");
		}

		/* static struct event by value */
		event_assign(&static_ev, base, -1, 0, cb, NULL);
		{
			struct timeval tv = t_tv_ms(1);
			calls = 0;
			event_add(&static_ev, &tv);
		}
		event_base_dispatch(base);
		EXPECT_INT("static event fired", calls, 1);
		EXPECT_INT("static event what", got_what, EV_TIMEOUT);
		EXPECT_INT("timer callback fd", got_fd, -1);
		EXPECT_INT("timer ev_fd field", static_ev.ev_fd, -1);

		event_base_free(base);
		close(sv[0]);
		close(sv[1]);
	}
	return t_end();
}

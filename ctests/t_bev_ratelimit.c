/* Rate limits: token-bucket configurations, one bufferevent's limit,
 * explicit decrements, groups with shares and totals, and the single
 * read/write caps. Timing is only checked as relations.
 *
 * Buckets refill at wall-clock tick boundaries (the time divided by the
 * tick), which may fall anywhere in a slow run, say under valgrind. So the
 * exact amounts are checked with a 20-day tick, where none falls, and only
 * the refill's timing with a 100 ms one. */
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "common.h"

static size_t got;
static int reads;

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	(void)arg;
	reads++;
	got += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

int
main(void)
{
	struct event_base *base;
	struct ev_token_bucket_cfg *cfg, *still, *gcfg;
	struct bufferevent_rate_limit_group *g;
	struct bufferevent *a, *b, *c;
	struct timeval tick = { 0, 100000 }, no_tick = { 20 * 86400, 0 };
	ev_uint64_t tr = 1, tw = 1;
	char data[1000];
	int sv[2], sv2[2], i;
	ev_ssize_t dflt;
	double t0;

	t_begin("t_bev_ratelimit");
	base = event_base_new();
	memset(data, 'r', sizeof(data));

	CHECK("rate 0 refused", ev_token_bucket_cfg_new(0, 10, 1, 1, NULL) == NULL);
	CHECK("rate above burst refused", ev_token_bucket_cfg_new(11, 10, 1, 1, NULL) == NULL);
	CHECK("write rate above burst refused", ev_token_bucket_cfg_new(1, 1, 5, 4, NULL) == NULL);
	cfg = ev_token_bucket_cfg_new(100, 100, 300, 300, &tick);
	CHECK("cfg_new", cfg != NULL);
	still = ev_token_bucket_cfg_new(100, 100, 300, 300, &no_tick);
	CHECK("cfg_new with a 20-day tick", still != NULL);

	t_pair(sv);
	a = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	b = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
	EXPECT_INT("no limit: read limit is SSIZE_MAX", bufferevent_get_read_limit(b) == EV_SSIZE_MAX, 1);
	/* librel's default single read is larger than libevent's 16384 */
	dflt = bufferevent_get_max_single_read(b);
	CHECK("no limit: max to read is the single-read maximum", bufferevent_get_max_to_read(b) == dflt);
	EXPECT_INT("set_rate_limit", bufferevent_set_rate_limit(b, still), 0);
	CHECK("get_token_bucket_cfg", bufferevent_get_token_bucket_cfg(b) == still);
	EXPECT_INT("read limit: one tick's rate", bufferevent_get_read_limit(b), 100);
	EXPECT_INT("write limit", bufferevent_get_write_limit(b), 300);
	EXPECT_INT("max to read", bufferevent_get_max_to_read(b), 100);
	EXPECT_INT("max to write", bufferevent_get_max_to_write(b), 300);
	EXPECT_INT("decrement_read_limit", bufferevent_decrement_read_limit(b, 30), 0);
	EXPECT_INT("  read limit", bufferevent_get_read_limit(b), 70);
	EXPECT_INT("decrement back up", bufferevent_decrement_read_limit(b, -30), 0);
	EXPECT_INT("  read limit", bufferevent_get_read_limit(b), 100);
	EXPECT_INT("decrement below zero", bufferevent_decrement_read_limit(b, 150), 0);
	EXPECT_INT("  read limit", bufferevent_get_read_limit(b), -50);
	EXPECT_INT("  max to read", bufferevent_get_max_to_read(b), 0);

	/* Off and on again: a fresh bucket with the 100 ms tick, holding one
	 * tick's rate, which is also its burst, wherever a boundary falls. */
	EXPECT_INT("remove the limit", bufferevent_set_rate_limit(b, NULL), 0);
	CHECK("removed", bufferevent_get_token_bucket_cfg(b) == NULL);
	EXPECT_INT("set_rate_limit again", bufferevent_set_rate_limit(b, cfg), 0);
	EXPECT_INT("  read limit", bufferevent_get_read_limit(b), 100);

	bufferevent_setcb(b, readcb, NULL, NULL, NULL);
	bufferevent_enable(b, EV_READ);
	bufferevent_write(a, data, sizeof(data));
	t0 = t_now_ms();
	for (i = 0; i < 100 && reads == 0; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	EXPECT_INT("first read: one tick's allowance", got, 100);
	/* (whether the bucket is still empty now depends on where the wall
	 * clock's 100 ms tick boundaries fall: not checked) */
	while (got < 300 && t_now_ms() - t0 < 5000)
		event_base_loop(base, EVLOOP_ONCE);
	fprintf(stderr, "300 bytes after %.0f ms\n", t_now_ms() - t0);
	CHECK("300 bytes take at least two more ticks", t_now_ms() - t0 >= 150);
	EXPECT_INT("remove the limit again", bufferevent_set_rate_limit(b, NULL), 0);
	while (got < sizeof(data) && t_now_ms() - t0 < 5000)
		event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("the rest without a limit", got, sizeof(data));
	CHECK("max to read without a limit", bufferevent_get_max_to_read(b) == dflt);

	/* Single read/write caps. */
	EXPECT_INT("set_max_single_read", bufferevent_set_max_single_read(b, 500), 0);
	EXPECT_INT("get_max_single_read", bufferevent_get_max_single_read(b), 500);
	EXPECT_INT("max to read follows", bufferevent_get_max_to_read(b), 500);
	bufferevent_set_max_single_read(b, 0);
	CHECK("0 restores the default", bufferevent_get_max_single_read(b) == dflt);
	EXPECT_INT("set_max_single_write", bufferevent_set_max_single_write(b, 700), 0);
	EXPECT_INT("get_max_single_write", bufferevent_get_max_single_write(b), 700);

	/* Groups. */
	gcfg = ev_token_bucket_cfg_new(1000, 1000, 2000, 2000, &no_tick);
	g = bufferevent_rate_limit_group_new(base, gcfg);
	CHECK("group_new", g != NULL);
	EXPECT_INT("group read limit", bufferevent_rate_limit_group_get_read_limit(g), 1000);
	EXPECT_INT("group write limit", bufferevent_rate_limit_group_get_write_limit(g), 2000);
	t_pair(sv2);
	c = bufferevent_socket_new(base, sv2[0], BEV_OPT_CLOSE_ON_FREE);
	EXPECT_INT("add b", bufferevent_add_to_rate_limit_group(b, g), 0);
	EXPECT_INT("add c", bufferevent_add_to_rate_limit_group(c, g), 0);
	EXPECT_INT("b's share of reading", bufferevent_get_max_to_read(b), 500);
	EXPECT_INT("c's share of writing", bufferevent_get_max_to_write(c), 1000);
	EXPECT_INT("set_min_share", bufferevent_rate_limit_group_set_min_share(g, 600), 0);
	EXPECT_INT("a share of at least the minimum", bufferevent_get_max_to_read(b), 600);
	bufferevent_rate_limit_group_set_min_share(g, 64);
	EXPECT_INT("group_decrement_read", bufferevent_rate_limit_group_decrement_read(g, 400), 0);
	EXPECT_INT("  group read limit", bufferevent_rate_limit_group_get_read_limit(g), 600);
	EXPECT_INT("  b's share", bufferevent_get_max_to_read(b), 300);
	bufferevent_rate_limit_group_decrement_read(g, -400);

	got = 0;
	bufferevent_write(a, data, 200);
	t0 = t_now_ms();
	while (got < 200 && t_now_ms() - t0 < 5000)
		event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("read through the group", got, 200);
	bufferevent_rate_limit_group_get_totals(g, &tr, &tw);
	EXPECT_INT("group total read", tr, 200);
	EXPECT_INT("group total written", tw, 0);
	EXPECT_INT("group limit spent", bufferevent_rate_limit_group_get_read_limit(g) <= 800, 1);
	bufferevent_rate_limit_group_reset_totals(g);
	bufferevent_rate_limit_group_get_totals(g, &tr, &tw);
	EXPECT_INT("totals reset", tr + tw, 0);

	EXPECT_INT("remove b", bufferevent_remove_from_rate_limit_group(b), 0);
	CHECK("b unshared again", bufferevent_get_max_to_read(b) == dflt);
	EXPECT_INT("c's share alone: all the group has left", bufferevent_get_max_to_read(c),
	    bufferevent_rate_limit_group_get_read_limit(g));
	EXPECT_INT("group_set_cfg", bufferevent_rate_limit_group_set_cfg(g, cfg), 0);
	EXPECT_INT("clipped to the new burst", bufferevent_rate_limit_group_get_read_limit(g), 100);

	bufferevent_free(c);
	bufferevent_free(a);
	bufferevent_free(b);
	for (i = 0; i < 3; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_rate_limit_group_free(g);
	ev_token_bucket_cfg_free(gcfg);
	ev_token_bucket_cfg_free(cfg);
	ev_token_bucket_cfg_free(still);
	close(sv2[1]);
	event_base_free(base);
	return t_end();
}

/* evbuffer misuse: NULL and freed buffers, draining past the end, bad EOL
 * styles, negative sizes and positions, foreign callback entries, commits
 * of space never reserved, unlocking a lock not held. librel refuses each
 * (or does the documented thing) and goes on; libevent 2.1 dereferences
 * most of these pointers. */
#include "misuse.h"

#include <event2/buffer.h>

static void
null_buffer(void)
{
	struct evbuffer_iovec v[1];
	size_t n = 5;
	EXPECT_RET("evbuffer_add(NULL)", evbuffer_add(NULL, "x", 1), -1);
	EXPECT_LOG("evbuffer_add: no evbuffer given");
	EXPECT_RET("evbuffer_drain(NULL)", evbuffer_drain(NULL, 1), -1);
	EXPECT_RET("evbuffer_get_length(NULL)", evbuffer_get_length(NULL), 0);
	EXPECT_RET("evbuffer_pullup(NULL) is NULL", evbuffer_pullup(NULL, -1) == NULL, 1);
	EXPECT_RET("evbuffer_readln(NULL) is NULL", evbuffer_readln(NULL, &n, EVBUFFER_EOL_LF) == NULL, 1);
	EXPECT_RET("n_read_out", n, 0);
	EXPECT_RET("evbuffer_search(NULL).pos", evbuffer_search(NULL, "x", 1, NULL).pos, -1);
	EXPECT_RET("evbuffer_reserve_space(NULL)", evbuffer_reserve_space(NULL, 1, v, 1), -1);
	{
		struct evbuffer *b = evbuffer_new();
		EXPECT_RET("evbuffer_add_buffer(b, NULL)", evbuffer_add_buffer(b, NULL), -1);
		evbuffer_free(b);
	}
	EXPECT_RET("evbuffer_write(NULL)", evbuffer_write(NULL, 1), -1);
	evbuffer_free(NULL);
	OBS("evbuffer_free(NULL) returned");
	EXPECT_LOG("evbuffer_free: no evbuffer given");
}

static void
null_data(void)
{
	struct evbuffer *b = evbuffer_new();
	EXPECT_RET("evbuffer_add(b, NULL, 5)", evbuffer_add(b, NULL, 5), -1);
	EXPECT_LOG("evbuffer_add: no data given");
	EXPECT_RET("evbuffer_add(b, NULL, 0)", evbuffer_add(b, NULL, 0), 0);
	evbuffer_add(b, "abc", 3);
	EXPECT_RET("evbuffer_remove(b, NULL, 2)", evbuffer_remove(b, NULL, 2), -1);
	EXPECT_RET("length unchanged", evbuffer_get_length(b), 3);
	evbuffer_free(b);
}

static void
freed_buffer(void)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, "abc", 3);
	evbuffer_free(b);
	EXPECT_RET("evbuffer_add(freed)", evbuffer_add(b, "x", 1), -1);
	EXPECT_LOG("evbuffer_add: not a live evbuffer");
	EXPECT_RET("evbuffer_get_length(freed)", evbuffer_get_length(b), 0);
	evbuffer_free(b);
	OBS("evbuffer_free(freed) returned");
	EXPECT_LOG("evbuffer_free: not a live evbuffer");
}

static void
drain_past_end(void)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, "abc", 3);
	EXPECT_RET("evbuffer_drain(b, 1000)", evbuffer_drain(b, 1000), 0);
	EXPECT_RET("length", evbuffer_get_length(b), 0);
	EXPECT_RET("evbuffer_drain(b, SIZE_MAX)", evbuffer_drain(b, (size_t)-1), 0);
	EXPECT_NO_LOG();
	evbuffer_free(b);
}

static void
bad_eol(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t n = 9;
	evbuffer_add(b, "a\nb\n", 4);
	EXPECT_RET("evbuffer_readln(style -1) is NULL",
	    evbuffer_readln(b, &n, (enum evbuffer_eol_style)-1) == NULL, 1);
	EXPECT_RET("n_read_out", n, 0);
	EXPECT_RET("evbuffer_readln(style 99) is NULL",
	    evbuffer_readln(b, &n, (enum evbuffer_eol_style)99) == NULL, 1);
	EXPECT_RET("evbuffer_search_eol(style 99).pos",
	    evbuffer_search_eol(b, NULL, &n, (enum evbuffer_eol_style)99).pos, -1);
	EXPECT_RET("length unchanged", evbuffer_get_length(b), 4);
	evbuffer_free(b);
}

static void
negative_sizes(void)
{
	struct evbuffer *b = evbuffer_new();
	struct evbuffer_iovec v[2];
	struct evbuffer_ptr p;
	char out[4];
	evbuffer_add(b, "abcdef", 6);
	EXPECT_RET("evbuffer_reserve_space(b, -1)", evbuffer_reserve_space(b, -1, v, 2), -1);
	EXPECT_RET("evbuffer_reserve_space(b, 1, v, -1)", evbuffer_reserve_space(b, 1, v, -1), -1);
	EXPECT_RET("evbuffer_pullup(b, -7) pulls up all", evbuffer_pullup(b, -7) != NULL, 1);
	p.pos = -1;
	p.internal_.chain = NULL;
	p.internal_.pos_in_chain = 0;
	EXPECT_RET("evbuffer_copyout_from(pos -1)", evbuffer_copyout_from(b, &p, out, 2), -1);
	EXPECT_RET("evbuffer_ptr_set(ADD to pos -1)", evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), -1);
	EXPECT_RET("evbuffer_ptr_set(how 7)", evbuffer_ptr_set(b, &p, 1, (enum evbuffer_ptr_how)7), -1);
	EXPECT_RET("evbuffer_expand(b, SIZE_MAX)", evbuffer_expand(b, (size_t)-1), -1);
	EXPECT_RET("length unchanged", evbuffer_get_length(b), 6);
	evbuffer_free(b);
}

static void
dummy_cb(struct evbuffer *b, const struct evbuffer_cb_info *i, void *a)
{
	(void)b;
	(void)i;
	(void)a;
}

static void
foreign_entries(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_cb_entry *e = evbuffer_add_cb(a, dummy_cb, NULL);
	EXPECT_RET("evbuffer_remove_cb_entry(b, entry of a)", evbuffer_remove_cb_entry(b, e), -1);
	EXPECT_RET("evbuffer_cb_set_flags(b, entry of a)", evbuffer_cb_set_flags(b, e, EVBUFFER_CB_ENABLED), -1);
	EXPECT_RET("evbuffer_remove_cb_entry(a, NULL)", evbuffer_remove_cb_entry(a, NULL), -1);
	EXPECT_RET("evbuffer_add_cb(a, NULL) is NULL", evbuffer_add_cb(a, NULL, NULL) == NULL, 1);
	EXPECT_RET("evbuffer_remove_cb_entry(a, e)", evbuffer_remove_cb_entry(a, e), 0);
	EXPECT_RET("evbuffer_remove_cb_entry(a, e) again", evbuffer_remove_cb_entry(a, e), -1);
	evbuffer_free(a);
	evbuffer_free(b);
}

static void
unreserved_commit(void)
{
	struct evbuffer *b = evbuffer_new();
	char mine[16];
	struct evbuffer_iovec v[1];
	evbuffer_add(b, "abc", 3);
	v[0].iov_base = mine;
	v[0].iov_len = sizeof mine;
	EXPECT_RET("evbuffer_commit_space(program memory)", evbuffer_commit_space(b, v, 1), -1);
	EXPECT_RET("evbuffer_commit_space(n -1)", evbuffer_commit_space(b, v, -1), -1);
	EXPECT_RET("length unchanged", evbuffer_get_length(b), 3);
	evbuffer_free(b);
}

static void
unlock_not_held(void)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_unlock(b);
	OBS("evbuffer_unlock without the lock returned");
	EXPECT_LOG("evbuffer_unlock: the calling thread does not hold the lock");
	EXPECT_RET("the buffer still works", evbuffer_add(b, "x", 1), 0);
	evbuffer_free(b);
}

int
main(void)
{
	m_begin("m_buffer");
	m_case("NULL evbuffer", "-1 / 0 / NULL / pos -1, log \"no evbuffer given\"", null_buffer);
	m_case("NULL data with a length", "-1, log \"no data given\"; length 0 is fine", null_data);
	m_case("calls on a freed evbuffer", "-1 / 0, log \"not a live evbuffer\" (no read of freed memory)",
	    freed_buffer);
	m_case("evbuffer_drain past the end", "drains all, 0, no log", drain_past_end);
	m_case("bad EOL style (-1, 99)", "readln NULL with n_read_out 0, search_eol pos -1; data kept",
	    bad_eol);
	m_case("negative sizes and positions", "-1 (reserve, copyout_from, ptr_set, huge expand); pullup(<0) is all",
	    negative_sizes);
	m_case("callback entries of another buffer, NULL, removed twice", "-1, log", foreign_entries);
	m_case("commit of space never reserved", "-1, data unchanged", unreserved_commit);
	m_case("evbuffer_unlock without holding the lock", "ignored, log", unlock_not_held);
	return m_end();
}

/* librel only: rel_base_loop_hosted, the loop for interpreters. A fake
 * interpreter checks the contract: its lock is released only around blocking
 * waits, targets are called by method with the wrapped result and held for
 * the call, and a failing call stops the loop at once with -1, leaving the
 * rest of the pass active. Direct events (rel_hosted_call) carry a record
 * [callable, args, decline]: callable(*args) runs, held with its arguments,
 * and a false result runs decline(). */
#if __has_include(<event2/rel.h>)
#include <event2/rel.h>
#include <event2/event.h>
#include <sys/types.h>
#include <unistd.h>
#include "../common.h"

struct obj { int refs; long value; int calls; struct obj *items[3]; };

static int locked = 1, releases, bad_calls;
static const char *method_name = "fire";
static struct obj boxes[64];
static int nboxes, fail_on;
static struct event_base *base;

static void *release(void) { locked = 0; releases++; return &locked; }
static void reacquire(void *state) { *(int *)state = 1; }
static void *wrap(long what) { boxes[nboxes].value = what; boxes[nboxes].refs = 1; return &boxes[nboxes++]; }
static void keep(void *o) { ((struct obj *)o)->refs++; }
static void drop(void *o) { ((struct obj *)o)->refs--; }

/* A record's item; a callable's value is what calling it returns (-1: it fails). */
static void *item(void *list, ssize_t i)
{
	return i >= 0 && i < 3 ? ((struct obj *)list)->items[i] : NULL;
}

static void *call(void *callable, void *args, void *kwargs)
{
	struct obj *f = callable, *a = args;
	if (kwargs || !locked || f->refs < 2 || a->refs < 2)
		bad_calls++;
	f->calls++;
	printf("call callable %ld args %ld\n", f->value, a->value);
	return f->value < 0 ? NULL : wrap(f->value);
}

static void *call_none(void *callable)
{
	struct obj *f = callable;
	if (!locked || f->refs < 2)
		bad_calls++;
	f->calls++;
	printf("decline %ld\n", f->value);
	return wrap(0);
}

static int truth(void *o) { return ((struct obj *)o)->value != 0; }

static void *call_method(void *name, void *const *args, size_t nargs, void *kwnames)
{
	struct obj *target = args[0], *what = args[1];
	if (name != (void *)method_name || nargs != 2 || kwnames || !locked || target->refs < 2)
		bad_calls++;
	target->calls++;
	printf("call target %ld what %#lx\n", target->value, what->value);
	if (target->value == fail_on)
		return NULL;
	return wrap(0);
}

int
main(void)
{
	struct rel_host host = { release, reacquire, wrap, call_method, (void *)method_name, keep, drop,
				 call, call_none, truth, item };
	struct obj yes = { 1, 1, 0, {0} }, no = { 1, 0, 0, {0} }, fails = { 1, -1, 0, {0} };
	struct obj args = { 1, 7, 0, {0} }, decline = { 1, 9, 0, {0} };
	struct obj r_yes = { 1, 0, 0, { &yes, &args, &decline } };
	struct obj r_no = { 1, 0, 0, { &no, &args, &decline } };
	struct obj r_fails = { 1, 0, 0, { &fails, &args, &decline } };
	struct obj *objs[] = { &yes, &no, &fails, &args, &decline, &r_yes, &r_no, &r_fails };
	struct event *d_yes, *d_no, *d_fails;
	struct obj t1 = { 1, 1, 0, {0} }, t2 = { 1, 2, 0, {0} }, t3 = { 1, 3, 0, {0} };
	struct timeval ms = {0, 50000}; /* long enough to be waited for, even under valgrind */
	struct event *e1, *e2, *e3;
	int i;

	t_begin("hosted");
	base = event_base_new();
	e1 = event_new(base, -1, 0, rel_hosted, &t1);
	e2 = event_new(base, -1, 0, rel_hosted, &t2);
	e3 = event_new(base, -1, 0, rel_hosted, &t3);
	event_add(e1, &ms);
	event_active(e2, EV_READ, 0);
	EXPECT_INT("loop runs both", rel_base_loop_hosted(base, 0, &host), 1);
	CHECK("the timer wait released the lock", releases >= 1 && locked);
	CHECK("targets called with the lock held, by method, and kept", bad_calls == 0);
	CHECK("every reference handed back", t1.refs == 1 && t2.refs == 1);
	for (i = 0; i < nboxes; i++)
		if (boxes[i].refs != 0)
			bad_calls++;
	CHECK("results and wrapped values dropped", bad_calls == 0);

	fail_on = 2;
	event_active(e2, EV_WRITE, 0);
	event_active(e3, EV_TIMEOUT, 0);
	EXPECT_INT("a failing target stops the loop", rel_base_loop_hosted(base, 0, &host), -1);
	CHECK("the rest of the pass was not run", t3.calls == 0);
	fail_on = 0;
	EXPECT_INT("and runs in the next loop", rel_base_loop_hosted(base, 0, &host), 1);
	CHECK("once", t3.calls == 1);

	d_yes = event_new(base, -1, 0, rel_hosted_call, &r_yes);
	d_no = event_new(base, -1, 0, rel_hosted_call, &r_no);
	d_fails = event_new(base, -1, 0, rel_hosted_call, &r_fails);
	event_active(d_yes, EV_READ, 0);
	event_active(d_no, EV_READ, 0);
	EXPECT_INT("direct events run", rel_base_loop_hosted(base, 0, &host), 1);
	CHECK("callables called once each", yes.calls == 1 && no.calls == 1);
	CHECK("decline runs after a false result only", decline.calls == 1);
	event_active(d_fails, EV_READ, 0);
	event_active(d_yes, EV_READ, 0);
	EXPECT_INT("a failing callable stops the loop", rel_base_loop_hosted(base, 0, &host), -1);
	CHECK("without declining or running the rest", decline.calls == 1 && yes.calls == 1);
	EXPECT_INT("which runs in the next loop", rel_base_loop_hosted(base, 0, &host), 1);
	CHECK("direct calls held everything they used", bad_calls == 0);
	for (i = 0; i < (int)(sizeof objs / sizeof *objs); i++)
		if (objs[i]->refs != 1)
			bad_calls++;
	for (i = 0; i < nboxes; i++)
		if (boxes[i].refs != 0)
			bad_calls++;
	CHECK("and handed every reference back", bad_calls == 0);
	event_free(d_yes);
	event_free(d_no);
	event_free(d_fails);

	EXPECT_INT("a missing entry point is refused", rel_base_loop_hosted(base, 0, NULL), -1);
	event_free(e1);
	event_free(e2);
	event_free(e3);
	event_base_free(base);
	return t_end();
}
#else
int main(void) { return 0; } /* libevent has no hosted loop */
#endif

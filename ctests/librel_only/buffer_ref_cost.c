/* librel only: evbuffer_add_reference costs a small record, not a 1 KiB
 * chain per reference (libevent issue 1198: 1000 references take ~1 MB). */
#include "../common.h"

#include <malloc.h>
#include <event2/buffer.h>

static int cleaned;

static void
cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	(void)arg;
	cleaned++;
}

int
main(void)
{
	static const char text[] = "0123456789";
	struct evbuffer *b = evbuffer_new();
	size_t before, after;
	int i;
	t_begin("buffer_ref_cost");
	evbuffer_add_reference(b, text, 10, cleanup, NULL);
	evbuffer_drain(b, 10);
	before = mallinfo2().uordblks;
	for (i = 0; i < 1000; i++)
		evbuffer_add_reference(b, text, 10, cleanup, NULL);
	after = mallinfo2().uordblks;
	fprintf(stderr, "bytes per reference: %zu\n", (after - before) / 1000);
	CHECK("under 200 bytes of heap per reference", (after - before) / 1000 < 200);
	EXPECT_INT("length", evbuffer_get_length(b), 10000);
	evbuffer_free(b);
	EXPECT_INT("every cleanup ran", cleaned, 1001);
	return t_end();
}

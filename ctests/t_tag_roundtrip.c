/* evtag round trips: every marshal call and its unmarshal twin, the exact
 * bytes of the encodings (integers, tags, lengths, timevals), peek,
 * peek_length, payload_length, consume, unmarshal into another buffer and
 * into the same one, and the 1.4 names (event.h, tag_compat.h). */
#include "common.h"

#include <event.h>
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>

/* The buffer's bytes in hex, then drained. */
static const char *
hex_take(struct evbuffer *b)
{
	static char s[4096];
	unsigned char tmp[1024];
	size_t n = evbuffer_get_length(b), i;
	if (n > sizeof tmp)
		return "(too long)";
	evbuffer_remove(b, tmp, n);
	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", tmp[i]);
	s[2 * n] = '\0';
	return s;
}

static void
encodings(void)
{
	static const ev_uint64_t values[] = {0, 1, 0xf, 0x10, 0x12, 0x123, 0xff,
	    0x1234, 0xfffff, 0x7fffffff, 0xffffffffu, 0x100000000ull,
	    0x123456789abcdefull, 0xffffffffffffffffull};
	static const ev_uint32_t tags[] = {0, 1, 0x66, 0x7f, 0x80, 0x166, 0x3fff,
	    0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000, 0xffffffffu};
	struct evbuffer *b = evbuffer_new();
	size_t i;
	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		if (values[i] <= 0xffffffffu) {
			evtag_encode_int(b, (ev_uint32_t)values[i]);
			SAY("int %llx -> %s", (unsigned long long)values[i], hex_take(b));
		}
		evtag_encode_int64(b, values[i]);
		SAY("int64 %llx -> %s", (unsigned long long)values[i], hex_take(b));
		encode_int64(b, values[i]);
		SAY("compat int64 %llx -> %s", (unsigned long long)values[i], hex_take(b));
		evtag_marshal_int64(b, 9, values[i]);
		SAY("marshal_int64 %llx -> %s", (unsigned long long)values[i], hex_take(b));
	}
	encode_int(b, 0x55);
	SAY("compat int 55 -> %s", hex_take(b));
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		evtag_marshal(b, tags[i], "", 0);
		SAY("empty record tag %lx -> %s", (unsigned long)tags[i], hex_take(b));
		evtag_marshal_int(b, tags[i], tags[i]);
		SAY("marshal_int tag %lx -> %s", (unsigned long)tags[i], hex_take(b));
	}
	evbuffer_free(b);
}

static void
round_trips(void)
{
	struct evbuffer *b = evbuffer_new(), *payload = evbuffer_new(), *dst = evbuffer_new();
	struct timeval tv = {1700000000, 999999}, tv2 = {-1, -2}, got_tv;
	ev_uint32_t u32, tag, len;
	ev_uint64_t u64;
	char *s = NULL, fixed[4];
	int r;

	evtag_init();
	evtag_marshal_int(b, 1, 0xdeadbeef);
	evtag_marshal_int64(b, 2, 0x123456789abcdefull);
	evtag_marshal_string(b, 3, "hello, tag");
	evtag_marshal_timeval(b, 4, &tv);
	evtag_marshal_timeval(b, 5, &tv2);
	evtag_marshal(b, 6, "abcd", 4);
	evbuffer_add(payload, "from a buffer", 13);
	evtag_marshal_buffer(b, 300, payload);
	EXPECT_INT("marshal_buffer empties its source", evbuffer_get_length(payload), 0);
	evtag_marshal(b, 0x10000, "xyz", 3);
	evtag_marshal_string(b, 8, "");
	EXPECT_INT("stream length", evbuffer_get_length(b), 82);

	EXPECT_INT("peek", evtag_peek(b, &tag), 1);
	EXPECT_INT("peek tag", tag, 1);
	EXPECT_INT("peek with NULL", evtag_peek(b, NULL), 1);
	EXPECT_INT("payload_length", evtag_payload_length(b, &len), 0);
	EXPECT_INT("payload length", len, 5);
	EXPECT_INT("peek_length", evtag_peek_length(b, &len), 0);
	EXPECT_INT("whole length", len, 7);
	u32 = 0;
	EXPECT_INT("unmarshal_int", evtag_unmarshal_int(b, 1, &u32), 5);
	EXPECT_INT("int", u32, 0xdeadbeef);
	EXPECT_INT("unmarshal_int64", evtag_unmarshal_int64(b, 2, &u64), 8);
	CHECK("int64", u64 == 0x123456789abcdefull);
	EXPECT_INT("unmarshal_string", evtag_unmarshal_string(b, 3, &s), 0);
	EXPECT_STR("string", s, "hello, tag");
	free(s);
	EXPECT_INT("unmarshal_timeval", evtag_unmarshal_timeval(b, 4, &got_tv), 0);
	EXPECT_INT("tv_sec", got_tv.tv_sec, 1700000000);
	EXPECT_INT("tv_usec", got_tv.tv_usec, 999999);
	EXPECT_INT("unmarshal_timeval (negative fields)", evtag_unmarshal_timeval(b, 5, &got_tv), 0);
	EXPECT_INT("tv_sec cut to 32 bits", got_tv.tv_sec, 0xffffffffu);
	EXPECT_INT("tv_usec cut to 32 bits", got_tv.tv_usec, 0xfffffffeu);
	EXPECT_INT("unmarshal_fixed", evtag_unmarshal_fixed(b, 6, fixed, 4), 0);
	CHECK("fixed bytes", memcmp(fixed, "abcd", 4) == 0);
	EXPECT_INT("peek two-byte tag", evtag_peek(b, &tag), 2);
	EXPECT_INT("tag 300", tag, 300);
	EXPECT_INT("unmarshal to another buffer", evtag_unmarshal(b, &tag, dst), 13);
	EXPECT_INT("its tag", tag, 300);
	EXPECT_INT("dst length", evbuffer_get_length(dst), 13);
	EXPECT_INT("peek_length, three-byte tag", evtag_peek_length(b, &len), 0);
	EXPECT_INT("whole length", len, 7);
	EXPECT_INT("unmarshal_header", evtag_unmarshal_header(b, &tag), 3);
	EXPECT_INT("header tag", tag, 0x10000);
	EXPECT_INT("payload still there", evbuffer_get_length(b), 3 + 2);
	evbuffer_drain(b, 3);
	EXPECT_INT("empty string", evtag_unmarshal_string(b, 8, &s), 0);
	EXPECT_STR("empty", s, "");
	free(s);
	EXPECT_INT("all read", evbuffer_get_length(b), 0);

	/* consume, and unmarshal into the buffer it reads from */
	evtag_marshal(b, 1, "one", 3);
	evtag_marshal(b, 2, "two", 3);
	evtag_marshal_int(b, 3, 7);
	EXPECT_INT("consume", evtag_consume(b), 0);
	EXPECT_INT("next tag", (evtag_peek(b, &tag), tag), 2);
	r = evtag_unmarshal(b, NULL, b);
	EXPECT_INT("unmarshal into itself", r, 3);
	EXPECT_INT("consume int record", evtag_consume(b), 0);
	EXPECT_STR("appended payload", hex_take(b), "74776f");
	EXPECT_INT("consume of empty", evtag_consume(b), -1);
	EXPECT_INT("peek of empty", evtag_peek(b, &tag), -1);

	/* zero-length payloads */
	evtag_marshal(b, 5, NULL, 0);
	EXPECT_INT("unmarshal_fixed of 0 bytes", evtag_unmarshal_fixed(b, 5, NULL, 0), 0);
	evtag_marshal(b, 5, "", 0);
	EXPECT_INT("unmarshal of 0 bytes", evtag_unmarshal(b, &tag, dst), 0);
	EXPECT_INT("left", evbuffer_get_length(b), 0);

	/* many records, read back in order */
	for (u32 = 0; u32 < 1000; u32++)
		evtag_marshal_int(b, u32 * 7919, u32 * 2654435761u);
	for (u32 = 0, r = 0; u32 < 1000; u32++) {
		ev_uint32_t v = 0;
		if (evtag_unmarshal_int(b, u32 * 7919, &v) < 0 || v != u32 * 2654435761u)
			r++;
	}
	EXPECT_INT("1000 int records: mismatches", r, 0);
	EXPECT_INT("1000 int records: all read", evbuffer_get_length(b), 0);

	/* a large payload */
	{
		static char big[100000];
		static char back[100000];
		memset(big, 'q', sizeof big);
		evtag_marshal(b, 77, big, sizeof big);
		EXPECT_INT("large payload_length", (evtag_payload_length(b, &len), len), sizeof big);
		EXPECT_INT("large fixed", evtag_unmarshal_fixed(b, 77, back, sizeof back), 0);
		CHECK("large payload intact", memcmp(big, back, sizeof big) == 0);
	}
	evbuffer_free(b);
	evbuffer_free(payload);
	evbuffer_free(dst);
}

int
main(void)
{
	t_begin("t_tag_roundtrip");
	encodings();
	round_trips();
	return t_end();
}

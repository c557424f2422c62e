/* evtag misuse: NULL and freed buffers, NULL out-pointers and data, huge
 * lengths. librel refuses each with -1 (or does nothing, for the void
 * calls) and a log line, before consuming anything; libevent 2.1
 * dereferences these pointers. */
#include "misuse.h"

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/tag.h>

/* A buffer holding one int record of tag 1 (value 5). */
static struct evbuffer *
int_record(void)
{
	struct evbuffer *b = evbuffer_new();
	evtag_marshal_int(b, 1, 5);
	return b;
}

static void
null_buffer(void)
{
	ev_uint32_t u = 0;
	ev_uint64_t u64 = 0;
	char *s = NULL;
	struct timeval tv = {1, 2};
	char fixed[1];
	EXPECT_RET("evtag_peek(NULL)", evtag_peek(NULL, &u), -1);
	EXPECT_LOG("evtag_peek: no evbuffer given");
	EXPECT_RET("evtag_peek_length(NULL)", evtag_peek_length(NULL, &u), -1);
	EXPECT_RET("evtag_payload_length(NULL)", evtag_payload_length(NULL, &u), -1);
	EXPECT_RET("evtag_unmarshal_header(NULL)", evtag_unmarshal_header(NULL, &u), -1);
	EXPECT_RET("evtag_consume(NULL)", evtag_consume(NULL), -1);
	EXPECT_RET("evtag_unmarshal(NULL, b)", evtag_unmarshal(NULL, &u, NULL), -1);
	EXPECT_RET("evtag_unmarshal_int(NULL)", evtag_unmarshal_int(NULL, 1, &u), -1);
	EXPECT_RET("evtag_unmarshal_int64(NULL)", evtag_unmarshal_int64(NULL, 1, &u64), -1);
	EXPECT_RET("evtag_unmarshal_fixed(NULL)", evtag_unmarshal_fixed(NULL, 1, fixed, 1), -1);
	EXPECT_RET("evtag_unmarshal_string(NULL)", evtag_unmarshal_string(NULL, 1, &s), -1);
	EXPECT_RET("evtag_unmarshal_timeval(NULL)", evtag_unmarshal_timeval(NULL, 1, &tv), -1);
	EXPECT_RET("out-values untouched", u == 0 && u64 == 0 && s == NULL && tv.tv_sec == 1, 1);
	evtag_marshal(NULL, 1, "x", 1);
	evtag_marshal_int(NULL, 1, 1);
	evtag_marshal_int64(NULL, 1, 1);
	evtag_marshal_string(NULL, 1, "x");
	evtag_marshal_timeval(NULL, 1, &tv);
	evtag_encode_int(NULL, 1);
	evtag_encode_int64(NULL, 1);
	OBS("void marshal calls on NULL returned");
	EXPECT_LOG("evtag_marshal_timeval: no evbuffer given");
}

static void
null_outputs(void)
{
	struct evbuffer *b = int_record();
	EXPECT_RET("evtag_peek(b, NULL) (allowed)", evtag_peek(b, NULL), 1);
	EXPECT_RET("evtag_peek_length(b, NULL)", evtag_peek_length(b, NULL), -1);
	EXPECT_LOG("evtag_peek_length: no length out-pointer given");
	EXPECT_RET("evtag_payload_length(b, NULL)", evtag_payload_length(b, NULL), -1);
	EXPECT_RET("evtag_unmarshal_int(b, 1, NULL)", evtag_unmarshal_int(b, 1, NULL), -1);
	EXPECT_RET("evtag_unmarshal_int64(b, 1, NULL)", evtag_unmarshal_int64(b, 1, NULL), -1);
	EXPECT_RET("evtag_unmarshal_string(b, 1, NULL)", evtag_unmarshal_string(b, 1, NULL), -1);
	EXPECT_RET("evtag_unmarshal_timeval(b, 1, NULL)", evtag_unmarshal_timeval(b, 1, NULL), -1);
	EXPECT_RET("evtag_unmarshal_fixed(b, 1, NULL, 3)", evtag_unmarshal_fixed(b, 1, NULL, 3), -1);
	EXPECT_LOG("evtag_unmarshal_fixed: no data given");
	EXPECT_RET("evtag_unmarshal(b, tag, NULL)", evtag_unmarshal(b, NULL, NULL), -1);
	EXPECT_RET("nothing consumed", evbuffer_get_length(b), 3);
	EXPECT_RET("evtag_unmarshal_header(b, NULL) (allowed)", evtag_unmarshal_header(b, NULL), 1);
	evbuffer_free(b);
}

static void
null_data(void)
{
	struct evbuffer *b = evbuffer_new();
	evtag_marshal(b, 1, NULL, 5);
	EXPECT_LOG("evtag_marshal: no data given");
	evtag_marshal_string(b, 1, NULL);
	EXPECT_LOG("evtag_marshal_string: no string given");
	evtag_marshal_timeval(b, 1, NULL);
	EXPECT_LOG("evtag_marshal_timeval: no timeval given");
	evtag_marshal_buffer(b, 1, NULL);
	EXPECT_RET("nothing appended", evbuffer_get_length(b), 0);
	evtag_marshal(b, 1, NULL, 0);
	EXPECT_RET("NULL with length 0 is an empty record", evbuffer_get_length(b), 2);
	evbuffer_free(b);
}

static void
freed_buffer(void)
{
	struct evbuffer *b = int_record();
	ev_uint32_t u = 0;
	evbuffer_free(b);
	EXPECT_RET("evtag_peek(freed)", evtag_peek(b, &u), -1);
	EXPECT_LOG("evtag_peek: not a live evbuffer");
	EXPECT_RET("evtag_unmarshal_int(freed)", evtag_unmarshal_int(b, 1, &u), -1);
	evtag_marshal_int(b, 1, 1);
	OBS("evtag_marshal_int(freed) returned");
}

static void
huge_lengths(void)
{
	/* A header claiming 4 GiB - 1 of payload over three bytes of data, and
	 * a 16-nibble length. */
	static const unsigned char huge[] = {0x01, 0x7f, 0xff, 0xff, 0xff, 0xf0, 'a', 'b', 'c'};
	static const unsigned char nibbles16[] = {0x01, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct evbuffer *b = evbuffer_new(), *dst = evbuffer_new();
	ev_uint32_t u = 0;
	char *s = NULL;
	char small[4];
	evbuffer_add(b, huge, sizeof huge);
	EXPECT_RET("evtag_payload_length", evtag_payload_length(b, &u), 0);
	EXPECT_RET("length", u, 0xffffffffu);
	EXPECT_RET("evtag_peek_length (wraps in 32 bits)", evtag_peek_length(b, &u), 0);
	EXPECT_RET("whole length", u, 5);
	EXPECT_RET("evtag_unmarshal", evtag_unmarshal(b, &u, dst), -1);
	EXPECT_RET("header consumed, payload kept", evbuffer_get_length(b), 3);
	evbuffer_drain(b, 3);
	evbuffer_add(b, huge, sizeof huge);
	EXPECT_RET("evtag_unmarshal_string", evtag_unmarshal_string(b, 1, &s), -1);
	EXPECT_RET("no string", s == NULL, 1);
	evbuffer_drain(b, 3);
	evbuffer_add(b, huge, sizeof huge);
	EXPECT_RET("evtag_unmarshal_fixed(huge len)", evtag_unmarshal_fixed(b, 1, small, SIZE_MAX), -1);
	EXPECT_LOG("evtag_unmarshal_fixed: length out of range");
	evbuffer_drain(b, evbuffer_get_length(b));
	evbuffer_add(b, nibbles16, sizeof nibbles16);
	EXPECT_RET("evtag_payload_length (16 nibbles)", evtag_payload_length(b, &u), -1);
	EXPECT_RET("evtag_consume (16 nibbles)", evtag_consume(b), -1);
	EXPECT_RET("tag consumed", evbuffer_get_length(b), 9);
	EXPECT_RET("dst untouched", evbuffer_get_length(dst), 0);
	evbuffer_free(b);
	evbuffer_free(dst);
}

int
main(void)
{
	m_begin("m_tag");
	m_case("NULL evbuffer", "-1 / nothing, log \"no evbuffer given\"; out-values untouched", null_buffer);
	m_case("NULL out-pointers", "-1, log, nothing consumed; NULL tag pointers allowed", null_outputs);
	m_case("NULL data, string, timeval, source buffer", "nothing appended, log; NULL with length 0 is fine",
	    null_data);
	m_case("calls on a freed evbuffer", "-1 / nothing, log \"not a live evbuffer\"", freed_buffer);
	m_case("huge lengths", "-1, no allocation of the claimed size; what libevent consumes is consumed",
	    huge_lengths);
	return m_end();
}

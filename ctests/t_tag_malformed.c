/* evtag on malformed input: truncated records at every cut, oversized
 * lengths, wrong tags, integers and tags too long for their width, and
 * 400 pseudo-random byte strings run through every decoder. For each call
 * the transcript has the return value, what is left in the buffer and
 * what was written to the out-parameters (a failed call may still write
 * some, and consumes what libevent consumes). */
#include "common.h"

#include <event2/buffer.h>
#include <event2/tag.h>

/* Exported by libevent_extra, declared by no public header. */
int evtag_decode_int(ev_uint32_t *pnumber, struct evbuffer *evbuf);
int evtag_decode_int64(ev_uint64_t *pnumber, struct evbuffer *evbuf);
int evtag_encode_tag(struct evbuffer *evbuf, ev_uint32_t tag);
int evtag_decode_tag(ev_uint32_t *ptag, struct evbuffer *evbuf);

#define SENTINEL 0xa5a5a5a5u

enum op {
	OP_PEEK, OP_PEEK_LENGTH, OP_PAYLOAD_LENGTH, OP_HEADER, OP_CONSUME,
	OP_UNMARSHAL, OP_INT, OP_INT64, OP_FIXED0, OP_FIXED2, OP_STRING,
	OP_TIMEVAL, OP_DECODE_INT, OP_DECODE_INT64, OP_DECODE_TAG, OP_COUNT
};

static const char *op_names[OP_COUNT] = {"peek", "peek_length",
    "payload_length", "header", "consume", "unmarshal", "int", "int64",
    "fixed0", "fixed2", "string", "timeval", "decode_int", "decode_int64",
    "decode_tag"};

/* Runs one decoder on a fresh buffer holding `data`; appends
 * "name=ret/left/outs" to `line`. */
static void
run_op(enum op op, const unsigned char *data, size_t n, ev_uint32_t need, char *line, size_t cap)
{
	struct evbuffer *b = evbuffer_new(), *dst = evbuffer_new();
	ev_uint32_t u = SENTINEL;
	ev_uint64_t u64 = 0xa5a5a5a5a5a5a5a5ull;
	struct timeval tv = {-7, -7};
	char fixed[2] = {'#', '#'};
	char *s = NULL;
	char outs[128] = "";
	int r = -99;
	size_t used = strlen(line);

	evbuffer_add(b, data, n);
	switch (op) {
	case OP_PEEK:
		r = evtag_peek(b, &u);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_PEEK_LENGTH:
		r = evtag_peek_length(b, &u);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_PAYLOAD_LENGTH:
		r = evtag_payload_length(b, &u);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_HEADER:
		r = evtag_unmarshal_header(b, &u);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_CONSUME:
		r = evtag_consume(b);
		break;
	case OP_UNMARSHAL:
		r = evtag_unmarshal(b, &u, dst);
		snprintf(outs, sizeof outs, "%x,%zu", u, evbuffer_get_length(dst));
		break;
	case OP_INT:
		r = evtag_unmarshal_int(b, need, &u);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_INT64:
		r = evtag_unmarshal_int64(b, need, &u64);
		snprintf(outs, sizeof outs, "%llx", (unsigned long long)u64);
		break;
	case OP_FIXED0:
		r = evtag_unmarshal_fixed(b, need, fixed, 0);
		break;
	case OP_FIXED2:
		r = evtag_unmarshal_fixed(b, need, fixed, 2);
		snprintf(outs, sizeof outs, "%02x%02x", (unsigned char)fixed[0], (unsigned char)fixed[1]);
		break;
	case OP_STRING:
		r = evtag_unmarshal_string(b, need, &s);
		if (r == 0 && s) {
			snprintf(outs, sizeof outs, "%zu", strlen(s));
			free(s);
		}
		break;
	case OP_TIMEVAL:
		r = evtag_unmarshal_timeval(b, need, &tv);
		snprintf(outs, sizeof outs, "%lld,%lld", (long long)tv.tv_sec, (long long)tv.tv_usec);
		break;
	case OP_DECODE_INT:
		r = evtag_decode_int(&u, b);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_DECODE_INT64:
		r = evtag_decode_int64(&u64, b);
		snprintf(outs, sizeof outs, "%llx", (unsigned long long)u64);
		break;
	case OP_DECODE_TAG:
		r = evtag_decode_tag(&u, b);
		snprintf(outs, sizeof outs, "%x", u);
		break;
	case OP_COUNT:
		break;
	}
	snprintf(line + used, cap - used, " %s=%d/%zu/%s", op_names[op], r,
	    evbuffer_get_length(b), outs);
	evbuffer_free(b);
	evbuffer_free(dst);
}

/* Every decoder on `data`, one transcript line. */
static void
all_ops(const char *label, const unsigned char *data, size_t n, ev_uint32_t need)
{
	char line[4096];
	int op;
	snprintf(line, sizeof line, "%s:", label);
	for (op = 0; op < OP_COUNT; op++)
		run_op((enum op)op, data, n, need, line, sizeof line);
	SAY("%s", line);
}

/* A stream of well-formed records, then every prefix of it. */
static void
truncations(void)
{
	struct evbuffer *b = evbuffer_new();
	struct timeval tv = {123456, 654321};
	unsigned char whole[256];
	char label[32];
	size_t n, cut;

	evtag_marshal_int(b, 0x81, 0xfedcba98);
	evtag_marshal_int64(b, 0x81, 0xfedcba9876543210ull);
	evtag_marshal_timeval(b, 0x81, &tv);
	evtag_marshal(b, 0x81, "ab", 2);
	n = evbuffer_get_length(b);
	evbuffer_remove(b, whole, n);
	EXPECT_INT("stream bytes", n, 34);
	for (cut = 0; cut <= n; cut++) {
		snprintf(label, sizeof label, "prefix %zu", cut);
		all_ops(label, whole, cut, 0x81);
	}
	evbuffer_free(b);
}

static void
crafted(void)
{
	/* lengths beyond the data, up to the largest 32-bit length */
	static const unsigned char oversized1[] = {0x01, 0x05, 'a'};
	static const unsigned char oversized2[] = {0x01, 0x7f, 0xff, 0xff, 0xff, 0xf0, 'a', 'b'};
	/* 9 nibbles: fine for int64, not for a 32-bit length or int */
	static const unsigned char nibbles9[] = {0x01, 0x06, 0x80, 0x00, 0x00, 0x00, 0x10, 'x'};
	static const unsigned char int9[] = {0x80, 0x00, 0x00, 0x00, 0x10, 0x00};
	/* 16 nibbles as a length; 16 as an int64 payload */
	static const unsigned char nibbles16[] = {0x02, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const unsigned char int64_16[] = {0x02, 0x09, 0xf1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xf0};
	/* tags: 5 bytes with a too big fifth, 5 bytes continuing, 6 bytes */
	static const unsigned char tag5big[] = {0xff, 0xff, 0xff, 0xff, 0x1f, 0x00};
	static const unsigned char tag5ok[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
	static const unsigned char tag5cont[] = {0x80, 0x80, 0x80, 0x80, 0x81, 0x00, 0x00};
	static const unsigned char tagonly[] = {0x80, 0x80, 0x80};
	/* an int record whose payload is shorter than its integer */
	static const unsigned char shortint[] = {0x02, 0x01, 0x40, 0x11, 0x22, 0x33};
	/* an empty int record followed by another record */
	static const unsigned char emptyint[] = {0x02, 0x00, 0x03, 0x01, 0x10};
	/* a timeval whose second integer runs past the record */
	static const unsigned char tvlong[] = {0x02, 0x02, 0x01, 0x30, 0x11, 0x22};
	/* a timeval record with one integer */
	static const unsigned char tvhalf[] = {0x02, 0x01, 0x05};
	/* non-canonical integers: leading zero nibbles */
	static const unsigned char padded[] = {0x02, 0x03, 0x20, 0x00, 0x07};
	/* a fixed record of two bytes, with another tag after it */
	static const unsigned char fixed2[] = {0x02, 0x02, 'h', 'i', 0x03};
	static const unsigned char embedded_nul[] = {0x02, 0x03, 'a', 0, 'b'};

	all_ops("oversized1", oversized1, sizeof oversized1, 1);
	all_ops("oversized2", oversized2, sizeof oversized2, 1);
	all_ops("nibbles9", nibbles9, sizeof nibbles9, 1);
	all_ops("int9", int9, sizeof int9, 0);
	all_ops("nibbles16", nibbles16, sizeof nibbles16, 2);
	all_ops("int64_16", int64_16, sizeof int64_16, 2);
	all_ops("tag5big", tag5big, sizeof tag5big, 0xffffffffu);
	all_ops("tag5ok", tag5ok, sizeof tag5ok, 0xffffffffu);
	all_ops("tag5cont", tag5cont, sizeof tag5cont, 0);
	all_ops("tagonly", tagonly, sizeof tagonly, 0);
	all_ops("shortint", shortint, sizeof shortint, 2);
	all_ops("emptyint", emptyint, sizeof emptyint, 2);
	all_ops("tvlong", tvlong, sizeof tvlong, 2);
	all_ops("tvhalf", tvhalf, sizeof tvhalf, 2);
	all_ops("padded", padded, sizeof padded, 2);
	all_ops("wrongtag", padded, sizeof padded, 3);
	all_ops("fixed2", fixed2, sizeof fixed2, 2);
	all_ops("embedded_nul", embedded_nul, sizeof embedded_nul, 2);
	all_ops("empty", (const unsigned char *)"", 0, 0);
}

/* Pseudo-random strings, biased to small tags and lengths so that many
 * get past the header. */
static void
random_inputs(void)
{
	unsigned long long x = 88172645463325252ull;
	unsigned char data[24];
	char label[32];
	int i;
	size_t j, n;
	for (i = 0; i < 400; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = x % (sizeof data + 1);
		for (j = 0; j < n; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			switch (x % 4) {
			case 0:
				data[j] = (unsigned char)(x >> 8);
				break;
			case 1:
				data[j] = (unsigned char)((x >> 8) & 0x0f);
				break;
			case 2:
				data[j] = (unsigned char)((x >> 8) & 0x3f);
				break;
			default:
				data[j] = (unsigned char)((x >> 8) & 0x83);
				break;
			}
		}
		/* every other input: a one-nibble length near what follows */
		if (i % 2 == 0 && n >= 2)
			data[1] = (unsigned char)((n - 3 + x % 3) & 0x0f);
		snprintf(label, sizeof label, "random %d", i);
		all_ops(label, data, n, n > 0 ? data[0] & 0x7f : 0);
	}
}

static void
encode_tag_lengths(void)
{
	struct evbuffer *b = evbuffer_new();
	EXPECT_INT("encode_tag 0 (no buffer)", evtag_encode_tag(NULL, 0), 1);
	EXPECT_INT("encode_tag 2^31 (no buffer)", evtag_encode_tag(NULL, 0x80000000u), 5);
	EXPECT_INT("encode_tag 0x3fff", evtag_encode_tag(b, 0x3fff), 2);
	EXPECT_INT("appended", evbuffer_get_length(b), 2);
	evbuffer_free(b);
}

int
main(void)
{
	t_begin("t_tag_malformed");
	encode_tag_lengths();
	truncations();
	crafted();
	random_inputs();
	return t_end();
}

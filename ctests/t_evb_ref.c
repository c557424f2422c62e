/* Memory an evbuffer does not own: evbuffer_add_reference (cleanup run
 * once, when the data is released: drained, moved then drained, freed),
 * evbuffer_add_buffer_reference, file segments (cleanup callback,
 * EVBUF_FS_CLOSE_ON_FREE, offsets and lengths) and evbuffer_add_file. */
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include "common.h"

static int cleanups;

static void
cleanup(const void *data, size_t len, void *arg)
{
	cleanups++;
	SAY("cleanup %s: %.*s (%d)", (const char *)arg, (int)len, (const char *)data, (int)len);
}

static void
seg_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	(void)seg;
	SAY("segment cleanup %s flags=%d", (const char *)arg, flags);
}

static const char *
content(struct evbuffer *b)
{
	static char s[4096];
	ev_ssize_t n = evbuffer_copyout(b, s, sizeof(s) - 1);
	s[n < 0 ? 0 : n] = 0;
	return s;
}

static int
tmpfile_with(const char *text)
{
	char path[] = "/tmp/t_buffer_ref_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		DIE("mkstemp");
	unlink(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		DIE("write");
	return fd;
}

int
main(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct evbuffer_file_segment *seg;
	int fd;

	t_begin("t_evb_ref");
	EXPECT_INT("add_reference", evbuffer_add_reference(a, "lent bytes", 10, cleanup, "one"), 0);
	evbuffer_add(a, "+own", 4);
	EXPECT_STR("content", content(a), "lent bytes+own");
	evbuffer_drain(a, 4);
	SAY("drained 4 (cleanups %d)", cleanups);
	evbuffer_drain(a, 6);
	SAY("drained the rest of the reference (cleanups %d)", cleanups);
	evbuffer_drain(a, 100);

	evbuffer_add_reference(a, "moved", 5, cleanup, "two");
	evbuffer_add_buffer(b, a);
	SAY("moved (cleanups %d)", cleanups);
	EXPECT_STR("moved content", content(b), "moved");
	evbuffer_drain(b, 5);

	evbuffer_add_reference(a, "freed", 5, cleanup, "three");
	SAY("free");
	evbuffer_free(a);
	a = evbuffer_new();
	evbuffer_add_reference(a, "no cleanup fn", 13, NULL, NULL);
	evbuffer_drain(a, 13);

	/* buffer references: the source keeps its data */
	evbuffer_add(a, "source data", 11);
	evbuffer_add_reference(a, "+lent", 5, cleanup, "four");
	EXPECT_INT("add_buffer_reference", evbuffer_add_buffer_reference(b, a), 0);
	EXPECT_STR("reference content", content(b), "source data+lent");
	EXPECT_STR("source keeps", content(a), "source data+lent");
	EXPECT_INT("reference self", evbuffer_add_buffer_reference(a, a), -1);
	evbuffer_drain(a, 100);
	SAY("source drained (cleanups %d)", cleanups);
	EXPECT_STR("reference survives", content(b), "source data+lent");
	evbuffer_drain(b, 100);
	SAY("reference drained (cleanups %d)", cleanups);
	{
		struct evbuffer *empty = evbuffer_new();
		EXPECT_INT("reference of empty", evbuffer_add_buffer_reference(b, empty), 0);
		evbuffer_free(empty);
	}

	/* file segments (one buffer per segment, and no refused add: libevent
	 * 2.1.12 then frees the segment early; see librel_only) */
	fd = tmpfile_with("0123456789abcdefghij");
	seg = evbuffer_file_segment_new(fd, 5, 10, EVBUF_FS_CLOSE_ON_FREE);
	CHECK("segment", seg != NULL);
	evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, "s1");
	EXPECT_INT("add segment part", evbuffer_add_file_segment(a, seg, 2, 3), 0);
	EXPECT_STR("segment part", content(a), "789");
	{
		struct evbuffer *r = evbuffer_new();
		EXPECT_INT("reference to a segment", evbuffer_add_buffer_reference(r, a), -1);
		evbuffer_free(r);
	}
	SAY("free handle");
	evbuffer_file_segment_free(seg);
	CHECK("fd open while data held", fcntl(fd, F_GETFD) != -1);
	SAY("drain");
	evbuffer_drain(a, 100);
	CHECK("fd closed with the last data", fcntl(fd, F_GETFD) == -1);

	fd = tmpfile_with("whole file\n");
	seg = evbuffer_file_segment_new(fd, 0, -1, 0);
	evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, "s2");
	evbuffer_add_file_segment(a, seg, 6, -1);
	EXPECT_STR("to the end", content(a), "file\n");
	evbuffer_file_segment_free(seg);
	evbuffer_drain(a, 100);
	CHECK("fd kept without CLOSE_ON_FREE", fcntl(fd, F_GETFD) != -1);
	close(fd);

	fd = tmpfile_with("add_file contents");
	EXPECT_INT("add_file", evbuffer_add_file(a, fd, 4, 4), 0);
	EXPECT_STR("add_file content", content(a), "file");
	evbuffer_free(a);
	CHECK("add_file closes on free", fcntl(fd, F_GETFD) == -1);
	evbuffer_free(b);
	SAY("cleanups %d", cleanups);
	return t_end();
}

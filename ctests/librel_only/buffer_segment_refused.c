/* librel only: a refused evbuffer_add_file_segment leaves the caller's
 * reference alone, so the usual "on error, free it" is right (libevent
 * 2.1 drops the caller's reference on error: freeing it afterwards is a
 * double free, and a segment still in use elsewhere is torn down). */
#include "../common.h"

#include <event2/buffer.h>

static int cleanups;

static void
seg_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	(void)seg;
	(void)flags;
	(void)arg;
	cleanups++;
}

int
main(void)
{
	char path[] = "/tmp/buffer_segment_refusedXXXXXX";
	int fd = mkstemp(path);
	struct evbuffer *b = evbuffer_new(), *other = evbuffer_new();
	struct evbuffer_file_segment *seg;
	char out[8];
	t_begin("buffer_segment_refused");
	if (fd < 0)
		DIE("mkstemp");
	unlink(path);
	if (write(fd, "0123456789", 10) != 10)
		DIE("write");
	seg = evbuffer_file_segment_new(fd, 0, 10, EVBUF_FS_CLOSE_ON_FREE);
	evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, NULL);
	EXPECT_INT("add to other", evbuffer_add_file_segment(other, seg, 0, 4), 0);
	EXPECT_INT("add past the end", evbuffer_add_file_segment(b, seg, 8, 5), -1);
	evbuffer_freeze(b, 0);
	EXPECT_INT("add to a frozen end", evbuffer_add_file_segment(b, seg, 0, 2), -1);
	EXPECT_INT("no cleanup yet", cleanups, 0);
	EXPECT_INT("other still reads it", evbuffer_remove(other, out, 4), 4);
	CHECK("bytes", memcmp(out, "0123", 4) == 0);
	evbuffer_file_segment_free(seg);
	EXPECT_INT("cleanup once at the last reference", cleanups, 1);
	CHECK("fd closed", fcntl(fd, F_GETFD) < 0);
	evbuffer_free(b);
	evbuffer_free(other);
	return t_end();
}

/* References: evbuffer_add_reference (cleanup once, when the data is
 * released), evbuffer_add_buffer_reference, file segments and add_file. */
#include "common.h"

#include <event2/buffer.h>

static int cleanups;
static const void *cleaned_data;
static size_t cleaned_len;

static void
cleanup(const void *data, size_t len, void *arg)
{
	cleanups++;
	cleaned_data = data;
	cleaned_len = len;
	SAY("cleanup len=%zu arg=%s", len, (const char *)arg);
}

static void
references(void)
{
	static const char lent[] = "borrowed bytes";
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	unsigned char *p;
	char out[64];
	EXPECT_INT("add_reference", evbuffer_add_reference(a, lent, 14, cleanup, "one"), 0);
	EXPECT_INT("length", evbuffer_get_length(a), 14);
	evbuffer_add(a, "!", 1);
	EXPECT_INT("copyout", evbuffer_copyout(a, out, 15), 15);
	CHECK("bytes", memcmp(out, "borrowed bytes!", 15) == 0);
	evbuffer_drain(a, 9);
	EXPECT_INT("no cleanup while referenced", cleanups, 0);
	EXPECT_INT("move to another buffer", evbuffer_add_buffer(b, a), 0);
	EXPECT_INT("still no cleanup", cleanups, 0);
	evbuffer_drain(b, 5);
	EXPECT_INT("cleanup after the last byte", cleanups, 1);
	CHECK("cleanup got the data", cleaned_data == lent && cleaned_len == 14);
	evbuffer_drain(b, 100);
	EXPECT_INT("cleanup once", cleanups, 1);

	evbuffer_add(a, "pre-", 4);
	evbuffer_add_reference(a, lent, 8, cleanup, "two");
	evbuffer_add(a, "-post", 5);
	p = evbuffer_pullup(a, -1);
	CHECK("pullup over a reference", p && memcmp(p, "pre-borrowed-post", 17) == 0);
	EXPECT_INT("pullup released it", cleanups, 2);
	evbuffer_drain(a, 100);

	evbuffer_add_reference(a, lent, 4, cleanup, "three");
	evbuffer_free(a);
	EXPECT_INT("freeing the buffer cleans up", cleanups, 3);
	a = evbuffer_new();
	evbuffer_freeze(a, 0);
	EXPECT_INT("add_reference to a frozen end", evbuffer_add_reference(a, lent, 4, cleanup, "four"), -1);
	EXPECT_INT("refused: no cleanup", cleanups, 3);
	EXPECT_INT("NULL cleanup", evbuffer_unfreeze(a, 0), 0);
	EXPECT_INT("add_reference without cleanup", evbuffer_add_reference(a, lent, 4, NULL, NULL), 0);
	evbuffer_free(a);
	evbuffer_free(b);
}

static void
buffer_references(void)
{
	struct evbuffer *src = evbuffer_new(), *d1 = evbuffer_new(), *d2 = evbuffer_new();
	char out[32];
	evbuffer_add(src, "shared ", 7);
	evbuffer_add_reference(src, "content", 7, cleanup, "five");
	EXPECT_INT("reference into d1", evbuffer_add_buffer_reference(d1, src), 0);
	EXPECT_INT("reference into d2", evbuffer_add_buffer_reference(d2, src), 0);
	EXPECT_INT("src keeps its bytes", evbuffer_get_length(src), 14);
	EXPECT_INT("d1 length", evbuffer_get_length(d1), 14);
	EXPECT_INT("copy from d2", evbuffer_remove(d2, out, 14), 14);
	CHECK("d2 bytes", memcmp(out, "shared content", 14) == 0);
	EXPECT_INT("reference of itself", evbuffer_add_buffer_reference(src, src), -1);
	EXPECT_INT("reference of a referencing buffer", evbuffer_add_buffer_reference(d2, d1), -1);
	EXPECT_INT("reference of an empty buffer", evbuffer_add_buffer_reference(d1, d2), 0);
	evbuffer_add(src, " more", 5);
	EXPECT_INT("src can still grow", evbuffer_get_length(src), 19);
	EXPECT_INT("d1 does not", evbuffer_get_length(d1), 14);
	evbuffer_drain(src, 100);
	EXPECT_INT("no cleanup while d1 refers", cleanups, 3);
	evbuffer_remove(d1, out, 14);
	CHECK("d1 bytes after src drained", memcmp(out, "shared content", 14) == 0);
	EXPECT_INT("cleanup when the last reference goes", cleanups, 4);
	evbuffer_add(src, "kept alive", 10);
	evbuffer_add_buffer_reference(d2, src);
	evbuffer_free(src);
	EXPECT_INT("source freed, reference readable", evbuffer_remove(d2, out, 10), 10);
	CHECK("bytes of the freed source", memcmp(out, "kept alive", 10) == 0);
	evbuffer_free(d1);
	evbuffer_free(d2);
}

static int seg_cleanups;

static void
seg_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	(void)seg;
	seg_cleanups++;
	SAY("segment cleanup flags=%d arg=%s", flags, (const char *)arg);
}

static int
temp_file(const char *data)
{
	char path[] = "/tmp/t_buffer_refXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		DIE("mkstemp");
	unlink(path);
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		DIE("write");
	return fd;
}

static void
files(void)
{
	const char *text = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned flag_sets[] = {0, EVBUF_FS_DISABLE_MMAP, EVBUF_FS_DISABLE_SENDFILE,
	    EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_SENDFILE | EVBUF_FS_DISABLE_LOCKING};
	size_t i;
	for (i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
		int fd = temp_file(text);
		struct evbuffer *b = evbuffer_new();
		struct evbuffer_file_segment *seg = evbuffer_file_segment_new(fd, 10, 20, flag_sets[i]);
		char out[64], name[64];
		snprintf(name, sizeof name, "flags %u: segment", flag_sets[i]);
		CHECK(name, seg != NULL);
		evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, "seg");
		snprintf(name, sizeof name, "flags %u: add all", flag_sets[i]);
		EXPECT_INT(name, evbuffer_add_file_segment(b, seg, 0, -1), 0);
		snprintf(name, sizeof name, "flags %u: add 5 at 3", flag_sets[i]);
		EXPECT_INT(name, evbuffer_add_file_segment(b, seg, 3, 5), 0);
		/* (a refused add is left out: libevent then drops the caller's
		 * reference to the segment, see librel_only/buffer_segment) */
		snprintf(name, sizeof name, "flags %u: length", flag_sets[i]);
		EXPECT_INT(name, evbuffer_get_length(b), 25);
		evbuffer_file_segment_free(seg);
		snprintf(name, sizeof name, "flags %u: no cleanup while in use", flag_sets[i]);
		EXPECT_INT(name, seg_cleanups, 0);
		evbuffer_remove(b, out, 25);
		out[25] = 0;
		snprintf(name, sizeof name, "flags %u: bytes", flag_sets[i]);
		EXPECT_STR(name, out, "abcdefghijklmnopqrstdefgh");
		snprintf(name, sizeof name, "flags %u: cleanup when released", flag_sets[i]);
		EXPECT_INT(name, seg_cleanups, 1);
		seg_cleanups = 0;
		snprintf(name, sizeof name, "flags %u: fd still open", flag_sets[i]);
		CHECK(name, fcntl(fd, F_GETFD) >= 0);
		close(fd);
		evbuffer_free(b);
	}
	{
		int fd = temp_file(text);
		struct evbuffer *b = evbuffer_new();
		char out[64];
		EXPECT_INT("add_file", evbuffer_add_file(b, fd, 0, -1), 0);
		EXPECT_INT("add_file length", evbuffer_get_length(b), 36);
		EXPECT_INT("remove", evbuffer_remove(b, out, 36), 36);
		CHECK("add_file bytes", memcmp(out, text, 36) == 0);
		CHECK("fd closed once drained", fcntl(fd, F_GETFD) < 0 && errno == EBADF);
		fd = temp_file(text);
		EXPECT_INT("add_file range", evbuffer_add_file(b, fd, 30, 6), 0);
		EXPECT_INT("range length", evbuffer_get_length(b), 6);
		evbuffer_free(b);
		CHECK("fd closed with the buffer", fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	}
	{
		int fd = temp_file(text);
		struct evbuffer_file_segment *seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE);
		CHECK("whole-file segment", seg != NULL);
		evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, "close");
		evbuffer_file_segment_free(seg);
		EXPECT_INT("unused segment cleaned up at free", seg_cleanups, 1);
		CHECK("CLOSE_ON_FREE closed it", fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	}
}

int
main(void)
{
	t_begin("t_buffer_ref");
	references();
	buffer_references();
	files();
	return t_end();
}

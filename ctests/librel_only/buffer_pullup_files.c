/* librel only: pullup, remove and readln work over every kind of chain,
 * including file segments in a buffer flagged EVBUFFER_FLAG_DRAINS_TO_FD
 * (libevent 2.1 keeps those as sendfile chains without memory: pullup
 * copies from NULL) and references of other buffers. */
#include "../common.h"

#include <event2/buffer.h>

int
main(void)
{
	char path[] = "/tmp/buffer_pullup_filesXXXXXX";
	int fd = mkstemp(path);
	struct evbuffer *b = evbuffer_new(), *src = evbuffer_new();
	unsigned char *p;
	char *line;
	t_begin("buffer_pullup_files");
	if (fd < 0)
		DIE("mkstemp");
	unlink(path);
	if (write(fd, "from the file\n", 14) != 14)
		DIE("write");
	evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD);
	evbuffer_add(b, "head ", 5);
	EXPECT_INT("add_file", evbuffer_add_file(b, fd, 0, -1), 0);
	evbuffer_add_reference(src, "referenced ", 11, NULL, NULL);
	evbuffer_add(src, "tail", 4);
	EXPECT_INT("add_buffer_reference", evbuffer_add_buffer_reference(b, src), 0);
	p = evbuffer_pullup(b, -1);
	CHECK("pullup over a file and references", p != NULL);
	CHECK("bytes", p && memcmp(p, "head from the file\nreferenced tail", 34) == 0);
	line = evbuffer_readln(b, NULL, EVBUFFER_EOL_LF);
	EXPECT_STR("readln", line, "head from the file");
	free(line);
	EXPECT_INT("rest", evbuffer_get_length(b), 15);
	evbuffer_free(b);
	evbuffer_free(src);
	return t_end();
}

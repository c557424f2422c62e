/* librel only: evbuffer_read(-1) takes more than 4096 bytes per call when
 * more is waiting (libevent 2.1 caps every read at 4096, EVBUFFER_MAX_READ,
 * after an ioctl(FIONREAD)). */
#include "../common.h"

#include <event2/buffer.h>

int
main(void)
{
	int p[2], n, calls = 0;
	char *blob = malloc(60000);
	struct evbuffer *b = evbuffer_new();
	t_begin("buffer_read_big");
	if (pipe(p) != 0)
		DIE("pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	memset(blob, 'r', 60000);
	if (write(p[1], blob, 60000) != 60000)
		DIE("write");
	n = evbuffer_read(b, p[0], -1);
	CHECK("one read(-1) takes more than 4096 bytes", n > 4096);
	while (evbuffer_get_length(b) < 60000 && evbuffer_read(b, p[0], -1) > 0)
		calls++;
	CHECK("60000 bytes in at most 4 more reads", calls <= 4);
	EXPECT_INT("read(20000) takes 20000", (evbuffer_drain(b, 60000),
	    write(p[1], blob, 30000), evbuffer_read(b, p[0], 20000)), 20000);
	CHECK("bytes intact", memcmp(evbuffer_pullup(b, -1), blob, 20000) == 0);
	free(blob);
	evbuffer_free(b);
	return t_end();
}

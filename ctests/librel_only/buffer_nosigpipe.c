/* librel only: writing to a socket whose peer is gone returns -1 with
 * EPIPE and raises no SIGPIPE (libevent 2.1 uses writev: the default
 * SIGPIPE action kills the process, libevent issue 1065). */
#include "../common.h"

#include <event2/buffer.h>

int
main(void)
{
	int sv[2], r;
	struct evbuffer *b = evbuffer_new();
	t_begin("buffer_nosigpipe");
	t_pair(sv);
	close(sv[1]);
	evbuffer_add(b, "hello", 5);
	r = evbuffer_write(b, sv[0]);
	EXPECT_INT("write to a closed peer", r, -1);
	EXPECT_STR("errno", strerror(errno), strerror(EPIPE));
	EXPECT_INT("data kept", evbuffer_get_length(b), 5);
	SAY("still alive");
	close(sv[0]);
	evbuffer_free(b);
	return t_end();
}

/* librel demo: a repeating timer and an echo over a socketpair, built with
 * `pkg-config libevent` exactly as a libevent program would be. */
#include <event2/event.h>
#include <event2/util.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2];
static int ticks, echoes;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	char msg[32];
	int n = snprintf(msg, sizeof msg, "ping %d", ++ticks);
	printf("timer: tick %d, sending \"%s\"\n", ticks, msg);
	if (write(sv[0], msg, (size_t)n) != n)
		perror("write");
}

static void on_echo_side(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n > 0 && write(fd, buf, (size_t)n) != n)
		perror("write");
}

static void on_reply(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	printf("echo:  got \"%s\" back\n", buf);
	if (++echoes == 3)
		event_base_loopexit(arg, NULL);
}

int main(void)
{
	struct event_base *base = event_base_new();
	if (!base || evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	printf("librel %s, backend %s\n", event_get_version(), event_base_get_method(base));
	struct timeval every = {0, 100 * 1000};
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct event *echo = event_new(base, sv[1], EV_READ | EV_PERSIST, on_echo_side, NULL);
	struct event *reply = event_new(base, sv[0], EV_READ | EV_PERSIST, on_reply, base);
	event_add(tick, &every);
	event_add(echo, NULL);
	event_add(reply, NULL);
	int r = event_base_dispatch(base);
	printf("loop returned %d after %d ticks and %d echoes\n", r, ticks, echoes);
	event_free(tick);
	event_free(echo);
	event_free(reply);
	event_base_free(base);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Helpers for the evhttp tests: a server on 127.0.0.1 (port 0) and raw
 * loopback clients driven by the same event loop, so that the exact
 * bytes on the wire can be printed (minus the Date value). */
#ifndef CTESTS_T_HTTP_H
#define CTESTS_T_HTTP_H

#include "common.h"
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

/* The port a bound socket listens on. */
static int T_UNUSED
bound_port(struct evhttp_bound_socket *b)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	if (getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&sin, &len))
		DIE("getsockname");
	return ntohs(sin.sin_port);
}

/* A raw client exchange: send `req`, collect what comes back until the
 * server closes (or the loop idles `idle_ms` without data), print it. */
struct raw {
	struct event_base *base;
	struct event *ev, *timer;
	int fd, closed, fired;
	char got[1 << 16];
	size_t n;
	size_t total;
};

static void
raw_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct raw *r = arg;
	(void)fd;
	(void)what;
	r->fired = 1;
}

static void
raw_read(evutil_socket_t fd, short what, void *arg)
{
	struct raw *r = arg;
	char buf[4096];
	ssize_t k = read(fd, buf, sizeof(buf));
	(void)what;
	if (k <= 0) {
		r->closed = 1;
		event_base_loopexit(r->base, NULL);
		return;
	}
	r->total += (size_t)k;
	if (r->n + (size_t)k < sizeof(r->got) - 1) {
		memcpy(r->got + r->n, buf, (size_t)k);
		r->n += (size_t)k;
	}
	r->got[r->n] = 0;
}

static int T_UNUSED
raw_connect(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		DIE("connect");
	return fd;
}

/* Runs the loop until the server closes, or until the idle timer fires
 * in a pass that read nothing and leaves nothing to read. The timer is
 * re-armed before every pass, so it fires only once the whole base has
 * had nothing to do for `idle_ms`: a pass made slow by valgrind or a
 * loaded machine is never taken for idle time, and when the server is
 * done the wait ends after `idle_ms`, as before. */
static void
raw_wait(struct raw *r, int idle_ms)
{
	struct timeval tv = { idle_ms / 1000, (idle_ms % 1000) * 1000 };
	while (!r->closed) {
		size_t before = r->total;
		struct pollfd p = { r->fd, POLLIN, 0 };
		r->fired = 0;
		event_add(r->timer, &tv);
		event_base_loop(r->base, EVLOOP_ONCE);
		if (!r->closed && r->total == before && r->fired && poll(&p, 1, 0) == 0)
			break;
	}
}

/* Prints the response lines; the Date value is not deterministic. */
static void T_UNUSED
print_wire(const char *label, const char *s, size_t n)
{
	size_t i = 0;
	printf("%s: <<\n", label);
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '\n')
			j++;
		if (j - i >= 6 && !strncmp(s + i, "Date: ", 6))
			printf("  Date: <date>\n");
		else
			printf("  %.*s\n", (int)(j - i), s + i);
		i = j + 1;
	}
	printf(">>\n");
}

/* Sends `req` (len bytes) and prints what comes back. `shut`: half-close
 * after sending. Returns 1 if the server closed the connection. */
static int T_UNUSED
raw_exchange(struct event_base *base, int port, const char *label,
    const char *req, size_t len, int shut, int idle_ms)
{
	static struct raw r;
	int closed;
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.fd = raw_connect(port);
	if (len && write(r.fd, req, len) != (ssize_t)len)
		DIE("write");
	if (shut)
		shutdown(r.fd, SHUT_WR);
	r.ev = event_new(base, r.fd, EV_READ | EV_PERSIST, raw_read, &r);
	r.timer = evtimer_new(base, raw_timeout, &r);
	event_add(r.ev, NULL);
	raw_wait(&r, idle_ms);
	print_wire(label, r.got, r.n);
	if (r.total != r.n)
		printf("  (%zu bytes in all)\n", r.total);
	printf("%s: %s\n", label, r.closed ? "closed by server" : "still open");
	closed = r.closed;
	event_free(r.ev);
	event_free(r.timer);
	close(r.fd);
	return closed;
}

/* Like raw_exchange, but the request goes out one byte at a time, the
 * loop running between bytes: every parser state sees partial input. */
static int T_UNUSED
raw_exchange_slow(struct event_base *base, int port, const char *label, const char *req, int idle_ms)
{
	static struct raw r;
	size_t i, len = strlen(req);
	int closed;
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.fd = raw_connect(port);
	r.ev = event_new(base, r.fd, EV_READ | EV_PERSIST, raw_read, &r);
	r.timer = evtimer_new(base, raw_timeout, &r);
	event_add(r.ev, NULL);
	for (i = 0; i < len && !r.closed; i++) {
		if (write(r.fd, req + i, 1) != 1)
			break;
		t_sleep_ms(1);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	raw_wait(&r, idle_ms);
	print_wire(label, r.got, r.n);
	printf("%s: %s\n", label, r.closed ? "closed by server" : "still open");
	closed = r.closed;
	event_free(r.ev);
	event_free(r.timer);
	close(r.fd);
	return closed;
}

#define RAW(base, port, label, req, idle) \
	raw_exchange((base), (port), (label), (req), strlen(req), 0, (idle))

#endif

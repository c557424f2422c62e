/* evbuffer micro-benchmarks against any libevent-compatible library; each
 * line is ns per operation. Not part of bench/run yet: build it twice and
 * compare, e.g.
 *   cc -O2 -o /tmp/bb_ref bench/buffer.c $(pkg-config --cflags --libs libevent)
 *   cc -O2 -o /tmp/bb_rel bench/buffer.c \
 *       $(PKG_CONFIG_PATH=PREFIX/lib/pkgconfig pkg-config --cflags --libs libevent) -Wl,-rpath,PREFIX/lib
 *   /tmp/bb_ref; /tmp/bb_rel          (argument 1..9 runs one workload; a
 *                                      second argument scales N, for callgrind)
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static volatile size_t sink;

static void report(const char *name, double t0, long n) { printf("%-28s %8.1f ns/op\n", name, (now() - t0) / n); }

int main(int argc, char **argv) {
	int which = argc > 1 ? atoi(argv[1]) : 0;
	long i, N = argc > 2 ? atol(argv[2]) : 5000000;
	char rec[64]; memset(rec, 'r', sizeof rec);
	struct evbuffer *b = evbuffer_new(), *c = evbuffer_new();
	double t0;
	if (!which || which == 1) {
		t0 = now();
		for (i = 0; i < N; i++) { evbuffer_add(b, rec, 64); evbuffer_drain(b, 64); }
		report("add+drain 64B", t0, N);
	}
	if (!which || which == 2) {
		t0 = now();
		for (i = 0; i < N / 100; i++) { int k; for (k = 0; k < 100; k++) evbuffer_add(b, rec, 40); for (k = 0; k < 100; k++) evbuffer_drain(b, 40); }
		report("100 adds then 100 drains", t0, N);
	}
	if (!which || which == 3) {
		long lines = 0;
		const char *l = "GET /index.html HTTP/1.1\r\n";
		t0 = now();
		for (i = 0; i < N / 1000; i++) {
			int k; char *s; size_t n;
			for (k = 0; k < 1000; k++) evbuffer_add(b, l, 26);
			while ((s = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF))) { lines++; free(s); }
		}
		report("add + readln CRLF", t0, lines);
	}
	if (!which || which == 4) {
		char big[4000]; memset(big, 'm', sizeof big);
		t0 = now();
		for (i = 0; i < N / 10; i++) { evbuffer_add(b, big, 4000); evbuffer_add_buffer(c, b); evbuffer_remove_buffer(c, b, 4000); evbuffer_drain(b, 4000); }
		report("add_buffer+remove_buffer 4K", t0, N / 10);
		t0 = now();
		for (i = 0; i < N / 10; i++) { evbuffer_add(b, rec, 64); evbuffer_add_buffer(c, b); evbuffer_remove_buffer(c, b, 64); evbuffer_drain(b, 64); }
		report("add_buffer+remove_buffer 64B", t0, N / 10);
	}
	if (!which || which == 5) {
		long k;
		t0 = now();
		for (i = 0; i < N / 100; i++) {
			for (k = 0; k < 10; k++) evbuffer_add(b, rec, 64);
			sink += (size_t)evbuffer_pullup(b, -1);
			evbuffer_drain(b, 640);
		}
		report("10 adds + pullup(-1) + drain", t0, N / 100);
		evbuffer_add(b, rec, 64);
		t0 = now();
		for (i = 0; i < N; i++) sink += (size_t)evbuffer_pullup(b, -1);
		report("pullup(-1) contiguous", t0, N);
		evbuffer_drain(b, 64);
	}
	if (!which || which == 6) {
		char *hay = malloc(1 << 20); memset(hay, 'a', 1 << 20);
		for (i = 0; i < 16; i++) evbuffer_add(b, hay, 1 << 16);
		evbuffer_add(b, "needle", 6);
		t0 = now();
		for (i = 0; i < 200; i++) sink += evbuffer_search(b, "needle", 6, NULL).pos;
		report("search 1 MiB", t0, 200);
		t0 = now();
		for (i = 0; i < 200; i++) { size_t n; sink += evbuffer_search_eol(b, NULL, &n, EVBUFFER_EOL_LF).pos; }
		report("search_eol miss 1 MiB", t0, 200);
		evbuffer_drain(b, evbuffer_get_length(b));
		free(hay);
	}
	if (!which || which == 7) {
		t0 = now();
		for (i = 0; i < N / 5; i++) { evbuffer_add_printf(b, "%s %d %ld\r\n", "key", 42, i); if ((i & 1023) == 0) evbuffer_drain(b, evbuffer_get_length(b)); }
		report("add_printf", t0, N / 5);
		evbuffer_drain(b, evbuffer_get_length(b));
	}
	if (!which || which == 8) {
		int sv[2]; char *blk = malloc(1 << 16); memset(blk, 'e', 1 << 16);
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		long total = 0;
		t0 = now();
		for (i = 0; i < 20000; i++) {
			evbuffer_add(c, blk, 16384);
			while (evbuffer_get_length(c)) evbuffer_write(c, sv[0]);
			long got = 0;
			while (got < 16384) { int r = evbuffer_read(b, sv[1], -1); if (r <= 0) break; got += r; }
			total += got;
			evbuffer_drain(b, got);
		}
		report("socket 16K write+read", t0, 20000);
	}
	if (!which || which == 9) {
		int sv[2]; char msg[512]; memset(msg, 'p', sizeof msg);
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		t0 = now();
		for (i = 0; i < N / 20; i++) {
			evbuffer_add(c, msg, sizeof msg);
			evbuffer_write(c, sv[0]);
			evbuffer_read(b, sv[1], -1);
			evbuffer_drain(b, evbuffer_get_length(b) - (i & 7));
		}
		report("socket 512B ping", t0, N / 20);
	}
	evbuffer_free(b); evbuffer_free(c);
	return 0;
}

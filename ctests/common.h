/* Shared helpers for the librel C test programs.
 *
 * Every test prints a deterministic transcript on stdout: "ok NAME" lines for
 * facts that hold, "FAIL NAME ..." for facts that do not, and "end" as the
 * last line so a crash or hang shows up as a truncated transcript.  The
 * transcript is compared between the reference libevent and librel, so it
 * must never contain pointers, fd numbers, or raw timings: print relations.
 *
 * This header deliberately uses POSIX only (no libevent header), so each test
 * chooses its own libevent includes the way real programs do.
 */
#ifndef CTESTS_COMMON_H
#define CTESTS_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define T_UNUSED __attribute__((unused))

static int t_failures T_UNUSED;

/* ok/FAIL on a boolean condition. */
#define CHECK(name, cond)                                                    \
	do {                                                                 \
		if (cond) {                                                  \
			printf("ok %s\n", (name));                           \
		} else {                                                     \
			printf("FAIL %s (line %d: %s)\n", (name), __LINE__,   \
			    #cond);                                          \
			t_failures++;                                        \
		}                                                            \
	} while (0)

/* ok/FAIL on an integer equality; the value is part of the transcript. */
#define EXPECT_INT(name, got, want)                                          \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (g_ == w_) {                                              \
			printf("ok %s = %lld\n", (name), g_);                 \
		} else {                                                     \
			printf("FAIL %s: got %lld want %lld (line %d)\n",     \
			    (name), g_, w_, __LINE__);                       \
			t_failures++;                                        \
		}                                                            \
	} while (0)

/* ok/FAIL on a string equality. */
#define EXPECT_STR(name, got, want)                                          \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                       \
			printf("ok %s = \"%s\"\n", (name), g_);               \
		} else {                                                     \
			printf("FAIL %s: got \"%s\" want \"%s\" (line %d)\n", \
			    (name), g_ ? g_ : "(null)", w_ ? w_ : "(null)",  \
			    __LINE__);                                       \
			t_failures++;                                        \
		}                                                            \
	} while (0)

/* Plain transcript line (events as they happen). */
#define SAY(...)                                                             \
	do {                                                                 \
		printf(__VA_ARGS__);                                         \
		putchar('\n');                                               \
	} while (0)

/* Catastrophe: print and exit non-zero (the runner reports it). */
#define DIE(...)                                                             \
	do {                                                                 \
		printf("FATAL ");                                            \
		printf(__VA_ARGS__);                                         \
		printf(" (line %d)\n", __LINE__);                            \
		fflush(stdout);                                              \
		exit(2);                                                     \
	} while (0)

static inline void T_UNUSED
t_begin(const char *name)
{
	/* line buffering: a fork never duplicates pending output */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# %s\n", name);
}

static inline int T_UNUSED
t_end(void)
{
	printf("end\n");
	fflush(stdout);
	return 0;
}

/* Milliseconds on the monotonic clock, as a double. */
static inline double T_UNUSED
t_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static inline void T_UNUSED
t_sleep_ms(int ms)
{
	struct timespec ts;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline struct timeval T_UNUSED
t_tv_ms(int ms)
{
	struct timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* A non-blocking AF_UNIX stream socketpair; dies on failure. */
static inline void T_UNUSED
t_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		DIE("socketpair: %s", strerror(errno));
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
}

static inline void T_UNUSED
t_write1(int fd)
{
	char c = 'x';
	if (write(fd, &c, 1) != 1)
		DIE("write: %s", strerror(errno));
}

/* Read and discard what is available; returns the byte count (0 on EOF). */
static inline int T_UNUSED
t_drain(int fd)
{
	char buf[256];
	int total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			total += (int)n;
			continue;
		}
		if (n == 0)
			return total;
		return total ? total : -1;
	}
}

/* "yes"/"no" for transcript relations. */
#define YN(c) ((c) ? "yes" : "no")

#endif

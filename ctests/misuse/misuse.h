/* Shared harness for the misuse, fork, thread and limit programs.
 *
 * A program is a list of cases.  Each case has a name and the librel
 * contract it checks (one line, also copied into CONTRACTS.md).  The case
 * body records what happened with OBS() (return values: the libevent column
 * of CONTRACTS.md is made of these) and checks the contract with CHECK().
 * Log lines that arrive through event_set_log_callback during a case are
 * captured; log_has() looks for a substring and every captured line is
 * printed as "log: ...".
 *
 * Output, one block per case:
 *     case NAME
 *     contract: ...
 *     obs: event_add -> -1
 *     log: event_add: no event given
 *     ok NAME            (or FAIL NAME: reason)
 * and a last line "end N failed".  The exit status is 0 only when every
 * check held and the program reached its end, so a crash fails.
 *
 * MISUSE_FORK=1 runs every case in a child process (used to observe the
 * reference libevent, which crashes on much of this): the parent reports a
 * child killed by a signal as "obs: crashed (SIGSEGV)" and a child still
 * running after MISUSE_CASE_SECONDS (default 5) as "obs: hung".
 */
#ifndef MISUSE_H
#define MISUSE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#define M_UNUSED __attribute__((unused))

/* ---- log capture ---------------------------------------------------- */

#define M_LOG_LINES 64
static char m_log[M_LOG_LINES][256];
static int m_nlog;
static pthread_mutex_t m_log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
m_log_cb(int severity, const char *msg)
{
	(void)severity;
	pthread_mutex_lock(&m_log_lock);
	if (m_nlog < M_LOG_LINES)
		snprintf(m_log[m_nlog++], sizeof m_log[0], "%s", msg);
	pthread_mutex_unlock(&m_log_lock);
}

static M_UNUSED void
log_clear(void)
{
	pthread_mutex_lock(&m_log_lock);
	m_nlog = 0;
	pthread_mutex_unlock(&m_log_lock);
}

/* Whether a captured line (since the last log_clear) contains `needle`. */
static M_UNUSED int
log_has(const char *needle)
{
	int i, found = 0;
	pthread_mutex_lock(&m_log_lock);
	for (i = 0; i < m_nlog && !found; i++)
		found = strstr(m_log[i], needle) != NULL;
	pthread_mutex_unlock(&m_log_lock);
	return found;
}

static M_UNUSED int
log_count(void)
{
	int n;
	pthread_mutex_lock(&m_log_lock);
	n = m_nlog;
	pthread_mutex_unlock(&m_log_lock);
	return n;
}

/* ---- checks --------------------------------------------------------- */

static int m_case_failed;	/* failures in the running case */
static int m_failed;		/* failed cases in this process */

#define OBS(...)                                                             \
	do {                                                                 \
		printf("obs: ");                                             \
		printf(__VA_ARGS__);                                         \
		putchar('\n');                                               \
	} while (0)

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("check failed (line %d: %s): ", __LINE__,      \
			    #cond);                                          \
			printf(__VA_ARGS__);                                 \
			putchar('\n');                                       \
			m_case_failed++;                                     \
		}                                                            \
	} while (0)

/* Return value `got` must be `want`; the value is also an observation. */
#define EXPECT_RET(what, got, want)                                          \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		OBS("%s -> %lld", (what), g_);                               \
		CHECK(g_ == w_, "%s returned %lld, want %lld", (what), g_, w_);\
	} while (0)

/* A log line containing `needle` must have been captured. */
#define EXPECT_LOG(needle)                                                   \
	CHECK(log_has(needle), "no log line containing \"%s\"", (needle))
#define EXPECT_NO_LOG()                                                      \
	CHECK(log_count() == 0, "unexpected log line \"%s\"", m_log[0])

/* Catastrophe outside any case: the program cannot go on. */
#define DIE(...)                                                             \
	do {                                                                 \
		printf("FATAL (line %d) ", __LINE__);                        \
		printf(__VA_ARGS__);                                         \
		putchar('\n');                                               \
		fflush(stdout);                                              \
		exit(2);                                                     \
	} while (0)

static void
m_print_log(void)
{
	int i;
	pthread_mutex_lock(&m_log_lock);
	for (i = 0; i < m_nlog; i++)
		printf("log: %s\n", m_log[i]);
	pthread_mutex_unlock(&m_log_lock);
}

static int
m_case_seconds(void)
{
	const char *s = getenv("MISUSE_CASE_SECONDS");
	return s && atoi(s) > 0 ? atoi(s) : 5;
}

static const char *
m_signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGALRM: return "SIGALRM";
	case SIGKILL: return "SIGKILL";
	case SIGUSR1: return "SIGUSR1";
	default: return "signal";
	}
}

/* Body of a case run in this process; returns the failures. */
static int
m_run_body(void (*body)(void))
{
	log_clear();
	m_case_failed = 0;
	body();
	m_print_log();
	return m_case_failed;
}

/* Runs one case and prints its block (see the top of this file). */
static M_UNUSED void
m_case(const char *name, const char *contract, void (*body)(void))
{
	int failed;

	printf("case %s\ncontract: %s\n", name, contract);
	fflush(stdout);
	if (getenv("MISUSE_FORK")) {
		int status;
		pid_t pid = fork();
		if (pid < 0)
			DIE("fork: %s", strerror(errno));
		if (pid == 0) {
			alarm((unsigned)m_case_seconds());
			failed = m_run_body(body);
			fflush(stdout);
			_exit(failed ? 1 : 0);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status)) {
			int sig = WTERMSIG(status);
			if (sig == SIGALRM)
				OBS("hung (still running after %d s)", m_case_seconds());
			else
				OBS("crashed (%s)", m_signame(sig));
			failed = 1;
		} else {
			failed = WEXITSTATUS(status) != 0;
		}
	} else {
		failed = m_run_body(body);
	}
	printf("%s %s\n", failed ? "FAIL" : "ok", name);
	if (failed)
		m_failed++;
	fflush(stdout);
}

/* First thing in main(): line-buffered output and the log capture. */
static M_UNUSED void
m_begin(const char *program)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	event_set_log_callback(m_log_cb);
	printf("# %s\n", program);
}

static M_UNUSED int
m_end(void)
{
	printf("end %d failed\n", m_failed);
	fflush(stdout);
	return m_failed ? 1 : 0;
}

/* ---- small helpers ---------------------------------------------------- */

/* The backend the environment selects ("epoll", "poll", "select"). */
static M_UNUSED const char *
m_method(void)
{
	static char name[16];
	if (!name[0]) {
		struct event_base *b = event_base_new();
		if (!b)
			DIE("event_base_new failed");
		snprintf(name, sizeof name, "%s", event_base_get_method(b));
		event_base_free(b);
	}
	return name;
}

static M_UNUSED struct event_base *
m_base(void)
{
	struct event_base *b = event_base_new();
	if (!b)
		DIE("event_base_new failed");
	return b;
}

/* A non-blocking AF_UNIX stream socketpair. */
static M_UNUSED void
m_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		DIE("socketpair: %s", strerror(errno));
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
}

static M_UNUSED void
m_close_pair(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

static M_UNUSED void
m_write1(int fd)
{
	char c = 'x';
	if (write(fd, &c, 1) != 1)
		DIE("write: %s", strerror(errno));
}

static M_UNUSED int
m_drain(int fd)
{
	char buf[512];
	int total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += (int)n;
	return total;
}

/* Callback that counts its calls in the int its argument points at. */
static M_UNUSED void
m_count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (arg)
		(*(int *)arg)++;
}

/* Raises the soft RLIMIT_NOFILE to at least `want` (up to the hard limit);
 * returns the new soft limit. */
static M_UNUSED long
m_raise_nofile(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		DIE("getrlimit: %s", strerror(errno));
	if (want < 0 || (rlim_t)want > rl.rlim_max)
		want = (long)rl.rlim_max;
	if (rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			DIE("setrlimit: %s", strerror(errno));
	}
	return (long)rl.rlim_cur;
}

static M_UNUSED double
m_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process has used. */
static M_UNUSED double
m_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Kills the process with a message if it is still running after `secs`
 * (a deadlock or a lost wake-up shows up as this, not as a hung run). */
static void
m_watchdog_fire(int sig)
{
	static const char msg[] = "FATAL watchdog: still running, deadlock or lost wake-up\n";
	(void)sig;
	if (write(1, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	_exit(3);
}

static M_UNUSED void
m_watchdog(unsigned secs)
{
	signal(SIGALRM, m_watchdog_fire);
	alarm(secs);
}

#endif

/* fork() and event_reinit, on the backend the environment selects.
 * Before the fork the base has I/O, timer and signal events and has run
 * once.  The child calls event_reinit; then each process gets I/O written
 * by the other, its pre-fork timer and a timer added after the fork, and a
 * SIGUSR1 sent by the other process (child -> parent, then parent ->
 * child): signals are delivered after fork in both. */
#include "misuse.h"

static int x[2], y[2];	/* parent writes x, child reads it; y the reverse */
static int got_io, got_timer, got_new_timer, got_signal;

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	got_io += m_drain(fd) > 0;
}

static int
run_until_all(struct event_base *b)
{
	double end = m_now() + 10;
	while (!(got_io && got_timer && got_new_timer && got_signal) && m_now() < end)
		if (event_base_loop(b, EVLOOP_ONCE) < 0)
			return -1;
	return got_io && got_timer && got_new_timer && got_signal ? 0 : -1;
}

static void
fork_case(void)
{
	struct event_base *b = m_base();
	struct event *ex, *ey, *t, *s, *nt;
	struct timeval ms50 = {0, 50000}, ms10 = {0, 10000};
	pid_t pid;
	int status;

	m_pair(x);
	m_pair(y);
	ex = event_new(b, x[0], EV_READ | EV_PERSIST, io_cb, NULL);
	ey = event_new(b, y[0], EV_READ | EV_PERSIST, io_cb, NULL);
	t = evtimer_new(b, m_count_cb, &got_timer);
	s = evsignal_new(b, SIGUSR1, m_count_cb, &got_signal);
	nt = evtimer_new(b, m_count_cb, &got_new_timer);
	event_add(ex, NULL);
	event_add(ey, NULL);
	evtimer_add(t, &ms50);
	evsignal_add(s, NULL);
	event_base_loop(b, EVLOOP_NONBLOCK);
	fflush(stdout);

	pid = fork();
	if (pid < 0)
		DIE("fork: %s", strerror(errno));
	if (pid == 0) {
		int ok = 1;
		alarm(20);
		if (event_reinit(b) != 0) {
			printf("child: event_reinit failed\n");
			ok = 0;
		}
		event_del(ey);		/* the parent's */
		evtimer_add(nt, &ms10);
		m_write1(y[1]);		/* I/O for the parent */
		kill(getppid(), SIGUSR1);
		if (run_until_all(b) != 0) {
			printf("child: io=%d timer=%d new timer=%d signal=%d\n", got_io,
			    got_timer, got_new_timer, got_signal);
			ok = 0;
		}
		event_free(ex); event_free(ey); event_free(t); event_free(s); event_free(nt);
		event_base_free(b);
		fflush(stdout);
		_exit(ok ? 0 : 1);
	}
	event_del(ex);			/* the child's */
	evtimer_add(nt, &ms10);
	m_write1(x[1]);
	/* the child's signal arrives once it has re-initialised */
	CHECK(run_until_all(b) == 0, "parent: io=%d timer=%d new timer=%d signal=%d", got_io,
	    got_timer, got_new_timer, got_signal);
	kill(pid, SIGUSR1);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	OBS("child exit status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
	/* the parent's base still works after the child is gone */
	got_io = 0;
	event_add(ey, NULL);
	m_write1(y[1]);
	event_base_loop(b, EVLOOP_ONCE);
	CHECK(got_io == 1, "parent I/O after the child exited");
	event_free(ex); event_free(ey); event_free(t); event_free(s); event_free(nt);
	m_close_pair(x);
	m_close_pair(y);
	event_base_free(b);
}

static void
reinit_twice(void)
{
	/* event_reinit without a fork, twice: everything still works. */
	struct event_base *b = m_base();
	int sv[2], calls = 0, sigs = 0;
	struct event *e, *s;
	m_pair(sv);
	e = event_new(b, sv[0], EV_READ | EV_PERSIST, m_count_cb, &calls);
	s = evsignal_new(b, SIGUSR2, m_count_cb, &sigs);
	event_add(e, NULL);
	evsignal_add(s, NULL);
	EXPECT_RET("event_reinit", event_reinit(b), 0);
	EXPECT_RET("event_reinit again", event_reinit(b), 0);
	m_write1(sv[1]);
	raise(SIGUSR2);
	for (int i = 0; i < 10 && (calls == 0 || sigs == 0); i++)
		event_base_loop(b, EVLOOP_ONCE);
	CHECK(calls >= 1 && sigs == 1, "io %d signal %d", calls, sigs);
	event_free(e);
	event_free(s);
	m_close_pair(sv);
	event_base_free(b);
}

int
main(void)
{
	m_begin("s_fork");
	OBS("method %s", m_method());
	m_case("fork + event_reinit with I/O, timers and signals",
	    "child and parent each see I/O, pre- and post-fork timers, a signal from the other", fork_case);
	m_case("event_reinit twice without fork", "0; I/O and signals still work", reinit_twice);
	return m_end();
}

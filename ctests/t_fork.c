/* event_reinit after fork: the child re-adds and dispatches I/O, timers
 * and signals; the parent keeps working. */
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <event2/event.h>
#include "common.h"

static int a[2], b[2];
static int n_a, n_b, n_timer, n_sig, n_new;

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(*(int *)arg)++;
	t_drain(fd);
}

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	(*(int *)arg)++;
}

static void
run(struct event_base *base, const char *who, int wfd, int sig)
{
	struct event *nt;
	struct timeval tv = t_tv_ms(5);
	int i;

	/* a timer added after the fork */
	nt = evtimer_new(base, count_cb, &n_new);
	evtimer_add(nt, &tv);
	t_write1(wfd);
	if (sig)
		raise(sig);
	for (i = 0; i < 50 && (n_timer == 0 || n_new == 0 || (wfd == a[1] ? n_a : n_b) == 0 ||
	    (sig && n_sig == 0)); i++)
		event_base_loop(base, EVLOOP_ONCE);
	printf("ok %s: io=%d pre-fork timer=%d new timer=%d signal=%d\n", who,
	    wfd == a[1] ? n_a : n_b, n_timer, n_new, n_sig);
	event_free(nt);
}

int
main(void)
{
	struct event_base *base;
	struct event *ea, *eb, *t, *s;
	struct timeval tv;
	pid_t pid;
	int status;

	t_begin("t_fork");
	base = event_base_new();
	t_pair(a);
	t_pair(b);
	ea = event_new(base, a[0], EV_READ | EV_PERSIST, io_cb, &n_a);
	eb = event_new(base, b[0], EV_READ | EV_PERSIST, io_cb, &n_b);
	t = evtimer_new(base, count_cb, &n_timer);
	s = evsignal_new(base, SIGUSR1, count_cb, &n_sig);
	event_add(ea, NULL);
	event_add(eb, NULL);
	tv = t_tv_ms(20);
	evtimer_add(t, &tv);
	event_add(s, NULL);
	/* run the loop once before forking so the backend is in use */
	event_base_loop(base, EVLOOP_NONBLOCK);

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		DIE("fork");
	if (pid == 0) {
		int r = event_reinit(base);
		printf("ok child: event_reinit = %d\n", r);
		/* the child uses pair a and SIGUSR1 */
		event_del(eb);
		run(base, "child", a[1], SIGUSR1);
		EXPECT_INT("child: pair b untouched", n_b, 0);
		event_free(ea);
		event_free(eb);
		event_free(t);
		event_free(s);
		event_base_free(base);
		fflush(stdout);
		exit(t_failures ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		DIE("waitpid");
	EXPECT_INT("child exit status", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);
	/* the parent: no reinit needed; it uses pair b */
	event_del(ea);
	n_sig = 0;
	run(base, "parent", b[1], 0);
	EXPECT_INT("parent: child's data on pair a not seen", n_a, 0);
	EXPECT_INT("parent: child's signal not seen", n_sig, 0);

	/* event_reinit in the parent (no fork) is harmless */
	EXPECT_INT("event_reinit without fork", event_reinit(base), 0);
	event_add(ea, NULL);
	t_write1(a[1]);
	event_base_loop(base, EVLOOP_ONCE);
	EXPECT_INT("parent after reinit: pair a", n_a, 1);

	/* a second generation: fork again, child reinits and uses a timer */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		event_reinit(base);
		event_del(ea);
		event_del(eb);
		event_del(s);
		n_timer = 0;
		tv = t_tv_ms(5);
		evtimer_add(t, &tv);
		{
			int r = event_base_dispatch(base);
			printf("ok second child: dispatch = %d timer=%d\n", r, n_timer);
		}
		event_free(ea);
		event_free(eb);
		event_free(t);
		event_free(s);
		event_base_free(base);
		exit(0);
	}
	waitpid(pid, &status, 0);
	EXPECT_INT("second child exit status", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status), 0);

	event_free(ea);
	event_free(eb);
	event_free(t);
	event_free(s);
	event_base_free(base);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	return t_end();
}

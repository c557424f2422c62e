/* librel only: the 1.4 globals event_sigcb/event_gotsig (absent from
 * Debian's 2.1).  A program's own signal handler sets event_gotsig; the
 * loop then calls event_sigcb, and a -1 from it makes the loop return -1. */
#include <signal.h>
#include <event.h>
#include "../common.h"

extern int (*event_sigcb)(void);
extern volatile sig_atomic_t event_gotsig;

static int sigcb_calls, sigcb_ret, ticks;

static int
my_sigcb(void)
{
	sigcb_calls++;
	return sigcb_ret;
}

static void
handler(int sig)
{
	(void)sig;
	event_gotsig = 1;
}

static void
raise_cb(int fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	ticks++;
	raise(SIGUSR1);
}

static void
tick_cb(int fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	ticks++;
}

int
main(void)
{
	struct event_base *base;
	struct event t, later, keep;
	struct timeval tv;
	struct sigaction sa;
	int r;

	t_begin("sigcb");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	base = event_init();
	event_sigcb = my_sigcb;

	/* sigcb returning 0: the loop goes on */
	sigcb_ret = 0;
	evtimer_set(&t, raise_cb, NULL);
	evtimer_set(&later, tick_cb, NULL);
	tv = t_tv_ms(5);
	evtimer_add(&t, &tv);
	tv = t_tv_ms(30);
	evtimer_add(&later, &tv);
	r = event_dispatch();
	EXPECT_INT("sigcb returning 0: dispatch", r, 1);
	EXPECT_INT("  sigcb calls", sigcb_calls, 1);
	EXPECT_INT("  both timers ran", ticks, 2);
	EXPECT_INT("  event_gotsig cleared", event_gotsig, 0);

	/* sigcb returning -1: the loop returns -1 */
	sigcb_ret = -1;
	sigcb_calls = 0;
	ticks = 0;
	tv = t_tv_ms(5);
	evtimer_add(&t, &tv);
	tv = t_tv_ms(200);
	evtimer_add(&later, &tv);
	r = event_dispatch();
	EXPECT_INT("sigcb returning -1: dispatch", r, -1);
	EXPECT_INT("  sigcb calls", sigcb_calls, 1);
	EXPECT_INT("  only the raising timer ran", ticks, 1);
	EXPECT_INT("  later timer still pending", evtimer_pending(&later, NULL), EV_TIMEOUT);
	evtimer_del(&later);

	/* a signal arriving while the loop blocks (alarm) */
	sigcb_calls = 0;
	evtimer_set(&keep, tick_cb, NULL);
	tv = t_tv_ms(5000);
	evtimer_add(&keep, &tv);
	{
		struct itimerval it;
		double t0 = t_now_ms();
		memset(&it, 0, sizeof it);
		it.it_value.tv_usec = 20000;
		setitimer(ITIMER_REAL, &it, NULL);
		r = event_base_dispatch(base);
		EXPECT_INT("signal while blocked: dispatch", r, -1);
		EXPECT_INT("  sigcb calls", sigcb_calls, 1);
		CHECK("  returned promptly (< 2s)", t_now_ms() - t0 < 2000);
	}
	evtimer_del(&keep);

	/* without event_sigcb, event_gotsig is just cleared */
	event_sigcb = NULL;
	ticks = 0;
	tv = t_tv_ms(5);
	evtimer_add(&t, &tv);
	r = event_dispatch();
	EXPECT_INT("no sigcb: dispatch", r, 1);
	EXPECT_INT("  timer ran", ticks, 1);

	event_base_free(base);
	return t_end();
}

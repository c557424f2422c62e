/* bufferevent_disable and bufferevent_free from another thread return
 * while the bufferevent's callback is still running on the loop thread,
 * and the callback may go on using it (libevent holds its lock across the
 * callback, so such calls wait for it, and deadlock when the callback
 * waits for them: its issues 512, 1311, 200). */
#include <pthread.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "../common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int inside, done;
static struct bufferevent *shared;

static void *
other(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!inside)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	bufferevent_disable(shared, EV_READ);
	bufferevent_free(shared);
	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
readcb(struct bufferevent *bev, void *arg)
{
	struct timespec until;
	int ok = 1;
	(void)arg;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&mu);
	inside = 1;
	pthread_cond_broadcast(&cv);
	while (!done && ok)
		ok = pthread_cond_timedwait(&cv, &mu, &until) == 0;
	pthread_mutex_unlock(&mu);
	CHECK("the other thread's disable and free returned during the callback", done);
	/* still usable until the callback returns */
	EXPECT_INT("input still readable", evbuffer_get_length(bufferevent_get_input(bev)), 4);
}

int
main(void)
{
	struct event_base *base;
	pthread_t t;
	int sv[2], i;

	t_begin("bev_threads");
	base = event_base_new();
	t_pair(sv);
	shared = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
	bufferevent_setcb(shared, readcb, NULL, NULL, NULL);
	bufferevent_enable(shared, EV_READ);
	pthread_create(&t, NULL, other, NULL);
	if (write(sv[1], "ping", 4) != 4)
		DIE("write");
	for (i = 0; i < 100 && !done; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	pthread_join(t, NULL);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	/* freed: the descriptor was closed (CLOSE_ON_FREE) */
	CHECK("descriptor closed after the release", fcntl(sv[0], F_GETFD) == -1 && errno == EBADF);
	close(sv[1]);
	event_base_free(base);
	return t_end();
}

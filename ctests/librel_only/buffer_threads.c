/* librel only: one evbuffer used from three threads at once without
 * evthread_use_pthreads() or evbuffer_enable_locking() (libevent 2.1
 * buffers have no lock then: lost and torn records, or a crash). Two
 * producers add numbered records, a consumer removes them; every record
 * arrives once, each producer's in order. */
#include "../common.h"

#include <pthread.h>
#include <event2/buffer.h>

#define RECORDS 200000

struct record {
	unsigned producer, seq;
};

static struct evbuffer *shared;

static void *
producer(void *arg)
{
	struct record r;
	r.producer = (unsigned)(size_t)arg;
	for (r.seq = 0; r.seq < RECORDS; r.seq++)
		evbuffer_add(shared, &r, sizeof r);
	return NULL;
}

int
main(void)
{
	pthread_t t[2];
	unsigned next[2] = {0, 0}, total = 0;
	struct record r;
	int ok = 1;
	double start = t_now_ms();
	t_begin("buffer_threads");
	shared = evbuffer_new();
	pthread_create(&t[0], NULL, producer, (void *)0);
	pthread_create(&t[1], NULL, producer, (void *)1);
	while (total < 2 * RECORDS && t_now_ms() - start < 15000) {
		evbuffer_lock(shared);
		while (evbuffer_get_length(shared) >= sizeof r) {
			evbuffer_remove(shared, &r, sizeof r);
			if (r.producer > 1 || r.seq != next[r.producer])
				ok = 0;
			else
				next[r.producer]++;
			total++;
		}
		evbuffer_unlock(shared);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	/* A slow run (valgrind serialises the threads) may reach the time
	 * bound first: what is left is read after the producers finished. */
	while (evbuffer_get_length(shared) >= sizeof r) {
		evbuffer_remove(shared, &r, sizeof r);
		if (r.producer > 1 || r.seq != next[r.producer])
			ok = 0;
		else
			next[r.producer]++;
		total++;
	}
	EXPECT_INT("records received", total, 2 * RECORDS);
	CHECK("each once, each producer's in order", ok);
	evbuffer_free(shared);
	return t_end();
}

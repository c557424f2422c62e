/* librel only: the cross-thread wake-ups of t_threads.c WITHOUT calling
 * evthread_use_pthreads() (libevent 2.1 requires it; librel does not). */
#define THREADS_WITHOUT_EVTHREAD 1
#include "../t_threads.c"

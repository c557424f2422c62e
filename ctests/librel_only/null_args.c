/* librel only: NULL arguments fail cleanly instead of crashing. */
#include <event2/event.h>
#include "../common.h"

int
main(void)
{
	struct timeval tv = {0, 1000};
	struct event_base *base;

	t_begin("null_args");
	EXPECT_INT("event_add(NULL, tv)", event_add(NULL, &tv), -1);
	EXPECT_INT("event_add(NULL, NULL)", event_add(NULL, NULL), -1);
	EXPECT_INT("event_del(NULL)", event_del(NULL), -1);
	event_base_free(NULL);
	printf("ok event_base_free(NULL) without a current base\n");
	base = event_base_new();
	/* libevent 2.1.12 dereferences NULL here */
	CHECK("event_base_get_running_event outside the loop", event_base_get_running_event(base) == NULL);
	event_base_free(base);
	return t_end();
}

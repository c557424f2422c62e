/* librel: the 1.4-style name of event2/util.h. */
#ifndef EVENT1_EVUTIL_H_INCLUDED_
#define EVENT1_EVUTIL_H_INCLUDED_
#include <event2/util.h>
#endif

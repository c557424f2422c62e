/* evrpc.h: the 1.4 header for evrpc, as libevent installs it: the 2.x
 * headers it became. New code includes <event2/rpc.h>. */
#ifndef EVENT1_EVRPC_H_INCLUDED_
#define EVENT1_EVRPC_H_INCLUDED_

#include <event.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/rpc_compat.h>

#endif /* EVENT1_EVRPC_H_INCLUDED_ */

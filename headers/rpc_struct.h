/* event2/rpc_struct.h: the types its structs point to, opaque here. */
struct evbuffer;
struct evhttp_request;
struct evrpc_base;
struct evrpc_req_generic;

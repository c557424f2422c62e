/* event2/rpc.h: the objects, opaque here, and the macros programs and
 * event_rpcgen.py's output use. */
struct evbuffer;
struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct evrpc;
struct evrpc_base;
struct evrpc_pool;
struct evrpc_status;
struct evrpc_hook_meta;
struct evrpc_req_generic;
struct evrpc_request_wrapper;

/* Accessors of generated message types: each type's `base` table holds
 * the per-member functions. */
#define EVTAG_HAS(msg, member) ((msg)->member##_set == 1)
#ifndef EVENT2_RPC_COMPAT_H_INCLUDED_
#define EVTAG_ASSIGN(msg, member, value) \
	(*(msg)->base->member##_assign)((msg), (value))
#define EVTAG_ASSIGN_WITH_LEN(msg, member, value, len) \
	(*(msg)->base->member##_assign)((msg), (value), (len))
#define EVTAG_GET(msg, member, pvalue) \
	(*(msg)->base->member##_get)((msg), (pvalue))
#define EVTAG_GET_WITH_LEN(msg, member, pvalue, plen) \
	(*(msg)->base->member##_get)((msg), (pvalue), (plen))
#endif
#define EVTAG_ARRAY_ADD_VALUE(msg, member, value) \
	(*(msg)->base->member##_add)((msg), (value))
#define EVTAG_ARRAY_ADD(msg, member) (*(msg)->base->member##_add)(msg)
#define EVTAG_ARRAY_GET(msg, member, offset, pvalue) \
	(*(msg)->base->member##_get)((msg), (offset), (pvalue))
#define EVTAG_ARRAY_LEN(msg, member) ((msg)->member##_length)

/* The request a server's handler gets: the first six fields are what
 * librel's server request starts with. */
#define EVRPC_STRUCT(rpcname) struct evrpc_req__##rpcname

#define EVRPC_HEADER(rpcname, reqstruct, rplystruct) \
EVRPC_STRUCT(rpcname) { \
	struct evrpc_hook_meta *hook_meta; \
	struct reqstruct *request; \
	struct rplystruct *reply; \
	struct evrpc *rpc; \
	struct evhttp_request *http_req; \
	struct evbuffer *rpc_data; \
}; \
int evrpc_send_request_##rpcname(struct evrpc_pool *, \
    struct reqstruct *, struct rplystruct *, \
    void (*)(struct evrpc_status *, \
	struct reqstruct *, struct rplystruct *, void *cbarg), \
    void *);

#define EVRPC_MAKE_CTX(rpcname, reqstruct, rplystruct, \
    pool, request, reply, cb, cbarg) \
	evrpc_make_request_ctx(pool, request, reply, #rpcname, \
	    (void (*)(struct evbuffer *, void *))reqstruct##_marshal, \
	    (void (*)(void *))rplystruct##_clear, \
	    (int (*)(void *, struct evbuffer *))rplystruct##_unmarshal, \
	    (void (*)(struct evrpc_status *, void *, void *, void *))cb, \
	    cbarg)

#define EVRPC_GENERATE(rpcname, reqstruct, rplystruct) \
	int evrpc_send_request_##rpcname(struct evrpc_pool *pool, \
	    struct reqstruct *request, struct rplystruct *reply, \
	    void (*cb)(struct evrpc_status *, \
		struct reqstruct *, struct rplystruct *, void *cbarg), \
	    void *cbarg) { \
	return evrpc_send_request_generic(pool, request, reply, \
	    (void (*)(struct evrpc_status *, void *, void *, void *))cb, \
	    cbarg, #rpcname, \
	    (void (*)(struct evbuffer *, void *))reqstruct##_marshal, \
	    (void (*)(void *))rplystruct##_clear, \
	    (int (*)(void *, struct evbuffer *))rplystruct##_unmarshal); \
}

#define EVRPC_REQUEST_HTTP(rpc_req) (rpc_req)->http_req

#define EVRPC_REQUEST_DONE(rpc_req) do { \
	struct evrpc_req_generic *req_ = (struct evrpc_req_generic *)(rpc_req); \
	evrpc_request_done(req_); \
} while (0)

#define EVRPC_REGISTER(base, name, request, reply, callback, cbarg) \
	evrpc_register_generic(base, #name, \
	    (void (*)(struct evrpc_req_generic *, void *))callback, cbarg, \
	    (void *(*)(void *))request##_new_with_arg, NULL, \
	    (void (*)(void *))request##_free, \
	    (int (*)(void *, struct evbuffer *))request##_unmarshal, \
	    (void *(*)(void *))reply##_new_with_arg, NULL, \
	    (void (*)(void *))reply##_free, \
	    (int (*)(void *))reply##_complete, \
	    (void (*)(struct evbuffer *, void *))reply##_marshal)

#define EVRPC_UNREGISTER(base, name) evrpc_unregister_rpc((base), #name)

#define EVRPC_MAKE_REQUEST(name, pool, request, reply, cb, cbarg) \
	evrpc_send_request_##name((pool), (request), (reply), (cb), (cbarg))

enum EVRPC_HOOK_TYPE {
	EVRPC_INPUT,
	EVRPC_OUTPUT
};
#ifndef _WIN32
#define INPUT EVRPC_INPUT
#define OUTPUT EVRPC_OUTPUT
#endif

enum EVRPC_HOOK_RESULT {
	EVRPC_TERMINATE = -1,
	EVRPC_CONTINUE = 0,
	EVRPC_PAUSE = 1
};

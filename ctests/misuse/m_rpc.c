/* evrpc misuse: NULL servers, pools, requests, names and hooks, hook types
 * that are neither input nor output, resuming what is not paused, a
 * server's connection offered to a pool. librel refuses each with -1,
 * NULL or nothing, and a log line; libevent 2.1 asserts or dereferences. */
#include "misuse.h"

#include <event2/http.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>

static int
hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	return EVRPC_CONTINUE;
}

static void
null_objects(void)
{
	EXPECT_RET("evrpc_init(NULL)", evrpc_init(NULL) == NULL, 1);
	EXPECT_LOG("evrpc_init: no evhttp given");
	evrpc_free(NULL);
	EXPECT_LOG("evrpc_free: no evrpc_base given");
	EXPECT_RET("evrpc_unregister_rpc(NULL, name)", evrpc_unregister_rpc(NULL, "x"), -1);
	EXPECT_RET("evrpc_register_rpc(NULL, NULL)", evrpc_register_rpc(NULL, NULL, NULL, NULL), -1);
	evrpc_pool_free(NULL);
	evrpc_pool_add_connection(NULL, NULL);
	evrpc_pool_set_timeout(NULL, 1);
	EXPECT_LOG("evrpc_pool_set_timeout: no evrpc_pool given");
	EXPECT_RET("evrpc_make_request(NULL)", evrpc_make_request(NULL), -1);
	EXPECT_RET("evrpc_request_get_pool(NULL)", evrpc_request_get_pool(NULL) == NULL, 1);
	evrpc_request_done(NULL);
	EXPECT_LOG("evrpc_request_done: no request given");
	EXPECT_RET("evrpc_get_request(NULL)", evrpc_get_request(NULL) == NULL, 1);
	EXPECT_RET("evrpc_add_hook(NULL)", evrpc_add_hook(NULL, EVRPC_INPUT, hook, NULL) == NULL, 1);
	EXPECT_RET("evrpc_remove_hook(NULL)", evrpc_remove_hook(NULL, EVRPC_INPUT, NULL), -1);
	EXPECT_RET("evrpc_hook_get_connection(NULL)", evrpc_hook_get_connection(NULL) == NULL, 1);
	OBS("every NULL call returned");
}

static void
bad_arguments(void)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	struct evrpc_base *rpc = evrpc_init(http);
	struct evrpc_pool *pool = evrpc_pool_new(base);
	void *h;
	EXPECT_RET("evrpc_unregister_rpc(base, NULL)", evrpc_unregister_rpc(rpc, NULL), -1);
	EXPECT_LOG("evrpc_unregister_rpc: no name given");
	EXPECT_RET("evrpc_unregister_rpc of a name never registered", evrpc_unregister_rpc(rpc, "nope"), -1);
	EXPECT_RET("evrpc_add_hook type 7", evrpc_add_hook(rpc, (enum EVRPC_HOOK_TYPE)7, hook, NULL) == NULL, 1);
	EXPECT_LOG("evrpc_add_hook: hook type is neither EVRPC_INPUT nor EVRPC_OUTPUT");
	EXPECT_RET("evrpc_add_hook NULL hook", evrpc_add_hook(rpc, EVRPC_INPUT, NULL, NULL) == NULL, 1);
	h = evrpc_add_hook(pool, EVRPC_OUTPUT, hook, NULL);
	EXPECT_RET("evrpc_remove_hook type 7", evrpc_remove_hook(pool, (enum EVRPC_HOOK_TYPE)7, h), -1);
	EXPECT_RET("evrpc_remove_hook foreign handle", evrpc_remove_hook(pool, EVRPC_OUTPUT, &h), 0);
	EXPECT_RET("evrpc_remove_hook", evrpc_remove_hook(pool, EVRPC_OUTPUT, h), 1);
	EXPECT_RET("evrpc_resume_request of nothing paused", evrpc_resume_request(rpc, &h, EVRPC_CONTINUE), -1);
	EXPECT_RET("evrpc_make_request_ctx(NULL name)",
	    evrpc_make_request_ctx(pool, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == NULL, 1);
	EXPECT_LOG("evrpc_make_request_ctx: no name given");
	evrpc_pool_free(pool);
	evrpc_free(rpc);
	evhttp_free(http);
	event_base_free(base);
}

int
main(void)
{
	m_begin("m_rpc");
	m_case("NULL servers, pools, requests", "-1 / NULL / nothing, log \"no ... given\"", null_objects);
	m_case("bad names, hook types, handles, resumes", "-1 / NULL / 0, log; the objects stay usable",
	    bad_arguments);
	return m_end();
}

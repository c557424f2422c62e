/* evrpc end to end: an RPC server (evrpc_init on an evhttp) and a client
 * pool on one loop over 127.0.0.1, with hand-written evtag marshalling of
 * the shape event_rpcgen.py generates. Covers EVRPC_HEADER/GENERATE/
 * REGISTER/MAKE_REQUEST, requests queued on a one-connection pool, hooks on
 * both sides (headers, meta data, pause and resume, terminate), replies
 * that fail to complete or to unmarshal, unregistered RPCs, the pool
 * timeout against a server that never answers, EVRPC_MAKE_CTX with
 * evrpc_request_set_cb/get_pool, and hook removal. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>

#include <event2/buffer.h>
#include <event.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/tag.h>

/* ---- the message type: {name: string (tag 1), num: u32 (tag 2)} ---- */

struct kv {
	char *name;
	ev_uint32_t num;
	int name_set, num_set;
};

static struct kv *kv_new(void) { return calloc(1, sizeof(struct kv)); }
static struct kv *kv_new_with_arg(void *arg) { (void)arg; return kv_new(); }
static void kv_clear(struct kv *m)
{
	free(m->name);
	m->name = NULL;
	m->name_set = m->num_set = 0;
}
static void kv_free(struct kv *m) { kv_clear(m); free(m); }
static int kv_complete(struct kv *m) { return m->name_set && m->num_set ? 0 : -1; }
static void kv_marshal(struct evbuffer *b, const struct kv *m)
{
	if (m->name_set)
		evtag_marshal_string(b, 1, m->name);
	if (m->num_set)
		evtag_marshal_int(b, 2, m->num);
}
static int kv_unmarshal(struct kv *m, struct evbuffer *b)
{
	ev_uint32_t tag;
	while (evbuffer_get_length(b) > 0) {
		if (evtag_peek(b, &tag) == -1)
			return -1;
		if (tag == 1) {
			if (m->name_set || evtag_unmarshal_string(b, 1, &m->name) == -1)
				return -1;
			m->name_set = 1;
		} else if (tag == 2) {
			if (m->num_set || evtag_unmarshal_int(b, 2, &m->num) == -1)
				return -1;
			m->num_set = 1;
		} else {
			return -1;
		}
	}
	return kv_complete(m);
}
static void kv_set(struct kv *m, const char *name, ev_uint32_t num)
{
	kv_clear(m);
	m->name = strdup(name);
	m->num = num;
	m->name_set = m->num_set = 1;
}

/* kv_req and kv_reply are the same type under the names the macros want. */
#define kv_req kv
#define kv_reply kv
#define kv_req_new_with_arg kv_new_with_arg
#define kv_reply_new_with_arg kv_new_with_arg
#define kv_req_free kv_free
#define kv_reply_free kv_free
#define kv_req_marshal kv_marshal
#define kv_reply_marshal kv_marshal
#define kv_req_unmarshal kv_unmarshal
#define kv_reply_unmarshal kv_unmarshal
#define kv_reply_clear kv_clear
#define kv_reply_complete kv_complete

EVRPC_HEADER(Double, kv_req, kv_reply)
EVRPC_GENERATE(Double, kv_req, kv_reply)

static struct event_base *base;
static struct evrpc_base *rpc_base;
static struct evrpc_pool *pool;
static struct evhttp_connection *pool_conn;
static int pending;

static void done_one(void)
{
	if (--pending == 0)
		event_base_loopexit(base, NULL);
}

/* ---- server ---- */

static int incomplete_next;

static void on_double(EVRPC_STRUCT(Double) *rpc, void *arg)
{
	struct kv *in = rpc->request, *out = rpc->reply;
	char upper[64];
	size_t i;
	CHECK("server: cb_arg", arg == &rpc_base);
	CHECK("server: get_request/get_reply", evrpc_get_request((struct evrpc_req_generic *)rpc) == in &&
	    evrpc_get_reply((struct evrpc_req_generic *)rpc) == out);
	CHECK("server: http request is a POST", evhttp_request_get_command(EVRPC_REQUEST_HTTP(rpc)) == EVHTTP_REQ_POST);
	SAY("server: %s %u at %s", in->name, in->num, evhttp_request_get_uri(EVRPC_REQUEST_HTTP(rpc)));
	for (i = 0; in->name[i] && i < sizeof upper - 1; i++)
		upper[i] = (char)(in->name[i] >= 'a' && in->name[i] <= 'z' ? in->name[i] - 32 : in->name[i]);
	upper[i] = '\0';
	if (incomplete_next) {
		incomplete_next = 0;
		out->name = strdup(upper);
		out->name_set = 1; /* num left unset: reply_complete fails */
	} else {
		kv_set(out, upper, in->num * 2);
	}
	EVRPC_REQUEST_DONE(rpc);
}

/* server input hook: looks at the header the client's output hook set;
 * "deny" is refused, "slow" is paused and resumed from a timer */
static int server_in_paused;
static void resume_later(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd; (void)what;
	SAY("server: resuming a paused request");
	EXPECT_INT("server: resume", evrpc_resume_request(rpc_base, ctx, EVRPC_CONTINUE), 0);
	EXPECT_INT("server: resume twice", evrpc_resume_request(rpc_base, ctx, EVRPC_CONTINUE), -1);
}

static int server_in_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Hooked");
	struct kv probe = {0};
	struct evbuffer *copy = evbuffer_new();
	int r = EVRPC_CONTINUE;
	(void)arg;
	evbuffer_add_buffer_reference(copy, buf);
	if (kv_unmarshal(&probe, copy) == 0) {
		SAY("server in-hook: %s, X-Hooked %s", probe.name, h ? h : "(none)");
		CHECK("server in-hook: connection known", evrpc_hook_get_connection(ctx) != NULL);
		if (strcmp(probe.name, "deny") == 0)
			r = EVRPC_TERMINATE;
		else if (strcmp(probe.name, "slow") == 0) {
			server_in_paused++;
			event_base_once(base, -1, EV_TIMEOUT, resume_later, ctx, &(struct timeval){0, 20000});
			r = EVRPC_PAUSE;
		}
	} else {
		SAY("server in-hook: undecodable request");
	}
	kv_clear(&probe);
	evbuffer_free(copy);
	return r;
}

static int server_out_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)arg;
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Server-Hook", "yes");
	SAY("server out-hook: reply of %d bytes", (int)evbuffer_get_length(buf));
	return EVRPC_CONTINUE;
}

/* ---- client ---- */

static int client_out_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	static int n;
	char tag[16];
	(void)buf; (void)arg;
	snprintf(tag, sizeof tag, "req-%d", ++n);
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Hooked", tag);
	evrpc_hook_add_meta(ctx, "tag", tag, strlen(tag) + 1);
	evrpc_hook_add_meta(ctx, "tag", "second", 7);
	CHECK("client out-hook: connection is the pool's", evrpc_hook_get_connection(ctx) == pool_conn);
	return EVRPC_CONTINUE;
}

static int client_in_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	void *data = NULL;
	size_t size = 0;
	const char *sh = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Server-Hook");
	(void)buf; (void)arg;
	if (evrpc_hook_find_meta(ctx, "tag", &data, &size) == 0)
		SAY("client in-hook: code %d, meta tag %s (%d bytes), X-Server-Hook %s",
		    evhttp_request_get_response_code(req), (char *)data, (int)size, sh ? sh : "(none)");
	else
		SAY("client in-hook: no meta");
	CHECK("client in-hook: missing meta", evrpc_hook_find_meta(ctx, "nope", &data, &size) == -1);
	return EVRPC_CONTINUE;
}

/* refuses anything named "abort" */
static int client_abort_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	SAY("client abort-hook");
	return EVRPC_TERMINATE;
}

static const char *status_name(int e)
{
	switch (e) {
	case EVRPC_STATUS_ERR_NONE: return "none";
	case EVRPC_STATUS_ERR_TIMEOUT: return "timeout";
	case EVRPC_STATUS_ERR_BADPAYLOAD: return "badpayload";
	case EVRPC_STATUS_ERR_UNSTARTED: return "unstarted";
	case EVRPC_STATUS_ERR_HOOKABORTED: return "hookaborted";
	}
	return "?";
}

static void on_reply(struct evrpc_status *st, struct kv *req, struct kv *reply, void *arg)
{
	const char *label = arg;
	if (st->error == EVRPC_STATUS_ERR_NONE)
		SAY("client %s: %s -> %s %u (http %d)", label, req->name, reply->name, reply->num,
		    evhttp_request_get_response_code(st->http_req));
	else
		SAY("client %s: %s -> error %s, reply %s, http %d", label, req->name,
		    status_name(st->error), reply->name_set || reply->num_set ? "kept" : "cleared",
		    st->http_req ? evhttp_request_get_response_code(st->http_req) : 0);
	kv_free(req);
	kv_free(reply);
	done_one();
}

static void send_one(struct evrpc_pool *p, const char *name, ev_uint32_t num, const char *label)
{
	struct kv *req = kv_new(), *reply = kv_new();
	kv_set(req, name, num);
	pending++;
	EXPECT_INT("client: EVRPC_MAKE_REQUEST", EVRPC_MAKE_REQUEST(Double, p, req, reply, on_reply, (void *)label), 0);
}

static void run(void)
{
	struct timeval cap = {10, 0};
	event_base_loopexit(base, &cap);
	event_base_dispatch(base);
	EXPECT_INT("client: every reply arrived", pending, 0);
	pending = 0;
}

static void on_ctx_reply(struct evrpc_status *st, void *req, void *reply, void *arg)
{
	struct kv *r = reply;
	SAY("client ctx: status %s, %s %u, arg %s", status_name(st->error), r->name, r->num, (char *)arg);
	kv_free(req);
	kv_free(reply);
	done_one();
}

/* A listener that accepts and never answers. */
static int silent_server(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		DIE("silent server");
	*port = ntohs(sin.sin_port);
	return fd;
}

int main(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	void *hooks[4];
	int port, silent_port, silent_fd;

	t_begin("t_rpc");
	signal(SIGPIPE, SIG_IGN);
	alarm(30);
	base = event_init(); /* the pool's connections are made with no base: they need a current one */
	http = evhttp_new(base);
	sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (!sock || getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len))
		DIE("bind");
	port = ntohs(sin.sin_port);

	rpc_base = evrpc_init(http);
	CHECK("evrpc_init", rpc_base != NULL);
	EXPECT_INT("EVRPC_REGISTER", EVRPC_REGISTER(rpc_base, Double, kv_req, kv_reply, on_double, &rpc_base), 0);

	pool = evrpc_pool_new(base);
	/* no base: the pool gives its own (libevent asserts the connection has none) */
	pool_conn = evhttp_connection_base_new(NULL, NULL, "127.0.0.1", (unsigned short)port);
	evrpc_pool_add_connection(pool, pool_conn);

	SAY("-- plain requests, five queued on one connection");
	send_one(pool, "alpha", 3, "plain");
	send_one(pool, "beta", 10, "plain");
	send_one(pool, "gamma", 0, "plain");
	send_one(pool, "delta", 2147483647u, "plain");
	send_one(pool, "epsilon", 1, "plain");
	run();

	SAY("-- hooks on both sides");
	hooks[0] = evrpc_add_hook(rpc_base, EVRPC_INPUT, server_in_hook, NULL);
	hooks[1] = evrpc_add_hook(rpc_base, EVRPC_OUTPUT, server_out_hook, NULL);
	hooks[2] = evrpc_add_hook(pool, EVRPC_OUTPUT, client_out_hook, NULL);
	hooks[3] = evrpc_add_hook(pool, EVRPC_INPUT, client_in_hook, NULL);
	CHECK("evrpc_add_hook gives handles", hooks[0] && hooks[1] && hooks[2] && hooks[3]);
	send_one(pool, "hooked", 21, "hooks");
	run();
	send_one(pool, "slow", 5, "pause");
	run();
	EXPECT_INT("server paused once", server_in_paused, 1);
	send_one(pool, "deny", 1, "terminate");
	run();
	incomplete_next = 1;
	send_one(pool, "half", 4, "incomplete");
	run();

	SAY("-- hooks removed");
	EXPECT_INT("remove server in-hook", evrpc_remove_hook(rpc_base, EVRPC_INPUT, hooks[0]), 1);
	EXPECT_INT("remove it again", evrpc_remove_hook(rpc_base, EVRPC_INPUT, hooks[0]), 0);
	EXPECT_INT("remove as the wrong kind", evrpc_remove_hook(rpc_base, EVRPC_INPUT, hooks[1]), 0);
	EXPECT_INT("remove server out-hook", evrpc_remove_hook(rpc_base, EVRPC_OUTPUT, hooks[1]), 1);
	EXPECT_INT("remove client out-hook", evrpc_remove_hook(pool, EVRPC_OUTPUT, hooks[2]), 1);
	EXPECT_INT("remove client in-hook", evrpc_remove_hook(pool, EVRPC_INPUT, hooks[3]), 1);
	send_one(pool, "plainagain", 8, "unhooked");
	run();

	SAY("-- EVRPC_MAKE_CTX, set_cb, get_pool");
	{
		struct kv *req = kv_new(), *reply = kv_new();
		struct evrpc_request_wrapper *ctx;
		kv_set(req, "ctx", 50);
		ctx = EVRPC_MAKE_CTX(Double, kv_req, kv_reply, pool, req, reply, on_reply, "unused");
		CHECK("ctx made", ctx != NULL);
		CHECK("ctx pool", evrpc_request_get_pool(ctx) == pool);
		evrpc_request_set_pool(ctx, pool);
		evrpc_request_set_cb(ctx, on_ctx_reply, "set_cb");
		pending++;
		EXPECT_INT("evrpc_make_request", evrpc_make_request(ctx), 0);
		run();
	}

	SAY("-- client hooks terminate");
	hooks[2] = evrpc_add_hook(pool, EVRPC_OUTPUT, client_abort_hook, NULL);
	send_one(pool, "abort", 1, "client-out-terminate");
	run();
	evrpc_remove_hook(pool, EVRPC_OUTPUT, hooks[2]);
	hooks[3] = evrpc_add_hook(pool, EVRPC_INPUT, client_abort_hook, NULL);
	send_one(pool, "abort", 2, "client-in-terminate");
	run();
	evrpc_remove_hook(pool, EVRPC_INPUT, hooks[3]);

	SAY("-- unregistered");
	EXPECT_INT("EVRPC_UNREGISTER", EVRPC_UNREGISTER(rpc_base, Double), 0);
	EXPECT_INT("EVRPC_UNREGISTER again", EVRPC_UNREGISTER(rpc_base, Double), -1);
	send_one(pool, "gone", 1, "unregistered");
	run();

	SAY("-- pool timeout against a server that never answers");
	{
		struct evrpc_pool *slow = evrpc_pool_new(base);
		struct evhttp_connection *c;
		double t0;
		silent_fd = silent_server(&silent_port);
		c = evhttp_connection_base_new(NULL, NULL, "127.0.0.1", (unsigned short)silent_port);
		evrpc_pool_add_connection(slow, c);
		evrpc_pool_set_timeout(slow, 1);
		t0 = t_now_ms();
		send_one(slow, "never", 1, "timeout");
		run();
		CHECK("timed out after about 1 s", t_now_ms() - t0 >= 900 && t_now_ms() - t0 < 5000);
		evrpc_pool_free(slow); /* frees its connection too */
		close(silent_fd);
	}

	evrpc_pool_free(pool);
	evrpc_free(rpc_base);
	evhttp_free(http);
	event_base_free(base);
	return t_end();
}

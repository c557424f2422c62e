/* struct evhttp_request as programs see it (event2/http_struct.h): its
 * size and the offset of every field, and the enums of event2/http.h. */
#include "common.h"
#include <stddef.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/http_compat.h>
#include <evhttp.h>

#define OFF(f) EXPECT_INT("offsetof " #f, offsetof(struct evhttp_request, f), off_##f)

int
main(void)
{
	const size_t P = sizeof(void *);
	/* x86_64 offsets (EXTRA.md); other ABIs print their own */
	size_t off_evcon = 2 * P, off_flags = 3 * P, off_input_headers = 4 * P,
	       off_output_headers = 5 * P, off_remote_host = 6 * P,
	       off_remote_port = 7 * P, off_host_cache = 8 * P, off_kind = 9 * P,
	       off_type = 9 * P + 4, off_headers_size = 10 * P, off_body_size = 11 * P,
	       off_uri = 12 * P, off_uri_elems = 13 * P, off_major = 14 * P,
	       off_minor = 14 * P + 1, off_response_code = 14 * P + 4,
	       off_response_code_line = 15 * P, off_input_buffer = 16 * P,
	       off_ntoread = 17 * P, off_output_buffer = 19 * P, off_cb = 20 * P,
	       off_cb_arg = 21 * P, off_chunk_cb = 22 * P, off_header_cb = 23 * P,
	       off_error_cb = 24 * P, off_on_complete_cb = 25 * P,
	       off_on_complete_cb_arg = 26 * P;
	struct evhttp_request *req;

	t_begin("http_layout");
	if (P != 8) {
		SAY("not LP64: offsets not checked");
		return t_end();
	}
	EXPECT_INT("sizeof(struct evhttp_request)", sizeof(struct evhttp_request), 216);
	OFF(evcon); OFF(flags); OFF(input_headers); OFF(output_headers);
	OFF(remote_host); OFF(remote_port); OFF(host_cache); OFF(kind); OFF(type);
	OFF(headers_size); OFF(body_size); OFF(uri); OFF(uri_elems); OFF(major);
	OFF(minor); OFF(response_code); OFF(response_code_line); OFF(input_buffer);
	OFF(ntoread); OFF(output_buffer); OFF(cb); OFF(cb_arg); OFF(chunk_cb);
	OFF(header_cb); OFF(error_cb); OFF(on_complete_cb); OFF(on_complete_cb_arg);
	EXPECT_INT("EVHTTP_REQ_PATCH", EVHTTP_REQ_PATCH, 256);
	EXPECT_INT("EVHTTP_RESPONSE", EVHTTP_RESPONSE, 1);
	EXPECT_INT("EVREQ_HTTP_DATA_TOO_LONG", EVREQ_HTTP_DATA_TOO_LONG, 5);
	EXPECT_INT("EVHTTP_USER_OWNED", EVHTTP_USER_OWNED, 4);
	EXPECT_INT("EVHTTP_CON_READ_ON_WRITE_ERROR", EVHTTP_CON_READ_ON_WRITE_ERROR, 16);

	/* a fresh request, read through the struct */
	req = evhttp_request_new(NULL, NULL);
	CHECK("request_new", req != NULL);
	EXPECT_INT("kind", req->kind, EVHTTP_RESPONSE);
	EXPECT_INT("type", req->type, 0);
	CHECK("header lists", req->input_headers && req->output_headers &&
	    TAILQ_EMPTY(req->input_headers) && TAILQ_EMPTY(req->output_headers));
	CHECK("buffers", req->input_buffer == evhttp_request_get_input_buffer(req) &&
	    req->output_buffer == evhttp_request_get_output_buffer(req));
	CHECK("no uri", req->uri == NULL && evhttp_request_uri(req) == NULL);
	CHECK("no connection", req->evcon == NULL);
	EXPECT_INT("not owned", evhttp_request_is_owned(req), 0);
	evhttp_request_own(req);
	EXPECT_INT("owned", evhttp_request_is_owned(req), 1);
	EXPECT_INT("flags", req->flags, EVHTTP_USER_OWNED);
	evhttp_add_header(req->output_headers, "A", "b");
	EXPECT_STR("header via struct", TAILQ_FIRST(req->output_headers)->value, "b");
	evhttp_request_free(req);
	return t_end();
}

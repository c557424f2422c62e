/* event2/http_compat.h: the 1.4 name of evhttp_request_get_uri. */
#define evhttp_request_uri evhttp_request_get_uri

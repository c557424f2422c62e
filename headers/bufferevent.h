/* Declarations of event2/bufferevent.h that cbindgen cannot place: the
 * opaque types and the callback types (shared with bufferevent_struct.h). */
struct bufferevent;
struct bufferevent_ops;
struct evbuffer;
struct sockaddr;
struct evdns_base;
struct ev_token_bucket_cfg;
struct bufferevent_rate_limit_group;

typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);

#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX

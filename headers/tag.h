/* event2/tag.h: the buffer type, opaque here. */
struct evbuffer;

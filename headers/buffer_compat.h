/* event2/buffer_compat.h: the 1.4 macros. */
#define EVBUFFER_LENGTH(x) evbuffer_get_length(x)
#define EVBUFFER_DATA(x) evbuffer_pullup((x), -1)

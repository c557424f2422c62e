/* event2/buffer.h: what cbindgen cannot say (see src/buffer_api.rs). */
struct evbuffer;
struct evbuffer_cb_entry;
struct evbuffer_file_segment;

/* evbuffer_iovec is the system's struct iovec. */
#define evbuffer_iovec iovec
#define EVBUFFER_IOVEC_IS_NATIVE_

enum evbuffer_eol_style {
	EVBUFFER_EOL_ANY,
	EVBUFFER_EOL_CRLF,
	EVBUFFER_EOL_CRLF_STRICT,
	EVBUFFER_EOL_LF,
	EVBUFFER_EOL_NUL
};

enum evbuffer_ptr_how {
	EVBUFFER_PTR_SET,
	EVBUFFER_PTR_ADD
};

/* C-variadic; the va_list twin evbuffer_add_vprintf is declared below
 * (src/variadic.rs). */
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;

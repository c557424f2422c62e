/* The C-variadic entry points of libevent's API. Stable Rust cannot define
 * a function taking `...`, so each is a few lines here that forward at once
 * to its va_list twin, written in Rust. The exported name is a Rust
 * trampoline (src/variadic.rs) that jumps to the rel_c_ function. Nothing
 * else belongs in this file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap);
struct evbuffer;
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap);

int rel_c_evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	int r = evutil_vsnprintf(buf, buflen, format, ap);
	va_end(ap);
	return r;
}

int rel_c_evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

/* vsnprintf on a copy, so the Rust twins can format twice (measure, then
 * write) from the one va_list they were given. */
int rel_c_vsnprintf_copy(char *buf, size_t n, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int r = vsnprintf(buf, n, fmt, copy);
	va_end(copy);
	return r;
}

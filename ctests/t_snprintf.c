/* evutil_snprintf / evutil_vsnprintf: the C-variadic entry point with
 * integer, string, double and many stack-passed arguments, truncation,
 * termination and the would-be length. */
#include <stdarg.h>
#include <string.h>
#include <event2/util.h>
#include "common.h"

static int
via_va(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = evutil_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int
main(void)
{
	char buf[128], small[6];
	int r;

	r = evutil_snprintf(buf, sizeof(buf), "%s-%d-%.3f-%c-%lu", "abc", -42, 2.5, 'z', 1234567890123UL);
	printf("full: %d '%s'\n", r, buf);
	/* more arguments than registers: the rest are on the stack */
	r = evutil_snprintf(buf, sizeof(buf), "%d %d %d %d %d %d %d %d %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %s",
	    1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, "end");
	printf("many: %d '%s'\n", r, buf);
	memset(small, 'x', sizeof(small));
	r = evutil_snprintf(small, sizeof(small), "%s", "truncated text");
	printf("truncated: %d '%s' terminated=%d\n", r, small, small[5] == 0);
	r = evutil_snprintf(NULL, 0, "%d", 123456);
	printf("measure only: %d\n", r);
	r = via_va(buf, sizeof(buf), "va %s %x", "twin", 255);
	printf("vsnprintf: %d '%s'\n", r, buf);
	r = via_va(small, sizeof(small), "%s", "also truncated");
	printf("v truncated: %d '%s'\n", r, small);
	return t_end();
}

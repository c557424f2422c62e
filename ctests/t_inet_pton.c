/* evutil_inet_pton reads addresses with libevent's own parser, laxer than
 * inet_pton(3): leading zeros, spaces and signs in dotted quads, 0x hex
 * groups, a trailing ':' after a compressed IPv6 address. Bytes printed. */
#include <netinet/in.h>
#include <event2/util.h>
#include "common.h"

static void
show(int af, const char *text)
{
	unsigned char b[16];
	int i, n = af == AF_INET ? 4 : 16, r;
	memset(b, 0xee, sizeof(b));
	r = evutil_inet_pton(af, text, b);
	printf("%s '%s' -> %d", af == AF_INET ? "v4" : "v6", text, r);
	if (r == 1)
		for (i = 0; i < n; i++)
			printf("%s%02x", i ? ":" : " ", b[i]);
	printf("\n");
}

int
main(void)
{
	static const char *v4[] = { "1.2.3.4", "01.2.3.4", " 1.2.3.4", "1. +2.3.4", "-0.2.3.4",
		"1.2.3.4 ", "1.2.3", "256.2.3.4", "-1.2.3.4", "1.2.3.4.5", "0x1.2.3.4", "", "a.b.c.d",
		"255.255.255.255", "00000000001.2.3.4", NULL };
	static const char *v6[] = { "::", "::1", "1::", "1::2:", "0000::1", "ABCD::abcd",
		"1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7", "1:2:3:4:5:6:7::", "::ffff:01.2.3.4",
		"::1.2.3.+4", "::1. 2.3.4", "1:2:3:4:5:6:1.2.3.4", "::0x12", "1:2::7:8", ":::", ":1",
		"1:", "00000::1", "::ffff:1.2.3.4:", "1::2:3:4:5:6:7:8", "::256.1.1.1", "::0x123",
		"1.2.3.4", "::.1.2.3", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", NULL };
	int i;

	t_begin("t_inet_pton");
	for (i = 0; v4[i]; i++)
		show(AF_INET, v4[i]);
	for (i = 0; v6[i]; i++)
		show(AF_INET6, v6[i]);
	return t_end();
}

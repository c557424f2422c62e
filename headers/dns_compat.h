/* event2/dns_compat.h: the 1.4 calls on the global evdns base. */
struct evdns_base;
struct in_addr;
struct in6_addr;

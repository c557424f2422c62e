/* event2/dns.h: the values programs name. */
#define DNS_ERR_NONE 0
#define DNS_ERR_FORMAT 1
#define DNS_ERR_SERVERFAILED 2
#define DNS_ERR_NOTEXIST 3
#define DNS_ERR_NOTIMPL 4
#define DNS_ERR_REFUSED 5
#define DNS_ERR_TRUNCATED 65
#define DNS_ERR_UNKNOWN 66
#define DNS_ERR_TIMEOUT 67
#define DNS_ERR_SHUTDOWN 68
#define DNS_ERR_CANCEL 69
#define DNS_ERR_NODATA 70

/* The type argument of a resolve callback. */
#define DNS_IPv4_A 1
#define DNS_PTR 2
#define DNS_IPv6_AAAA 3

#define DNS_QUERY_NO_SEARCH 1
#define DNS_NO_SEARCH DNS_QUERY_NO_SEARCH

/* What evdns_base_resolv_conf_parse reads. */
#define DNS_OPTION_SEARCH 1
#define DNS_OPTION_NAMESERVERS 2
#define DNS_OPTION_MISC 4
#define DNS_OPTION_HOSTSFILE 8
#define DNS_OPTIONS_ALL (DNS_OPTION_SEARCH | DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE)
#define DNS_OPTION_NAMESERVERS_NO_DEFAULT 16

/* evdns_base_new flags. */
#define EVDNS_BASE_INITIALIZE_NAMESERVERS 1
#define EVDNS_BASE_DISABLE_WHEN_INACTIVE 0x8000
#define EVDNS_BASE_NAMESERVERS_NO_DEFAULT 0x10000

/* Log severities. */
#define EVDNS_LOG_DEBUG 0
#define EVDNS_LOG_MSG 1
#define EVDNS_LOG_WARN 2

/* Server ports: reply sections, record types and classes, flags. */
#define EVDNS_ANSWER_SECTION 0
#define EVDNS_AUTHORITY_SECTION 1
#define EVDNS_ADDITIONAL_SECTION 2
#define EVDNS_TYPE_A 1
#define EVDNS_TYPE_NS 2
#define EVDNS_TYPE_CNAME 5
#define EVDNS_TYPE_SOA 6
#define EVDNS_TYPE_PTR 12
#define EVDNS_TYPE_MX 15
#define EVDNS_TYPE_TXT 16
#define EVDNS_TYPE_AAAA 28
#define EVDNS_QTYPE_AXFR 252
#define EVDNS_QTYPE_ALL 255
#define EVDNS_CLASS_INET 1
#define EVDNS_FLAGS_AA 0x400
#define EVDNS_FLAGS_RD 0x080

struct evdns_base;
struct evdns_request;
struct evdns_server_port;
struct evdns_server_request;
struct evdns_server_question;
struct evdns_getaddrinfo_request;
struct in_addr;
struct in6_addr;
struct sockaddr;

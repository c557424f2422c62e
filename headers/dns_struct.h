/* event2/dns_struct.h: what a server port's callback may read. */
struct evdns_server_request {
	int flags;
	int nquestions;
	struct evdns_server_question **questions;
};
struct evdns_server_question {
	int type;
#ifdef __cplusplus
	int dns_question_class;
#else
	/* Also readable as dns_question_class. */
	int class;
#define dns_question_class class
#endif
	char name[1];
};

/* event2/http.h: the header lists are declared in event2/keyvalq_struct.h. */
struct evkeyvalq;

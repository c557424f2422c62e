/* event2/tag_compat.h: the misnamed 1.4 integer encoders. */
#define encode_int(evbuf, number) evtag_encode_int((evbuf), (number))
#define encode_int64(evbuf, number) evtag_encode_int64((evbuf), (number))

/* evbuffer micro-operations, each timed on its own (ns per operation):
 *   add_drain  evbuffer_add 256 bytes, then evbuffer_drain 256 bytes
 *   readln     evbuffer_readln(EVBUFFER_EOL_CRLF) + free of a 26-byte line,
 *              from a buffer refilled (untimed) with 1000 lines at a time
 *   move       evbuffer_add_buffer of a 16 KiB, 4-chain buffer into an empty
 *              one, then evbuffer_remove_buffer of all 16 KiB back
 *   pullup     evbuffer_pullup(-1) of 4 KiB arriving as 16 chains of 256
 *              bytes (evbuffer_add_buffer of separately filled buffers,
 *              untimed), 50 buffers per timed batch
 *   search     evbuffer_search for "\r\n\r\n" at the end of 16 KiB of
 *              header lines (a '\r' every 26 bytes), in 4 chains
 *   printf     evbuffer_add_printf("%s: %d; %s\r\n"), 1000 per timed batch
 *              (the buffer drained, untimed, between batches)
 *   -n PERCENT  of the default operation counts  -i ITERS  -o OP (only that one)
 * Output: {"method", "<op>_ps": [picoseconds per operation, per iteration],
 *          "<op>_ops": operations run in all, warm-up included, ...}. */
#include "harness.h"

#include <event2/buffer.h>

#define NOPS 6
static const char *names[NOPS] = { "add_drain", "readln", "move", "pullup", "search",
                                   "printf" };
static const int base_ops[NOPS] = { 500000, 200000, 500000, 50000, 10000, 200000 };

#define LINE "GET /index.html HTTP/1.1\r\n" /* 26 bytes */
#define LINE_LEN 26

static char data[16384];
static unsigned long long sink; /* printed: keeps the results observable */

/* Appends `len` bytes of `src` to `dst` as a chain of its own. */
static void add_chain(struct evbuffer *dst, const void *src, size_t len)
{
    struct evbuffer *tmp = evbuffer_new();
    evbuffer_add(tmp, src, len);
    evbuffer_add_buffer(dst, tmp);
    evbuffer_free(tmp);
}

/* The timed parts: out of line and named timed_*, so callgrind can count
 * exactly them (--toggle-collect=timed_*). */
#define TIMED static __attribute__((noinline)) void

TIMED timed_add_drain(struct evbuffer *b, int n)
{
    for (int i = 0; i < n; i++) {
        evbuffer_add(b, data, 256);
        evbuffer_drain(b, 256);
    }
}

TIMED timed_readln(struct evbuffer *b)
{
    for (int i = 0; i < 1000; i++) {
        size_t len;
        char *line = evbuffer_readln(b, &len, EVBUFFER_EOL_CRLF);
        sink += len;
        free(line);
    }
}

TIMED timed_move(struct evbuffer *a, struct evbuffer *b, int n)
{
    for (int i = 0; i < n; i++) {
        evbuffer_add_buffer(b, a);
        evbuffer_remove_buffer(b, a, sizeof data);
    }
}

TIMED timed_pullup(struct evbuffer **bufs, int n)
{
    for (int j = 0; j < n; j++)
        sink += (unsigned char)evbuffer_pullup(bufs[j], -1)[4095];
}

TIMED timed_search(struct evbuffer *b, int n)
{
    for (int i = 0; i < n; i++)
        sink += (unsigned long long)evbuffer_search(b, "\r\n\r\n", 4, NULL).pos;
}

TIMED timed_printf(struct evbuffer *b, int first)
{
    for (int i = 0; i < 1000; i++)
        evbuffer_add_printf(b, "%s: %d; %s\r\n", "Content-Length", first + i, "charset");
}

static uint64_t op_add_drain(int n)
{
    struct evbuffer *b = evbuffer_new();
    uint64_t t0 = now_ns();
    timed_add_drain(b, n);
    uint64_t t = now_ns() - t0;
    evbuffer_free(b);
    return t;
}

static uint64_t op_readln(int n)
{
    static char block[1000 * LINE_LEN];
    for (int i = 0; i < 1000; i++)
        memcpy(block + i * LINE_LEN, LINE, LINE_LEN);
    struct evbuffer *b = evbuffer_new();
    uint64_t t = 0;
    for (int done = 0; done < n; done += 1000) {
        evbuffer_add(b, block, sizeof block);
        uint64_t t0 = now_ns();
        timed_readln(b);
        t += now_ns() - t0;
    }
    if (sink == 0 || evbuffer_get_length(b) != 0)
        DIE("readln: lines not read");
    evbuffer_free(b);
    return t;
}

static uint64_t op_move(int n)
{
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
    for (int i = 0; i < 4; i++)
        add_chain(a, data + i * 4096, 4096);
    uint64_t t0 = now_ns();
    timed_move(a, b, n);
    uint64_t t = now_ns() - t0;
    if (evbuffer_get_length(a) != sizeof data || evbuffer_get_length(b) != 0)
        DIE("move: lengths changed");
    evbuffer_free(a);
    evbuffer_free(b);
    return t;
}

static uint64_t op_pullup(int n)
{
    struct evbuffer *bufs[50];
    uint64_t t = 0;
    for (int done = 0; done < n; done += 50) {
        for (int j = 0; j < 50; j++) {
            bufs[j] = evbuffer_new();
            for (int k = 0; k < 16; k++)
                add_chain(bufs[j], data + k * 256, 256);
        }
        uint64_t t0 = now_ns();
        timed_pullup(bufs, 50);
        t += now_ns() - t0;
        for (int j = 0; j < 50; j++)
            evbuffer_free(bufs[j]);
    }
    return t;
}

static uint64_t op_search(int n)
{
    static char text[16384];
    for (size_t i = 0; i < sizeof text; i += LINE_LEN)
        memcpy(text + i, "X-Header-Name: some-value\r\n",
               sizeof text - i < LINE_LEN ? sizeof text - i : LINE_LEN);
    memcpy(text + sizeof text - 4, "\r\n\r\n", 4);
    struct evbuffer *b = evbuffer_new();
    for (int i = 0; i < 4; i++)
        add_chain(b, text + i * 4096, 4096);
    uint64_t t0 = now_ns();
    timed_search(b, n);
    uint64_t t = now_ns() - t0;
    struct evbuffer_ptr p = evbuffer_search(b, "\r\n\r\n", 4, NULL);
    if (p.pos != (ssize_t)sizeof text - 4)
        DIE("search: found at %ld", (long)p.pos);
    evbuffer_free(b);
    return t;
}

static uint64_t op_printf(int n)
{
    struct evbuffer *b = evbuffer_new();
    uint64_t t = 0;
    for (int done = 0; done < n; done += 1000) {
        uint64_t t0 = now_ns();
        timed_printf(b, done);
        t += now_ns() - t0;
        sink += evbuffer_get_length(b);
        evbuffer_drain(b, evbuffer_get_length(b));
    }
    evbuffer_free(b);
    return t;
}

static uint64_t (*const ops[NOPS])(int) = { op_add_drain, op_readln, op_move, op_pullup,
                                            op_search, op_printf };

int main(int argc, char **argv)
{
    int percent = 100, iters = 3, c;
    const char *only = NULL;
    while ((c = getopt(argc, argv, "n:i:o:")) != -1) {
        switch (c) {
        case 'n': percent = atoi(optarg); break;
        case 'o': only = optarg; break;
        case 'i': iters = atoi(optarg); break;
        default: DIE("bad option");
        }
    }
    if (percent < 1 || iters < 0)
        DIE("bad sizes");
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    struct event_base *base = event_base_new(); /* only to report the method */
    uint64_t *ns[NOPS], total[NOPS];
    for (int k = 0; k < NOPS; k++) {
        if (only && strcmp(only, names[k]) != 0)
            continue;
        int n = (int)((long)base_ops[k] * percent / 100 / 1000 * 1000);
        n = n < 1000 ? 1000 : n;
        int warm = n / 10 < 1000 ? 1000 : n / 10;
        ns[k] = calloc((size_t)iters + 1, sizeof **ns);
        ops[k](warm);
        for (int i = 0; i < iters; i++)
            ns[k][i] = ops[k](n) * 1000 / (uint64_t)n;
        total[k] = (uint64_t)warm + (uint64_t)iters * (uint64_t)n;
    }
    emit_begin(event_base_get_method(base));
    for (int k = 0; k < NOPS; k++) {
        if (only && strcmp(only, names[k]) != 0)
            continue;
        char key[32];
        snprintf(key, sizeof key, "%s_ps", names[k]);
        emit_array(key, ns[k], iters);
        snprintf(key, sizeof key, "%s_ops", names[k]);
        emit_u64(key, total[k]);
    }
    emit_u64("checksum", sink);
    emit_end();
    return 0;
}

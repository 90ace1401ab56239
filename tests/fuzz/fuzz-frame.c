/* SPDX-License-Identifier: MIT */
/* fuzz-frame.c: libFuzzer harness for the manager's frame parser and request execution. */
#include <stdlib.h>
#include <string.h>

#include "manager_internal.h"

/* An invariant of the server, checked on every reply: it is one (or, after
 * a refused frame, exactly one ERR) well-formed frame that a client would
 * accept. A violation aborts, which libFuzzer reports as a crash. */
static void check_reply(const struct coord__wbuf *rep, size_t at,
                        const coord_manager_opts *o, int rc)
{
    struct coord__whdr h;
    if (rep->len <= at ||
        coord__wire_header(rep->p + at, rep->len - at, o->max_frame, &h) != 0 ||
        (size_t)h.len + 4 != rep->len - at)
        abort();
    if (rc != 0 && (h.kind != COORD__W_ERR || h.len != 12))
        abort();
    if (rc == 0 && h.kind != COORD__W_REP && h.kind != COORD__W_WELCOME)
        abort();
    if (h.kind != COORD__W_REP)
        return;
    /* Every result decodes and the reply ends with the last one. */
    struct coord__rd rd = {rep->p + at + COORD__WIRE_HDR, rep->p + rep->len,
                           false};
    for (uint16_t i = 0; i < h.count; i++) {
        int32_t st = (int32_t)coord__rd_u32(&rd);
        struct coord__wval w;
        if (rd.p < rd.end && *rd.p == COORD__WT_KEYS) {
            rd.p++;
            for (int32_t k = 0; k < st; k++) {
                uint16_t n = coord__rd_u16(&rd);
                coord__rd_bytes(&rd, n);
                if (coord__rd_u8(&rd) != 0)
                    abort();
            }
        } else if (coord__wire_val_decode(&rd, &w, true) != 0) {
            abort();
        }
    }
    if (rd.bad || rd.p != rd.end)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input is a stream of frames as one connection would send them. A
 * fresh store per input keeps runs reproducible (and lets LeakSanitizer
 * see anything the store forgets to free). Small limits reach the limit
 * paths quickly. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    coord_manager_opts o = {.max_key = 32,
                            .max_value = 256,
                            .max_entries = 64,
                            .max_bytes = 2048,
                            .max_frame = 4096,
                            .max_batch = 64,
                            .max_clients = 4};
    struct coord__mstore s;
    coord__mstore_init(&s, &o);
    struct coord__wbuf rep;
    coord__wbuf_init(&rep);
    size_t off = 0;
    while (off < size) {
        struct coord__whdr h;
        int r = coord__wire_header(data + off, size - off, o.max_frame, &h);
        if (r != 0)
            break; /* EAGAIN: wait for more; else the server closes */
        size_t total = (size_t)h.len + 4;
        if (total > size - off)
            break;
        /* Copy the frame to its own allocation so that ASan catches any
         * read past its end. */
        uint8_t *frame = malloc(total);
        if (!frame)
            break;
        memcpy(frame, data + off, total);
        rep.len = 0;
        r = coord__mstore_exec(&s, frame, total, &rep);
        free(frame);
        check_reply(&rep, 0, &o, r);
        if (r != 0)
            break;
        if (s.entries > o.max_entries || s.bytes > o.max_bytes)
            abort();
        off += total;
    }
    coord__wbuf_free(&rep);
    coord__mstore_free(&s);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* fuzz-csv.c: libFuzzer harness for the transactions CSV reader (cli/fraud-csv.c) and its round trip through the writer. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fraud.h"

/* What fraud.h promises of a result. */
static void check(const struct fraud_csv_result *r, int rc, bool strict)
{
    size_t cap = sizeof r->errors / sizeof r->errors[0];
    if (r->n_errors != (r->bad < cap ? r->bad : cap) && !(strict && rc))
        abort();
    for (size_t i = 0; i < r->n_errors; i++) {
        if (i && r->errors[i].line < r->errors[i - 1].line)
            abort();
        for (const char *p = r->errors[i].why; *p; p++)
            if ((unsigned char)*p < 0x20)
                abort(); /* the message goes to a terminal */
    }
    if (rc != 0 && (r->txns || r->n))
        abort();
    for (size_t i = 0; i < r->n; i++) {
        const struct fraud_txn *t = &r->txns[i];
        if (t->cents <= 0 || t->lat_e5 < -9000000 || t->lat_e5 > 9000000 ||
            t->lon_e5 < -18000000 || t->lon_e5 > 18000000 || t->ts_ms < 0 ||
            (t->label >= FRAUD_KIND_COUNT && t->label != FRAUD_UNLABELED) ||
            (i && t->ts_ms < r->txns[i - 1].ts_ms))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte 0 picks --strict; the rest is the file. What was read is written
 * (coord fraud --csv IN --write-csv OUT) and must read back the same. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool strict = data[0] & 1;
    FILE *f = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "r");
    if (!f)
        return 0;
    if (size == 1)
        fgetc(f); /* fmemopen wants a size of 1 at least: read it empty */
    struct fraud_csv_result r;
    int rc = fraud_csv_read(f, strict, &r);
    fclose(f);
    if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
        abort();
    check(&r, rc, strict);
    if (rc == 0 && r.n > 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *w = open_memstream(&buf, &len);
        if (!w || fraud_csv_write(w, r.txns, r.n) != 0 || fclose(w) != 0)
            abort();
        FILE *back = fmemopen(buf, len, "r");
        struct fraud_csv_result r2;
        if (!back || fraud_csv_read(back, true, &r2) != 0)
            abort(); /* --write-csv wrote what --csv refuses */
        fclose(back);
        if (r2.n != r.n || r2.labelled != r.labelled)
            abort();
        for (size_t i = 0; i < r.n; i++) {
            const struct fraud_txn *a = &r.txns[i], *b = &r2.txns[i];
            if (a->id != b->id || a->ts_ms != b->ts_ms ||
                a->account != b->account || a->merchant != b->merchant ||
                a->cents != b->cents || a->lat_e5 != b->lat_e5 ||
                a->lon_e5 != b->lon_e5 || a->device != b->device ||
                a->label != b->label)
                abort();
        }
        fraud_csv_free(&r2);
        free(buf);
    }
    fraud_csv_free(&r);
    return 0;
}

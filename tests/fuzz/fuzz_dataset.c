/*
 * fuzz_dataset.c - a class dataset's parsers (domain/dataset_def.h) on
 * a body with no NUL after it, then the split and the description.
 *
 * Byte 0: bit 0 chooses CSV (1) or JSON (0); bits 1-2 the numeric target
 * columns of a CSV (1-4); bit 3 label mode; bit 4 given classes ("a,b,c").
 * Byte 1: the test fraction in 1/510 steps (0..0.5). The rest is the
 * body. On success the table must be consistent (finite numbers, labels
 * within the classes, one-hot targets), its split must leave a training
 * row and be the same twice, and the description must be built; on
 * failure nothing is returned and the error has a message.
 */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/dataset_def.h"
#include "fuzz_common.h"

#define MAX_ROWS 256
#define MAX_INPUTS 16

static void check_table(const ds_table *t, double f)
{
    if (!t->x || !t->y || t->n == 0 || t->n > MAX_ROWS || t->n_in == 0 ||
        t->n_in > MAX_INPUTS || t->n_out == 0)
        abort();
    for (size_t i = 0; i < t->n * t->n_in; i++)
        if (!isfinite(t->x[i]))
            abort();
    for (size_t i = 0; i < t->n; i++) {
        double ones = 0;
        for (size_t j = 0; j < t->n_out; j++) {
            double v = t->y[i * t->n_out + j];
            if (!isfinite(v))
                abort();
            ones += v;
        }
        if (t->n_classes && (t->label[i] >= t->n_classes || ones != 1.0 ||
                             t->y[i * t->n_out + t->label[i]] != 1.0))
            abort();
    }
    if (t->n_classes && (t->n_classes < 2 || t->n_out != t->n_classes))
        abort();
    unsigned char *a = malloc(t->n), *b = malloc(t->n);
    size_t na = 0, nb = 0;
    ds_error err;
    if (!a || !b)
        abort();
    int ra = ds_split(t, f, 42, a, &na, &err), rb = ds_split(t, f, 42, b, &nb, &err);
    if (ra != rb || (ra == 0 && (na != nb || na >= t->n || memcmp(a, b, t->n) != 0)))
        abort();
    if (ra == 0) {
        sbuf pub, own;
        sbuf_init(&pub);
        sbuf_init(&own);
        ds_describe(t, a, &pub, &own);
        if (sbuf_failed(&pub) || sbuf_failed(&own) || pub.len == 0 || own.len == 0)
            abort();
        sbuf_free(&pub);
        sbuf_free(&own);
    }
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    int csv = data[0] & 1, labels = (data[0] >> 3) & 1;
    size_t targets = (size_t)((data[0] >> 1) & 3) + 1;
    const char *classes = (data[0] >> 4) & 1 ? "a,b,c" : NULL;
    double f = (double)data[1] / 510.0;
    size_t len = size - 2;
    const char *text = guarded_copy(data + 2, len);
    ds_table t;
    ds_error err;
    int rc;
    if (csv) {
        rc = ds_parse_csv(text, len, targets, labels, classes, MAX_ROWS, MAX_INPUTS, &t, &err);
    } else {
        cJSON *body = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
        if (!body)
            return 0;
        ds_options opt;
        rc = ds_parse_json(body, MAX_ROWS, MAX_INPUTS, &t, &opt, &err);
        if (rc == 0 && (!opt.name || !(opt.test_fraction >= 0 && opt.test_fraction <= 0.5)))
            abort();
        if (rc == 0)
            check_table(&t, opt.test_fraction);
        ds_table_free(&t);
        cJSON_Delete(body);
        if (rc != 0 && !err.e.message[0])
            abort();
        return 0;
    }
    if (rc != 0) {
        if (t.x || t.y || t.classes || !err.e.message[0])
            abort();
        return 0;
    }
    check_table(&t, f);
    ds_table_free(&t);
    return 0;
}

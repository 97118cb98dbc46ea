/*
 * fuzz_csv.c - the text/csv sample reader, csv_parse, on a body with no
 * NUL after it.
 *
 * Byte 0: inputs per row (1-8, low 3 bits + 1); byte 1: targets per row
 * (1-4). The rest is the body. On success every value must be finite and
 * there must be 1..max_rows rows; on failure nothing is returned and the
 * error names a line unless it is about the row count.
 */
#include <math.h>
#include <stdlib.h>

#include "util/csv.h"
#include "fuzz_common.h"

#define MAX_ROWS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    size_t n_in = (size_t)(data[0] & 7) + 1, n_out = (size_t)(data[1] & 3) + 1;
    size_t len = size - 2;
    const char *text = guarded_copy(data + 2, len);
    double *x = NULL, *y = NULL;
    size_t rows = 0;
    csv_error err = {0};
    if (csv_parse(text, len, n_in, n_out, MAX_ROWS, &x, &y, &rows, &err) != 0) {
        if (x || y || !err.message[0])
            abort();
        return 0;
    }
    if (!x || !y || rows == 0 || rows > MAX_ROWS)
        abort();
    for (size_t i = 0; i < rows * n_in; i++)
        if (!isfinite(x[i]))
            abort();
    for (size_t i = 0; i < rows * n_out; i++)
        if (!isfinite(y[i]))
            abort();
    free(x);
    free(y);
    return 0;
}

/*
 * fuzz_fastrows.c - the predict fast path, fast_rows_parse, against the
 * general path it stands in for.
 *
 * Byte 0: columns (1-8); the rest is the body (no NUL after it). When the
 * fast path says it handled the body, cJSON (the daemon's general path,
 * through json_parse_or_reply) must parse the same bytes to an object
 * whose "inputs" is the same matrix, bit for bit: the two paths may never
 * disagree about a body both accept.
 */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/fastrows.h"
#include "fuzz_common.h"
#include "api/jsonin.h"

#define MAX_ROWS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    size_t cols = (size_t)(data[0] & 7) + 1, len = size - 1;
    const char *body = guarded_copy(data + 1, len);
    double stack[32];
    fast_rows fr;
    if (!fast_rows_parse(body, len, "inputs", cols, MAX_ROWS, stack, 32, &fr)) {
        if (fr.x || fr.owned || fr.rows)
            abort();
        return 0;
    }
    if (fr.rows == 0 || fr.rows > MAX_ROWS)
        abort();
    api_response r;
    api_response_init(&r);
    cJSON *root = NULL;
    if (json_parse_or_reply(&r, body, len, &root) != 0)
        abort(); /* the fast path accepted what the general one refuses */
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(root, "inputs");
    if (!cJSON_IsArray(inputs) || (size_t)cJSON_GetArraySize(inputs) != fr.rows)
        abort();
    size_t i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, inputs)
    {
        if ((size_t)cJSON_GetArraySize(row) != cols)
            abort();
        size_t c = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, row)
        {
            double want = fr.x[i * cols + c++];
            if (!cJSON_IsNumber(v) || !isfinite(want) || memcmp(&v->valuedouble, &want, sizeof want) != 0)
                abort();
        }
        i++;
    }
    cJSON_Delete(root);
    api_response_free(&r);
    if (fr.owned)
        free(fr.x);
    return 0;
}

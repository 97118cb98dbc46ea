/*
 * fuzz_v2infer.c - the KServe v2 infer body reader, v2_infer_parse_or_reply,
 * on a body with no NUL after it.
 *
 * Byte 0: the model's inputs (1-8, low 3 bits + 1). The rest is the body.
 * Accepted: 1..MAX_ROWS rows, finite inputs (FP32 ones exactly floats),
 * the parsed tree kept, and the response untouched. Refused: a 400 or
 * 413 JSON error with a message, and nothing left to free.
 */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "api/v2infer.h"

#define MAX_ROWS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    size_t inputs = (size_t)(data[0] & 7) + 1, len = size - 1;
    const char *body = guarded_copy(data + 1, len);
    api_response r;
    api_response_init(&r);
    v2_infer in;
    if (v2_infer_parse_or_reply(&r, body, len, inputs, MAX_ROWS, &in) != 0) {
        if (in.x || in.root || in.rows || (r.status != 400 && r.status != 413) ||
            !r.body.data)
            abort();
        cJSON *err = cJSON_ParseWithLength(r.body.data, r.body.len);
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(err, "error"), "message");
        if (!cJSON_IsString(msg) || !msg->valuestring[0])
            abort();
        cJSON_Delete(err);
        api_response_free(&r);
        return 0;
    }
    if (r.status != 500 || r.body.len || !in.root || !in.x || in.rows < 1 || in.rows > MAX_ROWS)
        abort();
    for (size_t i = 0; i < in.rows * inputs; i++) {
        if (!isfinite(in.x[i]))
            abort();
        if (in.fp32 && (double)(float)in.x[i] != in.x[i])
            abort();
    }
    if (in.parameters && !cJSON_IsObject(in.parameters))
        abort();
    v2_infer_free(&in);
    api_response_free(&r);
    return 0;
}

/*
 * fuzz_model.c - the core's model decoder, mlp_load, on stored blobs.
 *
 * Byte 0 is a mode: bit 0 set means "fix the trailing CRC-32 before
 * decoding", so mutations get past the checksum and reach the size,
 * limit and finiteness checks behind it; otherwise the rest is decoded
 * as it is. A blob that loads must run a forward pass to finite outputs
 * (mlp_load refuses non-finite parameters, but a finite network can still
 * overflow: that is an error code, not a crash) and save back to the
 * same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    int fix_crc = data[0] & 1;
    size_t len = size - 1;
    static unsigned char buf[FUZZ_MAX_INPUT];
    memcpy(buf, data + 1, len);
    if (fix_crc && len >= 4) {
        uint32_t c = mlp_crc32(buf, len - 4);
        for (int i = 0; i < 4; i++)
            buf[len - 4 + (size_t)i] = (unsigned char)(c >> (8 * i));
    }
    const unsigned char *blob = (const unsigned char *)guarded_copy(buf, len);

    mlp_limits lim = {.max_inputs = 64, .max_layers = 8, .max_units = 64, .max_params = 4096};
    mlp_t *net = NULL;
    mlp_status s = mlp_load(blob, len, &lim, NULL, &net);
    if (s != MLP_OK) {
        if (net)
            abort(); /* failure must return nothing */
        return 0;
    }
    /* Loaded: it must be usable and round-trip byte for byte. */
    size_t in = mlp_inputs(net), out = mlp_outputs(net), work = mlp_work_size(net);
    double *x = calloc(in, sizeof *x), *y = calloc(out, sizeof *y);
    double *w = calloc(work, sizeof *w);
    if (!x || !y || !w)
        abort();
    (void)mlp_forward(net, x, y, w);
    size_t n = mlp_saved_size(net), written = 0;
    unsigned char *again = malloc(n);
    if (!again || mlp_save(net, again, n, &written) != MLP_OK || written != len ||
        memcmp(again, blob, len) != 0)
        abort();
    free(again);
    free(x);
    free(y);
    free(w);
    mlp_free(net);
    return 0;
}

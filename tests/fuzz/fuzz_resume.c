/*
 * fuzz_resume.c - mlp_train's checkpoint reader (opts.resume, core's
 * train_state.c): a job re-claimed on another node resumes from the
 * state its last heartbeat stored in the database, which may be damaged.
 *
 * Input: byte 0 picks the training (optimizer, patience and validation,
 * batch size, float32, a schedule, and whether the CRC is made right
 * again after the damage), byte 1 the epoch whose state is saved, byte 2
 * how much of it is kept; the rest, in pairs (offset, xor), damages the
 * saved state. With the CRC made right, the damage reaches the checks
 * behind it (shape, counts, non-finite values, the row order).
 * mlp_train with that state must answer MLP_OK, MLP_ERR_INVALID (then the
 * network is untouched) or MLP_ERR_NONFINITE (finite but wild weights may
 * diverge), and never crash, leak or read out of bounds (ASan, UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "schedule.h"

#define ROWS 12
#define EPOCHS 6

typedef struct saver {
    size_t k;
    unsigned char *buf;
    size_t len;
} saver;

static int save_at(void *ctx, const mlp_t *net, const mlp_progress *p)
{
    (void)net;
    saver *s = ctx;
    if (p->epoch != s->k || s->buf)
        return 0;
    size_t n = mlp_train_state_size(p);
    s->buf = n ? malloc(n) : NULL;
    if (!s->buf || mlp_train_state_save(p, s->buf, n) != MLP_OK)
        abort();
    s->len = n;
    return 1; /* the node dies here */
}

static mlp_t *make_net(void)
{
    mlp_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.inputs = 2;
    spec.n_layers = 2;
    spec.layers[0] = (mlp_layer_spec){3, MLP_ACT_SIGMOID};
    spec.layers[1] = (mlp_layer_spec){1, MLP_ACT_LINEAR};
    spec.loss = MLP_LOSS_MSE;
    mlp_t *net = NULL;
    if (mlp_new(&spec, NULL, NULL, &net) != MLP_OK ||
        mlp_init(net, MLP_INIT_XAVIER_UNIFORM, 3, 0.0) != MLP_OK)
        abort();
    return net;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 4096)
        return 0;
    uint8_t cfg = data[0];
    double x[2 * ROWS], y[ROWS];
    for (size_t r = 0; r < ROWS; r++) {
        x[2 * r] = (double)r / ROWS;
        x[2 * r + 1] = 1.0 - (double)(r * r) / (ROWS * ROWS);
        y[r] = x[2 * r] * x[2 * r + 1];
    }
    mlp_data d = {ROWS, x, y};
    mlp_train_opts o = mlp_default_train_opts();
    o.epochs = EPOCHS;
    o.learning_rate = 0.1;
    o.optimizer = (cfg & 3) == 1 ? MLP_OPT_ADAM : MLP_OPT_SGD;
    o.momentum = (cfg & 3) == 2 ? 0.5 : 0.0;
    if (cfg & 4) {
        o.validation_split = 0.25;
        o.patience = 2;
    }
    o.batch_size = cfg & 8 ? 3 : 1;
    o.dtype = cfg & 16 ? MLP_DTYPE_FLOAT32 : MLP_DTYPE_FLOAT64;
    mlp_schedule sched = mlp_default_schedule(MLP_SCHED_PLATEAU);
    if (cfg & 32)
        o.schedule = &sched;

    /* the state after epoch k of a run, as a heartbeat stores it */
    saver s = {(size_t)(data[1] % EPOCHS) + 1, NULL, 0};
    mlp_t *first = make_net();
    o.progress = save_at;
    o.progress_ctx = &s;
    mlp_train_result res;
    mlp_train(first, &d, &o, NULL, &res);
    mlp_free(first);
    if (!s.buf)
        return 0; /* it stopped before epoch k (early stopping, plateau) */

    /* damaged: cut short, bytes flipped, the CRC made right or not */
    size_t len = s.len - (size_t)data[2] % (s.len / 4 + 1) * (data[2] & 1);
    for (size_t i = 3; i + 1 < size; i += 2)
        s.buf[data[i] * 7u % len] ^= data[i + 1];
    if (!(cfg & 64) && len > 4) {
        uint32_t crc = mlp_crc32(s.buf, len - 4);
        for (int b = 0; b < 4; b++)
            s.buf[len - 4 + (size_t)b] = (unsigned char)(crc >> (8 * b));
    }

    mlp_t *net = make_net();
    size_t P = mlp_param_count(net);
    double *before = malloc(P * sizeof(double));
    if (!before)
        abort();
    memcpy(before, mlp_params_const(net), P * sizeof(double));
    o.progress = NULL;
    o.resume = s.buf;
    o.resume_len = len;
    mlp_status st = mlp_train(net, &d, &o, NULL, &res);
    if (st != MLP_OK && st != MLP_ERR_INVALID && st != MLP_ERR_NONFINITE)
        abort();
    if (st == MLP_ERR_INVALID && memcmp(before, mlp_params_const(net), P * sizeof(double)) != 0)
        abort(); /* a refused state changed the network */
    if (st == MLP_OK && (res.epochs_run < 1 || res.epochs_run > EPOCHS))
        abort();
    free(before);
    mlp_free(net);
    free(s.buf);
    return 0;
}

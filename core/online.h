/*
 * online.h - the lecture's online rule (batch 1, plain gradient descent) as
 * one tight loop per sample. Layer pointers are resolved once per training
 * run, so a sample costs its arithmetic and little else: on the lecture's
 * 2-3-1 network the per-sample bookkeeping of a generic loop cost more than
 * the math.
 */
#ifndef MLPD_CORE_ONLINE_H
#define MLPD_CORE_ONLINE_H

#include "internal.h"

typedef struct online_layer {
    size_t units, fan_in;
    int act;
    double *w, *b;       /* into the network's parameters */
    double *y, *delta;   /* scratch, units long */
} online_layer;

typedef struct online_net {
    size_t n_layers, inputs;
    int loss;
    online_layer layer[MLP_MAX_LAYERS];
} online_net;

/* Resolve net's layers; acts and deltas hold total_units doubles each. */
void online_prepare(online_net *o, mlp_t *net, double *acts, double *deltas);

/* One update on (x, d): hidden deltas use each weight before its update.
 * Returns 0, or the 1-based layer where a non-finite value appeared (the
 * network is then left as it was). */
size_t online_step(const online_net *o, const double *x, const double *d, double eta);

/* online_step on rows order[0, n) of data, checking *cancel (may be NULL)
 * before each. *done gets the rows trained; returns as online_step. */
size_t online_epoch(const online_net *o, const mlp_data *data, const size_t *order, size_t n,
                    double eta, const atomic_int *cancel, size_t *done);

/* y = f(v) in place over n outputs, as the online step does it. */
void online_activate(int act, double *v, size_t n);

#endif

/*
 * util_trainfix.h - fixtures shared by the mlp_train tests (see
 * util_trainfix.c). Every name starts with fix_.
 */
#ifndef MLPD_TESTS_UTIL_TRAINFIX_H
#define MLPD_TESTS_UTIL_TRAINFIX_H

#include <stddef.h>
#include <stdint.h>

#include "mlp.h"

#define ck_near(got, want, tol, what)                                                    \
    ck_assert_msg(fabs((got) - (want)) <= (tol), "%s: expected %.17g, got %.17g", (what), \
                  (double)(want), (double)(got))

/* A network of that shape, Xavier-uniform from init_seed (asserts on failure). */
mlp_t *fix_make_net(size_t inputs, size_t n_layers, const size_t *units, const int *acts,
                    int loss, uint64_t init_seed);
/* 2 inputs, hidden_units of activation hidden, one output of activation out. */
mlp_t *fix_make_231(int hidden, int out, int loss, size_t hidden_units, uint64_t seed);
/* mlp_data_loss of net over d (asserts it succeeds). */
double fix_data_loss(const mlp_t *net, const mlp_data *d);
/* The same parameter count and bit-identical parameters. */
int fix_same_params(const mlp_t *a, const mlp_t *b);

/* XOR: 4 rows of 2 inputs, 1 target. */
extern const double fix_xor_x[8];
extern const double fix_xor_y[4];
extern const mlp_data fix_xor_data;
/* Exact-update data: 5 rows, 2 inputs, 2 targets, for fix_ex_net (2-3-2
 * tanh/linear, seed 31). */
extern const double fix_ex_x[10];
extern const double fix_ex_y[10];
mlp_t *fix_ex_net(void);

#endif

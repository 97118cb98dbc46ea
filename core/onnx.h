/*
 * onnx.h - a network as an ONNX model (protobuf bytes), for onnxruntime,
 * the onnx package, Triton and browsers.
 *
 * What the bytes hold (IR version 8, opset 13 of the default domain):
 *   graph input  "input"  [N, inputs]   float32 or float64
 *   graph output "output" [N, outputs]  the same type
 *   nodes, in order:
 *     Sub(input, input_offset) -> x_centered,
 *     Div(x_centered, input_scale) -> x_scaled      only with an input scaler
 *     per layer l = 1..L: Gemm(prev, W<l>, b<l>, transB=1) -> v<l>, then
 *     Sigmoid | Tanh | Relu | Softmax(axis=1) -> y<l> (linear: no node)
 *     Mul(y_scaled, target_scale) -> y_times_scale,
 *     Add(y_times_scale, target_offset) -> output   only with a target scaler
 *   initializers W<l> [units, fan_in] (mlpd's weights[k][i]: row = unit,
 *   hence transB=1), b<l> [units], and the scalers' vectors, as raw_data
 *   little endian;
 *   metadata_props: mlpd.conventions, mlpd.version, mlpd.classes and
 *   mlpd.feature_names (JSON text, when given), then the caller's extras.
 * Fields are written in field-number order, as protobuf's own serializer
 * does, so onnx.load(...).SerializeToString() gives the same bytes back.
 * Deterministic: the same network and options give the same bytes.
 *
 * No I/O, no allocation (but mlp_onnx_encode_alloc), no globals.
 */
#ifndef MLPD_CORE_ONNX_H
#define MLPD_CORE_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element types: ONNX's TensorProto.DataType numbers. */
#define MLP_ONNX_FLOAT32 1
#define MLP_ONNX_FLOAT64 11

#define MLP_ONNX_IR_VERSION 8
#define MLP_ONNX_OPSET 13

/* x_scaled = (x - offset) / scale, per column (offset is the mean for
 * standard scaling, the minimum for minmax). offset == NULL: no scaler. */
typedef struct mlp_onnx_scaler {
    const double *offset;
    const double *scale; /* finite and nonzero */
} mlp_onnx_scaler;

typedef struct mlp_onnx_meta {
    const char *key, *value;
} mlp_onnx_meta;

typedef struct mlp_onnx_opts {
    int dtype;                    /* MLP_ONNX_FLOAT32 (0 means this) or MLP_ONNX_FLOAT64 */
    const char *producer_version; /* mlpd's version; NULL: "" */
    int64_t model_version;        /* the weights version; 0: not written */
    const char *graph_name;       /* NULL: "mlpd" */
    mlp_onnx_scaler inputs;       /* inputs columns */
    mlp_onnx_scaler targets;      /* outputs columns; regression only (no classes) */
    /* A classifier's labels: softmax output with one unit per class, or
     * one sigmoid unit for two classes (the second class's probability). */
    const char *const *classes;
    size_t n_classes;
    const char *const *feature_names; /* 0 or inputs names */
    size_t n_features;
    const mlp_onnx_meta *extra; /* more metadata_props, written after mlpd's */
    size_t n_extra;
} mlp_onnx_opts;

/* Encode net into buf (cap bytes). *size gets the length of the encoding
 * in every case but MLP_ERR_INVALID; MLP_ERR_SPACE when it does not fit
 * (buf may then be NULL with cap 0: a size query), and buf's contents are
 * unspecified. MLP_ERR_INVALID: options inconsistent with the network
 * (dtype, classes count, a zero or non-finite scale, a NULL string);
 * MLP_ERR_NONFINITE: float32 asked and a parameter or scaler value is
 * outside float's range; MLP_ERR_LIMIT: the encoding would reach 2 GiB,
 * which protobuf cannot read (float32 halves it). */
mlp_status mlp_onnx_encode(const mlp_t *net, const mlp_onnx_opts *opts, unsigned char *buf,
                           size_t cap, size_t *size);

/* The same into a new buffer from alloc (NULL: malloc), owned by the
 * caller (release it through the same allocator); *out stays NULL on
 * failure. */
mlp_status mlp_onnx_encode_alloc(const mlp_t *net, const mlp_onnx_opts *opts,
                                 const mlp_allocator *alloc, unsigned char **out,
                                 size_t *size);

#ifdef __cplusplus
}
#endif
#endif

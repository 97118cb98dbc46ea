/*
 * mlp.h - the mlpd backpropagation core.
 *
 * A multi-layer perceptron as in the lecture "An Example of Derivations for
 * Backpropagation Learning Rules": forward path v = W x + b, y = f(v); cost
 * E = 1/2 sum e^2 with e = d - y; online updates w(n+1) = w(n) + eta*delta*input
 * where hidden deltas use the weights of step n, before their own update.
 *
 * Contracts that hold for every function here:
 *  - No I/O, no globals, no threads. Every function is reentrant; a const
 *    mlp_t may be shared by any number of threads for forward passes.
 *  - Every function that can fail returns an mlp_status (MLP_OK == 0).
 *    On failure, outputs are left untouched unless said otherwise and
 *    nothing is leaked.
 *  - Memory that a function allocates comes from the mlp_allocator passed
 *    (NULL means malloc/free); a test can fail the k-th allocation.
 *  - Sizes come from strangers: they are checked against caller limits and
 *    against size_t overflow before any allocation.
 *
 * Parameter layout (the API's weights[k][i] layout, the lecture's w_ki):
 * one flat array of doubles; for each layer l in order, W_l as units_l rows
 * of fan_in_l columns (row k = unit k of this layer, column i = input i from
 * the layer below), then b_l (units_l). Gradients use the same layout.
 */
#ifndef MLPD_CORE_MLP_H
#define MLPD_CORE_MLP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes, one list for the whole library. */
typedef enum mlp_status {
    MLP_OK = 0,
    MLP_ERR_NOMEM,      /* an allocation failed */
    MLP_ERR_INVALID,    /* an argument is malformed (see mlp_spec_check) */
    MLP_ERR_LIMIT,      /* a size exceeds the caller's limits or size_t */
    MLP_ERR_NONFINITE,  /* NaN or infinity appeared (training: diverged) */
    MLP_ERR_FORMAT,     /* serialised model: bad magic, version or checksum */
    MLP_ERR_TRUNCATED,  /* serialised model: shorter than it says */
    MLP_ERR_SPACE       /* output buffer too small */
} mlp_status;

/* Stable name of a status ("ok", "nomem", ...); never NULL. */
const char *mlp_status_name(mlp_status s);

/* Activation ids are stored in saved models: never renumber. */
typedef enum mlp_activation {
    MLP_ACT_SIGMOID = 1, /* logsig: 1/(1+e^-v) */
    MLP_ACT_TANH = 2,    /* tansig */
    MLP_ACT_LINEAR = 3,  /* purelin, identity */
    MLP_ACT_RELU = 4,
    MLP_ACT_SOFTMAX = 5  /* output layer with cross-entropy only */
} mlp_activation;

/* Loss ids are stored in saved models: never renumber. */
typedef enum mlp_loss {
    MLP_LOSS_MSE = 1,          /* E = 1/2 sum_j e_j^2 per sample */
    MLP_LOSS_CROSS_ENTROPY = 2 /* softmax: -sum d ln y; sigmoid: binary per output,
                                  -(d ln y + (1-d) ln(1-y)): one sigmoid unit is binary
                                  log-loss (sklearn's log_loss, with probabilities
                                  floored at DBL_MIN instead of clipped). Either way
                                  the output delta -dE/dv is d - y. */
} mlp_loss;

/* Name <-> id. Names accept aliases (logsig, tansig, purelin, identity);
 * *_from_name returns 0 for an unknown name. *_name returns the canonical
 * name, or NULL for an unknown id. */
int mlp_activation_from_name(const char *name);
const char *mlp_activation_name(int id);
int mlp_loss_from_name(const char *name);
const char *mlp_loss_name(int id);

#define MLP_MAX_LAYERS 32 /* hard ceiling; callers set a lower one in mlp_limits */

typedef struct mlp_layer_spec {
    size_t units;
    int activation; /* mlp_activation */
} mlp_layer_spec;

/* Architecture, filled by the caller. layers[0] is the first hidden layer,
 * layers[n_layers-1] the output layer. */
typedef struct mlp_spec {
    size_t inputs;
    size_t n_layers;
    mlp_layer_spec layers[MLP_MAX_LAYERS];
    int loss; /* mlp_loss */
} mlp_spec;

/* Caller's bounds on what a stranger may ask for. */
typedef struct mlp_limits {
    size_t max_inputs;
    size_t max_layers;
    size_t max_units;  /* per layer */
    size_t max_params; /* weights + biases */
} mlp_limits;

/* Generous defaults for library users that have no policy of their own. */
mlp_limits mlp_default_limits(void);

/* Why a spec is refused: which field, and a short reason. */
typedef struct mlp_spec_error {
    char field[48];   /* e.g. "layers[1].activation" */
    char message[96]; /* e.g. "softmax needs the cross_entropy loss" */
} mlp_spec_error;

/* MLP_OK, MLP_ERR_INVALID or MLP_ERR_LIMIT; fills *err (if not NULL) on
 * failure. Also computes the number of parameters into *n_params (may be
 * NULL), overflow-checked. */
mlp_status mlp_spec_check(const mlp_spec *spec, const mlp_limits *limits,
                          size_t *n_params, mlp_spec_error *err);

/* Allocation hooks. ctx is passed back to both functions. */
typedef struct mlp_allocator {
    void *(*alloc)(size_t size, void *ctx);
    void (*release)(void *ptr, void *ctx);
    void *ctx;
} mlp_allocator;

/* ------------------------------------------------------------------ */
/* Networks                                                            */

typedef struct mlp mlp_t;

/* Build a network with every parameter zero. The allocator (may be NULL) is
 * copied and used for this network's lifetime. limits may be NULL (defaults). */
mlp_status mlp_new(const mlp_spec *spec, const mlp_limits *limits,
                   const mlp_allocator *alloc, mlp_t **out);
/* Accepts NULL. */
void mlp_free(mlp_t *net);
/* A deep copy using the same allocator. */
mlp_status mlp_clone(const mlp_t *net, mlp_t **out);

const mlp_spec *mlp_get_spec(const mlp_t *net);
size_t mlp_inputs(const mlp_t *net);
size_t mlp_outputs(const mlp_t *net);
size_t mlp_param_count(const mlp_t *net);
/* The flat parameter array (layout above). Writing through mlp_params is
 * allowed; the network holds no derived state. */
double *mlp_params(mlp_t *net);
const double *mlp_params_const(const mlp_t *net);
/* Offsets into the flat array: W of layer l starts at *w_off (units x fan_in),
 * b at *b_off. Returns MLP_ERR_INVALID for l out of range. */
mlp_status mlp_layer_offsets(const mlp_t *net, size_t l, size_t *fan_in,
                             size_t *w_off, size_t *b_off);
/* Copy layer l's weights (units x fan_in, the API's weights[k][i]) and
 * biases out of / into the network. set refuses non-finite values
 * (MLP_ERR_NONFINITE) and leaves the network unchanged then. */
mlp_status mlp_layer_get(const mlp_t *net, size_t l, double *w, double *b);
mlp_status mlp_layer_set(mlp_t *net, size_t l, const double *w, const double *b);
/* Bytes this network holds (for memory budgets). */
size_t mlp_memory_size(const mlp_t *net);

/* Explicit, seeded PRNG (xoshiro256**, seeded by splitmix64). */
typedef struct mlp_rng {
    uint64_t s[4];
} mlp_rng;
void mlp_rng_seed(mlp_rng *rng, uint64_t seed);
uint64_t mlp_rng_next(mlp_rng *rng);
double mlp_rng_uniform(mlp_rng *rng); /* [0, 1) with 53 random bits */
double mlp_rng_normal(mlp_rng *rng);  /* N(0, 1), Box-Muller, no cached state */

typedef enum mlp_init_method {
    MLP_INIT_XAVIER_UNIFORM = 1, /* U(-a, a), a = sqrt(6/(fan_in+fan_out)) */
    MLP_INIT_XAVIER_NORMAL = 2,  /* N(0, 2/(fan_in+fan_out)) */
    MLP_INIT_HE_UNIFORM = 3,     /* U(-a, a), a = sqrt(6/fan_in) */
    MLP_INIT_HE_NORMAL = 4,      /* N(0, 2/fan_in) */
    MLP_INIT_UNIFORM = 5,        /* U(-scale, scale) */
    MLP_INIT_ZERO = 6
} mlp_init_method;
int mlp_init_from_name(const char *name); /* "xavier" == xavier_uniform, "he" == he_uniform; 0 if unknown */
const char *mlp_init_name(int id);

/* Fill weights from the method and seed; biases become zero (uniform: also
 * drawn from U(-scale, scale)). Deterministic for (spec, method, seed, scale). */
mlp_status mlp_init(mlp_t *net, int method, uint64_t seed, double scale);

/* ------------------------------------------------------------------ */
/* Forward path                                                        */

/* Doubles of scratch a forward pass needs (work arrays are caller-owned so
 * that a shared const network can serve many threads). */
size_t mlp_work_size(const mlp_t *net);

/* y (outputs) = network(x (inputs)). work holds mlp_work_size doubles.
 * Returns MLP_ERR_NONFINITE if an output is not finite. */
mlp_status mlp_forward(const mlp_t *net, const double *x, double *y, double *work);

/* Forward n rows (row-major, n x inputs -> n x outputs). */
mlp_status mlp_predict(const mlp_t *net, size_t n, const double *x, double *y,
                       double *work);

/* Every layer's outputs y for one input row: layer l's units at ys +
 * (the units of layers 0..l-1), mlp_units_total doubles in all; the last
 * layer's are the outputs mlp_forward gives. MLP_ERR_NONFINITE if any is
 * not finite. Needs no work area. */
size_t mlp_units_total(const mlp_t *net);
mlp_status mlp_forward_all(const mlp_t *net, const double *x, double *ys);

/* Loss of one sample, E (1/2 sum e^2 for mse). */
mlp_status mlp_sample_loss(const mlp_t *net, const double *x, const double *d,
                           double *work, double *loss);

/* ------------------------------------------------------------------ */
/* Training                                                            */

/* A data set: n rows, x is n x inputs, y is n x outputs, row-major.
 * Not copied: it must outlive the call. */
typedef struct mlp_data {
    size_t n;
    const double *x;
    const double *y;
} mlp_data;

/* Mean loss over the data set with the current weights. */
mlp_status mlp_data_loss(const mlp_t *net, const mlp_data *data,
                         const mlp_allocator *alloc, double *loss);

typedef enum mlp_optimizer {
    MLP_OPT_SGD = 1,      /* plain (momentum 0) or classical momentum */
    MLP_OPT_NESTEROV = 2, /* Nesterov: v = mu v - lr g; w += mu v - lr g */
    MLP_OPT_ADAM = 3
} mlp_optimizer;
int mlp_optimizer_from_name(const char *name); /* "sgd", "momentum", "nesterov", "adam" */
const char *mlp_optimizer_name(int id);

/* Why training stopped. */
typedef enum mlp_stop {
    MLP_STOP_EPOCHS = 1,    /* ran every epoch asked for */
    MLP_STOP_TARGET = 2,    /* loss <= target_loss */
    MLP_STOP_EARLY = 3,     /* validation loss did not improve for patience epochs */
    MLP_STOP_CANCELLED = 4, /* *cancel became nonzero */
    MLP_STOP_CALLBACK = 5,  /* the progress callback asked to stop */
    MLP_STOP_DIVERGED = 6,  /* a non-finite value appeared (status NONFINITE) */
    MLP_STOP_PLATEAU = 7    /* reduce_on_plateau: the rate is at its floor and the
                               loss stopped improving (sklearn's "adaptive" stop) */
} mlp_stop;
const char *mlp_stop_name(int id);

struct mlp_train_state; /* opaque: a training run between two epochs */

typedef struct mlp_progress {
    size_t epoch;    /* 1-based, the epoch just finished */
    size_t epochs;   /* asked for */
    double loss;     /* mean training loss with end-of-epoch weights */
    double val_loss; /* NaN when there is no validation set */
    int improved;    /* this epoch set a new best (val_loss, else loss) */
    double learning_rate; /* the rate this epoch trained with (schedule.h) */
    const struct mlp_train_state *state; /* the trainer after this epoch, for
                                             mlp_train_state_save; valid only during the callback */
} mlp_progress;

/* Called after every epoch with the network as it is then, once the
 * epoch's stop checks (target loss, patience, the schedule's epoch end)
 * are decided: if one of them stops the run, this is the last call.
 * Return 0 to go on, nonzero to stop (MLP_STOP_CALLBACK, which wins over
 * the others). The callback may read (not modify) net, e.g. to publish a
 * checkpoint, and save p->state (mlp_train_state_save). */
typedef int (*mlp_progress_fn)(void *ctx, const mlp_t *net, const mlp_progress *p);

/* The number type training computes in. float64 is the lecture's exact
 * arithmetic. float32 is for wide networks: the weights are rounded to
 * float when training starts, every product is single precision (sgemm),
 * losses are summed in double, and the network's double parameters are
 * the float ones widened (exactly) after each epoch and at the end. The
 * float64 paths are the same code as without this option. */
typedef enum mlp_dtype {
    MLP_DTYPE_FLOAT64 = 1,
    MLP_DTYPE_FLOAT32 = 2
} mlp_dtype;
int mlp_dtype_from_name(const char *name); /* "float64", "float32"; 0 if unknown */
const char *mlp_dtype_name(int id);         /* 0 reads as float64 */

typedef struct mlp_train_opts {
    size_t epochs;
    double learning_rate;
    size_t batch_size;    /* 1 = the lecture's online rule; mini-batch = mean gradient */
    int optimizer;        /* mlp_optimizer */
    double momentum;      /* sgd/nesterov */
    double beta1, beta2, epsilon; /* adam */
    double weight_decay;  /* L2: adds weight_decay * w to the gradient of weights (not biases) */
    int shuffle;          /* reshuffle every epoch with a PRNG seeded by seed */
    uint64_t seed;
    double validation_split; /* [0, 1): the last fraction of rows, as given, held out (Keras' rule) */
    double target_loss;   /* > 0: stop when the training loss <= target_loss */
    size_t patience;      /* > 0: early stopping on validation loss (or training
                             loss without a validation set); best weights restored */
    mlp_progress_fn progress;
    void *progress_ctx;
    const atomic_int *cancel; /* may be NULL; checked before every batch */
    int dtype;            /* mlp_dtype: 0 or MLP_DTYPE_FLOAT64 (the default), or FLOAT32 */
    /* Learning-rate schedule (core/schedule.h), NULL = constant: each epoch
     * trains with the schedule's rate starting from learning_rate (the
     * reduce_on_plateau method reads the epoch's training loss). Not
     * copied: it must outlive the call. Constant keeps every result bit
     * for bit what it was without schedules. */
    const struct mlp_schedule *schedule;
    /* Resume (checkpoints): NULL, or resume_len bytes that
     * mlp_train_state_save wrote; see mlp_train. Not copied: read only
     * before the first epoch. */
    const void *resume;
    size_t resume_len;
} mlp_train_opts;

/* Defaults: 100 epochs, lr 0.1, batch 1, sgd, momentum 0, adam 0.9/0.999/1e-8,
 * no decay, shuffle on, seed 1, no split, no target, no patience. */
mlp_train_opts mlp_default_train_opts(void);

/* Check options (ranges, finiteness, and the schedule with
 * mlp_schedule_check); fills err like mlp_spec_check. */
mlp_status mlp_train_opts_check(const mlp_train_opts *opts, mlp_spec_error *err);

typedef struct mlp_train_result {
    size_t epochs_run;
    int stop;            /* mlp_stop */
    double loss;         /* of the weights left in the network */
    double val_loss;     /* NaN without validation */
    size_t best_epoch;   /* with patience: the epoch whose weights were restored */
    size_t fail_epoch;   /* DIVERGED: 1-based epoch of the first non-finite value */
    size_t fail_layer;   /* DIVERGED: 1-based layer (1 = first hidden layer) */
    double learning_rate; /* the rate of the last epoch trained */
} mlp_train_result;

/* Train net in place on data. Returns MLP_OK when it stopped for any reason
 * but divergence (see result->stop), MLP_ERR_NONFINITE on divergence
 * (result->fail_epoch and fail_layer say where; the network's weights are
 * then unspecified, so callers that want the old model train a clone), or
 * another error before training started (nothing changed then).
 * With patience > 0 the best weights seen (by validation loss, or training
 * loss without validation) are restored when training stops, early or not.
 * A cancelled run keeps the weights of the moment it stopped.
 * Deterministic: the same net, data and options give the same weights bit
 * for bit on the same machine (mini-batches use CBLAS, whose kernels may
 * differ between CPU generations, and sigmoid/tanh over several values use
 * glibc's vector exp/tanh, whose AVX2 and SSE2 variants may differ in the
 * last bit). Which internal path trains (the tiny two-layer online kernel,
 * the general online step, per-sample optimizer steps, mini-batch matrix
 * products) depends only on the spec and options. */
mlp_status mlp_train(mlp_t *net, const mlp_data *data, const mlp_train_opts *opts,
                     const mlp_allocator *alloc, mlp_train_result *result);

/* Checkpoints. Inside the progress callback, p->state is the whole
 * training state after epoch p->epoch, its stop checks (target loss,
 * patience, the schedule's epoch end) already decided: parameters,
 * optimizer moments and step count, the patience best copy and counters,
 * the PRNG, the row order, the schedule state and the result so far.
 * mlp_train with opts->resume = such a state replaces net's parameters by
 * the state's and trains epochs p->epoch + 1 .. opts->epochs (none if the
 * saved epoch was a final one: it ends at once with that stop), calling
 * the progress callback for those only; net's parameters and the result
 * are then bit for bit those of the run without interruption with the
 * same data and options. A state that is malformed (magic, version,
 * length, CRC) or does not fit net, data and opts (layer shape, n_params,
 * training and validation rows, dtype, optimizer and its moments, batch
 * size, patience, schedule method, an epoch past opts->epochs) gives
 * MLP_ERR_INVALID before anything changed. */

/* Bytes mlp_train_state_save needs for the state p carries (0 if p->state is NULL). */
size_t mlp_train_state_size(const mlp_progress *p);
/* Write the whole training state after the epoch p reports into buf (cap
 * bytes): MLP_OK, MLP_ERR_LIMIT when cap < mlp_train_state_size(p),
 * MLP_ERR_INVALID when p->state is NULL. Little-endian, versioned, with a CRC-32 at the end. */
mlp_status mlp_train_state_save(const mlp_progress *p, void *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* float32 inference                                                   */

/* A float copy of a network for predicting at float32 speed: made once
 * (weights rounded to float), then shared read-only by any number of
 * threads, like a const mlp_t. */
typedef struct mlp_f32 mlp_f32_t;
mlp_status mlp_f32_new(const mlp_t *net, const mlp_allocator *alloc, mlp_f32_t **out);
void mlp_f32_free(mlp_f32_t *f); /* accepts NULL */
/* Floats of scratch mlp_f32_predict needs to take rows rows at a time. */
size_t mlp_f32_work_size(const mlp_f32_t *f, size_t rows);
/* y (n x outputs, double) = network(x (n x inputs, double)), computed in
 * float in blocks of up to rows rows (work: mlp_f32_work_size(f, rows)
 * floats). MLP_ERR_NONFINITE if an output is not finite. */
mlp_status mlp_f32_predict(const mlp_f32_t *f, size_t n, const double *x, double *y,
                           float *work, size_t rows);
size_t mlp_f32_memory_size(const mlp_f32_t *f);

/* ------------------------------------------------------------------ */
/* One explained step                                                  */

/* Every quantity of the lecture for one layer, for one sample. Arrays are
 * units long, or units x fan_in (row-major) for weight-shaped ones. */
typedef struct mlp_trace_layer {
    size_t units, fan_in;
    int activation;
    double *input;      /* fan_in: x for layer 1, y of the layer below otherwise */
    double *v;          /* v = W input + b */
    double *y;          /* y = f(v) */
    double *fprime;     /* f'(v) (softmax: the diagonal d y_k / d v_k) */
    double *delta;      /* local gradient, -dE/dv: e f'(v) at the output (mse) */
    double *dw, *db;    /* the change: dw = eta * delta_k * input_i */
    double *grad_w, *grad_b;  /* analytic dE/dw, dE/db */
    double *num_grad_w, *num_grad_b; /* central differences, or NULL without check */
    double *w_before, *b_before, *w_after, *b_after;
} mlp_trace_layer;

typedef struct mlp_trace {
    size_t n_layers, outputs;
    mlp_trace_layer layers[MLP_MAX_LAYERS];
    double *e;          /* outputs: d - y */
    double E_before;    /* loss of the sample before the step */
    double E_after;     /* loss of the same sample after the step */
    double learning_rate;
    int applied;
    int checked;
    double max_rel_error; /* with check: max |num - analytic| / max(1e-8, |num| + |analytic|) */
    void *block_;       /* private: the one allocation behind every array */
    mlp_allocator alloc_;
} mlp_trace;

#define MLP_STEP_APPLY 1u /* write the updated weights into net */
#define MLP_STEP_CHECK 2u /* fill num_grad_* by central differences */

/* One online update (batch size 1, plain gradient descent, the lecture's
 * rule) on sample (x, d) with learning rate eta, filling *trace (which must
 * later be released with mlp_trace_free). Without MLP_STEP_APPLY the network
 * is not changed and w_after shows what would be. */
mlp_status mlp_step(mlp_t *net, const double *x, const double *d, double eta,
                    unsigned flags, const mlp_allocator *alloc, mlp_trace *trace);
void mlp_trace_free(mlp_trace *trace);

/* Analytic gradient of the sample loss into grad (mlp_param_count doubles);
 * used by mlp_step and the gradient checks. */
mlp_status mlp_gradient(const mlp_t *net, const double *x, const double *d,
                        double *grad, const mlp_allocator *alloc);

/* ------------------------------------------------------------------ */
/* Serialisation: versioned, little-endian, checksummed                */

#define MLP_FORMAT_VERSION 1u

/* Conventions stored with every model (and shown by the API). */
#define MLP_CONV_BIAS_PLUS 1u        /* v = W x + b */
#define MLP_CONV_HALF_SQUARED 2u     /* mse is 1/2 sum e^2 per sample */
#define MLP_CONV_EXACT_ACTIVATION 4u /* activations computed exactly, not tabled */
#define MLP_CONVENTIONS (MLP_CONV_BIAS_PLUS | MLP_CONV_HALF_SQUARED | MLP_CONV_EXACT_ACTIVATION)

/* Bytes mlp_save writes. */
size_t mlp_saved_size(const mlp_t *net);
/* Write the network into buf (cap bytes); *written gets the size. */
mlp_status mlp_save(const mlp_t *net, unsigned char *buf, size_t cap, size_t *written);
/* Decode; rejects bad magic, version, conventions, checksum, truncated or
 * oversized input, specs past limits (may be NULL: defaults), non-finite
 * parameters. */
mlp_status mlp_load(const unsigned char *buf, size_t len, const mlp_limits *limits,
                    const mlp_allocator *alloc, mlp_t **out);

/* CRC-32 (IEEE), exposed for storage checksums. */
uint32_t mlp_crc32(const unsigned char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif

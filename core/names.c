/*
 * names.c - stable names for every id the library exposes. Stored models
 * keep ids; JSON and messages use these names.
 */
#include "mlp.h"

#include <string.h>

typedef struct name_entry {
    int id;
    const char *name; /* the first entry of an id is its canonical name */
} name_entry;

static int lookup_id(const name_entry *t, size_t n, const char *name)
{
    if (name == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].id;
    return 0;
}

static const char *lookup_name(const name_entry *t, size_t n, int id)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].id == id)
            return t[i].name;
    return NULL;
}

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

static const name_entry activations[] = {
    {MLP_ACT_SIGMOID, "sigmoid"}, {MLP_ACT_SIGMOID, "logsig"},
    {MLP_ACT_TANH, "tanh"},       {MLP_ACT_TANH, "tansig"},
    {MLP_ACT_LINEAR, "linear"},   {MLP_ACT_LINEAR, "purelin"},
    {MLP_ACT_LINEAR, "identity"}, {MLP_ACT_RELU, "relu"},
    {MLP_ACT_SOFTMAX, "softmax"},
};

static const name_entry losses[] = {
    {MLP_LOSS_MSE, "mse"},
    {MLP_LOSS_CROSS_ENTROPY, "cross_entropy"},
};

static const name_entry optimizers[] = {
    {MLP_OPT_SGD, "sgd"},
    {MLP_OPT_SGD, "momentum"},
    {MLP_OPT_NESTEROV, "nesterov"},
    {MLP_OPT_ADAM, "adam"},
};

static const name_entry dtypes[] = {
    {MLP_DTYPE_FLOAT64, "float64"},
    {MLP_DTYPE_FLOAT32, "float32"},
};

static const name_entry inits[] = {
    {MLP_INIT_XAVIER_UNIFORM, "xavier_uniform"}, {MLP_INIT_XAVIER_UNIFORM, "xavier"},
    {MLP_INIT_XAVIER_UNIFORM, "glorot"},         {MLP_INIT_XAVIER_UNIFORM, "glorot_uniform"},
    {MLP_INIT_XAVIER_NORMAL, "xavier_normal"},   {MLP_INIT_XAVIER_NORMAL, "glorot_normal"},
    {MLP_INIT_HE_UNIFORM, "he_uniform"},         {MLP_INIT_HE_UNIFORM, "he"},
    {MLP_INIT_HE_NORMAL, "he_normal"},           {MLP_INIT_UNIFORM, "uniform"},
    {MLP_INIT_ZERO, "zero"},
};

static const name_entry stops[] = {
    {MLP_STOP_EPOCHS, "epochs"},       {MLP_STOP_TARGET, "target_loss"},
    {MLP_STOP_EARLY, "early_stopping"}, {MLP_STOP_CANCELLED, "cancelled"},
    {MLP_STOP_CALLBACK, "stopped"},    {MLP_STOP_DIVERGED, "diverged"},
    {MLP_STOP_PLATEAU, "plateau"},
};

static const name_entry statuses[] = {
    {MLP_OK, "ok"},
    {MLP_ERR_NOMEM, "nomem"},
    {MLP_ERR_INVALID, "invalid"},
    {MLP_ERR_LIMIT, "limit"},
    {MLP_ERR_NONFINITE, "nonfinite"},
    {MLP_ERR_FORMAT, "format"},
    {MLP_ERR_TRUNCATED, "truncated"},
    {MLP_ERR_SPACE, "space"},
};

int mlp_activation_from_name(const char *name) { return lookup_id(activations, COUNT(activations), name); }
const char *mlp_activation_name(int id) { return lookup_name(activations, COUNT(activations), id); }
int mlp_loss_from_name(const char *name) { return lookup_id(losses, COUNT(losses), name); }
const char *mlp_loss_name(int id) { return lookup_name(losses, COUNT(losses), id); }
int mlp_optimizer_from_name(const char *name) { return lookup_id(optimizers, COUNT(optimizers), name); }
const char *mlp_optimizer_name(int id) { return lookup_name(optimizers, COUNT(optimizers), id); }
int mlp_dtype_from_name(const char *name) { return lookup_id(dtypes, COUNT(dtypes), name); }
const char *mlp_dtype_name(int id)
{
    return lookup_name(dtypes, COUNT(dtypes), id == 0 ? MLP_DTYPE_FLOAT64 : id);
}
int mlp_init_from_name(const char *name) { return lookup_id(inits, COUNT(inits), name); }
const char *mlp_init_name(int id) { return lookup_name(inits, COUNT(inits), id); }
const char *mlp_stop_name(int id) { return lookup_name(stops, COUNT(stops), id); }

const char *mlp_status_name(mlp_status s)
{
    const char *n = lookup_name(statuses, COUNT(statuses), (int)s);
    return n ? n : "unknown";
}

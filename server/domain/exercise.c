/*
 * exercise.c - exercise networks, per-user variants, the expected trace
 * (core's mlp_step) and the known slips recomputed (see exercise.h).
 */
#include "domain/exercise.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(EX_MAX_INPUTS <= EX_MAX_UNITS, "ex_layer_q.input holds any fan-in");

static ex_err failf(ex_error *err, ex_err code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static ex_err failf(ex_error *err, ex_err code, const char *path, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        snprintf(err->path, sizeof err->path, "%s", path);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* The same with a fixed message. */
static ex_err fail(ex_error *err, ex_err code, const char *path, const char *message)
{
    return failf(err, code, path, "%s", message);
}

/* A path into a bounded buffer (a long one is cut, never overrun). */
static void pathf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

static ex_err variant_within(const ex_def *def, const char *user_id, int max_draws,
                             ex_variant *out, ex_error *err);

/* ---- networks ------------------------------------------------------- */

static void lecture_spec(mlp_spec *s)
{
    memset(s, 0, sizeof *s);
    s->inputs = 2;
    s->n_layers = 2;
    s->layers[0].units = 3;
    s->layers[0].activation = MLP_ACT_SIGMOID;
    s->layers[1].units = 1;
    s->layers[1].activation = MLP_ACT_LINEAR;
    s->loss = MLP_LOSS_MSE;
}

/* A JSON integer in [min, max] into *out; 0, or -1 if it is not one. */
static int int_in(const cJSON *item, size_t min, size_t max, size_t *out)
{
    if (!cJSON_IsNumber(item))
        return -1;
    double v = item->valuedouble;
    if (!(v >= (double)min && v <= (double)max) || v != floor(v))
        return -1;
    *out = (size_t)v;
    return 0;
}

static int only_keys(const cJSON *obj, const char *const *keys, const char **bad)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (size_t k = 0; keys[k]; k++)
            ok |= c->string && strcmp(c->string, keys[k]) == 0;
        if (!ok) {
            *bad = c->string ? c->string : "";
            return -1;
        }
    }
    return 0;
}

static ex_err layer_parse(const cJSON *item, const char *path, mlp_layer_spec *ls, ex_error *err)
{
    static const char *const keys[] = {"units", "activation", NULL};
    const char *bad = NULL;
    char p[96];
    if (!cJSON_IsObject(item))
        return fail(err, EX_ERR_INVALID, path, "must be an object {\"units\", \"activation\"}.");
    if (only_keys(item, keys, &bad) != 0) {
        pathf(p, sizeof p, "%s.%s", path, bad);
        return fail(err, EX_ERR_UNKNOWN_FIELD, p, "is not a field of a layer.");
    }
    pathf(p, sizeof p, "%s.units", path);
    if (int_in(cJSON_GetObjectItemCaseSensitive(item, "units"), 1, EX_MAX_UNITS, &ls->units) != 0)
        return failf(err, EX_ERR_LIMIT, p, "must be an integer from 1 to %d (a step done by hand).",
                     EX_MAX_UNITS);
    pathf(p, sizeof p, "%s.activation", path);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(item, "activation");
    int id = cJSON_IsString(act) ? mlp_activation_from_name(act->valuestring) : 0;
    if (id == 0 || id == MLP_ACT_SOFTMAX)
        return fail(err, EX_ERR_INVALID, p,
                    "must be sigmoid, tanh, linear or relu (exercises use the lecture's "
                    "E = 1/2 e^2).");
    ls->activation = id;
    return EX_OK;
}

static ex_err spec_parse(const cJSON *net, const char *path, mlp_spec *s, ex_error *err)
{
    static const char *const keys[] = {"inputs", "layers", "loss", NULL};
    const char *bad = NULL;
    char p[96];
    memset(s, 0, sizeof *s);
    s->loss = MLP_LOSS_MSE;
    if (only_keys(net, keys, &bad) != 0) {
        pathf(p, sizeof p, "%s.%s", path, bad);
        return fail(err, EX_ERR_UNKNOWN_FIELD, p, "is not a field of a network.");
    }
    pathf(p, sizeof p, "%s.inputs", path);
    if (int_in(cJSON_GetObjectItemCaseSensitive(net, "inputs"), 1, EX_MAX_INPUTS, &s->inputs) != 0)
        return failf(err, EX_ERR_LIMIT, p, "must be an integer from 1 to %d.", EX_MAX_INPUTS);
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(net, "loss");
    pathf(p, sizeof p, "%s.loss", path);
    if (loss && !cJSON_IsNull(loss) &&
        !(cJSON_IsString(loss) && mlp_loss_from_name(loss->valuestring) == MLP_LOSS_MSE))
        return fail(err, EX_ERR_INVALID, p, "must be \"mse\" (the lecture's E = 1/2 e^2).");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(net, "layers");
    pathf(p, sizeof p, "%s.layers", path);
    int n = cJSON_IsArray(layers) ? cJSON_GetArraySize(layers) : -1;
    if (n < 1 || n > EX_MAX_LAYERS)
        return failf(err, n < 0 ? EX_ERR_MISSING : EX_ERR_LIMIT, p,
                     "must be an array of 1 to %d layers.", EX_MAX_LAYERS);
    s->n_layers = (size_t)n;
    size_t l = 0;
    for (const cJSON *c = layers->child; c; c = c->next, l++) {
        pathf(p, sizeof p, "%s.layers[%zu]", path, l);
        ex_err e = layer_parse(c, p, &s->layers[l], err);
        if (e != EX_OK)
            return e;
    }
    return EX_OK;
}

ex_err ex_network_parse(const cJSON *network, const char *path, ex_def *def, ex_error *err)
{
    def->lecture = 0;
    if (cJSON_IsString(network)) {
        if (strcmp(network->valuestring, EX_LECTURE) != 0)
            return fail(err, EX_ERR_INVALID, path,
                        "must be \"" EX_LECTURE "\" or a network {\"inputs\", \"layers\"}.");
        lecture_spec(&def->spec);
        def->lecture = 1;
        return EX_OK;
    }
    if (!cJSON_IsObject(network))
        return fail(err, network ? EX_ERR_INVALID : EX_ERR_MISSING, path,
                    "must be \"" EX_LECTURE "\" or a network {\"inputs\", \"layers\"}.");
    return spec_parse(network, path, &def->spec, err);
}

cJSON *ex_network_json(const ex_def *def)
{
    if (def->lecture)
        return cJSON_CreateString(EX_LECTURE);
    cJSON *o = cJSON_CreateObject();
    cJSON *ls = o ? cJSON_AddArrayToObject(o, "layers") : NULL;
    if (!ls || !cJSON_AddNumberToObject(o, "inputs", (double)def->spec.inputs) ||
        !cJSON_AddStringToObject(o, "loss", "mse")) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t l = 0; l < def->spec.n_layers; l++) {
        cJSON *L = cJSON_CreateObject();
        if (!L || !cJSON_AddItemToArray(ls, L) ||
            !cJSON_AddNumberToObject(L, "units", (double)def->spec.layers[l].units) ||
            !cJSON_AddStringToObject(L, "activation",
                                     mlp_activation_name(def->spec.layers[l].activation))) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

ex_err ex_def_check(const ex_def *def, ex_error *err)
{
    if (def->steps < 1 || def->steps > EX_MAX_STEPS)
        return failf(err, EX_ERR_INVALID, "steps", "must be an integer from 1 to %d.", EX_MAX_STEPS);
    if (!(def->tolerance >= EX_TOLERANCE_MIN && def->tolerance <= EX_TOLERANCE_MAX))
        return failf(err, EX_ERR_INVALID, "tolerance", "must be a number from %g to %g.",
                     EX_TOLERANCE_MIN, EX_TOLERANCE_MAX);
    /* Eight probe users must each find a variant within an eighth of a
     * user's budget: a network that passes is one where a draw is kept
     * often enough that no student's 2000 draws plausibly all fail. */
    static const char *const probes[] = {"probe-a", "probe-b", "probe-c", "probe-d",
                                         "probe-e", "probe-f", "probe-g", "probe-h"};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        ex_variant v;
        ex_err e = variant_within(def, probes[i], EX_MAX_DRAWS / 8, &v, err);
        if (e != EX_OK)
            return e;
    }
    return EX_OK;
}

/* ---- variants ------------------------------------------------------- */

static double round2(double v)
{
    return round(v * 100.0) / 100.0;
}

/* Uniform in [lo, hi], rounded to 2 decimals. */
static double draw(mlp_rng *r, double lo, double hi)
{
    return round2(lo + (hi - lo) * mlp_rng_uniform(r));
}

/* Magnitude in [lo, hi], either sign, rounded (never below lo). */
static double draw_signed(mlp_rng *r, double lo, double hi)
{
    double m = draw(r, lo, hi);
    return mlp_rng_uniform(r) < 0.5 ? -m : m;
}

/* FNV-1a of the user id, mixed with the exercise seed. */
static uint64_t variant_seed(uint64_t seed, const char *user_id)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)user_id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h ^ (seed * 0x9E3779B97F4A7C15ull);
}

static void target_range(int act, double *lo, double *hi)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        *lo = 0.05, *hi = 0.95;
        break;
    case MLP_ACT_TANH:
        *lo = -0.9, *hi = 0.9;
        break;
    case MLP_ACT_RELU:
        *lo = 0.05, *hi = 1.0;
        break;
    default:
        *lo = -1.0, *hi = 1.0;
    }
}

static void draw_variant(mlp_rng *r, const ex_def *def, ex_variant *v)
{
    memset(v, 0, sizeof *v);
    v->spec = def->spec;
    v->steps = def->steps;
    size_t off = 0, fan_in = def->spec.inputs;
    for (size_t l = 0; l < def->spec.n_layers; l++) {
        size_t units = def->spec.layers[l].units;
        /* a wider fan-in gets smaller weights, so that v stays moderate */
        double a = fmin(1.0, 2.0 / sqrt((double)fan_in));
        for (size_t k = 0; k < units * fan_in; k++)
            v->params[off++] = draw_signed(r, fmin(0.1, a), a);
        for (size_t j = 0; j < units; j++)
            v->params[off++] = draw(r, -0.5, 0.5);
        fan_in = units;
    }
    for (size_t i = 0; i < def->spec.inputs; i++)
        v->x[i] = draw_signed(r, 0.1, 1.0);
    const mlp_layer_spec *out = &def->spec.layers[def->spec.n_layers - 1];
    double lo, hi;
    target_range(out->activation, &lo, &hi);
    for (size_t j = 0; j < out->units; j++)
        v->d[j] = draw(r, lo, hi);
    v->eta = draw(r, 0.1, 0.9);
}

void ex_variant_layer(const ex_variant *v, size_t l, const double **w, const double **b,
                      size_t *units, size_t *fan_in)
{
    size_t off = 0, f = v->spec.inputs;
    for (size_t k = 0; k < l; k++) {
        off += v->spec.layers[k].units * (f + 1);
        f = v->spec.layers[k].units;
    }
    *units = v->spec.layers[l].units;
    *fan_in = f;
    *w = v->params + off;
    *b = v->params + off + *units * f;
}

/* f'(v) well away from zero (a fifth of its largest value at least). */
static int unsaturated(int act, double v)
{
    switch (act) {
    case MLP_ACT_SIGMOID: {
        double s = 1.0 / (1.0 + exp(-v));
        return s * (1.0 - s) >= 0.05;
    }
    case MLP_ACT_TANH: {
        double t = tanh(v);
        return 1.0 - t * t >= 0.2;
    }
    case MLP_ACT_RELU:
        return v >= 0.05;
    default:
        return fabs(v) <= 5.0;
    }
}

static double rel_diff(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-12);
}

/* Largest relative change the slip makes to step st's numbers. */
static double slip_effect(const ex_solution *sol, const ex_step *st, ex_slip s)
{
    ex_step sl;
    double worst = 0.0;
    ex_step_slipped(st, sol->d, sol->eta, s, ~0u, &sl);
    for (int q = 0; q < EX_N_QTY; q++) {
        if (q == EX_Q_COST_AFTER)
            continue;
        for (size_t l = 0; l < (q < EX_Q_V ? 1 : st->n_layers); l++) {
            size_t n = q == EX_Q_E ? st->outputs : q == EX_Q_COST ? 1
                       : q >= EX_Q_DW ? st->layers[l].units * st->layers[l].fan_in
                                      : st->layers[l].units;
            for (size_t i = 0; i < n; i++)
                worst = fmax(worst, rel_diff(ex_step_value(&sl, q, l, i), ex_step_value(st, q, l, i)));
        }
    }
    return worst;
}

/* The conditions of exercise.h on a candidate's solution; a slip must
 * move some number by 1%, and by twice the tolerance, to be told apart. */
static int acceptable(const ex_solution *sol, double tolerance)
{
    for (size_t k = 0; k < sol->steps; k++) {
        const ex_step *st = &sol->step[k];
        for (size_t l = 0; l < st->n_layers; l++)
            for (size_t j = 0; j < st->layers[l].units; j++)
                if (!unsaturated(st->layers[l].activation, st->layers[l].v[j]))
                    return 0;
        for (size_t j = 0; j < st->outputs; j++)
            if (fabs(st->e[j]) < 0.02)
                return 0;
    }
    for (int s = 0; s < EX_N_SLIPS; s++)
        if (ex_slip_applies(&sol->step[0], (ex_slip)s) &&
            slip_effect(sol, &sol->step[0], (ex_slip)s) < fmax(0.01, 2.0 * tolerance))
            return 0;
    return 1;
}

/* The first acceptable draw of the user's stream within max_draws. */
static ex_err variant_within(const ex_def *def, const char *user_id, int max_draws,
                             ex_variant *out, ex_error *err)
{
    mlp_rng r;
    mlp_rng_seed(&r, variant_seed(def->seed, user_id));
    ex_solution sol;
    for (int k = 0; k < max_draws; k++) {
        draw_variant(&r, def, out);
        ex_err e = ex_solve(out, &sol, err);
        if (e == EX_ERR_INTERNAL)
            return e;
        if (e == EX_OK && acceptable(&sol, def->tolerance))
            return EX_OK;
    }
    return failf(err, EX_ERR_NO_VARIANT, "network",
                 "No variant of this network keeps every unit unsaturated (and every known "
                 "slip visible) with numbers rounded to 2 decimals (%d draws tried); use fewer "
                 "inputs, units or layers, or sigmoid/linear units.", max_draws);
}

ex_err ex_variant_make(const ex_def *def, const char *user_id, ex_variant *out, ex_error *err)
{
    return variant_within(def, user_id, EX_MAX_DRAWS, out, err);
}

/* ---- the expected trace --------------------------------------------- */

static void copy_trace(const mlp_trace *t, ex_step *st)
{
    memset(st, 0, sizeof *st);
    st->n_layers = t->n_layers;
    st->outputs = t->outputs;
    memcpy(st->e, t->e, t->outputs * sizeof(double));
    st->E = t->E_before;
    st->E_after = t->E_after;
    for (size_t l = 0; l < t->n_layers; l++) {
        const mlp_trace_layer *s = &t->layers[l];
        ex_layer_q *q = &st->layers[l];
        size_t u = s->units, nw = s->units * s->fan_in;
        q->units = u;
        q->fan_in = s->fan_in;
        q->activation = s->activation;
        memcpy(q->input, s->input, s->fan_in * sizeof(double));
        memcpy(q->v, s->v, u * sizeof(double));
        memcpy(q->y, s->y, u * sizeof(double));
        memcpy(q->fprime, s->fprime, u * sizeof(double));
        memcpy(q->delta, s->delta, u * sizeof(double));
        memcpy(q->db, s->db, u * sizeof(double));
        memcpy(q->b_before, s->b_before, u * sizeof(double));
        memcpy(q->b_after, s->b_after, u * sizeof(double));
        memcpy(q->dw, s->dw, nw * sizeof(double));
        memcpy(q->w_before, s->w_before, nw * sizeof(double));
        memcpy(q->w_after, s->w_after, nw * sizeof(double));
    }
}

ex_err ex_solve(const ex_variant *v, ex_solution *out, ex_error *err)
{
    mlp_t *net = NULL;
    memset(out, 0, sizeof *out);
    if (v->steps < 1 || v->steps > EX_MAX_STEPS || v->spec.n_layers < 1 ||
        v->spec.n_layers > EX_MAX_LAYERS)
        return fail(err, EX_ERR_INVALID, "", "The exercise has no such network or steps.");
    out->steps = v->steps;
    out->eta = v->eta;
    memcpy(out->d, v->d, sizeof out->d);
    mlp_status ms = mlp_new(&v->spec, NULL, NULL, &net);
    if (ms != MLP_OK)
        return fail(err, EX_ERR_INTERNAL, "", "The network could not be built.");
    memcpy(mlp_params(net), v->params, mlp_param_count(net) * sizeof(double));
    for (size_t k = 0; k < v->steps; k++) {
        mlp_trace t;
        ms = mlp_step(net, v->x, v->d, v->eta, MLP_STEP_APPLY, NULL, &t);
        if (ms != MLP_OK) {
            mlp_free(net);
            return fail(err, ms == MLP_ERR_NOMEM ? EX_ERR_INTERNAL : EX_ERR_INVALID, "",
                        "The step produced a non-finite value.");
        }
        copy_trace(&t, &out->step[k]);
        mlp_trace_free(&t);
    }
    mlp_free(net);
    return EX_OK;
}

/* ---- slips ---------------------------------------------------------- */

static const struct {
    const char *code, *message;
} slips[EX_N_SLIPS] = {
    [EX_SLIP_UPDATED_WEIGHTS] = {"updated_weights_in_hidden_delta",
        "A hidden delta uses the weights of the layer above as they were at step n, before "
        "their update: delta_i = f'(v_i) sum_j w_ji(n) delta_j (the lecture's rule (3) has "
        "w_ji(n), not w_ji(n+1))."},
    [EX_SLIP_ERROR_SIGN] = {"error_sign",
        "The error is e = d - y (the lecture's e_j(n) = d_j(n) - y_j(n)); with y - d every "
        "delta and every change points the wrong way."},
    [EX_SLIP_MISSING_FPRIME] = {"missing_fprime",
        "A delta carries the slope f'(v) of its own unit: delta_j = e_j f'(v_j) at the output "
        "and delta_i = f'(v_i) sum_j w_ji delta_j below (rules (1) and (3); for the sigmoid "
        "f'(v) = f(v)(1 - f(v)))."},
    [EX_SLIP_BIAS_WITHOUT_ETA] = {"bias_without_eta",
        "A bias moves by the learning rate times the delta, like a weight whose input is 1: "
        "b(n+1) = b(n) + eta delta (rules (2) and (4))."},
};

const char *ex_slip_code(ex_slip s)
{
    return (unsigned)s < EX_N_SLIPS ? slips[s].code : "unknown";
}

const char *ex_slip_message(ex_slip s)
{
    return (unsigned)s < EX_N_SLIPS ? slips[s].message : "";
}

int ex_slip_applies(const ex_step *st, ex_slip s)
{
    switch (s) {
    case EX_SLIP_UPDATED_WEIGHTS:
        return st->n_layers >= 2;
    case EX_SLIP_MISSING_FPRIME:
        for (size_t l = 0; l < st->n_layers; l++)
            for (size_t j = 0; j < st->layers[l].units; j++)
                if (st->layers[l].fprime[j] != 1.0)
                    return 1;
        return 0;
    default:
        return 1;
    }
}

/* Layer l's deltas from the error or the layer above, with the slip. */
static void slipped_deltas(ex_step *o, size_t l, ex_slip slip, unsigned mask)
{
    ex_layer_q *q = &o->layers[l];
    unsigned here = (mask >> l) & 1u;
    for (size_t j = 0; j < q->units; j++) {
        double g = 0.0;
        if (l + 1 == o->n_layers) {
            g = o->e[j];
        } else {
            const ex_layer_q *up = &o->layers[l + 1];
            const double *w = slip == EX_SLIP_UPDATED_WEIGHTS && here ? up->w_after : up->w_before;
            for (size_t k = 0; k < up->units; k++)
                g += w[k * up->fan_in + j] * up->delta[k];
        }
        q->delta[j] = slip == EX_SLIP_MISSING_FPRIME && here ? g : g * q->fprime[j];
    }
}

void ex_step_slipped(const ex_step *correct, const double *d, double eta, ex_slip slip,
                     unsigned mask, ex_step *out)
{
    *out = *correct;
    const ex_layer_q *top = &out->layers[out->n_layers - 1];
    for (size_t j = 0; j < out->outputs; j++)
        out->e[j] = slip == EX_SLIP_ERROR_SIGN ? top->y[j] - d[j] : d[j] - top->y[j];
    for (size_t l = out->n_layers; l-- > 0;) {
        ex_layer_q *q = &out->layers[l];
        slipped_deltas(out, l, slip, mask);
        int no_eta = slip == EX_SLIP_BIAS_WITHOUT_ETA && ((mask >> l) & 1u);
        for (size_t j = 0; j < q->units; j++) {
            for (size_t i = 0; i < q->fan_in; i++) {
                size_t k = j * q->fan_in + i;
                q->dw[k] = eta * q->delta[j] * q->input[i];
                q->w_after[k] = q->w_before[k] + q->dw[k];
            }
            q->db[j] = no_eta ? q->delta[j] : eta * q->delta[j];
            q->b_after[j] = q->b_before[j] + q->db[j];
        }
    }
}

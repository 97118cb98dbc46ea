/*
 * exercise_attempt.c - reading a student's attempt (outside input: every
 * shape checked, every refusal names its path) and grading it number by
 * number against the expected trace, with the known slips recomputed.
 */
#include "domain/exercise.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const qty_names[EX_N_QTY] = {
    [EX_Q_E] = "e",           [EX_Q_COST] = "E",         [EX_Q_COST_AFTER] = "E_after",
    [EX_Q_V] = "v",           [EX_Q_Y] = "y",            [EX_Q_FPRIME] = "fprime",
    [EX_Q_DELTA] = "delta",   [EX_Q_DB] = "db",          [EX_Q_B_AFTER] = "biases_after",
    [EX_Q_DW] = "dw",         [EX_Q_W_AFTER] = "weights_after",
};

/* A path into a bounded buffer (a long one is cut, never overrun). */
static void pathf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, n, fmt, ap);
    va_end(ap);
}

typedef struct parse_ctx {
    const mlp_spec *spec;
    ex_attempt *a;
    ex_error *err;
    unsigned char step, in_steps;
} parse_ctx;

static ex_err refuse(parse_ctx *c, ex_err code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static ex_err refuse(parse_ctx *c, ex_err code, const char *path, const char *fmt, ...)
{
    if (c->err) {
        va_list ap;
        c->err->code = code;
        snprintf(c->err->path, sizeof c->err->path, "%s", path);
        va_start(ap, fmt);
        vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static size_t fan_in_of(const mlp_spec *s, size_t l)
{
    return l == 0 ? s->inputs : s->layers[l - 1].units;
}

/* One number (or null: not given). */
static ex_err number(parse_ctx *c, const cJSON *item, const char *path, int qty, size_t layer,
                     size_t index)
{
    if (cJSON_IsNull(item))
        return EX_OK;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return refuse(c, EX_ERR_INVALID, path,
                      "must be a finite number (or null for a number not given).");
    if (c->a->n >= EX_MAX_GIVEN) /* cannot happen with the shapes checked */
        return refuse(c, EX_ERR_DIMENSIONS, path, "is one number too many.");
    ex_given *g = &c->a->given[c->a->n++];
    memset(g, 0, sizeof *g);
    g->step = c->step;
    g->qty = (unsigned char)qty;
    g->layer = (unsigned char)layer;
    g->in_steps = c->in_steps;
    g->index = (unsigned short)index;
    g->value = item->valuedouble;
    return EX_OK;
}

/* An array of exactly n numbers, indexed from base (a matrix row starts at j * cols). */
static ex_err vector(parse_ctx *c, const cJSON *item, const char *path, int qty, size_t layer,
                     size_t n, size_t base)
{
    if (!cJSON_IsArray(item) || (size_t)cJSON_GetArraySize(item) != n)
        return refuse(c, EX_ERR_DIMENSIONS, path, "must be an array of %zu number%s.", n,
                      n == 1 ? "" : "s");
    size_t i = 0;
    char p[96];
    for (const cJSON *x = item->child; x; x = x->next, i++) {
        pathf(p, sizeof p, "%s[%zu]", path, i);
        ex_err e = number(c, x, p, qty, layer, base + i);
        if (e != EX_OK)
            return e;
    }
    return EX_OK;
}

static ex_err matrix(parse_ctx *c, const cJSON *item, const char *path, int qty, size_t layer,
                     size_t rows, size_t cols)
{
    if (!cJSON_IsArray(item) || (size_t)cJSON_GetArraySize(item) != rows)
        return refuse(c, EX_ERR_DIMENSIONS, path,
                      "must be an array of %zu rows (one per unit) of %zu numbers.", rows, cols);
    size_t j = 0;
    char p[96];
    for (const cJSON *r = item->child; r; r = r->next, j++) {
        pathf(p, sizeof p, "%s[%zu]", path, j);
        ex_err e = vector(c, r, p, qty, layer, cols, j * cols);
        if (e != EX_OK)
            return e;
    }
    return EX_OK;
}

static int qty_of(const char *key, int from, int to)
{
    for (int q = from; q < to; q++)
        if (strcmp(key, qty_names[q]) == 0)
            return q;
    return -1;
}

static ex_err layer_obj(parse_ctx *c, const cJSON *item, const char *path, size_t l)
{
    if (cJSON_IsNull(item))
        return EX_OK;
    if (!cJSON_IsObject(item))
        return refuse(c, EX_ERR_INVALID, path, "must be an object of the layer's quantities.");
    size_t units = c->spec->layers[l].units, fan_in = fan_in_of(c->spec, l);
    char p[96];
    for (const cJSON *k = item->child; k; k = k->next) {
        const char *key = k->string && *k->string ? k->string : "\"\"";
        int q = qty_of(key, EX_Q_V, EX_N_QTY);
        pathf(p, sizeof p, "%s.%s", path, key);
        if (q < 0)
            return refuse(c, EX_ERR_UNKNOWN_FIELD, p,
                          "is not a quantity of a layer (v, y, fprime, delta, dw, db, "
                          "weights_after, biases_after).");
        ex_err e = q >= EX_Q_DW ? matrix(c, k, p, q, l, units, fan_in)
                                : vector(c, k, p, q, l, units, 0);
        if (e != EX_OK)
            return e;
    }
    return EX_OK;
}

static ex_err layers_arr(parse_ctx *c, const cJSON *item, const char *path)
{
    size_t L = c->spec->n_layers;
    if (!cJSON_IsArray(item) || (size_t)cJSON_GetArraySize(item) > L)
        return refuse(c, EX_ERR_DIMENSIONS, path,
                      "must be an array of at most %zu layer objects (first hidden layer first).", L);
    size_t l = 0;
    char p[96];
    for (const cJSON *x = item->child; x; x = x->next, l++) {
        pathf(p, sizeof p, "%s[%zu]", path, l);
        ex_err e = layer_obj(c, x, p, l);
        if (e != EX_OK)
            return e;
    }
    return EX_OK;
}

/* One step's quantities from obj; prefix is "" (top level) or "steps[k]." */
static ex_err step_member(parse_ctx *c, const cJSON *k, const char *prefix)
{
    char p[96];
    /* an empty key is shown as "" so that the path still names it */
    const char *key = k->string && *k->string ? k->string : "\"\"";
    pathf(p, sizeof p, "%s%s", prefix, key);
    if (strcmp(key, "e") == 0)
        return vector(c, k, p, EX_Q_E, 0, c->spec->layers[c->spec->n_layers - 1].units, 0);
    if (strcmp(key, "E") == 0)
        return number(c, k, p, EX_Q_COST, 0, 0);
    if (strcmp(key, "E_after") == 0)
        return number(c, k, p, EX_Q_COST_AFTER, 0, 0);
    if (strcmp(key, "layers") == 0)
        return layers_arr(c, k, p);
    return refuse(c, EX_ERR_UNKNOWN_FIELD, p,
                  "is not a field of an attempt (e, E, E_after, layers%s).",
                  *prefix ? "" : ", steps, reveal");
}

static ex_err steps_arr(parse_ctx *c, const cJSON *item, size_t steps)
{
    int n = cJSON_IsArray(item) ? cJSON_GetArraySize(item) : -1;
    if (n < 1 || (size_t)n > steps)
        return refuse(c, EX_ERR_DIMENSIONS, "steps",
                      "must be an array of 1 to %zu step objects (step 1 first).", steps);
    char prefix[32];
    c->in_steps = 1;
    c->step = 0;
    for (const cJSON *s = item->child; s; s = s->next, c->step++) {
        pathf(prefix, sizeof prefix, "steps[%u]", (unsigned)c->step);
        if (cJSON_IsNull(s))
            continue;
        if (!cJSON_IsObject(s))
            return refuse(c, EX_ERR_INVALID, prefix, "must be an object of one step's quantities.");
        size_t len = strlen(prefix);
        pathf(prefix + len, sizeof prefix - len, ".");
        for (const cJSON *k = s->child; k; k = k->next) {
            ex_err e = step_member(c, k, prefix);
            if (e != EX_OK)
                return e;
        }
    }
    return EX_OK;
}

ex_err ex_attempt_parse(const cJSON *body, const mlp_spec *spec, size_t steps, ex_attempt *out,
                        ex_error *err)
{
    parse_ctx c = {spec, out, err, 0, 0};
    out->n = 0;
    out->reveal = 0;
    if (!cJSON_IsObject(body))
        return refuse(&c, EX_ERR_INVALID, "", "The attempt must be a JSON object.");
    const cJSON *steps_item = NULL;
    for (const cJSON *k = body->child; k; k = k->next) {
        const char *key = k->string ? k->string : "";
        ex_err e = EX_OK;
        if (strcmp(key, "reveal") == 0) {
            if (!cJSON_IsBool(k) && !cJSON_IsNull(k))
                return refuse(&c, EX_ERR_INVALID, "reveal", "must be true or false.");
            out->reveal = cJSON_IsTrue(k);
        } else if (strcmp(key, "steps") == 0) {
            steps_item = k;
        } else {
            e = step_member(&c, k, "");
        }
        if (e != EX_OK)
            return e;
    }
    size_t top = out->n;
    if (steps_item) {
        ex_err e = steps_arr(&c, steps_item, steps);
        if (e != EX_OK)
            return e;
        for (size_t i = top; i < out->n && top > 0; i++)
            if (out->given[i].step == 0)
                return refuse(&c, EX_ERR_INVALID, "steps[0]",
                              "gives step 1, which the top-level fields already give; use one "
                              "of the two.");
    }
    if (out->n == 0)
        return refuse(&c, EX_ERR_MISSING, "", "The attempt gives no number to grade.");
    return EX_OK;
}

void ex_given_path(const ex_given *g, const mlp_spec *spec, char *out, size_t n)
{
    char pre[16] = "";
    if (g->in_steps)
        pathf(pre, sizeof pre, "steps[%u].", (unsigned)g->step);
    const char *name = g->qty < EX_N_QTY ? qty_names[g->qty] : "?";
    if (g->qty == EX_Q_COST || g->qty == EX_Q_COST_AFTER)
        snprintf(out, n, "%s%s", pre, name);
    else if (g->qty == EX_Q_E)
        snprintf(out, n, "%se[%u]", pre, (unsigned)g->index);
    else if (g->qty < EX_Q_DW)
        snprintf(out, n, "%slayers[%u].%s[%u]", pre, (unsigned)g->layer, name, (unsigned)g->index);
    else {
        size_t f = fan_in_of(spec, g->layer);
        snprintf(out, n, "%slayers[%u].%s[%zu][%zu]", pre, (unsigned)g->layer, name,
                 (size_t)g->index / f, (size_t)g->index % f);
    }
}

double ex_step_value(const ex_step *st, int qty, size_t layer, size_t index)
{
    const ex_layer_q *q = &st->layers[layer < EX_MAX_LAYERS ? layer : 0];
    switch (qty) {
    case EX_Q_E:
        return st->e[index];
    case EX_Q_COST:
        return st->E;
    case EX_Q_COST_AFTER:
        return st->E_after;
    case EX_Q_V:
        return q->v[index];
    case EX_Q_Y:
        return q->y[index];
    case EX_Q_FPRIME:
        return q->fprime[index];
    case EX_Q_DELTA:
        return q->delta[index];
    case EX_Q_DB:
        return q->db[index];
    case EX_Q_B_AFTER:
        return q->b_after[index];
    case EX_Q_DW:
        return q->dw[index];
    case EX_Q_W_AFTER:
        return q->w_after[index];
    default:
        return NAN;
    }
}

static double rel_error(double given, double expected)
{
    return fabs(given - expected) / fmax(fabs(expected), 1e-12);
}

/* Mark the wrong numbers of step k that one slipped trace explains. */
static void match_slip(const ex_step *correct, const ex_step *slipped, ex_slip s, size_t k,
                       double tol, ex_attempt *a)
{
    for (size_t i = 0; i < a->n; i++) {
        ex_given *g = &a->given[i];
        if (g->step != k || g->correct)
            continue;
        double sv = ex_step_value(slipped, g->qty, g->layer, g->index);
        double x = ex_step_value(correct, g->qty, g->layer, g->index);
        if (rel_error(sv, x) > tol && rel_error(g->value, sv) <= tol)
            g->slips |= 1u << s;
    }
}

/* Each slip in each single layer and in all of them at once: a student
 * may slip in one rule only, and compute the rest right from there. */
static void find_slips(const ex_solution *sol, size_t k, double tol, ex_attempt *a)
{
    const ex_step *st = &sol->step[k];
    ex_step sl;
    for (int s = 0; s < EX_N_SLIPS; s++) {
        if (!ex_slip_applies(st, (ex_slip)s))
            continue;
        size_t masks = s == EX_SLIP_ERROR_SIGN ? 0 : st->n_layers;
        for (size_t m = 0; m <= masks; m++) {
            unsigned mask = m == masks ? ~0u : 1u << m;
            ex_step_slipped(st, sol->d, sol->eta, (ex_slip)s, mask, &sl);
            match_slip(st, &sl, (ex_slip)s, k, tol, a);
        }
    }
}

void ex_grade(const ex_solution *sol, double tol, ex_attempt *a, ex_summary *out)
{
    unsigned wrong_steps = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < a->n; i++) {
        ex_given *g = &a->given[i];
        g->expected = ex_step_value(&sol->step[g->step], g->qty, g->layer, g->index);
        g->rel_error = rel_error(g->value, g->expected);
        g->correct = g->rel_error <= tol;
        g->slips = 0;
        out->n_correct += (size_t)g->correct;
        if (!g->correct)
            wrong_steps |= 1u << g->step;
    }
    for (size_t k = 0; k < sol->steps; k++)
        if ((wrong_steps >> k) & 1u)
            find_slips(sol, k, tol, a);
    for (size_t i = 0; i < a->n; i++)
        out->slips |= a->given[i].slips;
    out->n_given = a->n;
    out->score = a->n ? (double)out->n_correct / (double)a->n : 0.0;
}

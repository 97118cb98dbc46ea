/*
 * test_exercise.c - graded step exercises (server/domain/exercise*.c).
 *
 * The expected answers come from a reference step written here from the
 * lecture's formulas (it does not call core/): a student who computes the
 * step that way scores 1.0, and a student who makes one of the known
 * slips (planted in the same reference) is told which one.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/exercise.h"

/* ---- the reference: the lecture's online step, by hand ---------------- */

enum { PLANT_NONE = 0, PLANT_UPDATED, PLANT_SIGN, PLANT_FPRIME, PLANT_BIAS };

typedef struct ref_layer {
    size_t units, fan_in;
    int act;
    double w[8][8], b[8];
    double v[8], y[8], fp[8], delta[8], dw[8][8], db[8], wa[8][8], ba[8];
} ref_layer;

typedef struct ref_step {
    size_t L;
    ref_layer lay[4];
    double e[8], E, E_after;
} ref_step;

static double f_of(int act, double v)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-v));
    case MLP_ACT_TANH:
        return tanh(v);
    case MLP_ACT_RELU:
        return v > 0 ? v : 0;
    default:
        return v;
    }
}

/* f'(v) written from y, as on the slides: y(1 - y), 1 - y^2, 1. */
static double fprime_of(int act, double v, double y)
{
    switch (act) {
    case MLP_ACT_SIGMOID:
        return y * (1.0 - y);
    case MLP_ACT_TANH:
        return 1.0 - y * y;
    case MLP_ACT_RELU:
        return v > 0 ? 1.0 : 0.0;
    default:
        return 1.0;
    }
}

static double ref_forward(ref_step *r, const double *x, const double *d)
{
    const double *in = x;
    for (size_t l = 0; l < r->L; l++) {
        ref_layer *q = &r->lay[l];
        for (size_t k = 0; k < q->units; k++) {
            double v = q->b[k];
            for (size_t i = 0; i < q->fan_in; i++)
                v += q->w[k][i] * in[i];
            q->v[k] = v;
            q->y[k] = f_of(q->act, v);
            q->fp[k] = fprime_of(q->act, v, q->y[k]);
        }
        in = q->y;
    }
    double E = 0;
    for (size_t j = 0; j < r->lay[r->L - 1].units; j++) {
        double e = d[j] - r->lay[r->L - 1].y[j];
        E += 0.5 * e * e;
    }
    return E;
}

/* One step with an optional planted slip in the layers of mask. */
static void ref_step_run(ref_step *r, const double *x, const double *d, double eta, int plant,
                         unsigned mask)
{
    r->E = ref_forward(r, x, d);
    ref_layer *out = &r->lay[r->L - 1];
    for (size_t j = 0; j < out->units; j++)
        r->e[j] = plant == PLANT_SIGN ? out->y[j] - d[j] : d[j] - out->y[j];
    for (size_t l = r->L; l-- > 0;) {
        ref_layer *q = &r->lay[l];
        int here = (mask >> l) & 1u;
        const double *in = l == 0 ? x : r->lay[l - 1].y;
        for (size_t k = 0; k < q->units; k++) {
            double g = 0;
            if (l == r->L - 1) {
                g = r->e[k];
            } else {
                ref_layer *up = &r->lay[l + 1];
                for (size_t j = 0; j < up->units; j++)
                    g += (plant == PLANT_UPDATED && here ? up->wa[j][k] : up->w[j][k]) * up->delta[j];
            }
            q->delta[k] = plant == PLANT_FPRIME && here ? g : g * q->fp[k];
            for (size_t i = 0; i < q->fan_in; i++) {
                q->dw[k][i] = eta * q->delta[k] * in[i];
                q->wa[k][i] = q->w[k][i] + q->dw[k][i];
            }
            q->db[k] = plant == PLANT_BIAS && here ? q->delta[k] : eta * q->delta[k];
            q->ba[k] = q->b[k] + q->db[k];
        }
    }
    ref_step after = *r;
    for (size_t l = 0; l < r->L; l++) {
        memcpy(after.lay[l].w, r->lay[l].wa, sizeof after.lay[l].w);
        memcpy(after.lay[l].b, r->lay[l].ba, sizeof after.lay[l].b);
    }
    r->E_after = ref_forward(&after, x, d);
}

/* The variant's givens into the reference's first step. */
static void ref_from_variant(const ex_variant *v, ref_step *r)
{
    memset(r, 0, sizeof *r);
    r->L = v->spec.n_layers;
    for (size_t l = 0; l < r->L; l++) {
        const double *w, *b;
        size_t u, f;
        ex_variant_layer(v, l, &w, &b, &u, &f);
        r->lay[l].units = u;
        r->lay[l].fan_in = f;
        r->lay[l].act = v->spec.layers[l].activation;
        for (size_t k = 0; k < u; k++) {
            for (size_t i = 0; i < f; i++)
                r->lay[l].w[k][i] = w[k * f + i];
            r->lay[l].b[k] = b[k];
        }
    }
}

/* The next step starts from the weights this one left. */
static void ref_advance(ref_step *r)
{
    for (size_t l = 0; l < r->L; l++) {
        memcpy(r->lay[l].w, r->lay[l].wa, sizeof r->lay[l].w);
        memcpy(r->lay[l].b, r->lay[l].ba, sizeof r->lay[l].b);
    }
}

static cJSON *vec_json(const double *v, size_t n)
{
    return cJSON_CreateDoubleArray(v, (int)n);
}

static cJSON *mat_json(double m[8][8], size_t rows, size_t cols)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t k = 0; k < rows; k++)
        cJSON_AddItemToArray(a, vec_json(m[k], cols));
    return a;
}

/* Every quantity of one reference step, under the trace's names. */
static cJSON *step_json(const ref_step *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "e", vec_json(r->e, r->lay[r->L - 1].units));
    cJSON_AddNumberToObject(o, "E", r->E);
    cJSON_AddNumberToObject(o, "E_after", r->E_after);
    cJSON *ls = cJSON_AddArrayToObject(o, "layers");
    for (size_t l = 0; l < r->L; l++) {
        ref_layer q = r->lay[l];
        cJSON *L = cJSON_CreateObject();
        cJSON_AddItemToObject(L, "v", vec_json(q.v, q.units));
        cJSON_AddItemToObject(L, "y", vec_json(q.y, q.units));
        cJSON_AddItemToObject(L, "fprime", vec_json(q.fp, q.units));
        cJSON_AddItemToObject(L, "delta", vec_json(q.delta, q.units));
        cJSON_AddItemToObject(L, "dw", mat_json(q.dw, q.units, q.fan_in));
        cJSON_AddItemToObject(L, "db", vec_json(q.db, q.units));
        cJSON_AddItemToObject(L, "weights_after", mat_json(q.wa, q.units, q.fan_in));
        cJSON_AddItemToObject(L, "biases_after", vec_json(q.ba, q.units));
        cJSON_AddItemToArray(ls, L);
    }
    return o;
}

/* A whole attempt: {"steps": [...]} of every step, the slip planted in
 * step plant_step only (the others right). */
static cJSON *attempt_json(const ex_variant *v, int plant, unsigned mask, size_t plant_step)
{
    ref_step r;
    ref_from_variant(v, &r);
    cJSON *body = cJSON_CreateObject();
    cJSON *steps = cJSON_AddArrayToObject(body, "steps");
    for (size_t k = 0; k < v->steps; k++) {
        ref_step mine = r;
        ref_step_run(&mine, v->x, v->d, v->eta, k == plant_step ? plant : PLANT_NONE, mask);
        cJSON_AddItemToArray(steps, step_json(&mine));
        ref_step_run(&r, v->x, v->d, v->eta, PLANT_NONE, 0);
        ref_advance(&r);
    }
    return body;
}

/* ---- helpers ------------------------------------------------------------ */

static ex_def lecture_def(uint64_t seed, size_t steps)
{
    ex_def def;
    memset(&def, 0, sizeof def);
    cJSON *net = cJSON_CreateString(EX_LECTURE);
    ck_assert_int_eq(ex_network_parse(net, "network", &def, NULL), EX_OK);
    cJSON_Delete(net);
    def.seed = seed;
    def.steps = steps;
    def.tolerance = 1e-6;
    return def;
}

static ex_def def_from(const char *json, size_t steps)
{
    ex_def def;
    ex_error err;
    memset(&def, 0, sizeof def);
    cJSON *net = cJSON_Parse(json);
    ck_assert_ptr_nonnull(net);
    ex_err e = ex_network_parse(net, "network", &def, &err);
    ck_assert_msg(e == EX_OK, "%s: %s", err.path, err.message);
    cJSON_Delete(net);
    def.seed = 7;
    def.steps = steps;
    def.tolerance = 1e-6;
    return def;
}

/* Grade body for (def, user); *sum gets the summary. */
static void grade(const ex_def *def, const ex_variant *v, const cJSON *body, ex_summary *sum)
{
    ex_solution sol;
    ex_error err;
    ex_attempt *a = malloc(sizeof *a);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(ex_solve(v, &sol, &err), EX_OK);
    ex_err e = ex_attempt_parse(body, &v->spec, v->steps, a, &err);
    ck_assert_msg(e == EX_OK, "parse: %s: %s", err.path, err.message);
    ex_grade(&sol, def->tolerance, a, sum);
    free(a);
}

static ex_variant variant_of(const ex_def *def, const char *user)
{
    ex_variant v;
    ex_error err;
    ex_err e = ex_variant_make(def, user, &v, &err);
    ck_assert_msg(e == EX_OK, "%s", err.message);
    return v;
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(correct_attempt_scores_one)
{
    static const char *const users[] = {"ana", "ben", "0123456789abcdef", "local"};
    for (size_t steps = 1; steps <= 3; steps++) {
        ex_def def = lecture_def(42 + steps, steps);
        for (size_t u = 0; u < 4; u++) {
            ex_variant v = variant_of(&def, users[u]);
            cJSON *body = attempt_json(&v, PLANT_NONE, 0, 0);
            ex_summary s;
            grade(&def, &v, body, &s);
            ck_assert_uint_eq(s.n_given, steps * (1 + 2 + 3 * 6 + 1 * 6 + 2 * 6 + 2 * 3));
            ck_assert_uint_eq(s.n_correct, s.n_given);
            ck_assert(s.score == 1.0);
            ck_assert_uint_eq(s.slips, 0);
            cJSON_Delete(body);
        }
    }
}
END_TEST

START_TEST(correct_attempt_on_other_networks)
{
    static const char *const nets[] = {
        "{\"inputs\":3,\"layers\":[{\"units\":4,\"activation\":\"tanh\"},"
        "{\"units\":2,\"activation\":\"sigmoid\"}],\"loss\":\"mse\"}",
        "{\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":\"relu\"},"
        "{\"units\":2,\"activation\":\"logsig\"},{\"units\":1,\"activation\":\"purelin\"}]}",
        "{\"inputs\":4,\"layers\":[{\"units\":1,\"activation\":\"sigmoid\"}]}",
    };
    for (size_t n = 0; n < 3; n++) {
        ex_def def = def_from(nets[n], 2);
        ex_variant v = variant_of(&def, "chloe");
        cJSON *body = attempt_json(&v, PLANT_NONE, 0, 0);
        ex_summary s;
        grade(&def, &v, body, &s);
        ck_assert_msg(s.score == 1.0, "network %zu: %zu of %zu", n, s.n_correct, s.n_given);
        cJSON_Delete(body);
    }
}
END_TEST

/* Each slip of DESIGN.md, planted in the reference, is named (and only it). */
START_TEST(each_planted_slip_is_named)
{
    static const struct {
        int plant;
        ex_slip slip;
    } cases[] = {
        {PLANT_UPDATED, EX_SLIP_UPDATED_WEIGHTS},
        {PLANT_SIGN, EX_SLIP_ERROR_SIGN},
        {PLANT_FPRIME, EX_SLIP_MISSING_FPRIME},
        {PLANT_BIAS, EX_SLIP_BIAS_WITHOUT_ETA},
    };
    static const char *const users[] = {"ana", "ben", "chloe", "dan", "eve"};
    for (size_t c = 0; c < 4; c++) {
        for (size_t u = 0; u < 5; u++) {
            ex_def def = lecture_def(99, 2);
            ex_variant v = variant_of(&def, users[u]);
            cJSON *body = attempt_json(&v, cases[c].plant, ~0u, u % 2);
            ex_summary s;
            grade(&def, &v, body, &s);
            ck_assert_msg(s.score < 1.0, "%s", ex_slip_code(cases[c].slip));
            ck_assert_msg(s.slips == 1u << cases[c].slip, "planted %s, named mask %u",
                          ex_slip_code(cases[c].slip), s.slips);
            cJSON_Delete(body);
        }
    }
}
END_TEST

/* f' forgotten in the hidden layer only (the output is linear, f' = 1):
 * the hidden numbers alone show it. */
START_TEST(slip_in_one_layer_is_named)
{
    ex_def def = def_from("{\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":\"sigmoid\"},"
                          "{\"units\":2,\"activation\":\"tanh\"}]}", 1);
    ex_variant v = variant_of(&def, "ana");
    for (unsigned l = 0; l < 2; l++) {
        cJSON *body = attempt_json(&v, PLANT_FPRIME, 1u << l, 0);
        ex_summary s;
        grade(&def, &v, body, &s);
        ck_assert_msg(s.slips == 1u << EX_SLIP_MISSING_FPRIME, "layer %u: mask %u", l, s.slips);
        cJSON_Delete(body);
    }
}
END_TEST

START_TEST(slip_messages_point_at_the_rule)
{
    for (int s = 0; s < EX_N_SLIPS; s++) {
        const char *m = ex_slip_message((ex_slip)s);
        ck_assert(strstr(m, "lecture") || strstr(m, "rule"));
        ck_assert_int_gt((int)strlen(ex_slip_code((ex_slip)s)), 3);
    }
    ck_assert_str_eq(ex_slip_code(EX_SLIP_UPDATED_WEIGHTS), "updated_weights_in_hidden_delta");
    ck_assert_str_eq(ex_slip_code(EX_SLIP_ERROR_SIGN), "error_sign");
    ck_assert_str_eq(ex_slip_code(EX_SLIP_MISSING_FPRIME), "missing_fprime");
    ck_assert_str_eq(ex_slip_code(EX_SLIP_BIAS_WITHOUT_ETA), "bias_without_eta");
}
END_TEST

static int two_decimals(double x)
{
    return fabs(x * 100.0 - round(x * 100.0)) < 1e-9;
}

START_TEST(variants_differ_between_users_and_repeat)
{
    ex_def def = lecture_def(2026, 3);
    ex_variant a1 = variant_of(&def, "ana"), a2 = variant_of(&def, "ana");
    ex_variant b = variant_of(&def, "ben");
    ck_assert(memcmp(&a1, &a2, sizeof a1) == 0);
    ck_assert(memcmp(a1.params, b.params, sizeof a1.params) != 0);
    def.seed = 2027;
    ex_variant a3 = variant_of(&def, "ana");
    ck_assert(memcmp(a1.params, a3.params, sizeof a1.params) != 0);
    /* 2 decimals, and nothing saturates in any step (checked by hand here) */
    ref_step r;
    ref_from_variant(&a1, &r);
    for (size_t i = 0; i < 13; i++)
        ck_assert(two_decimals(a1.params[i]));
    ck_assert(two_decimals(a1.x[0]) && two_decimals(a1.x[1]) && two_decimals(a1.d[0]));
    ck_assert(two_decimals(a1.eta) && a1.eta > 0);
    for (size_t k = 0; k < 3; k++) {
        ref_step_run(&r, a1.x, a1.d, a1.eta, PLANT_NONE, 0);
        for (size_t j = 0; j < 3; j++)
            ck_assert(fabs(r.lay[0].v[j]) <= 3.0 && r.lay[0].fp[j] >= 0.045);
        ck_assert(fabs(r.e[0]) >= 0.02);
        ref_advance(&r);
    }
}
END_TEST

START_TEST(partial_attempt_scores_the_fraction)
{
    ex_def def = lecture_def(5, 1);
    ex_variant v = variant_of(&def, "ana");
    ref_step r;
    ref_from_variant(&v, &r);
    ref_step_run(&r, v.x, v.d, v.eta, PLANT_NONE, 0);
    char buf[512];
    snprintf(buf, sizeof buf, "{\"e\":[%.17g],\"layers\":[{\"delta\":[%.17g,null,%.17g]},"
             "{\"v\":[%.17g]}],\"reveal\":true}",
             r.e[0], r.lay[0].delta[0], r.lay[0].delta[2] * 1.5, r.lay[1].v[0] + 1);
    cJSON *body = cJSON_Parse(buf);
    ex_solution sol;
    ex_attempt *a = malloc(sizeof *a);
    ck_assert_int_eq(ex_solve(&v, &sol, NULL), EX_OK);
    ck_assert_int_eq(ex_attempt_parse(body, &v.spec, 1, a, NULL), EX_OK);
    ck_assert(a->reveal);
    ex_summary s;
    ex_grade(&sol, def.tolerance, a, &s);
    ck_assert_uint_eq(s.n_given, 4);
    ck_assert_uint_eq(s.n_correct, 2);
    ck_assert(s.score == 0.5);
    char path[96];
    ex_given_path(&a->given[2], &v.spec, path, sizeof path);
    ck_assert_str_eq(path, "layers[0].delta[2]");
    ck_assert(!a->given[2].correct);
    ck_assert(fabs(a->given[2].rel_error - 0.5) < 1e-9);
    ck_assert(fabs(a->given[2].expected - r.lay[0].delta[2]) < 1e-12);
    free(a);
    cJSON_Delete(body);
}
END_TEST

/* Refused attempts name the path. */
START_TEST(bad_attempts_name_the_path)
{
    static const struct {
        const char *body, *path;
        ex_err code;
    } cases[] = {
        {"[]", "", EX_ERR_INVALID},
        {"{}", "", EX_ERR_MISSING},
        {"{\"e\":[null]}", "", EX_ERR_MISSING},
        {"{\"x\":1}", "x", EX_ERR_UNKNOWN_FIELD},
        {"{\"layers\":[{\"delta\":[1,2]}]}", "layers[0].delta", EX_ERR_DIMENSIONS},
        {"{\"layers\":[{\"delta\":[1,\"2\",3]}]}", "layers[0].delta[1]", EX_ERR_INVALID},
        {"{\"layers\":[{},{\"dw\":[[1,2,3]]}]}", "", EX_OK},
        {"{\"layers\":[{},{\"dw\":[[1,2]]}]}", "layers[1].dw[0]", EX_ERR_DIMENSIONS},
        {"{\"layers\":[{},{\"dw\":[1,2,3]}]}", "layers[1].dw", EX_ERR_DIMENSIONS},
        {"{\"layers\":[{},{},{}]}", "layers", EX_ERR_DIMENSIONS},
        {"{\"layers\":[{\"grad_w\":[]}]}", "layers[0].grad_w", EX_ERR_UNKNOWN_FIELD},
        {"{\"layers\":[7]}", "layers[0]", EX_ERR_INVALID},
        {"{\"E\":true}", "E", EX_ERR_INVALID},
        {"{\"E\":1,\"steps\":[{\"e\":[1]}]}", "steps[0]", EX_ERR_INVALID},
        {"{\"E\":1,\"steps\":[null,{\"e\":[1]}]}", "", EX_OK},
        {"{\"steps\":[{},{},{},{}]}", "steps", EX_ERR_DIMENSIONS},
        {"{\"steps\":[{\"steps\":[]}]}", "steps[0].steps", EX_ERR_UNKNOWN_FIELD},
        {"{\"steps\":[{\"layers\":[{\"y\":[1,2,1e999]}]}]}", "steps[0].layers[0].y[2]", EX_ERR_INVALID},
        {"{\"reveal\":1,\"E\":1}", "reveal", EX_ERR_INVALID},
    };
    mlp_spec spec;
    ex_def def = lecture_def(1, 2);
    spec = def.spec;
    ex_attempt *a = malloc(sizeof *a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *body = cJSON_Parse(cases[i].body);
        ck_assert_ptr_nonnull(body);
        ex_error err;
        memset(&err, 0, sizeof err);
        ex_err e = ex_attempt_parse(body, &spec, 2, a, &err);
        ck_assert_msg(e == cases[i].code, "%s: code %d, want %d (%s)", cases[i].body, e,
                      cases[i].code, err.message);
        if (e != EX_OK) {
            ck_assert_msg(strcmp(err.path, cases[i].path) == 0, "%s: path %s", cases[i].body,
                          err.path);
            ck_assert(strlen(err.message) > 10);
        }
        cJSON_Delete(body);
    }
    free(a);
}
END_TEST

START_TEST(networks_checked)
{
    static const struct {
        const char *json, *path;
        ex_err code;
    } cases[] = {
        {"\"lecture-2-3-1\"", "", EX_OK},
        {"\"lecture-2-2-1\"", "network", EX_ERR_INVALID},
        {"3", "network", EX_ERR_INVALID},
        {"{\"inputs\":2,\"layers\":[{\"units\":2,\"activation\":\"softmax\"}]}",
         "network.layers[0].activation", EX_ERR_INVALID},
        {"{\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}],\"loss\":\"cross_entropy\"}",
         "network.loss", EX_ERR_INVALID},
        {"{\"inputs\":9,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}", "network.inputs",
         EX_ERR_LIMIT},
        {"{\"inputs\":2,\"layers\":[{\"units\":9,\"activation\":\"linear\"}]}",
         "network.layers[0].units", EX_ERR_LIMIT},
        {"{\"inputs\":2,\"layers\":[{\"units\":1.5,\"activation\":\"linear\"}]}",
         "network.layers[0].units", EX_ERR_LIMIT},
        {"{\"inputs\":2,\"layers\":[]}", "network.layers", EX_ERR_LIMIT},
        {"{\"inputs\":2}", "network.layers", EX_ERR_MISSING},
        {"{\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\",\"bias\":0}]}",
         "network.layers[0].bias", EX_ERR_UNKNOWN_FIELD},
        {"{\"inputs\":2,\"hidden\":3,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}",
         "network.hidden", EX_ERR_UNKNOWN_FIELD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *net = cJSON_Parse(cases[i].json);
        ex_def def;
        ex_error err;
        memset(&err, 0, sizeof err);
        ex_err e = ex_network_parse(net, "network", &def, &err);
        ck_assert_msg(e == cases[i].code, "%s: %d (%s)", cases[i].json, e, err.message);
        if (e != EX_OK)
            ck_assert_msg(strcmp(err.path, cases[i].path) == 0, "%s: %s", cases[i].json, err.path);
        cJSON_Delete(net);
    }
}
END_TEST

START_TEST(network_json_reads_back)
{
    ex_def a = def_from("{\"inputs\":3,\"layers\":[{\"units\":2,\"activation\":\"tansig\"},"
                        "{\"units\":1,\"activation\":\"logsig\"}]}", 1);
    cJSON *j = ex_network_json(&a);
    ex_def b;
    ck_assert_int_eq(ex_network_parse(j, "network", &b, NULL), EX_OK);
    ck_assert(memcmp(&a.spec, &b.spec, sizeof a.spec) == 0);
    char *text = cJSON_PrintUnformatted(j);
    ck_assert_ptr_nonnull(strstr(text, "\"tanh\""));
    free(text);
    cJSON_Delete(j);
    ex_def l = lecture_def(1, 1);
    j = ex_network_json(&l);
    ck_assert(cJSON_IsString(j) && strcmp(j->valuestring, EX_LECTURE) == 0);
    cJSON_Delete(j);
}
END_TEST

/* A network whose every draw saturates is refused at creation. */
START_TEST(unsaturable_network_is_refused)
{
    ex_def def = def_from("{\"inputs\":8,\"layers\":[{\"units\":8,\"activation\":\"relu\"},"
                          "{\"units\":8,\"activation\":\"relu\"},{\"units\":8,\"activation\":\"relu\"},"
                          "{\"units\":8,\"activation\":\"relu\"}]}", 1);
    ex_error err;
    ck_assert_int_eq(ex_def_check(&def, &err), EX_ERR_NO_VARIANT);
    ck_assert_str_eq(err.path, "network");
    ck_assert_ptr_nonnull(strstr(err.message, "unsaturated"));
    ex_def ok = lecture_def(3, 3);
    ck_assert_int_eq(ex_def_check(&ok, &err), EX_OK);
    ok.steps = 4;
    ck_assert_int_eq(ex_def_check(&ok, &err), EX_ERR_INVALID);
    ck_assert_str_eq(err.path, "steps");
    ok.steps = 1;
    ok.tolerance = 0.01;
    ck_assert_int_eq(ex_def_check(&ok, &err), EX_OK);
    ok.tolerance = 0.02;
    ck_assert_int_eq(ex_def_check(&ok, &err), EX_ERR_INVALID);
    ck_assert_str_eq(err.path, "tolerance");
}
END_TEST

/* The slipped recomputation without a slip is core's trace. */
START_TEST(slipped_step_without_slip_is_the_trace)
{
    ex_def def = def_from("{\"inputs\":3,\"layers\":[{\"units\":4,\"activation\":\"tanh\"},"
                          "{\"units\":3,\"activation\":\"sigmoid\"},{\"units\":2,\"activation\":\"linear\"}]}", 2);
    ex_variant v = variant_of(&def, "ana");
    ex_solution sol;
    ck_assert_int_eq(ex_solve(&v, &sol, NULL), EX_OK);
    ex_step same;
    ex_step_slipped(&sol.step[1], sol.d, sol.eta, EX_SLIP_BIAS_WITHOUT_ETA, 0u, &same);
    for (size_t l = 0; l < 3; l++)
        for (size_t k = 0; k < sol.step[1].layers[l].units * sol.step[1].layers[l].fan_in; k++)
            ck_assert(fabs(same.layers[l].w_after[k] - sol.step[1].layers[l].w_after[k]) <= 1e-15);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exercise");
    TCase *tc = tcase_create("grading");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, correct_attempt_scores_one);
    tcase_add_test(tc, correct_attempt_on_other_networks);
    tcase_add_test(tc, each_planted_slip_is_named);
    tcase_add_test(tc, slip_in_one_layer_is_named);
    tcase_add_test(tc, slip_messages_point_at_the_rule);
    tcase_add_test(tc, partial_attempt_scores_the_fraction);
    tcase_add_test(tc, slipped_step_without_slip_is_the_trace);
    suite_add_tcase(s, tc);
    tc = tcase_create("variants");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, variants_differ_between_users_and_repeat);
    tcase_add_test(tc, networks_checked);
    tcase_add_test(tc, network_json_reads_back);
    tcase_add_test(tc, unsaturable_network_is_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("parsing");
    tcase_add_test(tc, bad_attempts_name_the_path);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

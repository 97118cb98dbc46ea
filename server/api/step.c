/*
 * step.c - one explained online update (the lecture's rule) with
 * every quantity of mlp_step's trace.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/prep.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"

#define LR_MAX 1e6

typedef struct step_req {
    double *x, *d; /* one malloc'ed block */
    double learning_rate;
    int apply, check;
} step_req;

static int step_body_or_reply(api_response *resp, const cJSON *body, const mlp_t *net,
                              step_req *s)
{
    static const char *const fields[] = {"x", "y", "learning_rate", "apply", "check", NULL};
    size_t n_in = mlp_inputs(net), n_out = mlp_outputs(net);
    s->learning_rate = 0.1;
    s->apply = 1;
    s->check = 0;
    if (json_object_or_reply(resp, body, "", fields) != 0 ||
        json_number_or_reply(resp, body, "learning_rate", "", 0, &s->learning_rate) != 0 ||
        json_bool_or_reply(resp, body, "apply", "", 0, &s->apply) != 0 ||
        json_bool_or_reply(resp, body, "check", "", 0, &s->check) != 0)
        return -1;
    if (!(s->learning_rate > 0) || s->learning_rate > LR_MAX) {
        reply_error(resp, API_ERR_INVALID_FIELD, "learning_rate",
                    "learning_rate must be a number in (0, 1e6].");
        return -1;
    }
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(body, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(body, "y");
    if (!x || !y) {
        reply_error(resp, API_ERR_MISSING_FIELD, x ? "y" : "x", "The field %s is required.",
                    x ? "y" : "x");
        return -1;
    }
    if (!(s->x = malloc((n_in + n_out) * sizeof *s->x))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    s->d = s->x + n_in;
    if (json_vector_or_reply(resp, x, "x", n_in, s->x) != 0 ||
        json_vector_or_reply(resp, y, "y", n_out, s->d) != 0)
        return -1;
    return 0;
}

static void put_vec(sbuf *b, const char *key, const double *v, size_t n)
{
    sbuf_printf(b, ",\"%s\":", key);
    sbuf_json_array(b, v, n);
}

static void put_mat(sbuf *b, const char *key, const double *v, size_t rows, size_t cols)
{
    sbuf_printf(b, ",\"%s\":", key);
    sbuf_json_matrix(b, v, rows, cols);
}

static void write_layer(sbuf *b, const mlp_trace_layer *L, int checked)
{
    size_t u = L->units, f = L->fan_in;
    sbuf_puts(b, "{\"activation\":");
    const char *act = mlp_activation_name(L->activation);
    sbuf_json_string(b, act ? act : "unknown");
    put_vec(b, "input", L->input, f);
    put_vec(b, "v", L->v, u);
    put_vec(b, "y", L->y, u);
    put_vec(b, "fprime", L->fprime, u);
    put_vec(b, "delta", L->delta, u);
    put_mat(b, "weights_before", L->w_before, u, f);
    put_vec(b, "biases_before", L->b_before, u);
    put_mat(b, "dw", L->dw, u, f);
    put_vec(b, "db", L->db, u);
    put_mat(b, "grad_w", L->grad_w, u, f);
    put_vec(b, "grad_b", L->grad_b, u);
    if (checked && L->num_grad_w && L->num_grad_b) {
        put_mat(b, "num_grad_w", L->num_grad_w, u, f);
        put_vec(b, "num_grad_b", L->num_grad_b, u);
    }
    put_mat(b, "weights_after", L->w_after, u, f);
    put_vec(b, "biases_after", L->b_after, u);
    sbuf_putc(b, '}');
}

/* A model with scalers steps on scaled values: x and y (raw, as given)
 * become x_scaled and y_scaled in place; raw keeps x, y and gets the
 * output in raw units after the step (3 vectors: n_in, n_out, n_out). */
typedef struct step_units {
    double *raw; /* NULL: the model has no scalers, nothing to show */
    size_t n_in, n_out;
} step_units;

static int scale_step_or_reply(api_response *resp, const model_prep *prep, step_req *s,
                               step_units *u)
{
    if (prep_is_identity(prep))
        return 0;
    if (!(u->raw = malloc((u->n_in + 2 * u->n_out) * sizeof *u->raw))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    memcpy(u->raw, s->x, (u->n_in + u->n_out) * sizeof *u->raw);
    if (prep_inputs(prep, 1, s->x, s->x) != MLP_OK || prep_targets(prep, 1, s->d, s->d) != MLP_OK) {
        reply_error(resp, API_ERR_INVALID_FIELD, "x", "The scaled values overflow.");
        return -1;
    }
    return 0;
}

/* "units": raw and scaled side by side (after the trace's own fields). */
static void write_units(sbuf *b, const step_units *u, const mlp_trace *t, const step_req *s,
                        const model_prep *prep)
{
    const mlp_trace_layer *out = &t->layers[t->n_layers - 1];
    double *y_raw = u->raw + u->n_in + u->n_out;
    memcpy(y_raw, out->y, u->n_out * sizeof *y_raw);
    prep_targets_inverse(prep, 1, y_raw, y_raw);
    sbuf_puts(b, ",\"units\":{\"x\":");
    sbuf_json_array(b, u->raw, u->n_in);
    put_vec(b, "x_scaled", s->x, u->n_in);
    put_vec(b, "y", u->raw + u->n_in, u->n_out);
    put_vec(b, "y_scaled", s->d, u->n_out);
    put_vec(b, "output", y_raw, u->n_out);
    put_vec(b, "output_scaled", out->y, u->n_out);
    sbuf_putc(b, '}');
}

static void write_trace(sbuf *b, const mlp_trace *t, int64_t version)
{
    sbuf_puts(b, "{\"version\":");
    sbuf_json_int(b, version);
    sbuf_printf(b, ",\"applied\":%s,\"learning_rate\":", t->applied ? "true" : "false");
    sbuf_json_number(b, t->learning_rate);
    sbuf_puts(b, ",\"E_before\":");
    sbuf_json_number(b, t->E_before);
    sbuf_puts(b, ",\"E_after\":");
    sbuf_json_number(b, t->E_after);
    put_vec(b, "e", t->e, t->outputs);
    if (t->checked) {
        sbuf_puts(b, ",\"max_rel_error\":");
        sbuf_json_number(b, t->max_rel_error);
    }
    sbuf_puts(b, ",\"layers\":[");
    for (size_t l = 0; l < t->n_layers; l++) {
        if (l)
            sbuf_putc(b, ',');
        write_layer(b, &t->layers[l], t->checked);
    }
    sbuf_putc(b, ']');
}

void h_step(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    cJSON *body = NULL;
    snapshot *snap = NULL;
    mlp_t *net = NULL;
    step_req s = {NULL, NULL, 0, 0, 0};
    step_units units = {NULL, 0, 0};
    mlp_trace trace;
    int traced = 0;
    pthread_mutex_t *lock = model_lock(a, p->id);
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0)
        goto out;
    pthread_mutex_lock(lock); /* the step must start from the latest version */
    if (!(snap = model_net_or_reply(a, resp, p->id, 0)) ||
        step_body_or_reply(resp, body, snapshot_net(snap), &s) != 0)
        goto unlock;
    units.n_in = mlp_inputs(snapshot_net(snap));
    units.n_out = mlp_outputs(snapshot_net(snap));
    if (scale_step_or_reply(resp, snapshot_prep(snap), &s, &units) != 0)
        goto unlock;
    if (mlp_clone(snapshot_net(snap), &net) != MLP_OK) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto unlock;
    }
    unsigned flags = (s.apply ? MLP_STEP_APPLY : 0u) | (s.check ? MLP_STEP_CHECK : 0u);
    mlp_status ms = mlp_step(net, s.x, s.d, s.learning_rate, flags, NULL, &trace);
    if (ms != MLP_OK) {
        if (ms == MLP_ERR_NONFINITE)
            reply_error(resp, API_ERR_INVALID_FIELD, NULL,
                        "The step produced a non-finite value; try a smaller learning_rate.");
        else
            reply_error(resp, API_ERR_INTERNAL, NULL, "The step failed (%s).",
                        mlp_status_name(ms));
        goto unlock;
    }
    traced = 1;
    int64_t version = snapshot_version(snap);
    /* No loss for the version: one sample's E is not the data set's loss. */
    if (s.apply &&
        model_store_or_reply(a, resp, p->id, net, snapshot_prep(snap), SOURCE_STEP, NAN,
                             &version) != 0)
        goto unlock;
    sbuf b;
    sbuf_init(&b);
    write_trace(&b, &trace, version);
    if (units.raw)
        write_units(&b, &units, &trace, &s, snapshot_prep(snap));
    sbuf_putc(&b, '}');
    reply_sbuf(resp, 200, &b);
unlock:
    pthread_mutex_unlock(lock);
out:
    if (traced)
        mlp_trace_free(&trace);
    free(s.x);
    free(units.raw);
    mlp_free(net);
    snapshot_release(snap);
    cJSON_Delete(body);
}

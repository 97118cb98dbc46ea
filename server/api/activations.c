/*
 * activations.c - every layer's outputs for many rows, for the lab's
 * pictures (each hidden unit's output over the input plane):
 *
 *   POST /v1/models/{id}/activations
 *     {"inputs": [[..], ...]}                      rows given, or
 *     {"grid": {"x_range": [lo, hi], "y_range": [lo, hi], "n": 40}}
 *   -> {"version", "rows", "grid"?, "layers": [{"units", "activation",
 *       "outputs": [[..] per row]}]}
 *
 * A grid (2-input models only) is n x n points, row by row from the top
 * (x2 high) to the bottom, x1 from left to right, each at the centre of
 * its cell: row k = j n + i is (lo1 + (i + 0.5) w1 / n, hi2 - (j + 0.5)
 * w2 / n). Rows are in raw units: the version's input scaler runs before
 * the first layer, and the last layer's outputs are predict's (the
 * targets' scaler inverted; computed in double: for a float32 model
 * within its float rounding). Same access as predict.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"
#include "domain/prep.h"

#define GRID_N_MAX 64
/* rows x units printed at most (about 25 bytes each). */
#define VALUES_MAX (1 << 18)
#define RANGE_MAX 1e9

typedef struct act_rows {
    double *x;   /* rows x inputs, malloc'ed */
    size_t rows;
    int grid;    /* 1: x is the grid below */
    double xr[2], yr[2];
    int64_t n;
} act_rows;

/* [lo, hi] with lo < hi, both finite and within RANGE_MAX. */
static int range_or_reply(api_response *resp, const cJSON *grid, const char *key, double out[2])
{
    char path[32];
    snprintf(path, sizeof path, "grid.%s", key);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(grid, key);
    if (!r) {
        reply_error(resp, API_ERR_MISSING_FIELD, path, "The field %s is required.", path);
        return -1;
    }
    if (json_vector_or_reply(resp, r, path, 2, out) != 0)
        return -1;
    if (!(out[0] < out[1]) || fabs(out[0]) > RANGE_MAX || fabs(out[1]) > RANGE_MAX) {
        reply_error(resp, API_ERR_INVALID_FIELD, path,
                    "%s must be [low, high] with low < high, each within +-1e9.", path);
        return -1;
    }
    return 0;
}

static int grid_or_reply(api_response *resp, const cJSON *grid, size_t n_in, act_rows *a)
{
    static const char *const fields[] = {"x_range", "y_range", "n", NULL};
    if (!cJSON_IsObject(grid)) {
        reply_error(resp, API_ERR_INVALID_FIELD, "grid",
                    "grid must be an object {\"x_range\", \"y_range\", \"n\"}.");
        return -1;
    }
    if (n_in != 2) {
        reply_error(resp, API_ERR_INVALID_FIELD, "grid",
                    "A grid covers the input plane: the model needs 2 inputs (it has %zu).",
                    n_in);
        return -1;
    }
    a->n = 40;
    if (json_object_or_reply(resp, grid, "grid", fields) != 0 ||
        range_or_reply(resp, grid, "x_range", a->xr) != 0 ||
        range_or_reply(resp, grid, "y_range", a->yr) != 0 ||
        json_int_or_reply(resp, grid, "n", "grid", 0, 2, GRID_N_MAX, &a->n) != 0)
        return -1;
    size_t n = (size_t)a->n;
    a->rows = n * n;
    a->grid = 1;
    if (!(a->x = malloc(a->rows * 2 * sizeof *a->x))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        return -1;
    }
    double w1 = a->xr[1] - a->xr[0], w2 = a->yr[1] - a->yr[0];
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < n; i++) {
            double *p = a->x + 2 * (j * n + i);
            p[0] = a->xr[0] + ((double)i + 0.5) * w1 / (double)n;
            p[1] = a->yr[1] - ((double)j + 0.5) * w2 / (double)n;
        }
    }
    return 0;
}

/* The body into a->x (rows given or a grid); -1 after replying. */
static int rows_or_reply(app *ap, const api_request *req, api_response *resp, size_t n_in,
                         act_rows *a)
{
    static const char *const fields[] = {"inputs", "grid", NULL};
    cJSON *body = NULL;
    int rc = -1;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        json_object_or_reply(resp, body, "", fields) != 0)
        goto out;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    const cJSON *grid = cJSON_GetObjectItemCaseSensitive(body, "grid");
    if (!inputs == !grid) {
        reply_error(resp, inputs ? API_ERR_INVALID_FIELD : API_ERR_MISSING_FIELD, "inputs",
                    "Give inputs (rows) or grid (the input plane), one of the two.");
        goto out;
    }
    if (grid) {
        rc = grid_or_reply(resp, grid, n_in, a);
        goto out;
    }
    if (json_rows_or_reply(resp, inputs, "inputs", (size_t)ap->cfg->max_batch, &a->rows) != 0)
        goto out;
    if (!(a->x = malloc(a->rows * n_in * sizeof *a->x + 1))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    rc = json_matrix_or_reply(resp, inputs, "inputs", a->rows, n_in, a->x);
out:
    cJSON_Delete(body);
    return rc;
}

static void write_reply(api_response *resp, const mlp_t *net, const act_rows *a,
                        const double *all, size_t total, int64_t version)
{
    const mlp_spec *spec = mlp_get_spec(net);
    sbuf b;
    sbuf_init(&b);
    sbuf_reserve(&b, 256 + a->rows * total * 24);
    sbuf_puts(&b, "{\"version\":");
    sbuf_json_int(&b, version);
    sbuf_puts(&b, ",\"rows\":");
    sbuf_json_int(&b, (long long)a->rows);
    if (a->grid) {
        sbuf_puts(&b, ",\"grid\":{\"x_range\":");
        sbuf_json_array(&b, a->xr, 2);
        sbuf_puts(&b, ",\"y_range\":");
        sbuf_json_array(&b, a->yr, 2);
        sbuf_puts(&b, ",\"n\":");
        sbuf_json_int(&b, a->n);
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, ",\"layers\":[");
    size_t off = 0;
    for (size_t l = 0; l < spec->n_layers; l++) {
        size_t units = spec->layers[l].units;
        sbuf_puts(&b, l ? ",{\"units\":" : "{\"units\":");
        sbuf_json_int(&b, (long long)units);
        sbuf_puts(&b, ",\"activation\":");
        sbuf_json_string(&b, mlp_activation_name(spec->layers[l].activation));
        sbuf_puts(&b, ",\"outputs\":[");
        for (size_t r = 0; r < a->rows; r++) {
            if (r)
                sbuf_putc(&b, ',');
            sbuf_json_array(&b, all + r * total + off, units);
        }
        sbuf_puts(&b, "]}");
        off += units;
    }
    sbuf_puts(&b, "]}");
    reply_sbuf(resp, 200, &b);
}

void h_activations(app *ap, const api_request *req, const route_params *p,
                   api_response *resp)
{
    int64_t version;
    if (query_version_or_reply(req, resp, &version) != 0)
        return;
    snapshot *snap = model_net_or_reply(ap, resp, p->id, version);
    if (!snap)
        return;
    const mlp_t *net = snapshot_net(snap);
    size_t total = mlp_units_total(net);
    act_rows a;
    memset(&a, 0, sizeof a);
    double *all = NULL;
    if (rows_or_reply(ap, req, resp, mlp_inputs(net), &a) != 0)
        goto out;
    if (a.rows * total > VALUES_MAX) {
        reply_error(resp, API_ERR_LIMIT_EXCEEDED_SIZE, a.grid ? "grid.n" : "inputs",
                    "%zu rows x %zu units is more than %d values: ask for fewer rows.",
                    a.rows, total, VALUES_MAX);
        goto out;
    }
    if (!(all = malloc(a.rows * total * sizeof *all + 1))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    size_t n_in = mlp_inputs(net), n_out = mlp_outputs(net);
    /* raw units in and out, as predict: the version's input scaler
     * before the first layer, the targets' inverse after the last */
    const model_prep *prep = snapshot_prep(snap);
    int scale_in = prep && !mlp_scaler_is_identity(&prep->inputs);
    int scale_out = prep && !mlp_scaler_is_identity(&prep->targets);
    if (scale_in && prep_inputs(prep, a.rows, a.x, a.x) != MLP_OK) {
        reply_error(resp, API_ERR_INVALID_FIELD, a.grid ? "grid" : "inputs",
                    "These inputs overflow the model's input scaling.");
        goto out;
    }
    for (size_t r = 0; r < a.rows; r++) {
        double *last = all + r * total + total - n_out;
        if (mlp_forward_all(net, a.x + r * n_in, all + r * total) != MLP_OK ||
            (scale_out && prep_targets_inverse(prep, 1, last, last) != MLP_OK)) {
            reply_error(resp, API_ERR_INVALID_FIELD, a.grid ? "grid" : "inputs",
                        "Row %zu makes a unit's output overflow to a non-finite value.", r);
            goto out;
        }
    }
    write_reply(resp, net, &a, all, total, snapshot_version(snap));
out:
    free(all);
    free(a.x);
    snapshot_release(snap);
}

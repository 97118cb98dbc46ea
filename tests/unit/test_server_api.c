/*
 * test_server_api.c - api_handle end to end on a temporary database,
 * without a socket: create the lecture's 2-3-1 network, PUT hand-set
 * weights, check that a step reproduces the lecture's formulas computed
 * here by hand, predict, samples, train; then a table of bad requests,
 * each with its exact status and code, after which nothing has changed.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "app.h"
#include "util/config.h"
#include "storage/storage.h"

static char dir[64];
static char db[128];
static storage *st;
static mlpd_config cfg;
static app A;

static void setup(void)
{
    strcpy(dir, "/tmp/mlpd-api-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/t.db", dir);
    char err[256];
    ck_assert_int_eq(storage_open(db, &st, err, sizeof err), ST_OK);
    config_defaults(&cfg);
    cfg.max_batch = 4;
    cfg.max_epochs = 500;
    ck_assert_int_eq(app_init(&A, &cfg, st), 0);
}

static void teardown(void)
{
    app_free(&A);
    storage_close(st);
    char path[160];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

typedef struct result {
    int status;
    cJSON *json;      /* parsed body, NULL if not JSON */
    char location[128];
    char allow[128];
    char content_type[64];
} result;

/* Call api_handle; path may carry "?a=1&b=2" (split here, no decoding). */
static result call(const char *method, const char *path_q, const char *ctype, const char *body)
{
    char path[256], qbuf[256] = "";
    snprintf(path, sizeof path, "%s", path_q);
    char *q = strchr(path, '?');
    api_kv query[8];
    size_t nq = 0;
    if (q) {
        *q = '\0';
        snprintf(qbuf, sizeof qbuf, "%s", q + 1);
        for (char *save = NULL, *kv = strtok_r(qbuf, "&", &save); kv && nq < 8;
             kv = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(kv, '=');
            if (eq)
                *eq = '\0';
            query[nq++] = (api_kv){kv, eq ? eq + 1 : NULL};
        }
    }
    api_kv headers[1] = {{"content-type", ctype}};
    api_request req = {method, path, query, nq, headers, ctype ? 1 : 0,
                       body, body ? strlen(body) : 0, NULL, NULL};
    api_response resp;
    api_response_init(&resp);
    api_handle(&A, &req, &resp);
    result r;
    memset(&r, 0, sizeof r);
    r.status = resp.status;
    snprintf(r.content_type, sizeof r.content_type, "%s", resp.content_type);
    for (size_t i = 0; i < resp.n_headers; i++) {
        if (strcmp(resp.headers[i].name, "Location") == 0)
            snprintf(r.location, sizeof r.location, "%s", resp.headers[i].value);
        if (strcmp(resp.headers[i].name, "Allow") == 0)
            snprintf(r.allow, sizeof r.allow, "%s", resp.headers[i].value);
    }
    if (resp.body.data)
        r.json = cJSON_ParseWithLength(resp.body.data, resp.body.len);
    api_response_free(&resp);
    return r;
}

static void done(result *r)
{
    cJSON_Delete(r->json);
    r->json = NULL;
}

#define JSON "application/json"

/* Walk "a.b[2].c" style paths. */
static const cJSON *at(const cJSON *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = root;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        if (br)
            *br = '\0';
        if (*tok)
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        while (br && cur) {
            int idx = atoi(br + 1);
            cur = cJSON_GetArrayItem(cur, idx);
            br = strchr(br + 1, '[');
        }
    }
    return cur;
}

static double num(const cJSON *root, const char *path)
{
    const cJSON *n = at(root, path);
    ck_assert_msg(cJSON_IsNumber(n), "%s is not a number", path);
    return n->valuedouble;
}

static const char *str(const cJSON *root, const char *path)
{
    const cJSON *s = at(root, path);
    ck_assert_msg(cJSON_IsString(s), "%s is not a string", path);
    return s->valuestring;
}

static void expect_close(double got, double want, const char *what)
{
    double tol = 1e-12 * fmax(1.0, fabs(want));
    ck_assert_msg(fabs(got - want) <= tol, "%s: got %.17g want %.17g", what, got, want);
}

static const char *lecture_model =
    "{\"name\":\"lecture\",\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":\"logsig\"},"
    "{\"units\":1,\"activation\":\"purelin\"}],\"init\":{\"method\":\"xavier\",\"seed\":42}}";

/* Hand-set weights: W1 (3x2), b1, W2 (1x3), b2. */
static const double W1[3][2] = {{0.1, -0.2}, {0.4, 0.3}, {-0.5, 0.6}};
static const double B1[3] = {0.1, -0.1, 0.2};
static const double W2[3] = {0.7, -0.8, 0.9};
static const double B2 = 0.05;

static const char *lecture_weights =
    "{\"layers\":[{\"weights\":[[0.1,-0.2],[0.4,0.3],[-0.5,0.6]],\"biases\":[0.1,-0.1,0.2]},"
    "{\"weights\":[[0.7,-0.8,0.9]],\"biases\":[0.05]}]}";

static void create_lecture(char id[17])
{
    result r = call("POST", "/v1/models", JSON, lecture_model);
    ck_assert_int_eq(r.status, 201);
    snprintf(id, 17, "%s", str(r.json, "id"));
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/models/%s", id);
    ck_assert_str_eq(r.location, loc);
    ck_assert_str_eq(str(r.json, "layers[0].activation"), "sigmoid");
    ck_assert_str_eq(str(r.json, "layers[1].activation"), "linear");
    ck_assert_str_eq(str(r.json, "loss"), "mse");
    ck_assert_str_eq(str(r.json, "conventions.bias"), "+b");
    ck_assert_str_eq(str(r.json, "init.method"), "xavier_uniform");
    ck_assert(num(r.json, "init.seed") == 42);
    ck_assert(num(r.json, "params") == 13);
    ck_assert(num(r.json, "outputs") == 1);
    ck_assert(num(r.json, "version") == 1);
    ck_assert(num(r.json, "samples") == 0);
    ck_assert(cJSON_IsNull(at(r.json, "last_loss")));
    done(&r);
}

static void path_of(char *out, size_t n, const char *id, const char *suffix)
{
    snprintf(out, n, "/v1/models/%s%s", id, suffix);
}

START_TEST(lecture_step_predict_and_weights)
{
    char id[17], p[128];
    create_lecture(id);
    path_of(p, sizeof p, id, "/weights");
    result r = call("PUT", p, JSON, lecture_weights);
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "version") == 2);
    done(&r);
    r = call("GET", p, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "version") == 2);
    ck_assert(num(r.json, "layers[0].weights[2][1]") == 0.6);
    ck_assert(num(r.json, "layers[1].biases[0]") == 0.05);
    done(&r);

    /* The lecture by hand: x = (1, 2), d = 1, eta = 0.5. */
    const double x[2] = {1, 2}, d = 1, eta = 0.5;
    double v[3], yh[3], fp[3], v4 = B2;
    for (int k = 0; k < 3; k++) {
        v[k] = W1[k][0] * x[0] + W1[k][1] * x[1] + B1[k];
        yh[k] = 1 / (1 + exp(-v[k]));
        fp[k] = yh[k] * (1 - yh[k]);
        v4 += W2[k] * yh[k];
    }
    double e = d - v4, E = 0.5 * e * e, delta4 = e;
    path_of(p, sizeof p, id, "/step");
    r = call("POST", p, JSON, "{\"x\":[1,2],\"y\":[1],\"learning_rate\":0.5}");
    ck_assert_int_eq(r.status, 200);
    ck_assert(cJSON_IsTrue(at(r.json, "applied")));
    ck_assert(num(r.json, "version") == 3);
    expect_close(num(r.json, "E_before"), E, "E_before");
    expect_close(num(r.json, "e[0]"), e, "e");
    expect_close(num(r.json, "layers[1].v[0]"), v4, "v4");
    expect_close(num(r.json, "layers[1].delta[0]"), delta4, "delta4");
    double w2_after[3], w1_after[3][2], b1_after[3];
    for (int k = 0; k < 3; k++) {
        char q[64];
        snprintf(q, sizeof q, "layers[0].v[%d]", k);
        expect_close(num(r.json, q), v[k], q);
        snprintf(q, sizeof q, "layers[0].y[%d]", k);
        expect_close(num(r.json, q), yh[k], q);
        snprintf(q, sizeof q, "layers[0].fprime[%d]", k);
        expect_close(num(r.json, q), fp[k], q);
        /* hidden delta uses the output weight of step n (before its update) */
        double dk = fp[k] * W2[k] * delta4;
        snprintf(q, sizeof q, "layers[0].delta[%d]", k);
        expect_close(num(r.json, q), dk, q);
        snprintf(q, sizeof q, "layers[1].dw[0][%d]", k);
        expect_close(num(r.json, q), eta * delta4 * yh[k], q);
        w2_after[k] = W2[k] + eta * delta4 * yh[k];
        snprintf(q, sizeof q, "layers[1].weights_after[0][%d]", k);
        expect_close(num(r.json, q), w2_after[k], q);
        for (int i = 0; i < 2; i++) {
            w1_after[k][i] = W1[k][i] + eta * dk * x[i];
            snprintf(q, sizeof q, "layers[0].weights_after[%d][%d]", k, i);
            expect_close(num(r.json, q), w1_after[k][i], q);
            snprintf(q, sizeof q, "layers[0].weights_before[%d][%d]", k, i);
            ck_assert(num(r.json, q) == W1[k][i]);
        }
        b1_after[k] = B1[k] + eta * dk;
        snprintf(q, sizeof q, "layers[0].biases_after[%d]", k);
        expect_close(num(r.json, q), b1_after[k], q);
    }
    double b2_after = B2 + eta * delta4;
    expect_close(num(r.json, "layers[1].biases_after[0]"), b2_after, "b2 after");
    done(&r);

    /* Predict serves the stepped weights; compute the forward by hand. */
    double out = b2_after;
    for (int k = 0; k < 3; k++)
        out += w2_after[k] / (1 + exp(-(w1_after[k][0] * 1 + w1_after[k][1] * 2 + b1_after[k])));
    path_of(p, sizeof p, id, "/predict");
    r = call("POST", p, JSON, "{\"inputs\":[[1,2],[0,0]]}");
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "version") == 3);
    expect_close(num(r.json, "outputs[0][0]"), out, "predict");
    ck_assert_int_eq(cJSON_GetArraySize(at(r.json, "outputs")), 2);
    done(&r);
    path_of(p, sizeof p, id, ":predict");
    r = call("POST", p, JSON, "{\"instances\":[[1,2]]}");
    ck_assert_int_eq(r.status, 200);
    expect_close(num(r.json, "predictions[0][0]"), out, "v1 predict");
    done(&r);
    /* An old version is still readable. */
    path_of(p, sizeof p, id, "/predict?version=2");
    r = call("POST", p, JSON, "{\"inputs\":[[1,2]]}");
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "version") == 2);
    expect_close(num(r.json, "outputs[0][0]"), v4, "predict v2");
    done(&r);

    /* A step with apply=false and check=true changes nothing. */
    path_of(p, sizeof p, id, "/step");
    r = call("POST", p, JSON, "{\"x\":[1,2],\"y\":[1],\"apply\":false,\"check\":true}");
    ck_assert_int_eq(r.status, 200);
    ck_assert(cJSON_IsFalse(at(r.json, "applied")));
    ck_assert(num(r.json, "version") == 3);
    ck_assert(num(r.json, "max_rel_error") < 1e-6);
    ck_assert(cJSON_IsArray(at(r.json, "layers[0].num_grad_w")));
    done(&r);
    path_of(p, sizeof p, id, "");
    r = call("GET", p, NULL, NULL);
    ck_assert(num(r.json, "version") == 3);
    done(&r);
}
END_TEST

START_TEST(samples_train_history_versions)
{
    char id[17], p[128];
    create_lecture(id);
    path_of(p, sizeof p, id, "/samples");
    result r = call("POST", p, JSON, "{\"samples\":[{\"x\":[0,0],\"y\":[0]},{\"x\":[0,1],\"y\":[1]}]}");
    ck_assert_int_eq(r.status, 201);
    ck_assert(num(r.json, "added") == 2 && num(r.json, "total") == 2);
    done(&r);
    r = call("POST", p, JSON, "{\"inputs\":[[1,0]],\"targets\":[[1]]}");
    ck_assert_int_eq(r.status, 201);
    ck_assert(num(r.json, "total") == 3);
    done(&r);
    r = call("POST", p, "text/csv; charset=utf-8", "x1,x2,d\r\n1,1,0\r\n\r\n");
    ck_assert_int_eq(r.status, 201);
    ck_assert(num(r.json, "added") == 1 && num(r.json, "total") == 4);
    done(&r);
    path_of(p, sizeof p, id, "/samples?offset=1&limit=2");
    r = call("GET", p, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "total") == 4 && num(r.json, "offset") == 1 && num(r.json, "limit") == 2);
    ck_assert_int_eq(cJSON_GetArraySize(at(r.json, "samples")), 2);
    ck_assert(num(r.json, "samples[0].x[1]") == 1 && num(r.json, "samples[1].x[0]") == 1);
    done(&r);

    path_of(p, sizeof p, id, "/train?wait=true");
    r = call("POST", p, JSON, "{\"epochs\":50,\"learning_rate\":0.5,\"seed\":3}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.json, "status"), "succeeded");
    ck_assert_str_eq(str(r.json, "stop_reason"), "epochs");
    ck_assert(num(r.json, "epoch") == 50);
    ck_assert(num(r.json, "version") == 2);
    ck_assert(num(r.json, "params.epochs") == 50);
    double loss = num(r.json, "loss");
    char job[17];
    snprintf(job, sizeof job, "%s", str(r.json, "id"));
    done(&r);

    char jp[64];
    snprintf(jp, sizeof jp, "/v1/jobs/%s", job);
    r = call("GET", jp, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.json, "model_id"), id);
    ck_assert_str_eq(str(r.json, "status"), "succeeded");
    ck_assert_str_eq(str(r.json, "stop_reason"), "epochs");
    ck_assert(num(r.json, "loss") == loss);
    done(&r);
    r = call("DELETE", jp, NULL, NULL);
    ck_assert_int_eq(r.status, 409);
    done(&r);
    path_of(p, sizeof p, id, "/history");
    r = call("GET", p, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(cJSON_GetArraySize(at(r.json, "history")), 50);
    ck_assert(num(r.json, "history[49].epoch") == 50);
    ck_assert(num(r.json, "history[49].loss") == loss);
    done(&r);
    path_of(p, sizeof p, id, "/versions");
    r = call("GET", p, NULL, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(at(r.json, "versions")), 2);
    ck_assert_str_eq(str(r.json, "versions[1].source"), "train");
    done(&r);
    path_of(p, sizeof p, id, "/versions/1/restore");
    r = call("POST", p, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "version") == 3);
    done(&r);
    path_of(p, sizeof p, id, "/jobs");
    r = call("GET", p, NULL, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(at(r.json, "jobs")), 1);
    done(&r);
    path_of(p, sizeof p, id, "/samples");
    r = call("DELETE", p, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(num(r.json, "deleted") == 4);
    done(&r);
    path_of(p, sizeof p, id, "/train");
    r = call("POST", p, NULL, NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(str(r.json, "error.code"), "no_samples");
    done(&r);
    path_of(p, sizeof p, id, "");
    r = call("DELETE", p, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    done(&r);
    r = call("GET", p, NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    done(&r);
    path_of(p, sizeof p, id, "/predict");
    r = call("POST", p, JSON, "{\"inputs\":[[1,2]]}");
    ck_assert_int_eq(r.status, 404);
    done(&r);
}
END_TEST

typedef struct bad_case {
    const char *method, *suffix, *ctype, *body;
    int status;
    const char *code;
    const char *field; /* NULL: not checked */
} bad_case;

static const bad_case bad[] = {
    {"POST", "/step", JSON, "{\"x\":[1,2]}", 400, "missing_field", "y"},
    {"POST", "/step", JSON, "{\"x\":[1,2],\"y\":[1],\"learning_rate\":-1}", 400, "invalid_field", "learning_rate"},
    {"POST", "/step", JSON, "{\"x\":[1,2,3],\"y\":[1]}", 400, "invalid_dimensions", "x"},
    {"POST", "/step", JSON, "{\"x\":[1,2],\"y\":[1],\"X\":[1]}", 400, "unknown_field", "X"},
    {"POST", "/step", JSON, "{\"x\":[1,2],\"y\":[1e999]}", 400, "invalid_field", "y[0]"},
    {"POST", "/step", JSON, "{\"x\":[1,2],\"y\":[1],\"apply\":1}", 400, "invalid_field", "apply"},
    {"POST", "/step", "text/plain", "{\"x\":[1,2],\"y\":[1]}", 415, "unsupported_media_type", NULL},
    {"PUT", "/weights", JSON, "{\"layers\":[{\"weights\":[[1,2]],\"biases\":[1]}]}", 400, "invalid_dimensions", "layers"},
    {"PUT", "/weights", JSON, "{\"layers\":[{\"weights\":[[1,2],[3,4]],\"biases\":[1,2,3]},{\"weights\":[[1,2,3]],\"biases\":[1]}]}", 400, "invalid_dimensions", "layers[0].weights"},
    {"PUT", "/weights", JSON, "{\"layers\":[{\"weights\":[[1,2],[3,4],[5,6]],\"biases\":[1,2,3]},{\"weights\":[[1,2,3]],\"biases\":[1,2]}]}", 400, "invalid_dimensions", "layers[1].biases"},
    {"PUT", "/weights", JSON, "{\"layers\":[{\"weights\":[[1,2],[3,4],[5,1e999]],\"biases\":[1,2,3]},{\"weights\":[[1,2,3]],\"biases\":[1]}]}", 400, "invalid_field", "layers[0].weights[2][1]"},
    {"PUT", "/weights", JSON, "{\"layers\":[{\"weights\":[[1,2],[3,4],[5,NaN]],\"biases\":[1,2,3]}]}", 400, "invalid_json", NULL},
    {"PUT", "/weights", JSON, "{\"layers\":[]} trailing", 400, "invalid_json", NULL},
    {"POST", "/predict", JSON, "{\"inputs\":[[1,2,3]]}", 400, "invalid_dimensions", "inputs[0]"},
    {"POST", "/predict", JSON, "{\"inputs\":[[1,2],[1,2],[1,2],[1,2],[1,2]]}", 413, "limit_exceeded", "inputs"},
    {"POST", "/predict", JSON, "{\"inputs\":[]}", 400, "invalid_dimensions", "inputs"},
    {"POST", "/predict", JSON, "{\"instances\":[[1,2]]}", 400, "unknown_field", "instances"},
    {"POST", "/predict?version=abc", JSON, "{\"inputs\":[[1,2]]}", 400, "invalid_query", "version"},
    {"POST", "/predict?version=99", JSON, "{\"inputs\":[[1,2]]}", 404, "not_found", NULL},
    {"POST", "/predict", NULL, "{\"inputs\":[[1,2]]}", 415, "unsupported_media_type", NULL},
    {"GET", "/predict", NULL, NULL, 405, "method_not_allowed", NULL},
    {"POST", "/samples", "text/csv", "1,2,3\n4,5\n", 400, "invalid_csv", NULL},
    {"POST", "/samples", "text/csv", "1,2,3\n4,nan,6\n", 400, "invalid_csv", NULL},
    {"POST", "/samples", JSON, "{\"samples\":[{\"x\":[1,2],\"y\":[1]},{\"x\":[1],\"y\":[1]}]}", 400, "invalid_dimensions", "samples[1].x"},
    {"POST", "/samples", JSON, "{\"samples\":[],\"inputs\":[[1,2]]}", 400, "invalid_field", "samples"},
    {"POST", "/samples", JSON, "{\"inputs\":[[1,2]],\"targets\":[[1],[2]]}", 400, "invalid_dimensions", "targets"},
    {"POST", "/samples", "application/xml", "<x/>", 415, "unsupported_media_type", NULL},
    {"POST", "/train", JSON, "{\"epochs\":0}", 400, "invalid_field", "epochs"},
    {"POST", "/train", JSON, "{\"epochs\":501}", 400, "invalid_field", "epochs"},
    {"POST", "/train", JSON, "{\"epochs\":3.5}", 400, "invalid_field", "epochs"},
    {"POST", "/train", JSON, "{\"optimizer\":\"rmsprop\"}", 400, "invalid_field", "optimizer"},
    {"POST", "/train", JSON, "{\"Epochs\":5}", 400, "unknown_field", "Epochs"},
    {"POST", "/train?wait=maybe", JSON, "{}", 400, "invalid_query", "wait"},
    {"GET", "/weights?version=0", NULL, NULL, 400, "invalid_query", "version"},
    {"GET", "/samples?limit=1001", NULL, NULL, 400, "invalid_query", "limit"},
    {"POST", "/versions/99/restore", NULL, NULL, 404, "not_found", NULL},
    {"DELETE", "/weights", NULL, NULL, 405, "method_not_allowed", NULL},
    {"GET", "/nothing", NULL, NULL, 404, "not_found", NULL},
};

static const bad_case bad_create[] = {
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}],\"Name\":\"b\"}", 400, "unknown_field", "Name"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":3.7,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}", 400, "invalid_field", "inputs"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":1e999,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}", 400, "invalid_field", "inputs"},
    {"POST", "", JSON, "{\"name\":\"\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}", 400, "invalid_field", "name"},
    {"POST", "", JSON, "{\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}", 400, "missing_field", "name"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"gelu\"}]}", 400, "invalid_field", "layers[0].activation"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\",\"bias\":0}]}", 400, "unknown_field", "layers[0].bias"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":2000,\"activation\":\"linear\"}]}", 400, "limit_exceeded", NULL},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"},{\"units\":1,\"activation\":\"linear\"}]}", 400, "limit_exceeded", "layers"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}],\"init\":{\"method\":\"xavier\",\"seed\":-1}}", 400, "invalid_field", "init.seed"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}],\"init\":{\"method\":\"he\",\"scale\":2}}", 400, "invalid_field", "init.scale"},
    {"POST", "", JSON, "{\"name\":\"a\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}],\"loss\":\"hinge\"}", 400, "invalid_field", "loss"},
    {"POST", "", JSON, "{\"name\":\"a\",\"name\":\"b\",\"inputs\":2,\"layers\":[{\"units\":1,\"activation\":\"linear\"}]}", 400, "invalid_json", "name"},
    {"POST", "", JSON, "[1]", 400, "invalid_json", NULL},
};

static void check_case(const bad_case *c, const char *base)
{
    char p[256];
    snprintf(p, sizeof p, "%s%s", base, c->suffix);
    result r = call(c->method, p, c->ctype, c->body);
    ck_assert_msg(r.status == c->status, "%s %s %s: status %d, want %d", c->method, p,
                  c->body ? c->body : "", r.status, c->status);
    ck_assert_msg(r.json != NULL, "%s %s: body is not JSON", c->method, p);
    ck_assert_str_eq(r.content_type, JSON);
    const cJSON *code = at(r.json, "error.code");
    ck_assert_msg(cJSON_IsString(code) && strcmp(code->valuestring, c->code) == 0,
                  "%s %s %s: code %s, want %s", c->method, p, c->body ? c->body : "",
                  cJSON_IsString(code) ? code->valuestring : "?", c->code);
    ck_assert(cJSON_IsString(at(r.json, "error.message")));
    if (c->field) {
        const cJSON *f = at(r.json, "error.field");
        ck_assert_msg(cJSON_IsString(f) && strcmp(f->valuestring, c->field) == 0,
                      "%s %s: field %s, want %s", c->method, p,
                      cJSON_IsString(f) ? f->valuestring : "(none)", c->field);
    }
    if (c->status == 405)
        ck_assert(r.allow[0] != '\0');
    done(&r);
}

START_TEST(bad_requests_answer_exactly_and_change_nothing)
{
    char id[17], base[64], p[128];
    create_lecture(id);
    snprintf(base, sizeof base, "/v1/models/%s", id);
    path_of(p, sizeof p, id, "/samples");
    result r = call("POST", p, JSON, "{\"inputs\":[[1,2]],\"targets\":[[1]]}");
    ck_assert_int_eq(r.status, 201);
    done(&r);
    path_of(p, sizeof p, id, "/weights");
    r = call("GET", p, NULL, NULL);
    char *before = cJSON_PrintUnformatted(r.json);
    done(&r);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_case(&bad[i], base);
    for (size_t i = 0; i < sizeof bad_create / sizeof bad_create[0]; i++)
        check_case(&bad_create[i], "/v1/models");

    r = call("GET", p, NULL, NULL);
    char *after = cJSON_PrintUnformatted(r.json);
    done(&r);
    ck_assert_str_eq(before, after);
    cJSON_free(before);
    cJSON_free(after);
    r = call("GET", base, NULL, NULL);
    ck_assert(num(r.json, "samples") == 1);
    ck_assert(num(r.json, "version") == 1);
    done(&r);
    r = call("GET", "/v1/models", NULL, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(at(r.json, "models")), 1);
    done(&r);
    r = call("GET", "/v1/jobs/0123456789abcdef", NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    done(&r);
}
END_TEST

START_TEST(health_and_metrics)
{
    result r = call("GET", "/healthz", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.json, "status"), "ok");
    done(&r);
    r = call("GET", "/v2/health/ready", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    done(&r);
    r = call("GET", "/metrics", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    done(&r);
}
END_TEST

/* GET export refuses (413) a model whose document would be too large,
 * before reading it: here 4.2M weights, counted twice (current weights and
 * their version). A small model exports and imports back as a new one. */
START_TEST(export_size_bound_and_round_trip)
{
    app_free(&A);
    cfg.max_params = 5000000;
    cfg.max_inputs = cfg.max_units = 2048;
    ck_assert_int_eq(app_init(&A, &cfg, st), 0);
    result r = call("POST", "/v1/models", JSON,
                    "{\"name\":\"big\",\"inputs\":1024,\"layers\":[{\"units\":2048,"
                    "\"activation\":\"tanh\"},{\"units\":1024,\"activation\":\"linear\"}],"
                    "\"init\":{\"method\":\"zero\"}}");
    ck_assert_int_eq(r.status, 201);
    char path[96];
    snprintf(path, sizeof path, "/v1/models/%s/export", str(r.json, "id"));
    done(&r);
    r = call("GET", path, NULL, NULL);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(str(r.json, "error.code"), "limit_exceeded");
    done(&r);

    r = call("POST", "/v1/models", JSON,
             "{\"name\":\"small\",\"inputs\":2,\"layers\":[{\"units\":1,"
             "\"activation\":\"linear\"}]}");
    ck_assert_int_eq(r.status, 201);
    snprintf(path, sizeof path, "/v1/models/%s/export", str(r.json, "id"));
    done(&r);
    r = call("GET", path, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    char *doc = cJSON_PrintUnformatted(r.json);
    done(&r);
    ck_assert_ptr_nonnull(doc);
    r = call("POST", "/v1/models/import", JSON, doc);
    free(doc);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(str(r.json, "name"), "small");
    ck_assert_int_eq((int)num(r.json, "version"), 1);
    done(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lecture_step_predict_and_weights);
    tcase_add_test(tc, samples_train_history_versions);
    tcase_add_test(tc, bad_requests_answer_exactly_and_change_nothing);
    tcase_add_test(tc, health_and_metrics);
    tcase_add_test(tc, export_size_bound_and_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

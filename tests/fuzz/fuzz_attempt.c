/*
 * fuzz_attempt.c - a student's exercise attempt: the body parser of POST
 * /v1/exercises/{id}/attempts (json_parse_or_reply, then
 * ex_attempt_parse) and the grader behind it.
 *
 * Byte 0 picks the exercise: bit 0 the network (the lecture's 2-3-1, or a
 * 3-4-3-2 tanh/sigmoid/linear one), bits 1-2 the steps (1..3). The rest is
 * the body. A refused body must say where (a message, and a path unless
 * the whole body is to blame); an accepted one gives 1..EX_MAX_GIVEN
 * numbers that are finite, whose paths read back to a quantity of the
 * network, and a score in [0, 1] with the correct ones counted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/exercise.h"
#include "fuzz_common.h"
#include "api/jsonin.h"

static const char *const networks[2] = {
    "\"lecture-2-3-1\"",
    "{\"inputs\":3,\"layers\":[{\"units\":4,\"activation\":\"tanh\"},"
    "{\"units\":3,\"activation\":\"sigmoid\"},{\"units\":2,\"activation\":\"linear\"}]}",
};

/* The six exercises' solutions, made once. */
static ex_solution solutions[2][EX_MAX_STEPS];
static ex_variant variants[2][EX_MAX_STEPS];
static int ready;

static void setup(void)
{
    for (int n = 0; n < 2; n++) {
        for (size_t s = 1; s <= EX_MAX_STEPS; s++) {
            ex_def def;
            memset(&def, 0, sizeof def);
            cJSON *net = cJSON_Parse(networks[n]);
            if (!net || ex_network_parse(net, "network", &def, NULL) != EX_OK)
                abort();
            cJSON_Delete(net);
            def.seed = 11;
            def.steps = s;
            def.tolerance = 1e-4;
            if (ex_variant_make(&def, "fuzz", &variants[n][s - 1], NULL) != EX_OK ||
                ex_solve(&variants[n][s - 1], &solutions[n][s - 1], NULL) != EX_OK)
                abort();
        }
    }
    ready = 1;
}

static ex_attempt attempt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    if (!ready)
        setup();
    int n = data[0] & 1;
    size_t steps = (size_t)((data[0] >> 1) % EX_MAX_STEPS) + 1;
    const ex_variant *v = &variants[n][steps - 1];
    const char *body = guarded_copy(data + 1, size - 1);

    api_response resp;
    api_response_init(&resp);
    cJSON *root = NULL;
    if (json_parse_or_reply(&resp, body, size - 1, &root) != 0) {
        if (root || resp.status != 400)
            abort();
        api_response_free(&resp);
        return 0;
    }
    api_response_free(&resp);
    ex_error err;
    memset(&err, 0, sizeof err);
    ex_err e = ex_attempt_parse(root, &v->spec, steps, &attempt, &err);
    if (e != EX_OK) {
        if (err.code != e || !err.message[0] ||
            (!err.path[0] && e != EX_ERR_INVALID && e != EX_ERR_MISSING))
            abort();
        cJSON_Delete(root);
        return 0;
    }
    if (attempt.n < 1 || attempt.n > EX_MAX_GIVEN)
        abort();
    ex_summary sum;
    ex_grade(&solutions[n][steps - 1], 1e-4, &attempt, &sum);
    if (sum.n_given != attempt.n || sum.n_correct > sum.n_given || !(sum.score >= 0) ||
        sum.score > 1 || sum.slips >> EX_N_SLIPS)
        abort();
    for (size_t i = 0; i < attempt.n; i++) {
        const ex_given *g = &attempt.given[i];
        char path[96];
        if (!isfinite(g->value) || !isfinite(g->expected) || g->step >= steps ||
            g->layer >= v->spec.n_layers || g->qty >= EX_N_QTY)
            abort();
        ex_given_path(g, &v->spec, path, sizeof path);
        if (!path[0] || (g->in_steps && strncmp(path, "steps[", 6) != 0))
            abort();
    }
    cJSON_Delete(root);
    return 0;
}

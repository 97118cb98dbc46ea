/*
 * fuzz_common.c - see fuzz_common.h.
 */
#include "fuzz_common.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/config.h"

static unsigned char *guard_base;
static size_t guard_data; /* bytes before the guard page */

const char *guarded_copy(const uint8_t *data, size_t len)
{
    if (!guard_base) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        guard_data = (FUZZ_MAX_INPUT + page - 1) / page * page;
        guard_base = mmap(NULL, guard_data + page, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (guard_base == MAP_FAILED || mprotect(guard_base + guard_data, page, PROT_NONE) != 0) {
            perror("fuzz: guard page");
            abort();
        }
    }
    if (len > guard_data)
        abort();
    unsigned char *p = guard_base + guard_data - len;
    if (len)
        memcpy(p, data, len);
    return (const char *)p;
}

static int raw_call(fuzz_env *e, const char *method, const char *path, const char *body,
                    api_response *out)
{
    api_kv hdr[1] = {{"Content-Type", "application/json"}};
    api_kv query[1] = {{"wait", "true"}};
    int wait = strstr(path, "/train") != NULL;
    api_request req = {method, path, query, wait ? 1 : 0, hdr, 1, body, body ? strlen(body) : 0, NULL, NULL};
    api_response_init(out);
    api_handle(&e->a, &req, out);
    return out->status;
}

/* The string field key of the JSON response into dst (16 hex + NUL). */
static void take_id(api_response *r, const char *key, char *dst)
{
    cJSON *j = r->body.data ? cJSON_ParseWithLength(r->body.data, r->body.len) : NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsString(id) || strlen(id->valuestring) != 16) {
        fprintf(stderr, "fuzz: setup response has no %s: %.*s\n", key, (int)r->body.len,
                r->body.data ? r->body.data : "");
        abort();
    }
    memcpy(dst, id->valuestring, 17);
    cJSON_Delete(j);
}

static void populate(fuzz_env *e)
{
    api_response r;
    char path[128];
    if (raw_call(e, "POST", "/v1/models",
                 "{\"name\":\"fuzz\",\"inputs\":2,\"layers\":[{\"units\":3,\"activation\":"
                 "\"sigmoid\"},{\"units\":1,\"activation\":\"linear\"}],\"loss\":\"mse\","
                 "\"init\":{\"method\":\"xavier\",\"seed\":42}}",
                 &r) != 201)
        abort();
    take_id(&r, "id", e->model_id);
    api_response_free(&r);
    snprintf(path, sizeof path, "/v1/models/%s/samples", e->model_id);
    if (raw_call(e, "POST", path,
                 "{\"inputs\":[[0,0],[0,1],[1,0],[1,1]],\"targets\":[[0],[1],[1],[0]]}",
                 &r) != 201)
        abort();
    api_response_free(&r);
    snprintf(path, sizeof path, "/v1/models/%s/train", e->model_id);
    int s = raw_call(e, "POST", path, "{\"epochs\":2}", &r);
    if (s != 200 && s != 202)
        abort();
    take_id(&r, "id", e->job_id);
    api_response_free(&r);
    if (raw_call(e, "POST", "/v1/exercises",
                 "{\"title\":\"fuzz\",\"network\":\"lecture-2-3-1\",\"seed\":5,\"steps\":2}",
                 &r) != 201)
        abort();
    take_id(&r, "id", e->exercise_id);
    api_response_free(&r);
    if (raw_call(e, "POST", "/v1/datasets",
                 "{\"name\":\"fuzz\",\"inputs\":[[0,0],[0,1],[1,0],[1,1],[0.5,0.5]],"
                 "\"labels\":[\"a\",\"b\",\"b\",\"a\",\"a\"],\"test_fraction\":0.4}",
                 &r) != 201)
        abort();
    take_id(&r, "id", e->dataset_id);
    api_response_free(&r);
}

static void open_env(fuzz_env *e)
{
    char err[256];
    if (storage_open(e->db, &e->st, err, sizeof err) != ST_OK) {
        fprintf(stderr, "fuzz: storage_open %s: %s\n", e->db, err);
        abort();
    }
    if (app_init(&e->a, &e->cfg, e->st) != 0)
        abort();
    populate(e);
    e->runs = 0;
}

static void close_env(fuzz_env *e)
{
    app_free(&e->a);
    storage_close(e->st);
    e->st = NULL;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s%s", e->db, suffix[i]);
        unlink(path);
    }
}

static fuzz_env env;
static int env_ready;

static void remove_dir(void)
{
    if (env_ready) {
        close_env(&env);
        rmdir(env.dir);
        env_ready = 0;
    }
}

fuzz_env *fuzz_env_get(void)
{
    if (env_ready)
        return &env;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(env.dir, sizeof env.dir, "%s/mlpd-fuzz-XXXXXX", base);
    if (!mkdtemp(env.dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    snprintf(env.db, sizeof env.db, "%s/fuzz.db", env.dir);
    config_defaults(&env.cfg);
    /* Small limits keep every request fast (training, predict batches). */
    env.cfg.max_epochs = 20;
    env.cfg.max_samples = 64;
    env.cfg.max_batch = 16;
    env.cfg.max_inputs = 16;
    env.cfg.max_units = 16;
    env.cfg.max_layers = 4;
    env.cfg.max_params = 512;
    env.cfg.max_train_seconds = 1;
    env.cfg.cache_mb = 1;
    open_env(&env);
    env_ready = 1;
    atexit(remove_dir);
    return &env;
}

void fuzz_env_reset(fuzz_env *e)
{
    close_env(e);
    open_env(e);
}

int fuzz_call(fuzz_env *e, const api_request *req)
{
    api_response r;
    api_response_init(&r);
    api_handle(&e->a, req, &r);
    e->runs++;
    if (r.status < 200 || (r.status >= 500 && r.status != 503)) {
        fprintf(stderr, "fuzz: %s %s answered %d: %.*s\n", req->method ? req->method : "(null)",
                req->path ? req->path : "(null)", r.status, (int)r.body.len,
                r.body.data ? r.body.data : "");
        abort();
    }
    if (r.content_type && strcmp(r.content_type, "application/json") == 0) {
        cJSON *j = r.body.data ? cJSON_ParseWithLength(r.body.data, r.body.len) : NULL;
        if (!j) {
            fprintf(stderr, "fuzz: %s %s answered %d with a body that is not JSON: %.*s\n",
                    req->method, req->path, r.status, (int)r.body.len,
                    r.body.data ? r.body.data : "");
            abort();
        }
        cJSON_Delete(j);
    }
    int status = r.status;
    api_response_free(&r);
    return status;
}

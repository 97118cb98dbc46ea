/*
 * exercises.c - graded step exercises over HTTP: a teacher creates one,
 * each student reads their own variant and posts attempts, the teacher
 * reads the results (JSON or text/csv). What an exercise means (variants,
 * the expected trace, grading, slips) is domain/exercise.c; this file
 * only reads requests, checks who asks, and writes answers.
 *
 * Who may do what (access.c): creating, deleting and the results are
 * the teacher's (an admin; a student gets 403). Every user reads the
 * list and their own variant and attempts; ?user=NAME reads another
 * user's, for the teacher only: a student naming anyone else gets 404,
 * as for an object that does not exist.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/auth.h"
#include "domain/exercise.h"
#include "api/handlers.h"
#include "api/jsonin.h"
#include "api/reply.h"

#define TITLE_MAX 200
#define SEED_MAX (INT64_C(1) << 53)
#define ATTEMPTS_MAX 1000 /* per user and exercise: attempts are stored */

/* ---- shared ------------------------------------------------------------- */

static void reply_ex_error(api_response *resp, const ex_error *err)
{
    static const api_error codes[] = {
        [EX_OK] = API_ERR_INTERNAL,
        [EX_ERR_INVALID] = API_ERR_INVALID_FIELD,
        [EX_ERR_UNKNOWN_FIELD] = API_ERR_UNKNOWN_FIELD,
        [EX_ERR_MISSING] = API_ERR_MISSING_FIELD,
        [EX_ERR_DIMENSIONS] = API_ERR_INVALID_DIMENSIONS,
        [EX_ERR_LIMIT] = API_ERR_LIMIT_EXCEEDED,
        [EX_ERR_NO_VARIANT] = API_ERR_INVALID_FIELD,
        [EX_ERR_INTERNAL] = API_ERR_INTERNAL,
    };
    api_error e = (unsigned)err->code < sizeof codes / sizeof codes[0] ? codes[err->code]
                                                                       : API_ERR_INTERNAL;
    if (err->path[0])
        reply_error(resp, e, err->path, "%s %s", err->path, err->message);
    else
        reply_error(resp, e, NULL, "%s", err->message);
}

int exercise_or_reply(app *a, api_response *resp, const char *id, st_exercise *row,
                             ex_def *def)
{
    st_status s = storage_exercise_get(a->st, id, row);
    if (s != ST_OK) {
        if (s == ST_NOT_FOUND)
            reply_error(resp, API_ERR_NOT_FOUND, NULL, "No exercise %s.", id);
        else
            reply_storage_error(resp, s);
        return -1;
    }
    memset(def, 0, sizeof *def);
    cJSON *net = cJSON_Parse(row->network);
    ex_err e = net ? ex_network_parse(net, "network", def, NULL) : EX_ERR_INVALID;
    cJSON_Delete(net);
    def->seed = (uint64_t)row->seed;
    def->steps = (size_t)row->steps;
    def->tolerance = row->tolerance;
    if (e != EX_OK || def->steps < 1 || def->steps > EX_MAX_STEPS) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "The stored exercise %s is damaged.", id);
        st_exercise_clear(row);
        return -1;
    }
    return 0;
}

int exercise_subject_or_reply(app *a, const api_request *req, api_response *resp, char id[17],
                            char name[65])
{
    const char *want = api_query(req, "user");
    const auth_user *me = req->user;
    if (!me) {
        reply_error(resp, API_ERR_UNAUTHORIZED, NULL, NULL);
        return -1;
    }
    if (!want || strcmp(want, me->name) == 0) {
        snprintf(id, 17, "%s", me->id);
        snprintf(name, 65, "%s", me->name);
        return 0;
    }
    st_user u;
    st_status s = me->admin && auth_valid_name(want) ? storage_user_by_name(a->st, want, &u)
                                                     : ST_NOT_FOUND;
    if (s != ST_OK) {
        if (s == ST_NOT_FOUND)
            reply_error(resp, API_ERR_NOT_FOUND, "user", "No variant for user %s here.",
                        auth_valid_name(want) ? want : "(invalid name)");
        else
            reply_storage_error(resp, s);
        return -1;
    }
    snprintf(id, 17, "%s", u.id);
    snprintf(name, 65, "%s", u.name);
    return 0;
}

static void put_key(sbuf *b, const char *key)
{
    sbuf_printf(b, ",\"%s\":", key);
}

static void write_network(sbuf *b, const ex_def *def)
{
    ex_def plain = *def;
    plain.lecture = 0; /* the spec itself, also for the lecture's network */
    cJSON *net = ex_network_json(&plain);
    char *text = net ? cJSON_PrintUnformatted(net) : NULL;
    sbuf_puts(b, text ? text : "null");
    free(text);
    cJSON_Delete(net);
}

/* The exercise's common fields, without the closing brace. */
static void write_exercise_head(sbuf *b, const st_exercise *row, const ex_def *def, int teacher)
{
    sbuf_puts(b, "{\"id\":");
    sbuf_json_string(b, row->id);
    put_key(b, "title");
    sbuf_json_string(b, row->title);
    put_key(b, "network");
    write_network(b, def);
    if (def->lecture) {
        put_key(b, "preset");
        sbuf_json_string(b, EX_LECTURE);
    }
    put_key(b, "steps");
    sbuf_json_int(b, (long long)def->steps);
    put_key(b, "tolerance");
    sbuf_json_number(b, def->tolerance);
    if (teacher) {
        put_key(b, "seed");
        sbuf_json_int(b, (long long)row->seed);
    }
    char t[32];
    format_time(t, row->created_at);
    sbuf_printf(b, ",\"created_at\":\"%s\"", t);
}

/* ---- POST /v1/exercises --------------------------------------------------- */

static const char *const create_fields[] = {"title", "network", "seed", "steps", "tolerance",
                                            NULL};

static int create_body_or_reply(api_response *resp, const cJSON *body, const char **title,
                                ex_def *def)
{
    int64_t seed = 1, steps = 1;
    memset(def, 0, sizeof *def);
    def->tolerance = EX_TOLERANCE_DEFAULT;
    if (json_object_or_reply(resp, body, "", create_fields) != 0 ||
        json_string_or_reply(resp, body, "title", "", 1, 1, TITLE_MAX, title) != 0 ||
        json_int_or_reply(resp, body, "seed", "", 0, 0, SEED_MAX, &seed) != 0 ||
        json_int_or_reply(resp, body, "steps", "", 0, 1, EX_MAX_STEPS, &steps) != 0 ||
        json_number_or_reply(resp, body, "tolerance", "", 0, &def->tolerance) != 0)
        return -1;
    ex_error err;
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(body, "network");
    if (!net) {
        reply_error(resp, API_ERR_MISSING_FIELD, "network",
                    "network is required: \"" EX_LECTURE "\" or {\"inputs\", \"layers\"}.");
        return -1;
    }
    def->seed = (uint64_t)seed;
    def->steps = (size_t)steps;
    if (ex_network_parse(net, "network", def, &err) != EX_OK || ex_def_check(def, &err) != EX_OK) {
        reply_ex_error(resp, &err);
        return -1;
    }
    return 0;
}

void h_exercise_create(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)p;
    cJSON *body = NULL, *net = NULL;
    const char *title = NULL;
    ex_def def;
    st_exercise row;
    memset(&row, 0, sizeof row);
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0 ||
        create_body_or_reply(resp, body, &title, &def) != 0)
        goto out;
    net = ex_network_json(&def);
    row.network = net ? cJSON_PrintUnformatted(net) : NULL;
    row.title = (char *)title; /* borrowed from body for the insert */
    snprintf(row.owner, sizeof row.owner, "%s", req->user ? req->user->id : ST_USER_LOCAL);
    row.seed = (int64_t)def.seed;
    row.steps = (int64_t)def.steps;
    row.tolerance = def.tolerance;
    if (!row.network || storage_new_id(row.id) != 0) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory or randomness.");
        goto out;
    }
    st_status s = storage_exercise_create(a->st, &row);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    st_exercise stored;
    ex_def again;
    if (exercise_or_reply(a, resp, row.id, &stored, &again) != 0)
        goto out;
    sbuf b;
    sbuf_init(&b);
    write_exercise_head(&b, &stored, &again, 1);
    sbuf_putc(&b, '}');
    reply_sbuf(resp, 201, &b);
    char location[64];
    snprintf(location, sizeof location, "/v1/exercises/%s", row.id);
    if (resp->status == 201)
        api_response_header(resp, "Location", location);
    st_exercise_clear(&stored);
out:
    row.title = NULL;
    st_exercise_clear(&row);
    cJSON_Delete(net);
    cJSON_Delete(body);
}

/* ---- GET /v1/exercises ---------------------------------------------------- */

void h_exercise_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)p;
    st_exercise *es = NULL;
    size_t n = 0;
    st_status s = storage_exercise_list(a->st, &es, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    int teacher = req->user && req->user->admin;
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"exercises\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        ex_def def;
        memset(&def, 0, sizeof def);
        cJSON *net = cJSON_Parse(es[i].network);
        ex_err e = net ? ex_network_parse(net, "network", &def, NULL) : EX_ERR_INVALID;
        cJSON_Delete(net);
        if (e != EX_OK)
            continue; /* a damaged row is left out of the list, not fatal */
        def.steps = (size_t)es[i].steps;
        def.tolerance = es[i].tolerance;
        if (shown++)
            sbuf_putc(&b, ',');
        write_exercise_head(&b, &es[i], &def, teacher);
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "]}");
    st_exercises_free(es, n);
    reply_sbuf(resp, 200, &b);
}

/* ---- GET /v1/exercises/{id}: the caller's variant --------------------------- */

static void write_variant(sbuf *b, const st_exercise *row, const ex_def *def,
                          const ex_variant *v, const char *user, int teacher)
{
    write_exercise_head(b, row, def, teacher);
    put_key(b, "user");
    sbuf_json_string(b, user);
    put_key(b, "learning_rate");
    sbuf_json_number(b, v->eta);
    put_key(b, "x");
    sbuf_json_array(b, v->x, v->spec.inputs);
    put_key(b, "d");
    sbuf_json_array(b, v->d, v->spec.layers[v->spec.n_layers - 1].units);
    sbuf_puts(b, ",\"layers\":[");
    for (size_t l = 0; l < v->spec.n_layers; l++) {
        const double *w, *bias;
        size_t units, fan_in;
        ex_variant_layer(v, l, &w, &bias, &units, &fan_in);
        sbuf_puts(b, l ? ",{\"activation\":" : "{\"activation\":");
        sbuf_json_string(b, mlp_activation_name(v->spec.layers[l].activation));
        sbuf_puts(b, ",\"weights\":");
        sbuf_json_matrix(b, w, units, fan_in);
        sbuf_puts(b, ",\"biases\":");
        sbuf_json_array(b, bias, units);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "]}");
}

/* The subject's variant; 0, or -1 after replying. */
static int variant_or_reply(api_response *resp, const ex_def *def, const char *user_id,
                            ex_variant *v)
{
    ex_error err;
    if (ex_variant_make(def, user_id, v, &err) == EX_OK)
        return 0;
    reply_error(resp, API_ERR_INTERNAL, NULL, "No variant could be drawn for this user: %s",
                err.message);
    return -1;
}

void h_exercise_get(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    st_exercise row;
    ex_def def;
    char uid[17], uname[65];
    ex_variant v;
    if (exercise_or_reply(a, resp, p->id, &row, &def) != 0)
        return;
    if (exercise_subject_or_reply(a, req, resp, uid, uname) == 0 &&
        variant_or_reply(resp, &def, uid, &v) == 0) {
        sbuf b;
        sbuf_init(&b);
        write_variant(&b, &row, &def, &v, uname, req->user && req->user->admin);
        reply_sbuf(resp, 200, &b);
    }
    st_exercise_clear(&row);
}

/* ---- DELETE /v1/exercises/{id} ---------------------------------------------- */

void h_exercise_delete(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    (void)req;
    st_status s = storage_exercise_delete(a->st, p->id);
    if (s == ST_NOT_FOUND) {
        reply_error(resp, API_ERR_NOT_FOUND, NULL, "No exercise %s.", p->id);
        return;
    }
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"id\":");
    sbuf_json_string(&b, p->id);
    sbuf_puts(&b, ",\"deleted\":true}");
    reply_sbuf(resp, 200, &b);
}

/* ---- POST /v1/exercises/{id}/attempts ----------------------------------------- */

/* "code,code" of the slips named. */
static void mistakes_text(unsigned slips, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int s = 0; s < EX_N_SLIPS; s++)
        if ((slips >> s) & 1u)
            used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s%s", used ? "," : "",
                                     ex_slip_code((ex_slip)s));
}

static void write_grades(sbuf *b, const ex_attempt *at, const mlp_spec *spec)
{
    sbuf_puts(b, ",\"grades\":[");
    for (size_t i = 0; i < at->n; i++) {
        const ex_given *g = &at->given[i];
        char path[96];
        ex_given_path(g, spec, path, sizeof path);
        sbuf_puts(b, i ? ",{\"path\":" : "{\"path\":");
        sbuf_json_string(b, path);
        put_key(b, "given");
        sbuf_json_number(b, g->value);
        sbuf_printf(b, ",\"correct\":%s", g->correct ? "true" : "false");
        put_key(b, "rel_error");
        sbuf_json_number(b, g->rel_error);
        if (g->correct || at->reveal) {
            put_key(b, "expected");
            sbuf_json_number(b, g->expected);
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

static void write_mistakes(sbuf *b, const ex_attempt *at, const ex_summary *sum,
                           const mlp_spec *spec)
{
    sbuf_puts(b, ",\"mistakes\":[");
    int first = 1;
    for (int s = 0; s < EX_N_SLIPS; s++) {
        if (!((sum->slips >> s) & 1u))
            continue;
        sbuf_puts(b, first ? "{\"code\":" : ",{\"code\":");
        first = 0;
        sbuf_json_string(b, ex_slip_code((ex_slip)s));
        put_key(b, "message");
        sbuf_json_string(b, ex_slip_message((ex_slip)s));
        sbuf_puts(b, ",\"paths\":[");
        int n = 0;
        for (size_t i = 0; i < at->n; i++) {
            if (!((at->given[i].slips >> s) & 1u))
                continue;
            char path[96];
            ex_given_path(&at->given[i], spec, path, sizeof path);
            if (n++)
                sbuf_putc(b, ',');
            sbuf_json_string(b, path);
        }
        sbuf_puts(b, "]}");
    }
    sbuf_putc(b, ']');
}

/* Grade body against the caller's variant of the exercise into *at and
 * *sum; 0, or -1 after replying. */
static int grade_or_reply(api_response *resp, const ex_def *def, const char *user_id,
                          const cJSON *body, ex_attempt *at, ex_summary *sum)
{
    ex_variant v;
    ex_solution sol;
    ex_error err;
    if (variant_or_reply(resp, def, user_id, &v) != 0)
        return -1;
    if (ex_solve(&v, &sol, &err) != EX_OK ||
        ex_attempt_parse(body, &def->spec, def->steps, at, &err) != EX_OK) {
        reply_ex_error(resp, &err);
        return -1;
    }
    ex_grade(&sol, def->tolerance, at, sum);
    return 0;
}

void h_attempt_post(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    st_exercise row;
    ex_def def;
    cJSON *body = NULL;
    ex_attempt *at = NULL;
    ex_summary sum;
    if (!req->user) {
        reply_error(resp, API_ERR_UNAUTHORIZED, NULL, NULL);
        return;
    }
    if (exercise_or_reply(a, resp, p->id, &row, &def) != 0)
        return;
    if (json_parse_or_reply(resp, req->body, req->body_len, &body) != 0)
        goto out;
    if (!(at = malloc(sizeof *at))) {
        reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
        goto out;
    }
    if (grade_or_reply(resp, &def, req->user->id, body, at, &sum) != 0)
        goto out;
    st_attempt rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.exercise_id, sizeof rec.exercise_id, "%s", row.id);
    snprintf(rec.user_id, sizeof rec.user_id, "%s", req->user->id);
    rec.given = (int64_t)sum.n_given;
    rec.correct = (int64_t)sum.n_correct;
    rec.score = sum.score;
    rec.revealed = at->reveal;
    mistakes_text(sum.slips, rec.mistakes, sizeof rec.mistakes);
    st_status s = storage_attempt_add(a->st, &rec, ATTEMPTS_MAX);
    if (s == ST_QUOTA) {
        reply_error(resp, API_ERR_QUOTA_EXCEEDED, NULL,
                    "A student may make at most %d attempts at one exercise.", ATTEMPTS_MAX);
        goto out;
    }
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"attempt\":");
    sbuf_json_int(&b, (long long)rec.id);
    put_key(&b, "exercise");
    sbuf_json_string(&b, row.id);
    put_key(&b, "score");
    sbuf_json_number(&b, sum.score);
    sbuf_printf(&b, ",\"given\":%zu,\"correct\":%zu", sum.n_given, sum.n_correct);
    write_grades(&b, at, &def.spec);
    write_mistakes(&b, at, &sum, &def.spec);
    sbuf_putc(&b, '}');
    reply_sbuf(resp, 201, &b);
out:
    free(at);
    cJSON_Delete(body);
    st_exercise_clear(&row);
}

/* ---- GET /v1/exercises/{id}/attempts -------------------------------------------- */

void exercise_write_attempt(sbuf *b, const st_attempt *t)
{
    char when[32];
    format_time(when, t->created_at);
    sbuf_puts(b, "{\"attempt\":");
    sbuf_json_int(b, (long long)t->id);
    sbuf_printf(b, ",\"at\":\"%s\",\"score\":", when);
    sbuf_json_number(b, t->score);
    sbuf_printf(b, ",\"given\":%lld,\"correct\":%lld,\"revealed\":%s,\"mistakes\":[",
                (long long)t->given, (long long)t->correct, t->revealed ? "true" : "false");
    const char *m = t->mistakes;
    for (int k = 0; *m; k++) {
        size_t len = strcspn(m, ",");
        if (k)
            sbuf_putc(b, ',');
        sbuf_putc(b, '"');
        sbuf_putn(b, m, len); /* slip codes: [a-z_] only */
        sbuf_putc(b, '"');
        m += len + (m[len] == ',');
    }
    sbuf_puts(b, "]}");
}

void h_attempts_list(app *a, const api_request *req, const route_params *p, api_response *resp)
{
    st_exercise row;
    ex_def def;
    char uid[17], uname[65];
    if (exercise_or_reply(a, resp, p->id, &row, &def) != 0)
        return;
    st_attempt *ts = NULL;
    size_t n = 0;
    if (exercise_subject_or_reply(a, req, resp, uid, uname) != 0)
        goto out;
    st_status s = storage_attempts_list(a->st, row.id, uid, &ts, &n);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
        goto out;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"exercise\":");
    sbuf_json_string(&b, row.id);
    put_key(&b, "user");
    sbuf_json_string(&b, uname);
    sbuf_puts(&b, ",\"attempts\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_putc(&b, ',');
        exercise_write_attempt(&b, &ts[i]);
    }
    sbuf_puts(&b, "]}");
    reply_sbuf(resp, 200, &b);
out:
    free(ts);
    st_exercise_clear(&row);
}

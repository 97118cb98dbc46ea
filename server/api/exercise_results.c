/*
 * exercise_results.c - the teacher's views of an exercise (access.c
 * answers 403 to a student): GET /v1/exercises/{id}/results, every
 * student of the server by name (and anyone else who attempted) with
 * their attempts and best score, as JSON or (Accept: text/csv, or
 * ?format=csv) CSV; and GET /v1/exercises/{id}/solution?user=NAME, the
 * expected numbers of a student's variant in the shape of an attempt.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/exercise.h"
#include "api/handlers.h"
#include "api/reply.h"

/* ?format=csv|json, else the Accept header; -1 after replying. */
static int wants_csv_or_reply(const api_request *req, api_response *resp, int *csv)
{
    const char *f = api_query(req, "format");
    const char *accept = api_header(req, "Accept");
    if (f) {
        if (strcmp(f, "csv") != 0 && strcmp(f, "json") != 0) {
            reply_error(resp, API_ERR_INVALID_QUERY, "format", "format must be json or csv.");
            return -1;
        }
        *csv = strcmp(f, "csv") == 0;
        return 0;
    }
    *csv = accept && strstr(accept, "text/csv") && !strstr(accept, "application/json");
    return 0;
}

/* The slip codes seen in the user's attempts, each once, into out
 * (joined with sep). */
static void mistakes_seen(const st_attempt *ts, size_t n, const char *user, char sep, char *out,
                          size_t cap)
{
    static const ex_slip all[] = {EX_SLIP_UPDATED_WEIGHTS, EX_SLIP_ERROR_SIGN,
                                  EX_SLIP_MISSING_FPRIME, EX_SLIP_BIAS_WITHOUT_ETA};
    size_t used = 0;
    const char between[2] = {sep, '\0'};
    out[0] = '\0';
    for (size_t s = 0; s < sizeof all / sizeof all[0]; s++) {
        const char *code = ex_slip_code(all[s]);
        int seen = 0;
        for (size_t i = 0; i < n && !seen; i++) {
            const char *m = ts[i].mistakes;
            size_t len = strlen(code);
            if (strcmp(ts[i].user_id, user) != 0)
                continue;
            for (const char *q = strstr(m, code); q && !seen; q = strstr(q + 1, code))
                seen = (q == m || q[-1] == ',') && (q[len] == '\0' || q[len] == ',');
        }
        if (seen && used + strlen(code) + 2 < cap)
            used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? between : "", code);
    }
}

static void write_json(sbuf *b, const st_exercise *row, const st_result *rs, size_t nr,
                       const st_attempt *ts, size_t nt)
{
    sbuf_puts(b, "{\"exercise\":");
    sbuf_json_string(b, row->id);
    sbuf_puts(b, ",\"title\":");
    sbuf_json_string(b, row->title);
    sbuf_puts(b, ",\"students\":[");
    for (size_t r = 0; r < nr; r++) {
        char when[32], seen[160];
        sbuf_puts(b, r ? ",{\"name\":" : "{\"name\":");
        sbuf_json_string(b, rs[r].name);
        sbuf_printf(b, ",\"role\":\"%s\",\"n_attempts\":%lld,\"best_score\":",
                    rs[r].admin ? "admin" : "user", (long long)rs[r].attempts);
        sbuf_json_number(b, rs[r].best); /* null without attempts */
        if (rs[r].last_at > 0) {
            format_time(when, rs[r].last_at);
            sbuf_printf(b, ",\"last_attempt\":\"%s\"", when);
        } else {
            sbuf_puts(b, ",\"last_attempt\":null");
        }
        mistakes_seen(ts, nt, rs[r].user_id, ',', seen, sizeof seen);
        sbuf_puts(b, ",\"mistakes\":[");
        for (const char *m = seen; *m;) {
            size_t len = strcspn(m, ",");
            sbuf_printf(b, "%s\"%.*s\"", m == seen ? "" : ",", (int)len, m);
            m += len + (m[len] == ',');
        }
        sbuf_puts(b, "],\"attempts\":[");
        int k = 0;
        for (size_t i = 0; i < nt; i++) {
            if (strcmp(ts[i].user_id, rs[r].user_id) != 0)
                continue;
            if (k++)
                sbuf_putc(b, ',');
            exercise_write_attempt(b, &ts[i]);
        }
        sbuf_puts(b, "]}");
    }
    sbuf_puts(b, "]}");
}

/* Names are [A-Za-z0-9._-] and codes [a-z_], so no field needs quoting. */
static void write_csv(sbuf *b, const st_result *rs, size_t nr, const st_attempt *ts, size_t nt)
{
    sbuf_puts(b, "name,attempts,best_score,last_attempt,mistakes\r\n");
    for (size_t r = 0; r < nr; r++) {
        char when[32] = "", seen[160];
        if (rs[r].last_at > 0)
            format_time(when, rs[r].last_at);
        mistakes_seen(ts, nt, rs[r].user_id, ';', seen, sizeof seen);
        sbuf_printf(b, "%s,%lld,", rs[r].name, (long long)rs[r].attempts);
        if (!isnan(rs[r].best))
            sbuf_json_number(b, rs[r].best);
        sbuf_printf(b, ",%s,%s\r\n", when, seen);
    }
}

void h_exercise_results(app *a, const api_request *req, const route_params *p,
                        api_response *resp)
{
    st_exercise row;
    ex_def def;
    int csv = 0;
    if (wants_csv_or_reply(req, resp, &csv) != 0 || exercise_or_reply(a, resp, p->id, &row, &def) != 0)
        return;
    st_result *rs = NULL;
    st_attempt *ts = NULL;
    size_t nr = 0, nt = 0;
    st_status s = storage_exercise_results(a->st, row.id, &rs, &nr);
    if (s == ST_OK)
        s = storage_attempts_list(a->st, row.id, NULL, &ts, &nt);
    if (s != ST_OK) {
        reply_storage_error(resp, s);
    } else {
        sbuf b;
        sbuf_init(&b);
        if (csv) {
            write_csv(&b, rs, nr, ts, nt);
            if (sbuf_failed(&b))
                reply_error(resp, API_ERR_INTERNAL, NULL, "Out of memory.");
            else
                reply_text(resp, 200, "text/csv; charset=utf-8", b.data, b.len);
            sbuf_free(&b);
        } else {
            write_json(&b, &row, rs, nr, ts, nt);
            reply_sbuf(resp, 200, &b);
        }
    }
    free(rs);
    free(ts);
    st_exercise_clear(&row);
}

/* ---- GET /v1/exercises/{id}/solution -------------------------------------- */

static void put_vec(sbuf *b, const char *key, const double *v, size_t n)
{
    sbuf_printf(b, "\"%s\":", key);
    sbuf_json_array(b, v, n);
}

static void write_solution_step(sbuf *b, const ex_step *st)
{
    sbuf_putc(b, '{');
    put_vec(b, "e", st->e, st->outputs);
    sbuf_puts(b, ",\"E\":");
    sbuf_json_number(b, st->E);
    sbuf_puts(b, ",\"E_after\":");
    sbuf_json_number(b, st->E_after);
    sbuf_puts(b, ",\"layers\":[");
    for (size_t l = 0; l < st->n_layers; l++) {
        const ex_layer_q *q = &st->layers[l];
        sbuf_puts(b, l ? ",{" : "{");
        put_vec(b, "v", q->v, q->units);
        sbuf_putc(b, ',');
        put_vec(b, "y", q->y, q->units);
        sbuf_putc(b, ',');
        put_vec(b, "fprime", q->fprime, q->units);
        sbuf_putc(b, ',');
        put_vec(b, "delta", q->delta, q->units);
        sbuf_puts(b, ",\"dw\":");
        sbuf_json_matrix(b, q->dw, q->units, q->fan_in);
        sbuf_putc(b, ',');
        put_vec(b, "db", q->db, q->units);
        sbuf_puts(b, ",\"weights_after\":");
        sbuf_json_matrix(b, q->w_after, q->units, q->fan_in);
        sbuf_putc(b, ',');
        put_vec(b, "biases_after", q->b_after, q->units);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "]}");
}

void h_exercise_solution(app *a, const api_request *req, const route_params *p,
                         api_response *resp)
{
    st_exercise row;
    ex_def def;
    char uid[17], uname[65];
    ex_variant v;
    ex_solution sol;
    ex_error err;
    if (exercise_or_reply(a, resp, p->id, &row, &def) != 0)
        return;
    if (exercise_subject_or_reply(a, req, resp, uid, uname) == 0) {
        if (ex_variant_make(&def, uid, &v, &err) != EX_OK || ex_solve(&v, &sol, &err) != EX_OK) {
            reply_error(resp, API_ERR_INTERNAL, NULL, "No solution for this user: %s", err.message);
        } else {
            sbuf b;
            sbuf_init(&b);
            sbuf_puts(&b, "{\"exercise\":");
            sbuf_json_string(&b, row.id);
            sbuf_puts(&b, ",\"user\":");
            sbuf_json_string(&b, uname);
            sbuf_puts(&b, ",\"steps\":[");
            for (size_t k = 0; k < sol.steps; k++) {
                if (k)
                    sbuf_putc(&b, ',');
                write_solution_step(&b, &sol.step[k]);
            }
            sbuf_puts(&b, "]}");
            reply_sbuf(resp, 200, &b);
        }
    }
    st_exercise_clear(&row);
}

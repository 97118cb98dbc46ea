/*
 * reply.c - the single exit for responses, and the error tables built from
 * errors.h.
 */
#include "api/reply.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const int err_status[] = {
#define X(name, status, code, msg) status,
    API_ERRORS(X)
#undef X
};
static const char *const err_code[] = {
#define X(name, status, code, msg) code,
    API_ERRORS(X)
#undef X
};
static const char *const err_msg[] = {
#define X(name, status, code, msg) msg,
    API_ERRORS(X)
#undef X
};

int api_error_status(api_error e) { return err_status[e]; }
const char *api_error_code(api_error e) { return err_code[e]; }
const char *api_error_message(api_error e) { return err_msg[e]; }

static void reply_oom(api_response *r)
{
    static const char body[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"Out of memory.\"}}";
    sbuf_free(&r->body);
    r->status = 500;
    r->content_type = CT_JSON;
    sbuf_putn(&r->body, body, sizeof body - 1);
}

void reply_sbuf(api_response *r, int status, sbuf *body)
{
    if (sbuf_failed(body)) {
        sbuf_free(body);
        reply_oom(r);
        return;
    }
    sbuf_free(&r->body);
    r->body = *body;
    sbuf_init(body);
    r->status = status;
    r->content_type = CT_JSON;
}

void reply_json(api_response *r, int status, cJSON *root)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) {
        reply_oom(r);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, text);
    cJSON_free(text);
    reply_sbuf(r, status, &b);
}

void reply_text(api_response *r, int status, const char *content_type,
                const char *text, size_t len)
{
    sbuf b;
    sbuf_init(&b);
    sbuf_reserve(&b, len);
    sbuf_putn(&b, text, len);
    reply_sbuf(r, status, &b);
    if (r->status == status)
        r->content_type = content_type;
}

void reply_error(api_response *r, api_error e, const char *field, const char *fmt, ...)
{
    char msg[512];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(msg, sizeof msg, "%s", err_msg[e]);
    }
    sbuf b;
    sbuf_init(&b);
    sbuf_puts(&b, "{\"error\":{\"code\":");
    sbuf_json_string(&b, err_code[e]);
    sbuf_puts(&b, ",\"message\":");
    sbuf_json_string(&b, msg);
    if (field) {
        sbuf_puts(&b, ",\"field\":");
        sbuf_json_string(&b, field);
    }
    sbuf_puts(&b, "}}");
    reply_sbuf(r, err_status[e], &b);
}

void reply_storage_error(api_response *r, st_status s)
{
    switch (s) {
    case ST_NOT_FOUND: reply_error(r, API_ERR_NOT_FOUND, NULL, NULL); break;
    case ST_CONFLICT: reply_error(r, API_ERR_CONFLICT, NULL, NULL); break;
    case ST_LIMIT: reply_error(r, API_ERR_LIMIT_EXCEEDED, NULL, NULL); break;
    case ST_BUSY:
        /* a lock held past its timeout, a transaction that kept
         * conflicting, a lost database connection: worth a retry soon */
        reply_error(r, API_ERR_BUSY, NULL, NULL);
        api_response_header(r, "Retry-After", "1");
        break;
    case ST_FULL: reply_error(r, API_ERR_STORAGE_FULL, NULL, NULL); break;
    case ST_OUTCOME_UNKNOWN: reply_error(r, API_ERR_OUTCOME_UNKNOWN, NULL, NULL); break;
    case ST_READ_ONLY: reply_error(r, API_ERR_READ_ONLY, NULL, NULL); break;
    case ST_CORRUPT: reply_error(r, API_ERR_MODEL_CORRUPT, NULL, NULL); break;
    case ST_QUOTA: reply_error(r, API_ERR_QUOTA_EXCEEDED, NULL, NULL); break;
    default: reply_error(r, API_ERR_INTERNAL, NULL, NULL); break;
    }
}

void reply_dom_error(api_response *r, const dom_status *s)
{
    api_error e = API_ERR_INTERNAL;
    switch (s->code) {
    case DOM_STORAGE: reply_storage_error(r, s->st); return;
    case DOM_NOT_FOUND: e = API_ERR_NOT_FOUND; break;
    case DOM_INVALID: e = API_ERR_INVALID_FIELD; break;
    case DOM_CORRUPT: e = API_ERR_MODEL_CORRUPT; break;
    default: break;
    }
    if (s->reason[0])
        reply_error(r, e, s->field, "%s", s->reason);
    else
        reply_error(r, e, s->field, NULL);
}

cJSON *json_add_number(cJSON *obj, const char *key, double v)
{
    if (!isfinite(v))
        return cJSON_AddNullToObject(obj, key);
    return cJSON_AddNumberToObject(obj, key, v);
}

void format_time(char out[32], double unix_seconds)
{
    time_t secs = (time_t)floor(unix_seconds);
    int ms = (int)((unix_seconds - (double)secs) * 1000.0);
    if (ms > 999)
        ms = 999;
    if (ms < 0)
        ms = 0;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.20s.%03dZ", date, ms);
}

cJSON *json_add_time(cJSON *obj, const char *key, double unix_seconds)
{
    if (!(unix_seconds > 0) || !isfinite(unix_seconds))
        return cJSON_AddNullToObject(obj, key);
    char t[32];
    format_time(t, unix_seconds);
    return cJSON_AddStringToObject(obj, key, t);
}

void api_response_init(api_response *r)
{
    memset(r, 0, sizeof *r);
    sbuf_init(&r->body);
    r->status = 500;
    r->content_type = CT_JSON;
    r->route = -1;
}

void api_response_free(api_response *r)
{
    sbuf_free(&r->body);
    if (r->stream.free)
        r->stream.free(r->stream.ctx);
    memset(&r->stream, 0, sizeof r->stream);
    if (r->deferred.free)
        r->deferred.free(r->deferred.ctx);
    memset(&r->deferred, 0, sizeof r->deferred);
}

void api_response_stream(api_response *r, int status, const char *content_type,
                         api_stream stream)
{
    sbuf_free(&r->body);
    r->status = status;
    r->content_type = content_type;
    r->stream = stream;
}

void api_response_header(api_response *r, const char *name, const char *value)
{
    if (r->n_headers >= API_MAX_EXTRA_HEADERS)
        return;
    snprintf(r->headers[r->n_headers].name, sizeof r->headers[0].name, "%s", name);
    snprintf(r->headers[r->n_headers].value, sizeof r->headers[0].value, "%s", value);
    r->n_headers++;
}

void reply_deleted(api_response *r, const char *id)
{
    cJSON *root = cJSON_CreateObject();
    if (root) {
        cJSON_AddStringToObject(root, "id", id);
        cJSON_AddTrueToObject(root, "deleted");
    }
    reply_json(r, 200, root);
}

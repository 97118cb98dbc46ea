/*
 * reply.h - the single way to answer: reply_json / reply_raw / reply_error.
 *
 * Every response carries Content-Type plus the security headers that http/http.c
 * adds. A reply function fully (re)sets the response, so the last call wins;
 * handlers return right after calling one.
 */
#ifndef MLPD_SERVER_REPLY_H
#define MLPD_SERVER_REPLY_H

#include <cJSON.h>

#include "api/api.h"
#include "api/errors.h"
#include "domain/status.h"

#define CT_JSON "application/json"

/* Print root (consumed: always deleted) as the body with this status.
 * Answers 500 internal if printing fails. */
void reply_json(api_response *r, int status, cJSON *root);
/* Use an already built JSON body (moved out of *body, which is emptied). */
void reply_sbuf(api_response *r, int status, sbuf *body);
/* Any other content type (copied). */
void reply_text(api_response *r, int status, const char *content_type,
                const char *text, size_t len);
/* {"error": {"code", "message", "field"?}}; field may be NULL; fmt NULL
 * uses the list's default message. */
void reply_error(api_response *r, api_error e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Map a storage status to the matching error reply (ST_OK is a bug). */
void reply_storage_error(api_response *r, st_status s);
/* 200 {"id": id, "deleted": true}: the answer of a DELETE that removed id. */
void reply_deleted(api_response *r, const char *id);
/* The error reply for a domain service's refusal (DOM_OK is a bug). */
void reply_dom_error(api_response *r, const dom_status *s);

/* cJSON helpers that never emit NaN/Inf: a non-finite value becomes null. */
cJSON *json_add_number(cJSON *obj, const char *key, double v);
/* RFC 3339 UTC with milliseconds, "2026-11-28T05:07:35.123Z"; 0 -> null. */
cJSON *json_add_time(cJSON *obj, const char *key, double unix_seconds);
void format_time(char out[32], double unix_seconds);

#endif

/*
 * jsonread.h - strict reading of JSON text and fields, below the API.
 *
 * Each reader returns 0 when the value is good, and -1 after filling *e
 * with the refusal: a code, the field it names (paths as in the body:
 * "layers[1].units") and a sentence. api/jsonin.h wraps each reader as
 * "..._or_reply" (the 400 reply); domain code (train parameters) reads
 * with these directly.
 *
 * Traps of cJSON 1.7.15 handled here: trailing garbage (the parse must end
 * at the end of the body), duplicate keys, case variants (only the
 * case-sensitive getters, plus an unknown-field check), 1e999 (parsed as
 * infinity), 3.7 where an integer is meant (cJSON's int field is never read),
 * nesting (deeper than JSONIN_MAX_DEPTH refused), "\u0000" inside strings
 * and invalid UTF-8 (both refused).
 */
#ifndef MLPD_UTIL_JSONREAD_H
#define MLPD_UTIL_JSONREAD_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define JSONIN_MAX_DEPTH 8
#define JSONIN_MAX_KEYS 64 /* members of one object */
/* max for json_read_int when a later check (e.g. a limit) bounds the
 * value; the message then names only the minimum. */
#define JSONIN_NO_MAX (INT64_C(1) << 40)

/* Why a value was refused; the API maps each to its error code. */
typedef enum json_err_code {
    JSON_ERR_NONE = 0,
    JSON_ERR_INVALID_JSON,       /* the text is not strict JSON */
    JSON_ERR_INVALID_FIELD,      /* a field has the wrong type or range */
    JSON_ERR_UNKNOWN_FIELD,
    JSON_ERR_MISSING_FIELD,
    JSON_ERR_TOO_DEEP,
    JSON_ERR_INVALID_DIMENSIONS, /* an array has the wrong size */
    JSON_ERR_TOO_MANY            /* more rows than allowed (413) */
} json_err_code;

typedef struct json_err {
    json_err_code code;
    int has_field;               /* field names the culprit */
    char field[256];
    char message[512];
} json_err;

/* Fill *e (printf-style message). */
void json_fail(json_err *e, json_err_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parse a whole text (not NUL-terminated) into *out (caller deletes). */
int json_read_parse(json_err *e, const char *buf, size_t len, cJSON **out);

/* obj must be a JSON object whose keys are all in allowed (NULL
 * terminated); path prefixes field names in messages ("" at top level). */
int json_read_object(json_err *e, const cJSON *obj, const char *path,
                     const char *const *allowed);

/* Field readers. When the key is absent: required -> missing_field, else
 * *out keeps its value (set the default before calling). A JSON null
 * counts as absent for optional fields. */
int json_read_number(json_err *e, const cJSON *obj, const char *key, const char *path,
                     int required, double *out);
int json_read_int(json_err *e, const cJSON *obj, const char *key, const char *path,
                  int required, int64_t min, int64_t max, int64_t *out);
int json_read_bool(json_err *e, const cJSON *obj, const char *key, const char *path,
                   int required, int *out);
/* *out points into the cJSON tree (no copy). Length in bytes. */
int json_read_string(json_err *e, const cJSON *obj, const char *key, const char *path,
                     int required, size_t min_len, size_t max_len, const char **out);

/* item must be an array of exactly n finite numbers, copied into out. */
int json_read_vector(json_err *e, const cJSON *item, const char *path, size_t n, double *out);
/* Count the rows of an array of arrays (1..max_rows; more is TOO_MANY),
 * without checking them. */
int json_read_rows(json_err *e, const cJSON *item, const char *path, size_t max_rows,
                   size_t *rows);
/* item: array of `rows` arrays of `cols` finite numbers, into out (row-major). */
int json_read_matrix(json_err *e, const cJSON *item, const char *path, size_t rows,
                     size_t cols, double *out);

/* A number usable as an integer in [min, max]: finite and integral. */
int json_number_is_int(double v, int64_t min, int64_t max);

/* Build "path.key" (or "key" when path is empty) / "path[i]" into out. */
void json_path_key(char *out, size_t n, const char *path, const char *key);
void json_path_index(char *out, size_t n, const char *path, size_t i);

#endif

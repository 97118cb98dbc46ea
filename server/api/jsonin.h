/*
 * jsonin.h - reading request bodies, "...or reply" style.
 *
 * Each reader returns 0 when the value is good, and -1 after it has
 * already filled the response with a 400 naming the field; handlers then
 * just return. Paths name fields as in the body: "layers[1].units".
 *
 * Traps of cJSON 1.7.15 handled here: trailing garbage (the parse must end
 * at the end of the body), duplicate keys, case variants (only the
 * case-sensitive getters, plus an unknown-field check), 1e999 (parsed as
 * infinity), 3.7 where an integer is meant (cJSON's int field is never read),
 * nesting (deeper than JSONIN_MAX_DEPTH refused), "\u0000" inside strings
 * and invalid UTF-8 (both refused).
 */
#ifndef MLPD_SERVER_JSONIN_H
#define MLPD_SERVER_JSONIN_H

#include <cJSON.h>
#include <stdint.h>

#include "api/api.h"

#define JSONIN_MAX_DEPTH 8
#define JSONIN_MAX_KEYS 64 /* members of one object */
/* max for json_int_or_reply when a later check (e.g. a limit) bounds the
 * value; the message then names only the minimum. */
#define JSONIN_NO_MAX (INT64_C(1) << 40)

/* Parse a whole body (not NUL-terminated) into *out (caller deletes). */
int json_parse_or_reply(api_response *r, const char *buf, size_t len, cJSON **out);

/* The body must be a JSON object whose keys are all in allowed (NULL
 * terminated); path prefixes field names in messages ("" at top level). */
int json_object_or_reply(api_response *r, const cJSON *obj, const char *path,
                         const char *const *allowed);

/* Field readers. When the key is absent: required -> 400 missing_field,
 * else *out keeps its value (set the default before calling). A JSON null
 * counts as absent for optional fields. */
int json_number_or_reply(api_response *r, const cJSON *obj, const char *key,
                         const char *path, int required, double *out);
int json_int_or_reply(api_response *r, const cJSON *obj, const char *key,
                      const char *path, int required, int64_t min, int64_t max,
                      int64_t *out);
int json_bool_or_reply(api_response *r, const cJSON *obj, const char *key,
                       const char *path, int required, int *out);
/* *out points into the cJSON tree (no copy). Length in bytes. */
int json_string_or_reply(api_response *r, const cJSON *obj, const char *key,
                         const char *path, int required, size_t min_len,
                         size_t max_len, const char **out);

/* item must be an array of exactly n finite numbers, copied into out. */
int json_vector_or_reply(api_response *r, const cJSON *item, const char *path,
                         size_t n, double *out);
/* Count the rows of an array of arrays (1..max_rows; more is 413
 * limit_exceeded), without checking them. */
int json_rows_or_reply(api_response *r, const cJSON *item, const char *path,
                       size_t max_rows, size_t *rows);
/* item: array of `rows` arrays of `cols` finite numbers, into out (row-major). */
int json_matrix_or_reply(api_response *r, const cJSON *item, const char *path,
                         size_t rows, size_t cols, double *out);

/* A number usable as an integer in [min, max]: finite and integral. */
int json_number_is_int(double v, int64_t min, int64_t max);

/* Build "path.key" (or "key" when path is empty) / "path[i]" into out. */
void json_path_key(char *out, size_t n, const char *path, const char *key);
void json_path_index(char *out, size_t n, const char *path, size_t i);

#endif

/*
 * jsonin.h - reading request bodies, "...or reply" style.
 *
 * Each reader is the util/jsonread.h reader of the same name: it returns 0
 * when the value is good, and -1 after it has already filled the response
 * with the 400 (or 413) naming the field; handlers then just return.
 * See util/jsonread.h for the checks and the traps of cJSON they cover.
 */
#ifndef MLPD_SERVER_JSONIN_H
#define MLPD_SERVER_JSONIN_H

#include <cJSON.h>
#include <stdint.h>

#include "api/api.h"
#include "util/jsonread.h"

/* The error reply for a refusal of a util/jsonread.h reader. */
void reply_json_err(api_response *r, const json_err *e);

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

#endif

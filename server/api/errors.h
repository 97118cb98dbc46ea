/*
 * errors.h - every error the API answers, in one list.
 *
 * X(NAME, HTTP status, JSON code, default message). The enum, the status
 * table and the code table are all built from this list (see reply.c).
 */
#ifndef MLPD_SERVER_ERRORS_H
#define MLPD_SERVER_ERRORS_H

#define API_ERRORS(X)                                                                    \
    X(BAD_REQUEST, 400, "bad_request", "The request is malformed.")                      \
    X(INVALID_JSON, 400, "invalid_json", "The body is not valid JSON.")                  \
    X(INVALID_FIELD, 400, "invalid_field", "A field has an invalid value.")              \
    X(UNKNOWN_FIELD, 400, "unknown_field", "The body has a field this endpoint does not take.") \
    X(MISSING_FIELD, 400, "missing_field", "A required field is missing.")               \
    X(TOO_DEEP, 400, "too_deep", "The JSON is nested too deeply.")                       \
    X(INVALID_DIMENSIONS, 400, "invalid_dimensions", "An array has the wrong size.")     \
    X(INVALID_QUERY, 400, "invalid_query", "A query parameter has an invalid value.")    \
    X(INVALID_CSV, 400, "invalid_csv", "The CSV body is malformed.")                     \
    X(NO_SAMPLES, 400, "no_samples", "The model has no samples to train on.")            \
    X(LIMIT_EXCEEDED, 400, "limit_exceeded", "A configured limit would be exceeded.")    \
    X(LIMIT_EXCEEDED_SIZE, 413, "limit_exceeded", "A configured size limit would be exceeded.") \
    X(UNAUTHORIZED, 401, "unauthorized", "A valid bearer token is required (Authorization: Bearer <token>).") \
    X(FORBIDDEN, 403, "forbidden", "This needs an admin token.")                         \
    X(QUOTA_EXCEEDED, 403, "quota_exceeded", "A per-user quota would be exceeded.")      \
    X(NOT_FOUND, 404, "not_found", "No such resource.")                                  \
    X(METHOD_NOT_ALLOWED, 405, "method_not_allowed", "This method is not allowed here.") \
    X(CONFLICT, 409, "conflict", "The request conflicts with the resource's state.")     \
    X(LENGTH_REQUIRED, 411, "length_required", "A Content-Length is required.")          \
    X(BODY_TOO_LARGE, 413, "body_too_large", "The body is larger than the server accepts.") \
    X(IDEMPOTENCY_KEY_REUSED, 422, "idempotency_key_reused", "This Idempotency-Key was used with a different request.") \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type", "The body must be application/json.") \
    X(RATE_LIMITED, 429, "rate_limited", "Too many requests; retry after the time in Retry-After.") \
    X(QUOTA_EXCEEDED_LATER, 429, "quota_exceeded", "A per-user quota is used up for now; retry after the time in Retry-After.") \
    X(MODEL_CORRUPT, 500, "model_corrupt", "The stored model is damaged.")               \
    X(INTERNAL, 500, "internal", "An internal error occurred.")                          \
    X(BUSY, 503, "busy", "The server is busy; try again.")                               \
    X(OUTCOME_UNKNOWN, 503, "outcome_unknown", "The write may or may not have been saved; check before retrying.") \
    X(READ_ONLY, 503, "read_only", "A write to disk failed earlier; the server takes no more writes until it is restarted.") \
    X(STORAGE_FULL, 507, "storage_full", "The disk is full.")

typedef enum api_error {
#define X(name, status, code, msg) API_ERR_##name,
    API_ERRORS(X)
#undef X
    API_ERR_COUNT_
} api_error;

int api_error_status(api_error e);
const char *api_error_code(api_error e);
const char *api_error_message(api_error e);

#endif

/*
 * protocol_errors.h - errors in the shape other protocols define.
 *
 * KServe v2 (every /v2/ path but the health probes' successes) and
 * TensorFlow Serving's :predict answer errors as {"error": "text"}, not
 * mlpd's {"error": {"code", "message"}}. Handlers, access checks and
 * the router reply as everywhere else; api_handle() calls this last to
 * reshape the body of such a route's 4xx/5xx answer. Status and headers
 * (Allow, WWW-Authenticate, Retry-After) stay.
 */
#ifndef MLPD_SERVER_PROTOCOL_ERRORS_H
#define MLPD_SERVER_PROTOCOL_ERRORS_H

#include "api/api.h"

/* 1 when path answers errors as {"error": "text"}. */
int protocol_plain_errors(const char *path);

/* Reshape resp's error body when req's path asks for it. */
void protocol_errors_reshape(const api_request *req, api_response *resp);

#endif

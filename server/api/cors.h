/*
 * cors.h - Cross-Origin Resource Sharing for browser front ends.
 *
 * --cors-origin is empty (no CORS headers at all), "*" (any page may call;
 * meant for public predict: "Access-Control-Allow-Origin: *", never with
 * credentials, which mlpd does not use: tokens travel in the
 * Authorization header, which "*" allows when it is listed in
 * Allow-Headers), or a comma list of exact origins
 * ("https://class.example.org,http://localhost:8000"), each echoed back
 * only to itself with "Vary: Origin". "null" is never allowed by a list.
 * A disallowed origin gets no Access-Control-* header, so the browser
 * keeps the response from the page.
 */
#ifndef MLPD_SERVER_CORS_H
#define MLPD_SERVER_CORS_H

#include "api/api.h"

/* 1 if origin is in the list (exact, case-sensitive match; "*" allows all). */
int cors_allowed(const char *list, const char *origin);

/* Headers for a normal response to req. */
void cors_decorate(const mlpd_config *cfg, const api_request *req, api_response *resp);

/* Answer an OPTIONS request for a path whose routes allow `methods`
 * ("GET, DELETE"): 204 with Allow, and for an allowed Origin the
 * preflight headers (methods, headers, Max-Age 600). */
void cors_preflight(const mlpd_config *cfg, const api_request *req, api_response *resp,
                    const char *methods);

#endif

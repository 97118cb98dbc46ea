/*
 * access.h - who may call which route: authentication, the request rate,
 * and ownership, checked in one place before any handler runs.
 *
 * Every route falls in one class, read from its pattern, so that a route
 * added later is guarded without a line here:
 *   public   /healthz, the /v2/health/ probes, GET /v2, GET / and the lab
 *            page's files
 *   admin    /metrics (with --auth token)
 *   predict  /v1/models/{id}/predict, /v1/models/{id}:predict,
 *            /v1/models/{id}/metadata and every /v2/models/{id}...: the
 *            owner, an admin, or anyone when the model is public_predict
 *   model    any other /v1/models/{id}...: the owner or an admin
 *   job      /v1/jobs/{id}...: the owner of the job's model or an admin
 *   admin    also an exercise's teacher routes: POST /v1/exercises, DELETE
 *            /v1/exercises/{id}, GET /v1/exercises/{id}/results and /solution
 *   user     everything else (lists, create, import): any valid token
 * Another user's model or job answers exactly what a missing one answers
 * (404 not_found), so ids cannot be probed. With --auth none the caller
 * is the built-in admin "local".
 */
#ifndef MLPD_SERVER_ACCESS_H
#define MLPD_SERVER_ACCESS_H

#include "api/api.h"
#include "domain/auth.h"
#include "api/routes.h"

typedef enum access_kind {
    ACCESS_PUBLIC = 0,
    ACCESS_USER,
    ACCESS_MODEL,
    ACCESS_PREDICT,
    ACCESS_JOB,
    ACCESS_ADMIN
} access_kind;

access_kind access_of_route(const route *rt);

/* The built-in user of --auth none. */
extern const auth_user access_local_user;

/* Authenticate req (req->user is set to user, or stays NULL for an
 * anonymous public predict), apply the request rate, and check the
 * route's object. 0 to run the handler; -1 after replying 401/403/404/429. */
int access_check_or_reply(app *a, api_request *req, const route *rt, const route_params *p,
                          auth_user *user, api_response *resp);

/* Ownership, checked for every route before its handler: 0 if req->user
 * owns the model or is an admin, or (predict != 0) the model is
 * public_predict; else -1 after replying 404 not_found, exactly as for a
 * model that does not exist (401 for an anonymous caller). */
int model_access_or_reply(app *a, const api_request *req, api_response *resp, const char *id,
                          int predict);
/* The same for a job, through the model it belongs to. */
int job_access_or_reply(app *a, const api_request *req, api_response *resp, const char *job_id);

/* 401 with WWW-Authenticate: Bearer. */
void reply_unauthorized(api_response *resp, int invalid_token);

#endif

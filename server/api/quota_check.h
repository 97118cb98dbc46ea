/*
 * quota_check.h - per-user limits: request rate (token buckets, ratelimit.h),
 * models, samples, jobs and training time. Each "..._or_reply" check
 * returns 0 to go on, or -1 after queueing its 4xx/429 reply, so that a
 * refused request changes nothing.
 *
 * Admins (and the local user of --auth none, an admin) are exempt from
 * every per-user quota and from the request rate: the teacher's scripts
 * must not be throttled by the limits meant for a class.
 */
#ifndef MLPD_API_QUOTA_CHECK_H
#define MLPD_API_QUOTA_CHECK_H

#include <stdint.h>

#include "api/api.h"
#include "domain/quota.h"

/* Rate of the authenticated caller (req->user): 429 rate_limited with
 * Retry-After when the user's bucket is empty. */
int quota_rate_or_reply(app *a, const api_request *req, api_response *resp);
/* Rate of a request without a valid token, per client address. */
int quota_anon_rate_or_reply(app *a, const api_request *req, api_response *resp);

/* Caps to hand to storage, which checks them in the write's own
 * transaction (0 = no cap). */
int64_t quota_models_cap(const app *a, const api_request *req);
int64_t quota_samples_cap(const app *a, const api_request *req);

/* The reply for a storage ST_QUOTA from a model create or a sample post. */
void quota_models_reply(const app *a, api_response *resp);
void quota_samples_reply(const app *a, api_response *resp);

/* Jobs: 429 quota_exceeded (Retry-After) when the caller already has
 * quota_running_jobs + quota_queued_jobs jobs running or queued
 * (quota_running_jobs 0: no cap), or has used quota_train_seconds_day
 * today. running/queued: the caller's current counts. */
int quota_jobs_or_reply(app *a, const api_request *req, api_response *resp,
                        int64_t running, int64_t queued);
int quota_train_time_or_reply(app *a, const api_request *req, api_response *resp);
/* The longest a job of this caller may train now: min(per-job limit,
 * what is left of today's); the per-job limit when exempt. */
double quota_train_seconds_left(app *a, const api_request *req);
/* Everything a new training job needs, in one call for the train
 * handler: the job quotas and today's time (both above), then *max_seconds
 * (the job's limit) cut to what is left of today's. */
int quota_train_or_reply(app *a, const api_request *req, api_response *resp,
                         double *max_seconds);
/* The caller's user id, "" for an anonymous request (a job's owner). */
const char *quota_owner_of(const api_request *req);
/* The same for the caller of req (nothing for an anonymous one). */
void quota_charge_caller(app *a, const api_request *req, double seconds);

#endif

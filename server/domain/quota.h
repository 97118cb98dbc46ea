/*
 * quota.h - the day's training time per user, kept in storage: what the
 * job worker charges when a job ends and what the API's quota checks
 * (api/quota_check.h) read.
 */
#ifndef MLPD_DOMAIN_QUOTA_H
#define MLPD_DOMAIN_QUOTA_H

#include "storage/storage.h"

/* "YYYY-MM-DD" of now in UTC, and the seconds to the next UTC midnight. */
void quota_today(char day[11], double *to_midnight);
/* Seconds owner has trained today (0 when unknown). */
double quota_used_today(storage *st, const char *owner, double *to_midnight);
/* Count seconds of training against owner's day (UTC). */
void quota_charge_training(storage *st, const char *owner, double seconds);

#endif
